"""A workbook 'open in Excel' for tests: xlwings Book/Sheet/Range fakes made with
`create_autospec(..., spec_set=True)` over a real in-memory table, counting every xlwings call.

Only the Excel boundary is faked: xlcsr's xlwings adapter runs unchanged against it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import openpyxl
import xlwings as xw

Cell = tuple[int, int]
_REF = re.compile(r"\$?([A-Z]+)\$?(\d+)")


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


@dataclass
class SheetData:
    name: str
    values: dict[Cell, object] = field(default_factory=dict)
    formulas: dict[Cell, str] = field(default_factory=dict)
    colors: dict[Cell, tuple[int, int, int]] = field(default_factory=dict)
    notes: dict[Cell, str] = field(default_factory=dict)
    formats: dict[Cell, str] = field(default_factory=dict)
    bold: set[Cell] = field(default_factory=set)
    visible: bool = True

    def bounds(self) -> tuple[int, int, int, int]:
        used = set(self.values) | set(self.formulas)
        if not used:
            return 1, 1, 1, 1
        rows = [r for r, _ in used]
        cols = [c for _, c in used]
        return min(rows), min(cols), max(rows), max(cols)

    def clear(self) -> None:
        for part in (self.values, self.formulas, self.colors, self.notes, self.formats):
            part.clear()
        self.bold.clear()

    def write(self, cell: Cell, value: object) -> None:
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


class FakeExcel:
    """The workbooks an Excel instance holds, and a count of the xlwings calls made on them."""

    def __init__(self, name: str = "r.xlsx", fullname: str = "r.xlsx") -> None:
        self.name, self.fullname = name, fullname
        self.sheets: dict[str, SheetData] = {}
        self.calls: Counter[str] = Counter()
        self.alerts: list[str] = []
        self.opened: list[str] = []
        self.status: list[object] = []

    @classmethod
    def from_file(cls, path: Path) -> FakeExcel:
        """The workbook in `path` as Excel would show it (values, formulas, fills, notes)."""
        excel = cls(path.name, str(path))
        formulas = openpyxl.load_workbook(path)
        values = openpyxl.load_workbook(path, data_only=True)
        for ws in formulas.worksheets:
            sheet = excel.sheets.setdefault(ws.title, SheetData(ws.title, visible=ws.sheet_state == "visible"))
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
        self._property(book, "sheets", lambda: sheets)
        app = self._app()
        self._property(book, "app", lambda: app)
        return book

    def _app(self) -> Any:
        app = mock.create_autospec(xw.App, instance=True, spec_set=True)
        app.alert.side_effect = self._counted("alert", lambda text, **_: self.alerts.append(text))
        self._property(app, "status_bar", lambda: None, self.status.append)
        self._property(app, "screen_updating", lambda: True, lambda value: None)
        books = mock.create_autospec(xw.main.Books, instance=True, spec_set=True)
        books.open.side_effect = self._counted("books.open", lambda path, **_: self.opened.append(path))
        self._property(app, "books", lambda: books)
        return app

    def _sheet_by_key(self, key: str | int) -> Any:
        name = list(self.sheets)[key] if isinstance(key, int) else key
        if name not in self.sheets:
            raise KeyError(name)
        return self._sheet(self.sheets[name])

    def _add_sheet(self, name: str, before: Any = None, after: Any = None) -> Any:
        self.sheets[name] = SheetData(name)
        return self._sheet(self.sheets[name])

    def _sheet(self, data: SheetData) -> Any:
        sheet = mock.create_autospec(xw.Sheet, instance=True, spec_set=True)
        self._property(sheet, "name", lambda: data.name)
        self._property(sheet, "used_range", lambda: self._range(data, _used_cells(data)))
        self._property(sheet, "visible", lambda: data.visible, lambda v: setattr(data, "visible", bool(v)))
        sheet.range.side_effect = self._counted("range", lambda *a: self._range(data, _address_cells(a)))
        sheet.clear.side_effect = self._counted("clear", data.clear)
        sheet.autofit.side_effect = self._counted("autofit", lambda *a, **k: None)
        return sheet

    def _range(self, data: SheetData, cells: list[Cell], ndim2: bool = False) -> Any:
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
            for cell in cells:
                if color is None:
                    data.colors.pop(cell, None)
                else:
                    data.colors[cell] = tuple(color)  # type: ignore[arg-type]

        font = mock.create_autospec(xw.main.Font, instance=True, spec_set=True)
        self._property(font, "bold", lambda: None, lambda v: data.bold.update(cells) if v else None)
        self._property(rng, "value", lambda: grid(data.values, None), set_value)
        self._property(rng, "formula", formula)
        self._property(rng, "row", lambda: rows[0])
        self._property(rng, "column", lambda: cols[0])
        self._property(rng, "color", lambda: data.colors.get(cells[0]) if len(cells) == 1 else None, set_color)
        self._property(rng, "note", note)
        self._property(rng, "font", lambda: font)
        self._property(rng, "number_format", lambda: data.formats.get(cells[0], "General"),
                       lambda fmt: data.formats.update(dict.fromkeys(cells, fmt)))
        rng.options.side_effect = self._counted("options", lambda **k: self._range(data, cells, k.get("ndim") == 2))
        rng.add_note.side_effect = self._counted("add_note", lambda text: data.notes.__setitem__(cells[0], text))
        return rng

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
