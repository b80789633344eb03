"""Patch cells of one existing worksheet in place, touching only the rows that change.

    package = XlsxPackage.open(Path("顾客特殊要求清单.xlsx"))
    sheet = package.sheet("清单")
    sheet.set_value("A7", "=SUM(1)")             # text is always written as text, never a formula
    old, new = sheet.set_fill("H7", "FFFFC7CE")  # style ids before and after
    sheet.add_notes({"H7": "截止日期早于接收日期"})  # False when the sheet has notes of its own
    sheet.add_conditional([CfRule("A4:N1003", "$L4<TODAY()", fill="FFFF9999")])  # priorities
    sheet.set_column_width("P", 15)             # only the <col> covering P changes (a range is split)
    package.save()

The sheet XML is never parsed as a whole: the `<row>` elements of touched rows are found by a
byte scan, parsed alone, changed and spliced back, so a 100,000-row sheet costs one scan.
A row or cell without r is the one after the row or cell before it, as SpreadsheetML says; the
rows xlcsr rewrites get r on themselves and their cells, every other row keeps its bytes.
Value edits of formula cells, of covered cells of merged ranges, of table headers and of pivot
tables are refused with UnsafeEdit before anything changes; a damaged row (malformed XML, a row
or cell number that is not one or out of order) with WorkbookUnreadable, naming file, sheet, row.

A column written right beside an Excel table (its header cell in the table's header row) or a row
written right under it joins the table on save: its ref, autoFilter and tableColumns grow, the new
column named after its header (逾期天数2 when the name is taken, the header cell saying so too).
The sheet's own autoFilter grows the same way (`auto_filter()` says to what).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import PurePath

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
    excel_serial,
    number_text,
    split_range,
    split_ref,
    text_needs_preserve,
)
from xlcsr.ooxml.notes import CT_COMMENTS, CT_VML, NOTE_AUTHOR, comments_xml, only_note_shapes, vml_xml
from xlcsr.ooxml.parts import Parts
from xlcsr.ooxml.styles import XML_DECLARATION

XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

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
_MERGE_REF = re.compile(rb"""<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref\s*=\s*["']([^"']+)""")
_WRAP = b"xlcsr-wrap"
_PARSER = etree.XMLParser(huge_tree=True, resolve_entities=False)


# --- the sheet -------------------------------------------------------------------------------


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

    # -- public edits --

    def set_value(self, ref: str, value: Value) -> None:
        """Write `value` into `ref`; text stays text, dates get a date format, None clears."""
        row, col = split_ref(ref)
        ref = cell_ref(row, col)
        cell = self._cell(row, col, create=False)
        self._check_value_edit(ref, row, col, cell)
        if value is None:
            if cell is not None and self._has_value(cell):
                self._write(cell, None, None)
                self._touch(row, col)
            return
        kind, text, style = self._encode(ref, value)
        self._written.add((row, col))
        if cell is not None and self._holds(cell, kind, text) and style in (None, int(cell.get("s", "0"))):
            return
        cell = self._cell(row, col, create=True)
        self._write(cell, kind, text)
        if style is not None:
            _set_style_attr(cell, style)
        self._touch(row, col)

    def style_of(self, ref: str) -> int:
        """The style (xf) id the cell shows: its own, else its row's or column's."""
        row, col = split_ref(ref)
        cell = self._cell(row, col, create=False)
        if cell is not None:
            return int(cell.get("s", "0"))
        return self._default_style(row, col)

    def set_style(self, ref: str, xf_id: int) -> None:
        row, col = split_ref(ref)
        _set_style_attr(self._cell(row, col, create=True), xf_id)
        self._touch(row, col)

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
                width = _attr(attrs, b"width")
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
            current = _attr(attrs, b"width")
            try:
                wide = current is not None and float(current) >= width
            except ValueError:
                wide = False
            if wide and _attr(attrs, b"hidden") not in (b"1", b"true"):
                return False
            own = _without_attrs(element, (b"hidden", b"bestFit"))
            own = _with_attr(_with_attr(_with_span(own, col, col), b"width",
                                        _attr(attrs, b"width") if wide else text), b"customWidth", b"1")
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

    def value_kind(self, ref: str) -> str:
        """'empty', 'formula', or the cell type: 'n', 's', 'str', 'inlineStr', 'b', 'e', 'd'."""
        row, col = split_ref(ref)
        cell = self._cell(row, col, create=False)
        if cell is None:
            return "empty"
        if cell.find(self._tag("f")) is not None:
            return "formula"
        if cell.find(self._tag("v")) is None and cell.find(self._tag("is")) is None:
            return "empty"
        return cell.get("t", "n")

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
        return re.search(rb"<(?:[\w.-]+:)?f[\s>/]", self._body) is not None

    def formula_refs(self) -> set[str]:
        """References ('E27') of the cells that hold a formula, rows and cells without r included.

        Only rows whose bytes hold an `<f>` are parsed; a damaged one raises WorkbookUnreadable.
        """
        if not self.has_formulas():
            return set()
        formula = re.compile(b"<" + re.escape(self._prefix) + rb"f[\s>/]")
        refs: set[str] = set()
        for row in sorted({*self._row_index(), *self._rows}):
            element = self._rows.get(row)
            if element is None:
                start, end = self._row_span(row)
                if not formula.search(self._body, start, end):
                    continue
                element = self._parse_row(row)
            refs.update(c.get("r") for c in element.iterchildren(self._tag("c")) if c.find(self._tag("f")) is not None)
        return refs

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
        self._grow_ranges()
        if self._dirty_rows:
            self._body = self._spliced_body()
            self._index = None
            self._rows.clear()
            self._dirty_rows.clear()
        if self._extent:
            self._head = self._grown_dimension()
            self._extent = None
        if self._tail_tree is not None and self._tail_dirty:
            self._tail = self._serialized_tail()
            self._tail_tree = None
            self._tail_dirty = False
        return self._head + self._body + self._tail

    # -- loading --

    def _load(self, xml: bytes) -> None:
        m = re.search(rb"<((?:[\w.-]+:)?)sheetData\b[^>]*?(/?)>", xml)
        root = re.search(rb"<((?:[\w.-]+:)?)worksheet\b([^>]*)>", xml)
        if not m or not root:
            raise WorkbookUnreadable(
                f"工作表「{self.name}」的 XML 不完整（缺少 sheetData） / "
                f"Sheet '{self.name}' XML is incomplete (no sheetData)"
            )
        self._prefix = m.group(1)
        self._nsdecl = b" ".join(_NS_DECL.findall(root.group(2)))
        root_prefix = root.group(1)[:-1].decode()
        self._ns = self._namespace_of(root_prefix)
        close = b"</" + self._prefix + b"sheetData>"
        if m.group(2):
            self._head = xml[: m.start()] + b"<" + self._prefix + b"sheetData>"
            self._body = b""
            self._tail = close + xml[m.end() :]
        else:
            end = xml.find(close, m.end())
            if end < 0:
                raise WorkbookUnreadable(
                    f"工作表「{self.name}」的 XML 不完整 / Sheet '{self.name}' XML is truncated"
                )
            self._head, self._body, self._tail = xml[: m.end()], xml[m.end() : end], xml[end:]
        self._index: dict[int, tuple[int, int]] | None = None
        self._row_numbers: list[int] = []
        self._rows: dict[int, etree._Element] = {}
        self._dirty_rows: set[int] = set()
        self._extent: list[int] | None = None
        self._tail_tree: etree._Element | None = None
        self._tail_dirty = False
        self._guards: dict[str, list[tuple[int, int, int, int]]] | None = None
        self._col_styles: list[tuple[int, int, int]] | None = None
        self._written: set[tuple[int, int]] = set()  # cells given a value: tables and filters grow over them
        self._shared: list[etree._Element] | None = None

    def _namespace_of(self, prefix: str) -> str:
        name = b"xmlns:" + prefix.encode() if prefix else b"xmlns"
        for decl in _NS_DECL.findall(self._nsdecl):
            key, _, value = decl.partition(b"=")
            if key.strip() == name:
                return value.strip()[1:-1].decode()
        return ""

    def _tag(self, name: str) -> str:
        return f"{{{self._ns}}}{name}" if self._ns else name

    # -- rows and cells --

    def _row_index(self) -> dict[int, tuple[int, int]]:
        """Row number → (start, end of start tag) of every `<row>` in the body.

        A row without r is the one after the row before it; a row number that is not a number, or
        not above the one before, is damage (a second row 7 would make every edit ambiguous).
        """
        if self._index is None:
            pattern = re.compile(b"<" + re.escape(self._prefix) + rb"row[\s/>]")
            body, index, last = self._body, {}, 0
            for m in pattern.finditer(body):
                tag_end = body.find(b">", m.start()) + 1
                if not tag_end:
                    raise self._damaged(last + 1, "行标记不完整", "its tag is cut off")
                r = _R_ATTR.search(body, m.start(), tag_end)
                number = r.group(1).decode(errors="replace").strip() if r else str(last + 1)
                if not number.isdigit() or not last < int(number) <= MAX_ROW:
                    raise self._damaged(last + 1, f"行号 r=\"{number}\" 无效或顺序错误",
                                        f"row number r=\"{number}\" is invalid or out of order")
                last = int(number)
                index[last] = (m.start(), tag_end)
            self._index = index
            self._row_numbers = sorted(index)
        return self._index

    def _row_span(self, row: int) -> tuple[int, int]:
        start, tag_end = self._row_index()[row]
        if self._body[tag_end - 2 : tag_end] == b"/>":
            return start, tag_end
        close = b"</" + self._prefix + b"row>"
        end = self._body.find(close, tag_end)
        if end < 0:
            raise self._damaged(row, "缺少结束标记", "it has no end tag")
        return start, end + len(close)

    def _row(self, row: int, *, create: bool) -> etree._Element | None:
        if row in self._rows:
            return self._rows[row]
        if row in self._row_index():
            element = self._parse_row(row)
        elif create:
            wrapper = self._parse_fragment(b"")
            element = etree.SubElement(wrapper, self._tag("row"), r=str(row))
        else:
            return None
        self._rows[row] = element
        return element

    def _parse_row(self, row: int) -> etree._Element:
        """The `<row>` element of existing row `row`, alone, with r on it and on each of its cells."""
        start, end = self._row_span(row)
        try:
            element = self._parse_fragment(self._body[start:end])[0]
        except (etree.XMLSyntaxError, IndexError) as exc:
            detail = _LXML_WHERE.sub("", str(getattr(exc, "msg", "") or exc)).strip() or "malformed XML"
            raise self._damaged(row, "XML 格式错误", f"malformed XML: {detail}") from exc
        _set_r(element, str(row))
        self._number_cells(element, row)
        return element

    def _parse_fragment(self, fragment: bytes) -> etree._Element:
        return etree.fromstring(b"<" + _WRAP + b" " + self._nsdecl + b">" + fragment + b"</" + _WRAP + b">", _PARSER)

    def _number_cells(self, row_el: etree._Element, row: int) -> None:
        """Give each cell its r: a cell without one is in the column after the cell before it."""
        col = 0
        for cell in row_el.iterchildren(self._tag("c")):
            ref = cell.get("r")
            try:
                at = split_ref(ref) if ref else (row, col + 1)
            except ValueError:
                at = None
            if at is None or at[0] != row or at[1] <= col:
                raise self._damaged(row, f"单元格 r=\"{ref}\" 无效或顺序错误",
                                    f"cell reference r=\"{ref}\" is invalid or out of order")
            col = at[1]
            if not ref or ref != cell_ref(row, col):
                _set_r(cell, cell_ref(row, col))

    def _damaged(self, row: int, zh: str, en: str) -> WorkbookUnreadable:
        return WorkbookUnreadable(
            f"工作簿 {self._file} 的工作表「{self.name}」第 {row} 行已损坏（{zh}），未写入任何内容 / "
            f"Workbook {self._file}: sheet '{self.name}' row {row} is damaged ({en}); nothing was written"
        )

    def _cell(self, row: int, col: int, *, create: bool) -> etree._Element | None:
        row_el = self._row(row, create=create)
        if row_el is None:
            return None
        before = None
        for cell in row_el.iterchildren(self._tag("c")):
            c = split_ref(cell.get("r"))[1]
            if c == col:
                return cell
            if c > col:
                before = cell
                break
        if not create:
            return None
        cell = etree.Element(self._tag("c"), r=cell_ref(row, col))
        style = self._default_style(row, col)
        if style:
            cell.set("s", str(style))
        if before is None:
            before = row_el.find(self._tag("extLst"))
        if before is None:
            row_el.append(cell)
        else:
            before.addprevious(cell)
        return cell

    def _default_style(self, row: int, col: int) -> int:
        row_el = self._row(row, create=False)
        if row_el is not None and row_el.get("customFormat") in ("1", "true"):
            return int(row_el.get("s", "0"))
        for first, last, style in self._column_styles():
            if first <= col <= last:
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
        row_el = self._rows[row]
        row_el.attrib.pop("spans", None)
        self._dirty_rows.add(row)
        self.changed = True
        if self._extent is None:
            self._extent = [row, col, row, col]
        else:
            e = self._extent
            self._extent = [min(e[0], row), min(e[1], col), max(e[2], row), max(e[3], col)]

    # -- values --

    def _encode(self, ref: str, value: Value) -> tuple[str | None, str, int | None]:
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
            style = self.package.styles.with_date_format(self.style_of(ref), with_time=with_time)
            return None, number_text(serial), style
        raise TypeError(f"cannot write {type(value).__name__} into a cell: {value!r}")

    def _has_value(self, cell: etree._Element) -> bool:
        return any(etree.QName(child).localname in ("f", "v", "is") for child in cell)

    def _holds(self, cell: etree._Element, kind: str | None, text: str) -> bool:
        """True when the cell already holds exactly this value (no edit needed)."""
        if cell.find(self._tag("f")) is not None or cell.get("t", "n") != (kind or "n"):
            return False
        found = cell.find(f"{self._tag('is')}/{self._tag('t')}" if kind == "inlineStr" else self._tag("v"))
        return found is not None and found.text == text

    def _write(self, cell: etree._Element, kind: str | None, text: str | None) -> None:
        for child in list(cell):
            if etree.QName(child).localname in ("f", "v", "is"):
                cell.remove(child)
        for attr in ("t", "cm", "vm"):
            cell.attrib.pop(attr, None)
        if text is None:
            return
        if kind == "inlineStr":
            holder = etree.Element(self._tag("is"))
            t = etree.SubElement(holder, self._tag("t"))
            t.text = text
            if text_needs_preserve(text):
                t.set(XML_SPACE, "preserve")
        else:
            holder = etree.Element(self._tag("v"))
            holder.text = text
        if kind:
            cell.set("t", kind)
        ext = cell.find(self._tag("extLst"))
        if ext is None:
            cell.append(holder)
        else:
            ext.addprevious(holder)

    # -- refusals --

    def _check_value_edit(self, ref: str, row: int, col: int, cell: etree._Element | None) -> None:
        where = f"工作表「{self.name}」单元格 {ref}"
        there = f"sheet '{self.name}' cell {ref}"
        if cell is not None and cell.find(self._tag("f")) is not None:
            raise UnsafeEdit(
                f"{where} 含有公式，xlcsr 不会覆盖公式 / {there} holds a formula; xlcsr does not overwrite formulas"
            )
        guards = self._guard_ranges()
        if _inside(guards["array"], row, col):
            raise UnsafeEdit(f"{where} 属于数组公式区域 / {there} is part of an array formula")
        for r1, c1, r2, c2 in guards["merged"]:
            if r1 <= row <= r2 and c1 <= col <= c2 and (row, col) != (r1, c1):
                anchor = cell_ref(r1, c1)
                raise UnsafeEdit(
                    f"{where} 在合并单元格中，只能写入左上角 {anchor} / "
                    f"{there} is covered by a merged range; only its top-left cell {anchor} holds a value"
                )
        if _inside(guards["header"], row, col):
            raise UnsafeEdit(f"{where} 是 Excel 表格的标题行 / {there} is a header of an Excel table")
        if _inside(guards["pivot"], row, col):
            raise UnsafeEdit(f"{where} 属于数据透视表 / {there} is part of a pivot table")

    def _guard_ranges(self) -> dict[str, list[tuple[int, int, int, int]]]:
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
        return self._guards

    def _array_ranges(self) -> list[tuple[int, int, int, int]]:
        found = []
        for word in (b'"array"', b"'array'", b'"dataTable"', b"'dataTable'"):
            pos = self._body.find(word)
            while pos >= 0:
                start = self._body.rfind(b"<", 0, pos)
                end = self._body.find(b">", pos)
                ref = re.search(rb"""\bref\s*=\s*["']([^"']+)""", self._body[start:end])
                if ref and re.match(rb"<(?:[\w.-]+:)?f\b", self._body[start:end]):
                    found.append(split_range(ref.group(1).decode()))
                pos = self._body.find(word, pos + 1)
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
                    cell = self._cell(new[0], col, create=True)
                    self._write(cell, "inlineStr", shown)
                    self._touch(new[0], col)
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
        cell = self._cell(row, col, create=False)
        if cell is None or cell.find(self._tag("f")) is not None:
            return None
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
            shared = self._shared_strings()
            index = int(value.text)
            return _runs_text(shared[index], lambda name: f"{{*}}{name}") if index < len(shared) else None
        return None

    def _shared_strings(self) -> list[etree._Element]:
        """The `<si>` items of the workbook's shared-string table (read on first need)."""
        if self._shared is None:
            self._shared = []
            book = next((r.part for r in self.package.rels("") if r.kind == "officeDocument"), None)
            table = next((r.part for r in self.package.rels(book) if r.kind == "sharedStrings"), None) if book else None
            if table and self.package.exists(table):
                self._shared = list(self.package.xml(table).iterchildren("{*}si"))
        return self._shared

    # -- splicing --

    def _serialize_row(self, row_el: etree._Element) -> bytes:
        out = etree.tostring(row_el.getparent(), encoding="UTF-8", xml_declaration=False)
        return out[out.index(b">") + 1 : out.rindex(b"<")]

    def _spliced_body(self) -> bytes:
        index, body = self._row_index(), self._body
        chunks, pos = [], 0
        for row in sorted(self._dirty_rows):
            fragment = self._serialize_row(self._rows[row])
            if row in index:
                start, end = self._row_span(row)
            else:
                later = bisect.bisect_right(self._row_numbers, row)
                start = end = index[self._row_numbers[later]][0] if later < len(self._row_numbers) else len(body)
            chunks += [body[pos:start], fragment]
            pos = end
        chunks.append(body[pos:])
        return b"".join(chunks)

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


def _attr_pattern(name: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"""(?<![\w:.-])""" + re.escape(name) + rb"""\s*=\s*(["'])(.*?)\1""", re.S)


def _attr(attrs: bytes, name: bytes) -> bytes | None:
    m = _attr_pattern(name).search(attrs)
    return m.group(2) if m else None


def _col_span(attrs: bytes) -> tuple[int, int]:
    """(min, max) of a `<col>`; a damaged number makes it cover nothing."""
    try:
        first = int(_attr(attrs, b"min") or b"0")
        return first, int(_attr(attrs, b"max") or str(first).encode())
    except ValueError:
        return 0, -1


def _col_attrs(col: int, width: bytes) -> bytes:
    return b'min="%d" max="%d" width="%s" customWidth="1"' % (col, col, width)


def _width_text(width: float) -> bytes:
    return f"{round(width, 4):g}".encode()


def _start_tag_end(element: bytes) -> int:
    """Where attributes may be added to an element's start tag: before its `/>` or `>`."""
    end = element.index(b">")
    return end - 1 if element[end - 1 : end] == b"/" else end


def _with_attr(element: bytes, name: bytes, value: bytes) -> bytes:
    """The element's bytes with attribute `name` set to `value` (added at the end of its start tag)."""
    tag_end = _start_tag_end(element)
    m = _attr_pattern(name).search(element, 0, tag_end)
    if m:
        return element[: m.start(2)] + value + element[m.end(2) :]
    return element[:tag_end] + b' %s="%s"' % (name, value) + element[tag_end:]


def _without_attrs(element: bytes, names: Sequence[bytes]) -> bytes:
    for name in names:
        m = re.compile(rb"""\s+""" + _attr_pattern(name).pattern).search(element, 0, _start_tag_end(element))
        if m:
            element = element[: m.start()] + element[m.end() :]
    return element


def _with_span(element: bytes, first: int, last: int) -> bytes:
    """A `<col>`'s bytes covering columns first to last instead."""
    return _with_attr(_with_attr(element, b"min", str(first).encode()), b"max", str(last).encode())


def _set_r(element: etree._Element, ref: str) -> None:
    """Set r, as the first attribute (where Excel writes it) when the element had none."""
    if element.get("r") is not None:
        element.set("r", ref)
        return
    others = list(element.attrib.items())
    element.attrib.clear()
    element.set("r", ref)
    for key, value in others:
        element.set(key, value)


def _set_style_attr(cell: etree._Element, xf_id: int) -> None:
    if xf_id:
        cell.set("s", str(xf_id))
    else:
        cell.attrib.pop("s", None)


def _table_header(table: etree._Element) -> tuple[int, int, int, int] | None:
    ref, count = table.get("ref"), int(table.get("headerRowCount", "1"))
    if not ref or count == 0:
        return None
    r1, c1, _, c2 = split_range(ref)
    return r1, c1, r1 + count - 1, c2
