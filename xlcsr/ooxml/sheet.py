"""Patch cells of one existing worksheet in place, touching only the rows that change.

    package = XlsxPackage.open(Path("顾客特殊要求清单.xlsx"))
    sheet = package.sheet("清单")
    sheet.set_value("A7", "=SUM(1)")             # text is always written as text, never a formula
    old, new = sheet.set_fill("H7", "FFFFC7CE")  # style ids before and after
    sheet.add_notes({"H7": "截止日期早于接收日期"})  # False when the sheet has notes of its own
    sheet.add_conditional([CfRule("A4:N1003", "$L4<TODAY()", fill="FFFF9999")])  # priorities
    sheet.set_column_width("P", 15)             # only the <col> covering P changes (a range is split)
    sheet.protect()                             # Excel's Protect Sheet without a password
    package.save()

The sheet XML is never parsed, and no row becomes a tree. The part stays the bytes it was read
as (`original`); one search over them finds where each `<row>` starts; a cell is found in its
row's bytes, rewritten as bytes and spliced in (`xlcsr.ooxml.rows`), and each edited row is kept
as its new bytes, nothing more. On save the package deflates `pieces()`: views of the source
between the edited rows, and those rows. So writing one column into 100,000 rows costs a few byte
searches per row and one deflate of the part, and a cell edit nothing but its row.

A row or cell without r is the one after the row or cell before it, as SpreadsheetML says; a row
xlcsr writes into gets r (and loses its spans hint), its cells too when some had none; every other
row keeps its bytes. Value edits of formula cells, of covered cells of merged ranges, of table
headers and of pivot tables are refused with UnsafeEdit before anything changes. A damaged row is
refused with WorkbookUnreadable, naming file, sheet and row: a row number that is not one or out of
order, a cell beside the one written that names another row or comes out of order, and, checked
with expat before a row is first rewritten, malformed XML.

A column written right beside an Excel table (its header cell in the table's header row) or a row
written right under it joins the table on save: its ref, autoFilter and tableColumns grow, the new
column named after its header (逾期天数2 when the name is taken, the header cell saying so too).
The sheet's own autoFilter grows the same way (`auto_filter()` says to what).
"""

from __future__ import annotations

import bisect
import io
import re
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import PurePath
from typing import NamedTuple
from xml.parsers import expat

from lxml import etree

from xlcsr.domain.errors import UnsafeEdit, WorkbookUnreadable
from xlcsr.ooxml import conditional
from xlcsr.ooxml.cells import (
    MAX_COL,
    MAX_ROW,
    MAX_TEXT,
    Value,
    cell_ref,
    clean_text,
    col_letter,
    col_number,
    excel_serial,
    number_text,
    split_range,
    split_ref,
)
from xlcsr.ooxml.notes import CT_COMMENTS, CT_VML, NOTE_AUTHOR, comments_xml, only_note_shapes, vml_xml
from xlcsr.ooxml.parts import Parts
from xlcsr.ooxml.rows import RowCodec, RowDamage, Spot, attr, find_tag, with_attr, without_attrs
from xlcsr.ooxml.styles import XML_DECLARATION

_R_ATTR = re.compile(rb"""(?<![\w:.-])r\s*=\s*["']([^"']*)["']""")
_FILTER_REF = re.compile(rb"""(<(?:[\w.-]+:)?autoFilter\b[^>]*?\bref\s*=\s*["'])([^"']*)(["'])""")
_LXML_WHERE = re.compile(r",? line \d+, column \d+$")
_NS_DECL = re.compile(rb"""xmlns(?::[\w.-]+)?\s*=\s*(?:"[^"]*"|'[^']*')""")
_AFTER_LEGACY = {
    "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
    "webPublishItems", "tableParts", "extLst",
}
_COLS = re.compile(rb"<(?:[\w.-]+:)?cols\b[^>]*?(/?)>")
_COLS_END = re.compile(rb"</(?:[\w.-]+:)?cols\s*>")
_COL = re.compile(rb"<(?:[\w.-]+:)?col\b([^>]*?)(?:/>|>\s*</(?:[\w.-]+:)?col\s*>)")  # attributes in group 1
PROTECTION = b'sheet="1" objects="1" scenarios="1"'  # what Excel writes when asked for no password
_MERGE_REF = re.compile(rb"""<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref\s*=\s*["']([^"']+)""")
_WRAP = b"xlcsr-wrap"
_PARSER = etree.XMLParser(huge_tree=True, resolve_entities=False)


# --- the sheet -------------------------------------------------------------------------------


class _Spot(NamedTuple):
    """A cell's place: its row's current bytes (None when the sheet has no such row), where in them,
    and where the row is in the source while xlcsr has not rewritten it."""

    row: int
    col: int
    data: bytes | None
    where: Spot | None
    source: tuple[int, int] | None = None

    @property
    def cell(self) -> bytes | None:
        """The cell's bytes, None when it is not there."""
        where = self.where
        return self.data[where.start : where.end] if where is not None and where.found else None


@dataclass(frozen=True)
class _Notes:
    kind: str  # "none" | "ours" | "foreign"
    comments: tuple[str, str] | None = None  # (rId, part)
    vml: tuple[str, str] | None = None


class SheetPatch:
    """Edits of one worksheet part, applied to its bytes when the package is written."""

    def __init__(self, package: Parts, name: str, part: str) -> None:
        self.package = package
        self.name = name
        self.part = part
        self.changed = False
        self._file = PurePath(package.source or part).name
        self._load(package.read(part))

    def __repr__(self) -> str:
        state = "changed" if self.changed else "unchanged"
        return f"<SheetPatch {self.name!r} ({self.part}), {state}>"

    def prepare(self) -> None:
        """Find now what the first edit would: where each row starts, the ranges that take no value,
        whether every cell has r first.

        Pure searches over the bytes read: a caller may run it in a thread while it does other work
        (a file's values read by calamine, which lets go of the GIL).
        """
        self._row_index()
        self._guard_ranges()
        self._r_first()

    # -- public edits --

    def set_value(self, ref: str, value: Value) -> None:
        """Write `value` into `ref`; text stays text, dates get a date format, None clears."""
        row, col = split_ref(ref)
        self._set(row, col, cell_ref(row, col), value)

    def _set(self, row: int, col: int, ref: str, value: Value) -> None:
        spot = self._spot(row, col, ref)
        cell = spot.cell
        self._check_value_edit(ref, row, col, cell)
        if value is None:
            if cell is not None and self._codec.has_value(cell):
                self._put(spot, self._codec.with_value(cell, None, None))
            return
        kind, text, style = self._encode(ref, value, spot)
        self._written.add((row, col))
        if cell is None:
            new = self._codec.new_cell(ref.encode(), self._default_style(spot), kind, text)
        else:
            new = self._codec.with_value(cell, kind, text)
        if style is not None:
            new = self._codec.with_style(new, style)
        if new != cell:
            self._put(spot, new)

    def set_column(self, letter: str, values: Mapping[int, Value]) -> None:
        """Write `values` (row → value; None clears) into column `letter`, row after row.

        Clearing costs nothing in a row without a cell in the column: when every cell of the sheet
        has r first (as Excel writes them), one search over the sheet tells which rows have one.
        """
        col = col_number(letter)
        present = self._rows_with_cells_in(col)
        self._guard_ranges()
        first, last = self._guarded_rows
        edited, letters = self._edited, col_letter(col)
        rows = sorted(values)
        if rows and not (1 <= rows[0] and rows[-1] <= MAX_ROW):
            raise ValueError(f"row out of range: {rows[0]}…{rows[-1]}")
        for row in rows:
            value = values[row]
            if value is None and present is not None and row not in present and row not in edited:
                if first <= row <= last:
                    self._check_value_edit(f"{letters}{row}", row, col, None)
                continue
            self._set(row, col, f"{letters}{row}", value)

    def _rows_with_cells_in(self, col: int) -> set[int] | None:
        """The rows of the source with a cell in column `col`; None when some cell has no r first."""
        if not self._r_first():
            return None
        letters = col_letter(col).encode()
        # one pass: the column's cells, and any r in lower case (not as Excel writes it)
        cells = re.compile(re.escape(self._cell_r) + b"(?:" + letters + rb'(\d{1,7})"|' + letters.lower() + b")")
        found = cells.findall(self.original, self._lo, self._hi)
        if b"" in found:
            return None
        return set(map(int, found))

    def _r_first(self) -> bool:
        """True when every cell of the source has r as its first attribute (as Excel writes them)."""
        if self._all_r_first is None:
            without_r = re.compile(b"<" + re.escape(self._prefix) + b'c(?! r=")')
            self._all_r_first = without_r.search(self.original, self._lo, self._hi) is None
        return self._all_r_first

    def style_of(self, ref: str) -> int:
        """The style (xf) id the cell shows: its own, else its row's or column's."""
        row, col = split_ref(ref)
        return self._shown_style(self._spot(row, col))

    def set_style(self, ref: str, xf_id: int) -> None:
        row, col = split_ref(ref)
        spot = self._spot(row, col)
        cell = spot.cell
        new = self._codec.with_style(cell if cell is not None else self._new_cell(spot), xf_id)
        if new != cell:
            self._put(spot, new)

    def set_fill(self, ref: str, argb: str) -> tuple[int, int]:
        """Give `ref` a solid fill, keeping the rest of its format; returns (old, new) style ids."""
        old = self.style_of(ref)
        new = self.package.styles.with_fill(old, argb)
        if new != old:
            self.set_style(ref, new)
        return old, new

    # -- column widths (<cols>) --

    def column_width(self, letter: str) -> float | None:
        """The width the sheet's `<cols>` gives column `letter`, None when it has the default (or none)."""
        col = split_ref(f"{letter}1")[1]
        for _, _, attrs in self._col_elements():
            first, last = _col_span(attrs)
            if first <= col <= last:
                width = attr(attrs, b"width")
                try:
                    return float(width) if width is not None else None
                except ValueError:
                    return None
        return None

    def set_column_width(self, letter: str, width: float) -> bool:
        """Make column `letter` at least `width` characters wide and shown; False when it already is.

        Only the `<col>` covering the column changes: a range is split around it (each piece keeps
        its bytes but for min and max), a column without one gets its own, in order, and a sheet
        without `<cols>` gets one right before `<sheetData>` (after `<sheetFormatPr>`, as the schema
        orders them). The column's style and outline level stay; hidden and bestFit go.
        """
        col = split_ref(f"{letter}1")[1]
        text = _width_text(width)
        p = self._prefix
        ours = b"<%scol %s/>" % (p, _col_attrs(col, text))
        holder = _COLS.search(self._head)
        if holder is None:
            at = self._head.rindex(b"<" + p + b"sheetData")
            self._splice_head(at, at, b"<%scols>%s</%scols>" % (p, ours, p))
            return True
        if holder.group(1):  # <cols/>: empty, which the schema does not allow; give it our column
            self._splice_head(holder.start(), holder.end(), b"<%scols>%s</%scols>" % (p, ours, p))
            return True
        for start, end, attrs in self._col_elements():
            first, last = _col_span(attrs)
            if last < col:
                continue
            if first > col:
                self._splice_head(start, start, ours)
                return True
            element = self._head[start:end]
            current = attr(attrs, b"width")
            try:
                wide = current is not None and float(current) >= width
            except ValueError:
                wide = False
            if wide and attr(attrs, b"hidden") not in (b"1", b"true"):
                return False
            own = without_attrs(element, (b"hidden", b"bestFit"))
            own = with_attr(with_attr(_with_span(own, col, col), b"width",
                                        attr(attrs, b"width") if wide else text), b"customWidth", b"1")
            pieces = [_with_span(element, first, col - 1)] if first < col else []
            pieces.append(own)
            pieces += [_with_span(element, col + 1, last)] if col < last else []
            self._splice_head(start, end, b"".join(pieces))
            return True
        close = _COLS_END.search(self._head, holder.end())
        at = close.start() if close else holder.end()
        self._splice_head(at, at, ours)
        return True

    def _col_elements(self) -> list[tuple[int, int, bytes]]:
        """(start, end, attributes) of each `<col>` in the sheet's `<cols>`, in the head's bytes."""
        holder = _COLS.search(self._head)
        if holder is None or holder.group(1):
            return []
        close = _COLS_END.search(self._head, holder.end())
        stop = close.start() if close else len(self._head)
        return [(m.start(), m.end(), m.group(1)) for m in _COL.finditer(self._head, holder.end(), stop)]

    def _splice_head(self, start: int, end: int, data: bytes) -> None:
        self._head = self._head[:start] + data + self._head[end:]
        self._col_styles = None
        self.changed = True

    # -- sheet protection --

    @property
    def protected(self) -> bool:
        """True when the sheet is protected (`<sheetProtection sheet="1">`), with a password or without."""
        start, end, found = self._protection_spot()
        return found and attr(self._tail[start:end], b"sheet") in (b"1", b"true")

    def protect(self) -> bool:
        """Protect the sheet without a password, as Excel's Protect Sheet does; False when it already is.

        Users may still select cells, nothing more (no formatting, inserting, deleting, sorting or
        filtering); xlcsr's own edits are not bound by it. A `<sheetProtection>` already there keeps
        its bytes (its password hash, what it allows), only turned on when it says sheet="0". A new
        one goes where the schema orders it: right after `<sheetData>` (and `<sheetCalcPr>`), before
        protectedRanges, autoFilter, mergeCells, conditionalFormatting and the rest.
        """
        if self.protected:
            return False
        self._settle_tail()
        start, end, found = self._protection_spot()
        element = self._tail[start:end]
        if found:
            element = with_attr(element, b"sheet", b"1")
        else:
            element = b"<%ssheetProtection %s/>" % (self._prefix, PROTECTION)
        self._tail = self._tail[:start] + element + self._tail[end:]
        self.changed = True
        return True

    def _protection_spot(self) -> tuple[int, int, bool]:
        """(start, end, found) of `<sheetProtection>` in the tail's bytes; without one, where it goes."""
        p = re.escape(self._prefix)
        found = re.compile(b"<" + p + rb"sheetProtection\b[^>]*?(?:/>|>\s*</" + p + rb"sheetProtection\s*>)")
        m = found.search(self._tail)
        if m:
            return m.start(), m.end(), True
        close = len(b"</" + self._prefix + b"sheetData>")
        calc = re.compile(rb"\s*(?:<" + p + rb"sheetCalcPr\b[^>]*?(?:/>|>.*?</" + p + rb"sheetCalcPr\s*>))?", re.S)
        at = calc.match(self._tail, close).end()
        return at, at, False

    def _settle_tail(self) -> None:
        """Bring the parsed tail's edits back into its bytes, so the bytes may be edited."""
        if self._tail_tree is not None:
            if self._tail_dirty:
                self._tail = self._serialized_tail()
            self._tail_tree = None
            self._tail_dirty = False

    def value_kind(self, ref: str) -> str:
        """'empty', 'formula', or the cell type: 'n', 's', 'str', 'inlineStr', 'b', 'e', 'd'."""
        row, col = split_ref(ref)
        cell = self._spot(row, col).cell
        return "empty" if cell is None else self._codec.kind(cell)

    # -- notes --

    def add_notes(self, notes: dict[str, str], author: str = NOTE_AUTHOR) -> bool:
        """Add Excel notes; False (nothing changed) when the sheet has comments or VML not ours.

        Notes xlcsr added before stay, unless `notes` names the same cell. Ours are recognised by
        an author starting with "xlcsr", so any other `author` is written as "xlcsr <author>".
        """
        state = self._notes()
        if state.kind == "foreign":
            return False
        if not notes:
            return True
        merged = self._read_notes(state) if state.kind == "ours" else {}
        merged.update({cell_ref(*split_ref(ref)): text for ref, text in notes.items()})
        if state.kind == "ours":
            self._drop_notes(state)
        self._write_notes(merged, author if author.startswith(NOTE_AUTHOR) else f"{NOTE_AUTHOR} {author}")
        return True

    def remove_notes(self) -> bool:
        """Remove the notes xlcsr added; False when there were none of ours."""
        state = self._notes()
        if state.kind != "ours":
            return False
        self._drop_notes(state)
        return True

    def notes_parts(self) -> tuple[str, ...]:
        """The comments and VML parts of xlcsr's notes on this sheet, or () when there are none."""
        state = self._notes()
        if state.kind != "ours" or not state.comments or not state.vml:
            return ()
        return state.comments[1], state.vml[1]

    def has_foreign_objects(self) -> bool:
        """True when replacing this sheet would drop something xlcsr did not make."""
        keep = {"printerSettings", "hyperlink"}
        ours = set(self.notes_parts())
        for rel in self.package.rels(self.part):
            if rel.kind not in keep and rel.part not in ours:
                return True
        return self._notes().kind == "foreign"

    def has_formulas(self) -> bool:
        if self._formulas is None:
            self._formulas = find_tag(self.original, b"<" + self._prefix + b"f", self._lo, self._hi) >= 0
        return self._formulas

    def formula_refs(self) -> set[str]:
        """References ('E27') of the cells that hold a formula, rows and cells without r included.

        Only the rows whose bytes hold an `<f>` are read, cell by cell; a damaged one raises
        WorkbookUnreadable.
        """
        refs: set[str] = set()
        for row in self._formula_rows():
            try:
                refs.update(cell_ref(row, col) for col in self._codec.formula_cells(self._row_bytes(row), row))
            except RowDamage as exc:
                raise self._damaged(row, exc.zh, exc.en) from exc
        return refs

    def _formula_rows(self) -> list[int]:
        """The rows whose source bytes hold an `<f>` element, found by searching for it."""
        tag = b"<" + self._prefix + b"f"
        numbers, starts = self._row_index()
        rows: list[int] = []
        pos = self._lo
        while (at := find_tag(self.original, tag, pos, self._hi)) >= 0:
            k = bisect.bisect_right(starts, at) - 1
            if k < 0:
                pos = at + 1
                continue
            rows.append(numbers[k])
            pos = starts[k + 1] if k + 1 < len(starts) else self._hi
        return rows

    # -- conditional formatting (xlcsr.ooxml.conditional) --

    def remove_conditional(self, match: Callable[[str], bool]) -> int:
        """Remove the expression rules whose formula `match`es; returns how many."""
        removed = conditional.remove_rules(self._tail_root(), self._ns, match)
        if removed:
            self._tail_dirty = self.changed = True
        return removed

    def add_conditional(self, rules: Sequence[conditional.CfRule]) -> list[int]:
        """Add expression rules after the sheet's own (which keep their priorities); returns ours."""
        priorities = conditional.add_rules(self._tail_root(), self._ns, rules, self.package.styles)
        if priorities:
            self._tail_dirty = self.changed = True
        return priorities

    # -- bytes --

    def to_bytes(self) -> bytes:
        """The sheet XML with every edit applied."""
        return b"".join(self.pieces())

    def pieces(self) -> list[bytes | memoryview]:
        """The sheet XML with every edit applied, as pieces to write one after the other.

        The rows between edited ones are views of the source, so nothing the size of the sheet is
        copied; the package deflates the pieces as they come.
        """
        self._grow_ranges()
        if self._extent:
            self._head = self._grown_dimension()
            self._extent = None
        if self._tail_tree is not None and self._tail_dirty:
            self._tail = self._serialized_tail()
            self._tail_tree = None
            self._tail_dirty = False
        return [self._head, *self._body_pieces(), self._tail]

    # -- loading --

    def _load(self, xml: bytes) -> None:
        m = re.search(rb"<((?:[\w.-]+:)?)sheetData\b[^>]*?(/?)>", xml)
        root = re.search(rb"<((?:[\w.-]+:)?)worksheet\b([^>]*)>", xml)
        if not m or not root:
            raise WorkbookUnreadable(
                f"工作表「{self.name}」的 XML 不完整（缺少 sheetData） / "
                f"Sheet '{self.name}' XML is incomplete (no sheetData)"
            )
        self.original = xml  # the part as read: rows nobody edits are written from it
        self._prefix = m.group(1)
        self._codec = RowCodec(self._prefix)
        self._nsdecl = b" ".join(_NS_DECL.findall(root.group(2)))
        root_prefix = root.group(1)[:-1].decode()
        self._ns = self._namespace_of(root_prefix)
        close = b"</" + self._prefix + b"sheetData>"
        if m.group(2):
            self._head = xml[: m.start()] + b"<" + self._prefix + b"sheetData>"
            self._lo = self._hi = m.end()
            self._tail = close + xml[m.end() :]
        else:
            end = xml.rfind(close)
            if end < m.end():
                raise WorkbookUnreadable(
                    f"工作表「{self.name}」的 XML 不完整 / Sheet '{self.name}' XML is truncated"
                )
            self._head, self._lo, self._hi, self._tail = xml[: m.end()], m.end(), end, xml[end:]
        self._index: tuple[array[int], array[int]] | None = None  # row numbers, where they start
        self._edited: dict[int, bytes] = {}  # row number → the row's bytes as xlcsr rewrote it
        self._spans: dict[int, tuple[int, int]] = {}  # row number → its bytes in the source, for edited rows
        self._checker: expat.XMLParserType | None = None
        self._extent: list[int] | None = None
        self._tail_tree: etree._Element | None = None
        self._tail_dirty = False
        self._guards: dict[str, list[tuple[int, int, int, int]]] | None = None
        self._guarded_rows = (1, 0)  # the rows the guards cover, first to last
        self._formulas: bool | None = None  # whether the source's cells hold a formula
        self._all_r_first: bool | None = None  # whether every cell of the source has r first
        self._cell_r = b"<" + self._prefix + b'c r="'
        self._col_styles: list[tuple[int, int, int]] | None = None
        self._written: set[tuple[int, int]] = set()  # cells given a value: tables and filters grow over them
        self._shared: dict[int, str | None] = {}

    def _namespace_of(self, prefix: str) -> str:
        name = b"xmlns:" + prefix.encode() if prefix else b"xmlns"
        for decl in _NS_DECL.findall(self._nsdecl):
            key, _, value = decl.partition(b"=")
            if key.strip() == name:
                return value.strip()[1:-1].decode()
        return ""

    def _tag(self, name: str) -> str:
        return f"{{{self._ns}}}{name}" if self._ns else name

    # -- rows --

    def _row_index(self) -> tuple[array[int], array[int]]:
        """The number of each `<row>` and where it starts in the source, both ascending.

        One search over the rows: a row without r is the one after the row before it; a row number
        that is not a number, or not above the one before, is damage (a second row 7 would make
        every edit ambiguous).
        """
        if self._index is None:
            xml, hi = self.original, self._hi
            tag = re.compile(b"<" + re.escape(self._prefix) + rb'row(?: r="(\d{1,11})"|(?=[\s/>]))')
            numbers, starts, last = array("l"), array("q"), 0
            for m in tag.finditer(xml, self._lo, hi):
                at = m.start()
                digits = m[1] or self._row_digits(at, last)
                number = int(digits)
                if not last < number <= MAX_ROW:
                    raise self._bad_row_number(last + 1, digits)
                last = number
                numbers.append(last)
                starts.append(at)
            self._index = numbers, starts
        return self._index

    def _row_digits(self, at: int, previous: int) -> bytes:
        """The number of the row whose tag starts at `at`, not written as Excel writes it: its r, else the
        one after `previous`."""
        xml, fast = self.original, b"<" + self._prefix + b'row r="'
        if xml.startswith(fast, at):  # r first, but not digits and a quote
            end = xml.find(b'"', at + len(fast), at + len(fast) + 12)
            number = xml[at + len(fast) : end] if end > 0 else b"?"
        else:
            tag_end = xml.find(b">", at, self._hi) + 1
            if not tag_end:
                raise self._damaged(previous + 1, "行标记不完整", "its tag is cut off")
            r = _R_ATTR.search(xml, at, tag_end)
            number = r.group(1).strip() if r else b"%d" % (previous + 1)
        if not number.isdigit():
            raise self._bad_row_number(previous + 1, number)
        return number

    def _bad_row_number(self, row: int, number: bytes) -> WorkbookUnreadable:
        text = number.decode(errors="replace")
        return self._damaged(row, f"行号 r=\"{text}\" 无效或顺序错误",
                             f"row number r=\"{text}\" is invalid or out of order")

    def _source_span(self, row: int) -> tuple[int, int] | None:
        """Where row `row` is in the source, from `<row` to the end of `</row>` (or of `/>`); None without one."""
        numbers, starts = self._index or self._row_index()
        k = bisect.bisect_left(numbers, row)
        if k == len(numbers) or numbers[k] != row:
            return None
        start = starts[k]
        limit = starts[k + 1] if k + 1 < len(starts) else self._hi
        xml = self.original
        tag_end = xml.find(b">", start, limit)
        if tag_end < 0:
            raise self._damaged(row, "行标记不完整", "its tag is cut off")
        if xml[tag_end - 1] == 0x2F:  # "/": an empty row
            return start, tag_end + 1
        close = b"</" + self._prefix + b"row>"
        end = xml.rfind(close, tag_end, limit)
        if end < 0:
            raise self._damaged(row, "缺少结束标记", "it has no end tag")
        return start, end + len(close)

    def _row_bytes(self, row: int) -> bytes | None:
        """The current bytes of row `row`: as xlcsr rewrote it, else from the source; None when absent."""
        return self._row_state(row)[0]

    def _row_state(self, row: int) -> tuple[bytes | None, tuple[int, int] | None]:
        """The row's current bytes, and where it is in the source when they are still the source's."""
        data = self._edited.get(row)
        if data is not None:
            return data, None
        span = self._source_span(row)
        return (None, None) if span is None else (self._codec.opened(self.original[span[0] : span[1]]), span)

    def _check_well_formed(self, row: int, start: int, end: int) -> None:
        """Before row `row` of the source (its bytes from start to end) is first rewritten: feed it to
        the sheet's expat parser, which sits inside an element declaring the sheet's namespaces."""
        if self._checker is None:
            self._checker = expat.ParserCreate(namespace_separator=" ")
            self._checker.Parse(b"<" + _WRAP + b" " + self._nsdecl + b">", False)
        try:
            self._checker.Parse(self.original[start:end], False)
        except expat.ExpatError as exc:
            self._checker = None
            detail = expat.ErrorString(exc.code)
            raise self._damaged(row, "XML 格式错误", f"malformed XML: {detail}") from exc

    def _parse_fragment(self, fragment: bytes) -> etree._Element:
        return etree.fromstring(b"<" + _WRAP + b" " + self._nsdecl + b">" + fragment + b"</" + _WRAP + b">", _PARSER)

    def _damaged(self, row: int, zh: str, en: str) -> WorkbookUnreadable:
        return WorkbookUnreadable(
            f"工作簿 {self._file} 的工作表「{self.name}」第 {row} 行已损坏（{zh}），未写入任何内容 / "
            f"Workbook {self._file}: sheet '{self.name}' row {row} is damaged ({en}); nothing was written"
        )

    # -- cells --

    def _spot(self, row: int, col: int, ref: str | None = None) -> _Spot:
        """Where cell (row, col) is, or would go, in the row's current bytes; `ref` names it, if known."""
        data, span = self._row_state(row)
        if data is None:
            return _Spot(row, col, None, None)
        try:
            return _Spot(row, col, data, self._codec.locate(data, row, col, ref.encode() if ref else None), span)
        except RowDamage as exc:
            raise self._damaged(row, exc.zh, exc.en) from exc

    def _put(self, spot: _Spot, cell: bytes) -> None:
        """Put `cell` where `spot` says, in the row's bytes (a new row when the sheet has none)."""
        row, col, data, where = spot.row, spot.col, spot.data, spot.where
        codec = self._codec
        try:
            if data is None:
                data = codec.new_row(row)
                where = codec.locate(data, row, col)
            elif spot.source is not None:  # the first edit of a row of the source
                self._check_well_formed(row, *spot.source)
                self._spans[row] = spot.source
                edited = codec.edited(data, row)
                shift = len(edited) - len(data)
                data, where = edited, Spot(where.start + shift, where.end + shift, where.found, where.regular)
            if not where.regular:  # cells without r around it: give every cell of the row its r
                data = codec.normalized(data, row)
                where = codec.locate(data, row, col)
        except RowDamage as exc:
            raise self._damaged(row, exc.zh, exc.en) from exc
        self._edited[row] = data[: where.start] + cell + data[where.end :]
        self._touch(row, col)

    def _new_cell(self, spot: _Spot) -> bytes:
        """An empty cell for `spot`, in the style its row or column gives it."""
        return self._codec.new_cell(cell_ref(spot.row, spot.col).encode(), self._default_style(spot))

    def _shown_style(self, spot: _Spot) -> int:
        cell = spot.cell
        return self._codec.style(cell) if cell is not None else self._default_style(spot)

    def _default_style(self, spot: _Spot) -> int:
        if spot.data is not None and (style := self._codec.row_style(spot.data)):
            return style
        for first, last, style in self._column_styles():
            if first <= spot.col <= last:
                return style
        return 0

    def _column_styles(self) -> list[tuple[int, int, int]]:
        if self._col_styles is None:
            found = []
            for m in re.finditer(rb"<(?:[\w.-]+:)?col\b([^>]*)>", self._head):
                attrs = dict(re.findall(rb'([\w:]+)\s*=\s*["\']([^"\']*)["\']', m.group(1)))
                if b"style" in attrs:
                    found.append((int(attrs.get(b"min", 0)), int(attrs.get(b"max", 0)), int(attrs[b"style"])))
            self._col_styles = found
        return self._col_styles

    def _touch(self, row: int, col: int) -> None:
        self.changed = True
        if self._extent is None:
            self._extent = [row, col, row, col]
        else:
            e = self._extent
            if not (e[0] <= row <= e[2] and e[1] <= col <= e[3]):
                self._extent = [min(e[0], row), min(e[1], col), max(e[2], row), max(e[3], col)]

    # -- values --

    def _encode(self, ref: str, value: Value, spot: _Spot) -> tuple[str | None, str, int | None]:
        """(cell type, text, style id or None to keep) for a value."""
        if isinstance(value, str):
            text = clean_text(value)
            if len(text) > MAX_TEXT:
                raise UnsafeEdit(
                    f"工作表「{self.name}」单元格 {ref} 的文本超过 Excel 上限 {MAX_TEXT} 字 / "
                    f"Sheet '{self.name}' cell {ref}: text longer than Excel's {MAX_TEXT} characters"
                )
            return "inlineStr", text, None
        if isinstance(value, bool):
            return "b", "1" if value else "0", None
        if isinstance(value, int | float | Decimal):
            return None, number_text(value), None
        if isinstance(value, date):
            serial = excel_serial(value, date1904=self.package.date1904)
            with_time = isinstance(value, datetime) and value.time() != time(0)
            style = self.package.styles.with_date_format(self._shown_style(spot), with_time=with_time)
            return None, number_text(serial), style
        raise TypeError(f"cannot write {type(value).__name__} into a cell: {value!r}")

    # -- refusals --

    def _check_value_edit(self, ref: str, row: int, col: int, cell: bytes | None) -> None:
        if cell is not None and self._codec.has_child(cell, b"f"):
            raise self._refused(ref, "含有公式，xlcsr 不会覆盖公式",
                                "holds a formula; xlcsr does not overwrite formulas")
        guards = self._guard_ranges()
        first, last = self._guarded_rows
        if not first <= row <= last:
            return
        if _inside(guards["array"], row, col):
            raise self._refused(ref, "属于数组公式区域", "is part of an array formula")
        for r1, c1, r2, c2 in guards["merged"]:
            if r1 <= row <= r2 and c1 <= col <= c2 and (row, col) != (r1, c1):
                anchor = cell_ref(r1, c1)
                raise self._refused(ref, f"在合并单元格中，只能写入左上角 {anchor}",
                                    f"is covered by a merged range; only its top-left cell {anchor} holds a value")
        if _inside(guards["header"], row, col):
            raise self._refused(ref, "是 Excel 表格的标题行", "is a header of an Excel table")
        if _inside(guards["pivot"], row, col):
            raise self._refused(ref, "属于数据透视表", "is part of a pivot table")

    def _refused(self, ref: str, zh: str, en: str) -> UnsafeEdit:
        return UnsafeEdit(f"工作表「{self.name}」单元格 {ref} {zh} / sheet '{self.name}' cell {ref} {en}")

    def _guard_ranges(self) -> dict[str, list[tuple[int, int, int, int]]]:
        """The ranges whose cells take no value from xlcsr (merged, array, table header, pivot), by kind."""
        if self._guards is None:
            self._guards = {
                "merged": [split_range(r.decode()) for r in _MERGE_REF.findall(self._tail)],
                "array": self._array_ranges(),
                "header": [],
                "pivot": [],
            }
            for _, table in self._tables():
                header = _table_header(table)
                if header:
                    self._guards["header"].append(header)
            for rel in self.package.rels(self.part):
                if rel.kind == "pivotTable" and self.package.exists(rel.part):
                    location = self.package.xml(rel.part).find("{*}location")
                    if location is not None and location.get("ref"):
                        self._guards["pivot"].append(split_range(location.get("ref")))
            areas = [area for kind in self._guards.values() for area in kind]
            self._guarded_rows = (min((a[0] for a in areas), default=1), max((a[2] for a in areas), default=0))
        return self._guards

    def _array_ranges(self) -> list[tuple[int, int, int, int]]:
        found: list[tuple[int, int, int, int]] = []
        if not self.has_formulas():
            return found
        xml, lo, hi = self.original, self._lo, self._hi
        for word in (b'"array"', b"'array'", b'"dataTable"', b"'dataTable'"):
            pos = xml.find(word, lo, hi)
            while pos >= 0:
                start = xml.rfind(b"<", lo, pos)
                end = xml.find(b">", pos, hi)
                ref = re.search(rb"""\bref\s*=\s*["']([^"']+)""", xml[start:end])
                if ref and re.match(rb"<(?:[\w.-]+:)?f\b", xml[start:end]):
                    found.append(split_range(ref.group(1).decode()))
                pos = xml.find(word, pos + 1, hi)
        return found

    # -- Excel tables and autofilters beside what xlcsr writes --

    def auto_filter(self) -> str | None:
        """The range of the sheet's own autoFilter ('A3:P29'), grown over what xlcsr wrote; None without one.

        An Excel table carries an autoFilter of its own, grown with the table. This one is the
        filter of a plain range; the workbook's `_xlnm._FilterDatabase` name must say the same.
        """
        self._grow_ranges()
        return self._sheet_filter_ref()

    def _tables(self) -> list[tuple[str, etree._Element]]:
        """(part, parsed XML) of each Excel table (ListObject) on the sheet."""
        found = []
        for rel in self.package.rels(self.part):
            if rel.kind != "table" or rel.external or not self.package.exists(rel.part):
                continue
            try:
                table = etree.fromstring(self.package.read(rel.part), _PARSER)
                split_range(table.get("ref", ""))
            except (etree.XMLSyntaxError, ValueError) as exc:
                raise WorkbookUnreadable(
                    f"工作簿 {self._file} 中工作表「{self.name}」的 Excel 表格（{rel.part}）已损坏，未写入任何内容 / "
                    f"Workbook {self._file}: the Excel table {rel.part} of sheet '{self.name}' is damaged; "
                    "nothing was written"
                ) from exc
            found.append((rel.part, table))
        return found

    def _grow_ranges(self) -> None:
        """Grow each table, and the sheet's autoFilter, over the columns and rows written beside them.

        A column counts when xlcsr wrote into it within the range's rows and its cell in the header
        row holds text (the new table column's name); a row when xlcsr wrote into it within the
        range's columns, unless the table ends in a totals row. Sorting then takes them along.
        """
        if not self._written:
            return
        filter_ref = self._sheet_filter_ref()
        tables = self._tables() if b"tablePart" in self._tail else []
        if not tables and filter_ref is None:
            return
        areas = [split_range(table.get("ref")) for _, table in tables]
        by_row: dict[int, list[int]] = {}
        by_col: dict[int, list[int]] = {}
        for r, c in self._written:
            by_row.setdefault(r, []).append(c)
            by_col.setdefault(c, []).append(r)
        written = by_row, by_col
        for i, (part, table) in enumerate(tables):
            if table.get("tableType", "worksheet") != "worksheet":
                continue  # query and XML-map tables are bound to their source's columns
            others = areas[:i] + areas[i + 1 :]
            named = table.get("headerRowCount", "1") != "0" and table.find("{*}tableColumns") is not None
            below = table.get("totalsRowCount", "0") == "0"
            grown, columns = self._grown(areas[i], others, written, header=named, below=below)
            if grown != areas[i]:
                self._grow_table(part, table, areas[i], grown, columns)
                areas[i] = grown
        if filter_ref is not None:
            try:
                area = split_range(filter_ref)
            except ValueError:
                return
            grown, _ = self._grown(area, areas, written, header=True, below=True)
            if grown != area:
                self._set_sheet_filter_ref(_range_ref(grown))

    def _grown(
        self, area: tuple[int, int, int, int], others: list[tuple[int, int, int, int]],
        written: tuple[dict[int, list[int]], dict[int, list[int]]], *, header: bool, below: bool,
    ) -> tuple[tuple[int, int, int, int], list[tuple[int, str]]]:
        """`area` grown right and down over written cells (by row, by column); the new columns and headers."""
        by_row, by_col = written
        r1, c1, r2, c2 = area
        columns: list[tuple[int, str]] = []
        while True:
            c, r = c2 + 1, r2 + 1
            if (header and c <= MAX_COL and any(r1 <= w <= r2 for w in by_col.get(c, ()))
                    and not _overlaps(others, (r1, c, r2, c))):
                text = self._text(r1, c)
                if text and text.strip():
                    columns.append((c, text))
                    c2 = c
                    continue
            if (below and r <= MAX_ROW and any(c1 <= w <= c2 for w in by_row.get(r, ()))
                    and not _overlaps(others, (r, c1, r, c2))):
                r2 = r
                continue
            return (r1, c1, r2, c2), columns

    def _grow_table(self, part: str, table: etree._Element, old: tuple[int, int, int, int],
                    new: tuple[int, int, int, int], columns: list[tuple[int, str]]) -> None:
        """Write the table part with its new ref, autoFilter and one tableColumn per new column."""
        ns = etree.QName(table).namespace

        def tag(name: str) -> str:
            return f"{{{ns}}}{name}" if ns else name

        table.set("ref", _range_ref(new))
        autofilter = table.find(tag("autoFilter"))
        if autofilter is not None and autofilter.get("ref"):
            a1, b1, a2, b2 = split_range(autofilter.get("ref"))
            autofilter.set("ref", _range_ref((a1, b1, a2 + new[2] - old[2], b2 + new[3] - old[3])))
        holder = table.find(tag("tableColumns"))
        if columns and holder is not None:
            existing = list(holder.iterchildren(tag("tableColumn")))
            taken = {el.get("name", "").casefold() for el in existing}
            ids = [int(el.get("id")) for el in existing if (el.get("id") or "").isdigit()]
            next_id = max(ids, default=0) + 1
            for col, text in columns:
                name, shown = _unique_column_name(text, taken)
                taken.add(name.casefold())
                column = etree.SubElement(holder, tag("tableColumn"))
                column.set("id", str(next_id))
                column.set("name", name)
                next_id += 1
                if shown != text:  # Excel's header cells always say their column's name
                    spot = self._spot(new[0], col)
                    cell = spot.cell if spot.cell is not None else self._new_cell(spot)
                    self._put(spot, self._codec.with_value(cell, "inlineStr", shown))
            holder.set("count", str(len(holder.findall(tag("tableColumn")))))
        self.package.write(part, XML_DECLARATION + etree.tostring(table, encoding="UTF-8", xml_declaration=False))
        self._guards = None
        self.changed = True

    def _sheet_filter_ref(self) -> str | None:
        if self._tail_tree is not None:
            element = self._tail_tree.find(self._tag("autoFilter"))
            return element.get("ref") if element is not None else None
        m = _FILTER_REF.search(self._tail)
        return m.group(2).decode() if m else None

    def _set_sheet_filter_ref(self, ref: str) -> None:
        """Change the ref of the sheet's autoFilter, in its bytes unless the tail is parsed anyway."""
        if self._tail_tree is not None:
            self._tail_tree.find(self._tag("autoFilter")).set("ref", ref)
            self._tail_dirty = True
        else:
            m = _FILTER_REF.search(self._tail)
            self._tail = self._tail[: m.start(2)] + ref.encode() + self._tail[m.end(2) :]
        self.changed = True

    def _text(self, row: int, col: int) -> str | None:
        """The text a cell shows when it holds a string (inline, formula-free str, or shared); else None."""
        found = self._spot(row, col).cell
        if found is None or self._codec.has_child(found, b"f"):
            return None
        cell = self._parse_fragment(found)[0]
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            holder = cell.find(self._tag("is"))
            return _runs_text(holder, self._tag) if holder is not None else None
        value = cell.find(self._tag("v"))
        if value is None or value.text is None:
            return None
        if kind == "str":
            return value.text
        if kind == "s" and value.text.strip().isdigit():
            return self._shared_string(int(value.text))
        return None

    def _shared_string(self, index: int) -> str | None:
        """Item `index` of the workbook's shared-string table, read up to it and no further."""
        if index not in self._shared:
            self._shared[index] = None
            book = next((r.part for r in self.package.rels("") if r.kind == "officeDocument"), None)
            table = next((r.part for r in self.package.rels(book) if r.kind == "sharedStrings"), None) if book else None
            if table and self.package.exists(table):
                items = etree.iterparse(io.BytesIO(self.package.read(table)), tag="{*}si", huge_tree=True)
                for n, (_, item) in enumerate(items):
                    if n == index:
                        self._shared[index] = _runs_text(item, lambda name: f"{{*}}{name}")
                        break
                    item.clear()
        return self._shared[index]

    # -- splicing --

    def _body_pieces(self) -> list[bytes | memoryview]:
        """The rows of sheetData: views of the source between the edited rows, which are bytes."""
        view = memoryview(self.original)
        pieces: list[bytes | memoryview] = []
        pos = self._lo
        for row in sorted(self._edited):
            start, end = self._spans.get(row) or self._place_of_new_row(row)
            if start > pos:
                pieces.append(view[pos:start])
            pieces.append(self._edited[row])
            pos = end
        pieces.append(view[pos : self._hi])
        return pieces

    def _place_of_new_row(self, row: int) -> tuple[int, int]:
        """Where a row the sheet did not have goes: right before the next row it has."""
        numbers, starts = self._row_index()
        later = bisect.bisect_right(numbers, row)
        at = starts[later] if later < len(starts) else self._hi
        return at, at

    def _grown_dimension(self) -> bytes:
        m = re.search(rb"""(<(?:[\w.-]+:)?dimension\b[^>]*?\bref\s*=\s*["'])([^"']*)(["'])""", self._head)
        if not m:
            return self._head
        r1, c1, r2, c2 = self._extent
        try:
            o1, oc1, o2, oc2 = split_range(m.group(2).decode())
            r1, c1, r2, c2 = min(r1, o1), min(c1, oc1), max(r2, o2), max(c2, oc2)
        except ValueError:
            pass
        ref = cell_ref(r1, c1) if (r1, c1) == (r2, c2) else f"{cell_ref(r1, c1)}:{cell_ref(r2, c2)}"
        return self._head[: m.start(2)] + ref.encode() + self._head[m.end(2) :]

    # -- the part after sheetData (mergeCells … legacyDrawing … extLst) --

    def _tail_parts(self) -> tuple[bytes, bytes, bytes]:
        close = b"</" + self._prefix + b"sheetData>"
        end = self._tail.rindex(b"</")
        return close, self._tail[len(close) : end], self._tail[end:]

    def _tail_root(self) -> etree._Element:
        if self._tail_tree is None:
            try:
                self._tail_tree = self._parse_fragment(self._tail_parts()[1])
            except etree.XMLSyntaxError as exc:
                detail = _LXML_WHERE.sub("", str(exc.msg or exc)).strip()
                raise WorkbookUnreadable(
                    f"工作簿 {self._file} 的工作表「{self.name}」单元格之后的部分已损坏（XML 格式错误），"
                    "未写入任何内容 / "
                    f"Workbook {self._file}: sheet '{self.name}' is damaged after its cells (malformed XML: {detail}); "
                    "nothing was written"
                ) from exc
        return self._tail_tree

    def _serialized_tail(self) -> bytes:
        close, _, end = self._tail_parts()
        out = etree.tostring(self._tail_root(), encoding="UTF-8", xml_declaration=False)
        inner = b"" if out.endswith(b"/>") and out.count(b">") == 1 else out[out.index(b">") + 1 : out.rindex(b"<")]
        return close + inner + end

    def _legacy_drawing(self) -> etree._Element | None:
        return self._tail_root().find(self._tag("legacyDrawing"))

    # -- notes internals --

    def _notes(self) -> _Notes:
        rels = self.package.rels(self.part)
        comments = [r for r in rels if r.kind == "comments"]
        legacy = self._legacy_drawing()
        if not comments and legacy is None:
            return _Notes("none")
        if legacy is None or len(comments) != 1 or any(r.kind.startswith("threadedComment") for r in rels):
            return _Notes("foreign")
        vml = next((r for r in rels if r.id == legacy.get(f"{{{self.package.ns.rel}}}id")), None)
        comment = comments[0]
        if vml is None or not self.package.exists(vml.part) or not self.package.exists(comment.part):
            return _Notes("foreign")
        authors = [a.text or "" for a in self.package.xml(comment.part).iter("{*}author")]
        if not authors or not all(a.startswith(NOTE_AUTHOR) for a in authors):
            return _Notes("foreign")
        if not only_note_shapes(self.package.read(vml.part)):
            return _Notes("foreign")
        return _Notes("ours", (comment.id, comment.part), (vml.id, vml.part))

    def _read_notes(self, state: _Notes) -> dict[str, str]:
        root = self.package.xml(state.comments[1])
        notes = {}
        for comment in root.iter("{*}comment"):
            text = comment.find("{*}text")
            notes[comment.get("ref")] = "".join(t.text or "" for t in text.iter("{*}t")) if text is not None else ""
        return notes

    def _drop_notes(self, state: _Notes) -> None:
        legacy = self._legacy_drawing()
        if legacy is not None:
            conditional.remove_keeping_tail(legacy)
            self._tail_dirty = True
        for rid, part in (state.comments, state.vml):
            self.package.remove_rel(self.part, rid)
            self.package.delete(part)
        self.changed = True

    def _write_notes(self, notes: dict[str, str], author: str) -> None:
        pkg = self.package
        comments_part = pkg.free_part_name(pkg.workbook_dir + "/comments{}.xml")
        vml_part = pkg.free_part_name(pkg.workbook_dir + "/drawings/vmlDrawing{}.vml")
        cells = sorted((split_ref(ref), text) for ref, text in notes.items())
        pkg.write(comments_part, comments_xml(cells, author, pkg.ns.main))
        pkg.write(vml_part, vml_xml(cells, pkg.free_vml_block()))
        pkg.set_override(comments_part, CT_COMMENTS)
        pkg.ensure_default("vml", CT_VML)
        pkg.add_rel(self.part, "comments", comments_part)
        vml_rid = pkg.add_rel(self.part, "vmlDrawing", vml_part)
        nsmap = {"r": pkg.ns.rel} if b"xmlns:r=" not in self._nsdecl else None
        legacy = etree.Element(self._tag("legacyDrawing"), nsmap=nsmap)
        legacy.set(f"{{{pkg.ns.rel}}}id", vml_rid)
        tail = self._tail_root()
        anchor = next((c for c in tail if isinstance(c.tag, str) and etree.QName(c).localname in _AFTER_LEGACY), None)
        if anchor is None:
            tail.append(legacy)
        else:
            anchor.addprevious(legacy)
        self._tail_dirty = True
        self.changed = True


def _inside(ranges: list[tuple[int, int, int, int]], row: int, col: int) -> bool:
    return any(r1 <= row <= r2 and c1 <= col <= c2 for r1, c1, r2, c2 in ranges)


def _overlaps(areas: list[tuple[int, int, int, int]], area: tuple[int, int, int, int]) -> bool:
    r1, c1, r2, c2 = area
    return any(a1 <= r2 and r1 <= a2 and b1 <= c2 and c1 <= b2 for a1, b1, a2, b2 in areas)


def _range_ref(area: tuple[int, int, int, int]) -> str:
    r1, c1, r2, c2 = area
    return cell_ref(r1, c1) if (r1, c1) == (r2, c2) else f"{cell_ref(r1, c1)}:{cell_ref(r2, c2)}"


def _runs_text(holder: etree._Element, tag: Callable[[str], str]) -> str:
    """The text of an `<is>` or `<si>`: its `<t>`, or its runs' (phonetic runs are not shown)."""
    t = holder.find(tag("t"))
    if t is not None:
        return t.text or ""
    return "".join(run.findtext(tag("t")) or "" for run in holder.iterchildren(tag("r")))


def _unique_column_name(text: str, taken: set[str]) -> tuple[str, str]:
    """(tableColumn name, header text) for a new table column, numbered like Excel when taken: 逾期天数2."""
    base = text.replace("\r", "_x000d_").replace("\n", "_x000a_").replace("\t", "_x0009_")
    if base.casefold() not in taken:
        return base, text
    n = 2
    while f"{base}{n}".casefold() in taken:
        n += 1
    return f"{base}{n}", f"{text}{n}"


def _col_span(attrs: bytes) -> tuple[int, int]:
    """(min, max) of a `<col>`; a damaged number makes it cover nothing."""
    try:
        first = int(attr(attrs, b"min") or b"0")
        return first, int(attr(attrs, b"max") or str(first).encode())
    except ValueError:
        return 0, -1


def _col_attrs(col: int, width: bytes) -> bytes:
    return b'min="%d" max="%d" width="%s" customWidth="1"' % (col, col, width)


def _width_text(width: float) -> bytes:
    return f"{round(width, 4):g}".encode()


def _with_span(element: bytes, first: int, last: int) -> bytes:
    """A `<col>`'s bytes covering columns first to last instead."""
    return with_attr(with_attr(element, b"min", str(first).encode()), b"max", str(last).encode())


def _table_header(table: etree._Element) -> tuple[int, int, int, int] | None:
    ref, count = table.get("ref"), int(table.get("headerRowCount", "1"))
    if not ref or count == 0:
        return None
    r1, c1, _, c2 = split_range(ref)
    return r1, c1, r1 + count - 1, c2
