"""Rows and cells of worksheet XML as bytes: find a cell, rewrite it, splice it back.

    codec = RowCodec(b"")                        # the sheet's SpreadsheetML prefix: b"" or b"x:"
    row = codec.edited(codec.opened(b'<row r="5" spans="1:2"><c r="A5" s="3"><v>1</v></c></row>'), 5)
    spot = codec.locate(row, 5, 2)               # B5 is not there; it would go right after A5
    cell = codec.with_value(codec.new_cell(b"B5", 0), None, "42")
    row[: spot.start] + cell + row[spot.end :]
    # b'<row r="5"><c r="A5" s="3"><v>1</v></c><c r="B5"><v>42</v></c></row>'

No tree is built. The last cell of the row is looked at first: a column beyond it goes right
after it. Else the row is searched for `<c r="B5"` (Excel, WPS, LibreOffice, openpyxl and
xlsxwriter write r first on every cell), and the cells right before and after it are checked: their
r must name this row, in column order. Only a row written otherwise (cells without r, r after
other attributes, a cell to insert among others) is read cell by cell (`cells`), and such a row
gets r on every cell when xlcsr writes into it (`normalized`), so no cell without r changes its
meaning. Writing one column into every row of a 100,000-row sheet costs a few byte searches a row.

`RowDamage` (Chinese and English reason) is raised for a cell whose r is not a cell of this row,
comes out of column order or is cut off; the sheet turns it into WorkbookUnreadable.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache
from typing import NamedTuple

from xlcsr.ooxml.cells import COLUMN_LETTERS, cell_ref, split_ref, text_needs_preserve

_AFTER_NAME = frozenset(b" \t\r\n/>")
_SPACE = b" \t\r\n"
_DIGITS = b"0123456789"
_COLUMNS = {letters.encode(): c for c, letters in enumerate(COLUMN_LETTERS) if c}
_R_ATTR = re.compile(rb"""(?<![\w:.-])r\s*=\s*["']([^"']*)["']""")
_S_ATTR = re.compile(rb"""(?<![\w:.-])s\s*=\s*["']\s*(\d+)\s*["']""")
_CUSTOM_FORMAT = re.compile(rb"""(?<![\w:.-])customFormat\s*=\s*["']\s*(1|true)\s*["']""")


class RowDamage(ValueError):
    """A row's cells cannot be placed: an r that is no cell of the row, out of order, or a cut-off tag."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


class Spot(NamedTuple):
    """Where a cell is in a row's bytes: at [start, end), or the place for it (start == end, not found).

    `regular` is False when cells without a canonical r surround it: write into `normalized` bytes.
    """

    start: int
    end: int
    found: bool
    regular: bool = True


class Cell(NamedTuple):
    """A cell of a row read cell by cell: its column (given or implied), bytes [start, end), r as Excel writes it."""

    col: int
    start: int
    end: int
    canonical: bool


class RowCodec:
    """Byte operations on the rows and cells of one sheet, whose SpreadsheetML prefix is `prefix`."""

    def __init__(self, prefix: bytes) -> None:
        self.prefix = prefix
        self._row = b"<" + prefix + b"row"
        self._row_end = b"</" + prefix + b"row>"
        self._c = b"<" + prefix + b"c"
        self._c_r = b"<" + prefix + b'c r="'
        self._c_end = b"</" + prefix + b"c"
        self._ext = b"<" + prefix + b"extLst"

    # -- rows --

    def new_row(self, number: int) -> bytes:
        return b'%s r="%d">%s' % (self._row, number, self._row_end)

    def opened(self, row: bytes) -> bytes:
        """The row with an end tag: `<row r="3"/>` becomes `<row r="3"></row>`."""
        if not row.endswith(b"/>") or row.index(b">") != len(row) - 1:
            return row
        return row[:-2].rstrip(_SPACE) + b">" + self._row_end

    def edited(self, row: bytes, number: int) -> bytes:
        """The (opened) row as xlcsr writes an edited one: r first on it, no spans."""
        tag_end = row.index(b">")
        tag, rest = row[:tag_end], row[tag_end:]
        tag = without_attrs(tag, (b"spans",))
        if not tag.startswith(self._row + b' r="') and _R_ATTR.search(tag) is None:
            at = len(self._row)
            tag = tag[:at] + b' r="%d"' % number + tag[at:]
        return tag + rest

    def row_style(self, row: bytes) -> int:
        """The style a row gives its cells (s, when customFormat says it applies), else 0."""
        tag = row[: row.index(b">")]
        if _CUSTOM_FORMAT.search(tag) is None:
            return 0
        m = _S_ATTR.search(tag)
        return int(m.group(1)) if m else 0

    # -- finding cells --

    def locate(self, row: bytes, number: int, col: int, ref: bytes | None = None) -> Spot:
        """Where cell `col` of row `number` (`ref`, such as b"B5") is in the opened `row`, or would go.

        The last cell is looked at first (a column written beyond it goes right after it), then the
        row is searched for the cell's r; only when neither tells, it is read cell by cell.
        """
        lo, hi = row.index(b">") + 1, row.rindex(b"</")
        last = self._previous_cell(row, lo, hi)
        if last < 0:
            ext = row.find(self._ext, lo, hi)
            place = ext if ext >= 0 else hi
            return Spot(place, place, False)
        last_col = self._explicit_col(row, last, number)
        if last_col is not None and last_col <= col:
            end = self._cell_end(row, last, hi)
            if last_col < col:
                return Spot(end, end, False)
            self._check_neighbours(row, number, col, (lo, last, end, hi))
            return Spot(last, end, True)
        ref = ref or cell_ref(number, col).encode()
        at = row.find(self._c_r + ref + b'"', lo, last)
        if at >= 0:
            end = self._cell_end(row, at, hi)
            self._check_neighbours(row, number, col, (lo, at, end, hi))
            return Spot(at, end, True)
        return self._scanned_spot(row, number, col)

    def cells(self, row: bytes, number: int) -> list[Cell]:
        """Every cell of the row, read one by one; a cell without r is in the column after the one before."""
        found: list[Cell] = []
        pos, hi = row.index(b">") + 1, row.rindex(b"</")
        col = 0
        while (at := self._next_cell(row, pos, hi)) >= 0:
            end = self._cell_end(row, at, hi)
            given = self._ref(row, at)
            if given is None:
                col, canonical = col + 1, False
            else:
                here = self._col_of(given, number)
                if here <= col:
                    raise _out_of_order(given)
                col, canonical = here, row.startswith(self._c_r + cell_ref(number, here).encode() + b'"', at)
            found.append(Cell(col, at, end, canonical))
            pos = end
        return found

    def normalized(self, row: bytes, number: int) -> bytes:
        """The row with r, canonical and first, on every cell."""
        pieces, pos = [], 0
        for cell in self.cells(row, number):
            if cell.canonical:
                continue
            tag_end = row.index(b">", cell.start)
            tag = row[cell.start + len(self._c) : tag_end]
            m = _R_ATTR.search(tag)
            if m:
                tag = tag[: m.start()].rstrip(_SPACE) + tag[m.end() :]
            ref = cell_ref(number, cell.col).encode()
            pieces += [row[pos : cell.start], self._c + b' r="' + ref + b'"', tag]
            pos = tag_end
        pieces.append(row[pos:])
        return b"".join(pieces)

    def formula_cells(self, row: bytes, number: int) -> list[int]:
        """The columns of the row's cells that hold a formula."""
        return [cell.col for cell in self.cells(row, number) if self.has_child(row[cell.start : cell.end], b"f")]

    # -- one cell --

    def new_cell(self, ref: bytes, style: int, kind: str | None = None, text: str | None = None) -> bytes:
        """A cell the row lacks: empty, or holding `text` as `with_value` writes it."""
        tag = b'%s r="%s" s="%d"' % (self._c, ref, style) if style else b'%s r="%s"' % (self._c, ref)
        if text is None:
            return tag + b"/>"
        return self._holding(with_attr(tag, b"t", kind.encode()) if kind else tag, kind, text, b"")

    def style(self, cell: bytes) -> int:
        m = _S_ATTR.search(cell, 0, cell.index(b">"))
        return int(m.group(1)) if m else 0

    def with_style(self, cell: bytes, xf_id: int) -> bytes:
        """The cell with style `xf_id` (0: no s attribute)."""
        return with_attr(cell, b"s", b"%d" % xf_id) if xf_id else without_attrs(cell, (b"s",))

    def kind(self, cell: bytes) -> str:
        """'formula', 'empty', or the type the cell's t gives its value ('n' without one)."""
        if self.has_child(cell, b"f"):
            return "formula"
        if not (self.has_child(cell, b"v") or self.has_child(cell, b"is")):
            return "empty"
        return (attr(cell[: cell.index(b">")], b"t") or b"n").decode()

    def has_value(self, cell: bytes) -> bool:
        return any(self.has_child(cell, name) for name in (b"f", b"v", b"is"))

    def has_child(self, cell: bytes, name: bytes) -> bool:
        """True when the cell holds a `<name>` element (such as f, v or is)."""
        return find_tag(cell, b"<" + self.prefix + name, cell.index(b">"), len(cell)) >= 0

    def with_value(self, cell: bytes, kind: str | None, text: str | None) -> bytes:
        """The cell holding `text` as type `kind` (None: a number), or nothing when text is None.

        Its formula, value, cm and vm go, t says `kind` (in its place when it had one); its other
        attributes and its extLst stay.
        """
        tag_end = _start_tag_end(cell)
        tag = without_attrs(cell[:tag_end], (b"cm", b"vm"))
        tag = with_attr(tag, b"t", kind.encode()) if kind and text is not None else without_attrs(tag, (b"t",))
        closed = cell[tag_end:tag_end + 2] == b"/>"
        inner = b"" if closed else cell[tag_end + 1 : cell.rindex(b"</")]
        ext = inner.find(self._ext)
        extension = inner[ext:] if ext >= 0 else b""
        if text is None:
            return tag + b">" + extension + self._c_end + b">" if extension else tag + b"/>"
        return self._holding(tag, kind, text, extension)

    def _holding(self, tag: bytes, kind: str | None, text: str, extension: bytes) -> bytes:
        """The cell of start tag `tag` (without its `>`) holding `text`, then `extension`."""
        p = self.prefix
        if kind == "inlineStr":
            space = b' xml:space="preserve"' if text_needs_preserve(text) else b""
            value = b"<%sis><%st%s>%s</%st></%sis>" % (p, p, space, escape_text(text), p, p)
        else:
            value = b"<%sv>%s</%sv>" % (p, escape_text(text), p)
        return tag + b">" + value + extension + self._c_end + b">"

    # -- scanning --

    def _scanned_spot(self, row: bytes, number: int, col: int) -> Spot:
        cells = self.cells(row, number)
        regular = all(cell.canonical for cell in cells)
        k = bisect_left([cell.col for cell in cells], col)
        if k < len(cells) and cells[k].col == col:
            return Spot(cells[k].start, cells[k].end, True, regular)
        place = cells[k].start if k < len(cells) else cells[-1].end if cells else row.rindex(b"</")
        return Spot(place, place, False, regular)

    def _check_neighbours(self, row: bytes, number: int, col: int, bounds: tuple[int, int, int, int]) -> None:
        """The cells right before and after the one at [at, end) must be of this row, in column order."""
        lo, at, end, hi = bounds
        before = self._previous_cell(row, lo, at)
        if before >= 0 and (c := self._explicit_col(row, before, number)) is not None and c >= col:
            raise _out_of_order(self._ref(row, before))
        after = self._next_cell(row, end, hi)
        if after >= 0 and (c := self._explicit_col(row, after, number)) is not None and c <= col:
            raise _out_of_order(self._ref(row, after))

    def _next_cell(self, row: bytes, lo: int, hi: int) -> int:
        return find_tag(row, self._c, lo, hi)

    def _previous_cell(self, row: bytes, lo: int, hi: int) -> int:
        while (at := row.rfind(self._c, lo, hi)) >= 0:
            if row[at + len(self._c)] in _AFTER_NAME:
                return at
            hi = at
        return -1

    def _cell_end(self, row: bytes, at: int, hi: int) -> int:
        """The end of the cell starting at `at` (after its `/>` or its end tag)."""
        tag_end = row.find(b">", at, hi)
        if tag_end < 0:
            raise RowDamage("单元格标记不完整", "a cell's tag is cut off")
        if row[tag_end - 1] == 0x2F:  # "/"
            return tag_end + 1
        close = find_tag(row, self._c_end, tag_end, hi)
        gt = row.find(b">", close, hi) if close >= 0 else -1
        if gt < 0:
            raise RowDamage("单元格缺少结束标记", "a cell has no end tag")
        return gt + 1

    def _ref(self, row: bytes, at: int) -> bytes | None:
        """The r of the cell starting at `at`, None when it has none."""
        if row.startswith(self._c_r, at):
            start = at + len(self._c_r)
            return row[start : row.index(b'"', start)]
        m = _R_ATTR.search(row, at + len(self._c), row.index(b">", at))
        return m.group(1) if m else None

    def _explicit_col(self, row: bytes, at: int, number: int) -> int | None:
        """The column the r of the cell at `at` names (checked to be in this row), None without r."""
        given = self._ref(row, at)
        return None if given is None else self._col_of(given, number)

    def _col_of(self, given: bytes, number: int) -> int:
        letters = given.rstrip(_DIGITS)
        col = _COLUMNS.get(letters)
        digits = given[len(letters) :]
        if col is None or digits != str(number).encode():
            try:
                row, col = split_ref(given.decode("utf-8", "replace"))
            except ValueError:
                row = 0
            if row != number:
                raise _out_of_order(given)
        return col


def _out_of_order(given: bytes | None) -> RowDamage:
    ref = (given or b"").decode("utf-8", "replace")
    return RowDamage(f"单元格 r=\"{ref}\" 无效或顺序错误", f"cell reference r=\"{ref}\" is invalid or out of order")


def find_tag(data: bytes, opening: bytes, lo: int, hi: int) -> int:
    """The first `opening` (such as b"<c") in data[lo:hi] that is a whole tag name, -1 when none."""
    while (at := data.find(opening, lo, hi)) >= 0:
        following = at + len(opening)
        if following < len(data) and data[following] in _AFTER_NAME:
            return at
        lo = following
    return -1


def _start_tag_end(element: bytes) -> int:
    """Where attributes may be added to an element's start tag: before its `/>` or `>` (or at the end)."""
    end = element.find(b">")
    if end < 0:
        return len(element)
    return end - 1 if element[end - 1 : end] == b"/" else end


# --- attributes of a start tag, as bytes ------------------------------------------------------


@lru_cache(maxsize=64)
def _attr_pattern(name: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"""(?<![\w:.-])""" + re.escape(name) + rb"""\s*=\s*(["'])(.*?)\1""", re.S)


@lru_cache(maxsize=64)
def _spaced_attr_pattern(name: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"\s+" + _attr_pattern(name).pattern, re.S)


def attr(tag: bytes, name: bytes) -> bytes | None:
    """The value of attribute `name` in a start tag's bytes (or any attribute list), None when absent."""
    m = _attr_pattern(name).search(tag)
    return m.group(2) if m else None


def with_attr(element: bytes, name: bytes, value: bytes) -> bytes:
    """The element's bytes with attribute `name` set to `value` (added at the end of its start tag)."""
    tag_end = _start_tag_end(element)
    if element.find(name, 0, tag_end) >= 0:
        span = _value_span(element, name, tag_end)
        if span is not None:
            return element[: span[0]] + value + element[span[1] :]
    return element[:tag_end] + b' %s="%s"' % (name, value) + element[tag_end:]


def without_attrs(element: bytes, names: tuple[bytes, ...]) -> bytes:
    """The element's bytes without the attributes `names` of its start tag."""
    for name in names:
        end = element.find(b">")
        end = end if end >= 0 else len(element)
        if element.find(name, 0, end) < 0:
            continue
        at = element.find(b" " + name + b'="', 0, end)  # as nearly every program writes it
        close = element.find(b'"', at + len(name) + 3, end) if at >= 0 else -1
        if close >= 0:
            element = element[:at] + element[close + 1 :]
            continue
        m = _spaced_attr_pattern(name).search(element, 0, end)
        if m:
            element = element[: m.start()] + element[m.end() :]
    return element


def _value_span(element: bytes, name: bytes, end: int) -> tuple[int, int] | None:
    """Where the value of attribute `name` is in the start tag (which ends at `end`), None without it."""
    at = element.find(b" " + name + b'="', 0, end)
    if at >= 0:
        start = at + len(name) + 3
        close = element.find(b'"', start, end)
        if close >= 0:
            return start, close
    m = _attr_pattern(name).search(element, 0, end)
    return m.span(2) if m else None


def escape_text(text: str) -> bytes:
    """Element text as XML bytes (& < > escaped, and CR kept as a character reference)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;").encode()
