"""A workbook 'open in Excel' for tests: xlwings Book/Sheet/Range fakes made with
`create_autospec(..., spec_set=True)` over a real in-memory table, counting every xlwings call.

Only the Excel boundary is faked: xlcsr's xlwings adapter runs unchanged against it. Conditional
formats behave as in Excel: a new rule goes on top, and the relative references of its formula are
read from the active cell (KB 895562), so a rule added without selecting its top-left cell is wrong.

Sheet protection behaves as in Excel too: `sheet.api.Protect(...)` / `sheet.api.Unprotect(Password)`
(the COM calls, each counted and kept in `SheetData.protection_log`) set `SheetData.protected`, and
a write to a protected sheet (value, fill, format, note, clear) raises `FakeComError` as Excel's
"The cell or chart you're trying to change is on a protected sheet" does; a sheet protected with a
`password` refuses Unprotect without it. `book.api.BuiltinDocumentProperties(name).Value` reads
`FakeExcel.properties` ("Last Author" from the file's cp:lastModifiedBy); a property Excel holds no
value for raises, as Excel does. Fetching `.api` itself is not counted (xlwings hands back the COM
object it holds); the calls on it are.

A sheet is in one of Excel's three states (`SheetData.state`, openpyxl's sheet_state names):
"visible", "hidden" (Format ▸ Unhide lists it) or "veryHidden" (only the object model shows it
again). `sheet.visible` is True for a visible sheet only and sets visible or hidden;
`sheet.api.Visible` is Excel's XlSheetVisibility (-1 visible, 0 hidden, 2 very hidden). As in
Excel, the last visible sheet cannot be hidden, a hidden sheet cannot be activated, hiding the active
sheet activates its neighbour, and a sheet added is active.

The application's state is Excel's too: `screen_updating`, `enable_events`, `calculation`
('automatic', 'manual', 'semiautomatic') and `status_bar` (False while Excel has it) on `FakeExcel`,
read and set through `app.screen_updating` / `app.enable_events` / `app.calculation` /
`app.status_bar` or their COM names on `app.api` (ScreenUpdating, EnableEvents, Calculation as
XlCalculation: -4105 automatic, -4135 manual, 2 semiautomatic; StatusBar). Every status bar text
is kept in `status`. A value written while events are on is a Worksheet_Change the user's macros
would see (`change_events`, the sheets' names); one written while calculation is automatic is a
recalculation (`recalculations`). Each sheet keeps its selection (`SheetData.selection`, its first
cell the active cell); `book.selection` is the active sheet's, None while `shape_selected` (a chart
or a picture is selected, as xlwings gives it).
"""

from __future__ import annotations

import re
import unittest.mock
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import openpyxl
import xlwings as xw

Cell = tuple[int, int]
DEFAULT_WIDTH = 8.43  # Excel's standard column width
_REF = re.compile(r"\$?([A-Z]+)\$?(\d+)")
_RELATIVE_ROW = re.compile(r'"[^"]*"|(?<![A-Za-z0-9_$])(\$?[A-Z]{1,3})([0-9]+)(?![0-9A-Za-z_(])')


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def cells_of(address: str) -> list[Cell]:
    """Every cell of an A1 address such as 'E5', 'A1:F1' or 'E5,F7:F8'."""
    cells: list[Cell] = []
    for area in address.split(","):
        corners = [_REF.fullmatch(part.strip()) for part in area.split(":")]
        (r1, c1), (r2, c2) = [(int(m[2]), col_number(m[1])) for m in (corners[0], corners[-1])]
        cells.extend((r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))
    return cells


def shift_rows(formula: str, delta: int) -> str:
    """Move the relative row references of `formula` by `delta` (what Excel does to a copied formula)."""
    def move(m: re.Match[str]) -> str:
        return m[0] if m[1] is None else f"{m[1]}{int(m[2]) + delta}"

    return _RELATIVE_ROW.sub(move, formula)


@dataclass
class FakeRule:
    """A conditional format as Excel keeps it: its formula relative to the top-left cell of `sqref`."""

    sqref: str
    type: str
    formula: str | None = None
    fill: tuple[int, int, int] | None = None
    font: tuple[int, int, int] | None = None
    stop_if_true: bool = False

    @property
    def top(self) -> int:
        return cells_of(self.sqref.replace(" ", ","))[0][0]


@dataclass
class FakeTable:
    """An Excel table (ListObject): its name and range, header row included."""

    name: str
    ref: str


@dataclass
class SheetData:
    name: str
    values: dict[Cell, object] = field(default_factory=dict)
    formulas: dict[Cell, str] = field(default_factory=dict)
    colors: dict[Cell, tuple[int, int, int]] = field(default_factory=dict)
    notes: dict[Cell, str] = field(default_factory=dict)
    formats: dict[Cell, str] = field(default_factory=dict)
    bold: set[Cell] = field(default_factory=set)
    widths: dict[int, float] = field(default_factory=dict)  # column → width in characters (Excel's ColumnWidth)
    hidden: set[int] = field(default_factory=set)  # hidden columns (ColumnWidth 0; setting a width shows them)
    state: str = "visible"  # "visible", "hidden" or "veryHidden" (openpyxl's sheet_state)
    rules: list[FakeRule] = field(default_factory=list)  # conditional formats, first evaluated first
    tables: list[FakeTable] = field(default_factory=list)
    active: Cell = (1, 1)  # the active cell (conditional formats read relative references from it)
    selection: list[Cell] | None = None  # the cells selected, the active one first (None: the active cell alone)
    protected: bool = False  # Excel's sheet protection (all cells locked, as Excel's default)
    password: str | None = None  # the protection's password, None for none
    protection_log: list[tuple[str, dict[str, object]]] = field(default_factory=list)  # Protect/Unprotect calls

    def guard(self) -> None:
        """What Excel does to a write on a protected sheet."""
        if self.protected:
            raise FakeComError(f"The cell or chart you're trying to change is on a protected sheet ({self.name}).")

    def bounds(self) -> tuple[int, int, int, int]:
        used = set(self.values) | set(self.formulas)
        if not used:
            return 1, 1, 1, 1
        rows = [r for r, _ in used]
        cols = [c for _, c in used]
        return min(rows), min(cols), max(rows), max(cols)

    def clear(self) -> None:
        self.guard()
        for part in (self.values, self.formulas, self.colors, self.notes, self.formats):
            part.clear()
        self.bold.clear()

    def write(self, cell: Cell, value: object) -> None:
        self.guard()
        self.formulas.pop(cell, None)
        if isinstance(value, str) and value.startswith("'"):
            value = value[1:]
        elif isinstance(value, str) and value.startswith("="):
            self.formulas[cell] = value
            link = re.fullmatch(r'=HYPERLINK\("[^"]*","([^"]*)"\)', value)
            value = link[1] if link else None
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        if isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if value in (None, ""):
            self.values.pop(cell, None)
        else:
            self.values[cell] = value


class FakeComError(Exception):
    """A COM error as pywin32 raises it (pywintypes.com_error) for a refused Excel call."""


class FakeExcel:
    """The workbooks an Excel instance holds, and a count of the xlwings calls made on them."""

    def __init__(self, name: str = "r.xlsx", fullname: str = "r.xlsx") -> None:
        self.name, self.fullname = name, fullname
        self.sheets: dict[str, SheetData] = {}
        self.calls: Counter[str] = Counter()
        self.alerts: list[str] = []
        self.answers: list[str] = []
        self.opened: list[str] = []
        self.status: list[object] = []  # every status bar text set, in order
        self.status_bar: object = False  # False: Excel has the status bar
        self.screen_updating = True
        self.enable_events = True
        self.calculation = "automatic"
        self.change_events: list[str] = []  # a sheet's name for each value written while events were on
        self.recalculations = 0  # values written while calculation was automatic
        self.shape_selected = False  # a chart or picture selected: book.selection is None
        self.names: dict[str, str] = {}
        self.active_sheet: str | None = None
        self.properties: dict[str, object] = {}  # BuiltinDocumentProperties by name ("Last Author")
        self.date1904 = False
        self._ranges: dict[int, tuple[Any, SheetData, list[Cell]]] = {}  # id of a fake Range → what it covers

    @classmethod
    def from_file(cls, path: Path) -> FakeExcel:
        """The workbook in `path` as Excel would show it (values, formulas, fills, notes)."""
        excel = cls(path.name, str(path))
        formulas = openpyxl.load_workbook(path)
        values = openpyxl.load_workbook(path, data_only=True)
        for ws in formulas.worksheets:
            sheet = excel.sheets.setdefault(ws.title, SheetData(ws.title, state=ws.sheet_state))
            shown = values[ws.title]

            for row in ws.iter_rows():
                for c in row:
                    if c.value is None:
                        continue
                    cell = (c.row, c.column)
                    if c.data_type == "f":
                        sheet.formulas[cell] = str(c.value)
                        if shown.cell(c.row, c.column).value is not None:
                            sheet.values[cell] = shown.cell(c.row, c.column).value
                    else:
                        sheet.write(cell, "'" + c.value if isinstance(c.value, str) else c.value)
                    if c.fill.fill_type == "solid" and c.fill.fgColor.type == "rgb":
                        rgb = c.fill.fgColor.rgb
                        sheet.colors[cell] = tuple(int(rgb[i:i + 2], 16) for i in (2, 4, 6))
                    if c.comment:
                        sheet.notes[cell] = c.comment.text
                    if c.font is not None and c.font.b:
                        sheet.bold.add(cell)
                    if c.number_format != "General":
                        sheet.formats[cell] = c.number_format
            for letters, dimension in ws.column_dimensions.items():
                for column in range(dimension.min or col_number(letters), (dimension.max or col_number(letters)) + 1):
                    if dimension.customWidth and dimension.width:
                        sheet.widths[column] = dimension.width
                    if dimension.hidden:
                        sheet.hidden.add(column)
            sheet.rules = _rules_of(ws)
            sheet.tables = [FakeTable(table.displayName, table.ref) for table in ws.tables.values()]
            sheet.protected = bool(ws.protection.sheet)  # after its cells are loaded
            sheet.password = ws.protection.password or None
        excel.names = {name: "=" + dn.attr_text for name, dn in formulas.defined_names.items()}
        if formulas.properties.lastModifiedBy:
            excel.properties["Last Author"] = formulas.properties.lastModifiedBy
        excel.date1904 = bool(formulas.epoch.year == 1904)
        active = formulas.active
        if active is not None and active.title in excel.sheets and active.sheet_state == "visible":
            excel.active_sheet = active.title  # the sheet the file was saved on
        return excel

    def count(self, what: str) -> None:
        self.calls[what] += 1

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    # -- the xlwings objects --

    def book(self) -> Any:
        book = mock.create_autospec(xw.Book, instance=True, spec_set=True)
        self._property(book, "name", lambda: self.name)
        self._property(book, "fullname", lambda: self.fullname)
        self._property(book, "sheet_names", lambda: list(self.sheets))
        sheets = mock.create_autospec(xw.main.Sheets, instance=True, spec_set=True)
        sheets.__getitem__.side_effect = self._counted("sheets[]", self._sheet_by_key)
        sheets.__len__.side_effect = self._counted("len(sheets)", lambda: len(self.sheets))
        sheets.add.side_effect = self._counted("sheets.add", self._add_sheet)
        self._property(sheets, "active", lambda: self._sheet(self._active()))
        self._property(book, "sheets", lambda: sheets)
        app = self._app()
        self._property(book, "app", lambda: app)
        names = mock.create_autospec(xw.main.Names, instance=True, spec_set=True)
        names.add.side_effect = self._counted("names.add", lambda name, refers_to: self.names.__setitem__(
            name, refers_to))
        self._property(book, "names", lambda: names)
        self._property(book, "selection", self._selection)
        self._api(book, _BookApi(self))
        return book

    def _selection(self) -> Any:
        """The active sheet's selected cells as a Range (None for a selected chart or picture)."""
        if self.shape_selected:
            return None
        data = self._active()
        return self._range(data, data.selection or [data.active])

    @staticmethod
    def _api(fake: Any, api: object) -> None:
        """`.api`: the COM object, fetched without a count (its own calls are counted)."""
        type(fake).api = mock.PropertyMock(return_value=api)

    def _active(self) -> SheetData:
        return self.sheets[self.active_sheet or next(iter(self.sheets))]

    def _app(self) -> Any:
        app = mock.create_autospec(xw.App, instance=True, spec_set=True)
        app.alert.side_effect = self._counted("alert", self._alert)
        for name in ("status_bar", "screen_updating", "enable_events", "calculation"):
            self._property(app, name, lambda name=name: getattr(self, name),
                           lambda value, name=name: self._set_app(name, value))
        self._property(app, "selection", self._selection)
        self._api(app, _AppApi(self))
        books = mock.create_autospec(xw.main.Books, instance=True, spec_set=True)
        books.open.side_effect = self._counted("books.open", lambda path, **_: self.opened.append(path))
        self._property(app, "books", lambda: books)
        return app

    def _set_app(self, name: str, value: object) -> None:
        """Application.ScreenUpdating / EnableEvents / Calculation / StatusBar, checked as Excel checks them."""
        if name == "calculation" and value not in _CALCULATION:
            raise FakeComError(f"Unable to set the Calculation property of the Application class ({value!r})")
        if name in ("screen_updating", "enable_events"):
            value = bool(value)
        if name == "status_bar":
            self.status.append(value)
        setattr(self, name, value)

    def _alert(self, text: str, **kwargs: object) -> str | None:
        """Show a message box; a question is answered from `answers` (the user's clicks), in order."""
        self.alerts.append(text)
        return self.answers.pop(0) if kwargs.get("buttons") and self.answers else None

    def _sheet_by_key(self, key: str | int) -> Any:
        name = list(self.sheets)[key] if isinstance(key, int) else key
        if name not in self.sheets:
            raise KeyError(name)
        return self._sheet(self.sheets[name])

    def _add_sheet(self, name: str, before: Any = None, after: Any = None) -> Any:
        """Sheets.Add: the new sheet is the active one, as in Excel."""
        self.sheets[name] = SheetData(name)
        self.active_sheet = name
        return self._sheet(self.sheets[name])

    def _activate(self, data: SheetData) -> None:
        if data.state != "visible":
            raise FakeComError(f"Activate method of Worksheet class failed ({data.name} is hidden)")
        self.active_sheet = data.name

    def set_state(self, data: SheetData, state: str) -> None:
        """Show or hide a sheet as Excel does (the last visible one stays, the active one passes on)."""
        if state not in _STATES:
            raise FakeComError(f"Unable to set the Visible property of the Worksheet class ({state!r})")
        if state == data.state:
            return
        shown = [name for name, sheet in self.sheets.items() if sheet.state == "visible"]
        if state != "visible" and shown == [data.name]:
            raise FakeComError("Unable to set the Visible property of the Worksheet class: "
                               "a workbook must contain at least one visible worksheet")
        data.state = state
        if state != "visible" and self._active().name == data.name:
            order = list(self.sheets)
            at = order.index(data.name)
            after = [n for n in order[at + 1:] if self.sheets[n].state == "visible"]
            before = [n for n in order[:at] if self.sheets[n].state == "visible"]
            self.active_sheet = (after or before[::-1])[0]

    def _sheet(self, data: SheetData) -> Any:
        sheet = mock.create_autospec(xw.Sheet, instance=True, spec_set=True)
        self._property(sheet, "name", lambda: data.name)
        self._property(sheet, "used_range", lambda: self._range(data, _used_cells(data)))
        self._property(sheet, "visible", lambda: data.state == "visible",
                       lambda v: self.set_state(data, "visible" if v else "hidden"))
        sheet.range.side_effect = self._counted("range", lambda *a: self._range(
            data, _address_cells(a), address=a[0] if len(a) == 1 and isinstance(a[0], str) else None))
        sheet.clear.side_effect = self._counted("clear", lambda: (data.clear(), self._changed(data)))
        sheet.autofit.side_effect = self._counted("autofit", lambda *a, **k: None)
        sheet.activate.side_effect = self._counted("activate", lambda: self._activate(data))
        self._property(sheet, "cells", lambda: self._range(data, [(1, 1)], whole=True))
        tables = mock.create_autospec(xw.main.Tables, instance=True, spec_set=True)
        tables.__iter__.side_effect = self._counted("tables.iter", lambda: iter(
            [self._table(data, table) for table in data.tables]))
        self._property(sheet, "tables", lambda: tables)
        self._api(sheet, _SheetApi(self, data))
        return sheet

    def _table(self, data: SheetData, table: FakeTable) -> Any:
        fake = mock.create_autospec(xw.main.Table, instance=True, spec_set=True)
        self._property(fake, "name", lambda: table.name)
        self._property(fake, "range", lambda: self._range(data, cells_of(table.ref)))

        def resize(to: Any) -> None:
            _, _, cells = self._ranges[id(to)]
            (r1, c1), (r2, c2) = min(cells), max(cells)
            table.ref = f"{_letters(c1)}{r1}:{_letters(c2)}{r2}"

        fake.resize.side_effect = self._counted("table.resize", resize)
        return fake

    def _range(self, data: SheetData, cells: list[Cell], ndim2: bool = False, *, whole: bool = False,
               address: str | None = None) -> Any:
        rng = mock.create_autospec(xw.Range, instance=True, spec_set=True)
        rows = sorted({r for r, _ in cells})
        cols = sorted({c for _, c in cells})
        single = len(cells) == 1 and not ndim2

        def grid(of: dict[Cell, object], empty: object) -> object:
            table = [[of.get((r, c), empty) for c in cols] for r in rows]
            return table[0][0] if single else table

        def set_value(value: object) -> None:
            table = value if isinstance(value, list) else [[value]]
            for i, row in enumerate(table):
                for j, v in enumerate(row):
                    data.write((rows[0] + i, cols[0] + j), v)
            self._changed(data)

        def formula() -> object:
            shown = {cell: data.formulas.get(cell, _as_formula_text(data.values.get(cell))) for cell in cells}
            return grid(shown, "")

        def note() -> Any:
            if cells[0] not in data.notes:
                return None
            fake = mock.create_autospec(xw.main.Note, instance=True, spec_set=True)
            self._property(fake, "text", lambda: data.notes[cells[0]])
            fake.delete.side_effect = self._counted("note.delete", lambda: data.notes.pop(cells[0]))
            return fake

        def set_color(color: object) -> None:
            data.guard()
            for cell in cells:
                if color is None:
                    data.colors.pop(cell, None)
                else:
                    data.colors[cell] = tuple(color)  # type: ignore[arg-type]

        font = mock.create_autospec(xw.main.Font, instance=True, spec_set=True)
        self._property(font, "bold", lambda: None, lambda v: (data.guard(), data.bold.update(cells) if v else None))
        self._property(rng, "value", lambda: grid(data.values, None), set_value)
        self._property(rng, "formula", formula)
        self._property(rng, "row", lambda: rows[0])
        self._property(rng, "column", lambda: cols[0])
        self._property(rng, "last_cell", lambda: self._range(data, [(rows[-1], cols[-1])]))
        self._property(rng, "color", lambda: data.colors.get(cells[0]) if len(cells) == 1 else None, set_color)
        self._property(rng, "note", note)
        self._property(rng, "font", lambda: font)
        self._property(rng, "number_format", lambda: data.formats.get(cells[0], "General"),
                       lambda fmt: (data.guard(), data.formats.update(dict.fromkeys(cells, fmt))))

        def column_width() -> float | None:
            widths = {0.0 if c in data.hidden else data.widths.get(c, DEFAULT_WIDTH) for c in cols}
            return widths.pop() if len(widths) == 1 else None

        def set_column_width(width: float) -> None:
            data.guard()
            for c in cols:
                data.widths[c] = float(width)
                data.hidden.discard(c)

        self._property(rng, "column_width", column_width, set_column_width)
        rng.copy.side_effect = self._counted("copy", lambda destination=None: self._copy(data, cells, destination))
        self._ranges[id(rng)] = (rng, data, cells)
        rng.options.side_effect = self._counted("options", lambda **k: self._range(data, cells, k.get("ndim") == 2))
        rng.add_note.side_effect = self._counted("add_note", lambda text: (data.guard(), data.notes.__setitem__(
            cells[0], text)))
        self._property(rng, "sheet", lambda: self._sheet(data))
        rng.select.side_effect = self._counted("select", lambda: self._select(data, cells))
        self._property(rng, "conditional_formats", lambda: self._formats(data, cells, whole, address))
        return rng

    def _copy(self, data: SheetData, cells: list[Cell], destination: Any) -> None:
        """Range.Copy with a destination, as Excel does it: value, format, fill, bold and note, no clipboard."""
        if destination is None:
            raise NotImplementedError("the fake copies to a destination only (the clipboard is the user's)")
        _, target, (top, *_) = self._ranges[id(destination)]
        target.guard()
        r0, c0 = cells[0]
        for r, c in cells:
            to = (top[0] + r - r0, top[1] + c - c0)
            for part in (target.values, target.formulas, target.colors, target.formats, target.notes):
                part.pop(to, None)
            for source, part in ((data.values, target.values), (data.formulas, target.formulas),
                                 (data.colors, target.colors), (data.formats, target.formats),
                                 (data.notes, target.notes)):
                if (r, c) in source:
                    part[to] = source[(r, c)]
            (target.bold.add if (r, c) in data.bold else target.bold.discard)(to)

    def _select(self, data: SheetData, cells: list[Cell]) -> None:
        if (self.active_sheet or next(iter(self.sheets))) != data.name:
            raise RuntimeError("Select method of Range class failed")  # Excel selects on the active sheet only
        data.active, data.selection = cells[0], list(cells)

    def _changed(self, data: SheetData) -> None:
        """A write Excel would follow with Worksheet_Change (events on) and a recalculation (automatic)."""
        if self.enable_events:
            self.change_events.append(data.name)
        if self.calculation == "automatic":
            self.recalculations += 1

    # -- conditional formats --

    def _formats(self, data: SheetData, cells: list[Cell], whole: bool, address: str | None) -> Any:
        formats = mock.create_autospec(xw.main.ConditionalFormats, instance=True, spec_set=True)
        area = set(cells)

        def shown() -> list[FakeRule]:
            return [r for r in data.rules if whole or area & set(cells_of(r.sqref.replace(" ", ",")))]

        def add_custom(formula: str, *, fill_color: object = None, font_color: object = None,
                       font_bold: object = None, font_italic: object = None, stop_if_true: bool = False) -> Any:
            if address is None:
                raise NotImplementedError("the fake adds rules to ranges given by address")
            active = self._active().active[0]  # Excel reads relative references from the active cell
            top = cells[0][0]
            rule = FakeRule(address.replace(",", " "), "custom", shift_rows(formula.removeprefix("="), top - active),
                            _color(fill_color), _color(font_color), stop_if_true)
            data.rules.insert(0, rule)
            return self._rule(data, rule)

        formats.__iter__.side_effect = self._counted("formats.iter", lambda: iter(
            [self._rule(data, r) for r in shown()]))
        formats.__len__.side_effect = self._counted("formats.len", lambda: len(shown()))
        formats.__getitem__.side_effect = self._counted("formats[]", lambda i: self._rule(data, shown()[i]))
        formats.add_custom.side_effect = self._counted("add_custom", add_custom)
        return formats

    def _rule(self, data: SheetData, rule: FakeRule) -> Any:
        fake = mock.create_autospec(xw.main.ConditionalFormat, instance=True, spec_set=True)

        def formula() -> str | None:
            if rule.formula is None:
                return None
            return "=" + shift_rows(rule.formula, self._active().active[0] - rule.top)

        self._property(fake, "type", lambda: rule.type)
        self._property(fake, "formula", formula)
        self._property(fake, "fill_color", lambda: rule.fill)
        self._property(fake, "stop_if_true", lambda: rule.stop_if_true)
        fake.delete.side_effect = self._counted("rule.delete", lambda: data.rules.remove(rule))
        return fake

    def _property(self, fake: Any, name: str, get: Any, set_: Any = None) -> None:
        def access(*value: object) -> object:
            self.count(name)
            if value:
                if set_ is None:
                    raise AttributeError(f"{name} is read-only here")
                set_(value[0])
                return None
            return get()

        setattr(type(fake), name, mock.PropertyMock(side_effect=access))

    def _counted(self, name: str, action: Any) -> Any:
        def call(*args: object, **kwargs: object) -> object:
            self.count(name)
            return action(*args, **kwargs)

        return call


class _SheetApi:
    """Worksheet's COM object: its protection and its Visible (XlSheetVisibility)."""

    def __init__(self, excel: FakeExcel, data: SheetData):
        self._excel, self._data = excel, data

    @property
    def Visible(self) -> int:  # noqa: N802 - COM names
        self._excel.count("api.Visible")
        return {state: code for code, state in _VISIBILITY.items()}[self._data.state]

    @Visible.setter
    def Visible(self, value: object) -> None:  # noqa: N802
        self._excel.count("api.Visible")
        code = -1 if value is True else 0 if value is False else value
        if code not in _VISIBILITY:
            raise FakeComError(f"Unable to set the Visible property of the Worksheet class ({value!r})")
        self._excel.set_state(self._data, _VISIBILITY[code])

    def Protect(self, Password: str | None = None, **options: object) -> None:  # noqa: N802, N803 - COM names
        self._excel.count("api.Protect")
        self._data.protection_log.append(("Protect", {"Password": Password, **options}))
        if self._data.protected:
            return  # Excel leaves a protected sheet as it is
        self._data.protected, self._data.password = True, Password or None

    def Unprotect(self, Password: str | None = None) -> None:  # noqa: N802, N803
        self._excel.count("api.Unprotect")
        self._data.protection_log.append(("Unprotect", {"Password": Password}))
        if self._data.protected and self._data.password and Password != self._data.password:
            raise FakeComError("The password you supplied is not correct.")
        self._data.protected, self._data.password = False, None


class _AppApi:
    """Application's COM object: the state xlcsr sets around its writes, under their COM names, and
    GetOpenFilename (a MagicMock per app, for the test to answer: `app.api.GetOpenFilename.return_value`)."""

    def __init__(self, excel: FakeExcel):
        self._excel = excel
        # unittest.mock's own MagicMock: benchmarks/ribbon.py swaps this module's `mock` for cheap autospecs
        self.GetOpenFilename = unittest.mock.MagicMock(name="GetOpenFilename")  # noqa: N815 - COM name

    def _get(self, name: str) -> object:
        self._excel.count(f"api.{name}")
        return getattr(self._excel, _APP_NAMES[name])

    def _set(self, name: str, value: object) -> None:
        self._excel.count(f"api.{name}")
        self._excel._set_app(_APP_NAMES[name], value)

    ScreenUpdating = property(lambda self: self._get("ScreenUpdating"),
                              lambda self, v: self._set("ScreenUpdating", v))
    EnableEvents = property(lambda self: self._get("EnableEvents"), lambda self, v: self._set("EnableEvents", v))
    StatusBar = property(lambda self: self._get("StatusBar"), lambda self, v: self._set("StatusBar", v))

    @property
    def Calculation(self) -> int:  # noqa: N802
        self._excel.count("api.Calculation")
        return _CALCULATION[self._excel.calculation]

    @Calculation.setter
    def Calculation(self, value: int) -> None:  # noqa: N802
        self._excel.count("api.Calculation")
        names = {code: name for name, code in _CALCULATION.items()}
        if value not in names:
            raise FakeComError(f"Unable to set the Calculation property of the Application class ({value!r})")
        self._excel._set_app("calculation", names[value])


_CALCULATION = {"automatic": -4105, "manual": -4135, "semiautomatic": 2}  # XlCalculation
_VISIBILITY = {-1: "visible", 0: "hidden", 2: "veryHidden"}  # XlSheetVisibility → openpyxl's sheet_state
_STATES = tuple(_VISIBILITY.values())
_APP_NAMES = {"ScreenUpdating": "screen_updating", "EnableEvents": "enable_events", "StatusBar": "status_bar"}


class _BookApi:
    """Workbook's COM object: Date1904 and the document properties."""

    def __init__(self, excel: FakeExcel):
        self._excel = excel

    @property
    def Date1904(self) -> bool:  # noqa: N802
        self._excel.count("api.Date1904")
        return self._excel.date1904

    def BuiltinDocumentProperties(self, name: str) -> Any:  # noqa: N802
        self._excel.count("api.BuiltinDocumentProperties")
        if name not in self._excel.properties:
            raise FakeComError("Automation error: the property has no value")
        return mock.NonCallableMock(spec_set=["Value"], Value=self._excel.properties[name])


def _letters(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _color(value: object) -> tuple[int, int, int] | None:
    if isinstance(value, str):
        text = value.lstrip("#")
        return tuple(int(text[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
    return tuple(value) if value is not None else None  # type: ignore[arg-type, return-value]


def _rules_of(ws: Any) -> list[FakeRule]:
    """The worksheet's conditional formats as Excel lists them (by priority)."""
    found = []
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            expression = rule.type == "expression"
            fill = rule.dxf.fill.bgColor.rgb if rule.dxf is not None and rule.dxf.fill is not None else None
            found.append((rule.priority, FakeRule(
                str(cf.sqref), "custom" if expression else str(rule.type), rule.formula[0] if expression else None,
                _color(fill[2:]) if isinstance(fill, str) else None, None, bool(rule.stopIfTrue))))
    return [rule for _, rule in sorted(found, key=lambda pair: pair[0])]


def _used_cells(data: SheetData) -> list[Cell]:
    r1, c1, r2, c2 = data.bounds()
    return [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def _address_cells(args: tuple[object, ...]) -> list[Cell]:
    if len(args) == 1 and isinstance(args[0], str):
        return cells_of(args[0])
    (r1, c1), (r2, c2) = args[0], args[-1]  # type: ignore[misc]
    return [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def _as_formula_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return str((value - datetime(1899, 12, 30)).days)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
