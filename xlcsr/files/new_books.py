"""New workbooks written with openpyxl: the register 顾客特殊要求清单 and the form 顾客特殊要求评审记录表.

    >>> make_review_form("forms")                                   # doctest: +SKIP
    PosixPath('forms/顾客特殊要求评审记录表.xlsx')
    >>> make_register("demo", rows=[{"customer": "比亚迪", "requirement": "PPAP 3级"}])  # doctest: +SKIP
    PosixPath('demo/顾客特殊要求清单.xlsx')

`xlcsr init` (`xlcsr.app.commands.init_workbooks`) writes both and keeps files that exist. Refresh
the copies kept in the repository (this overwrites them):

    $ python -m xlcsr.files.new_books workbooks/

The register has sheet 清单 (title, form number, header in row 3, data from row 4), 设置 (see
`xlcsr.workbook.settings_sheet`) and 变更记录 (change log headers in row 1). The review form has one sheet
评审记录 laid out like the paper form; `REVIEW_CELLS` and the workbook's `xlcsr_…` names say where
each field is, so sign-off and collection need not know the layout.

openpyxl lays out the workbook; the 清单 cells from row 4 on (`DataRows`) are not openpyxl cells
but sheet XML written in one stream with shared strings, styled from openpyxl's own style table
and spliced into the sheet openpyxl saved — a 100,000-row import in seconds and a file no bigger
than the user's own list, where openpyxl's 1.9 million cell objects took a minute and 1.8 GB.
`new_register` also gives the register as a reader finds it, without reading it back.
"""

from __future__ import annotations

import io
import queue
import re
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from enum import Enum
from math import isfinite
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TIME_FORMATS, Cell, get_time_format
from openpyxl.compat.numbers import NUMERIC_TYPES
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.stylesheet import write_stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

from xlcsr.disk.atomic import write_atomically
from xlcsr.domain.dates import parse_date
from xlcsr.domain.fields import FIELD_BY_KEY, FIELDS, Field, Kind
from xlcsr.domain.settings import DEFAULT_SETTINGS, Settings
from xlcsr.domain.vocab import (
    APPROVALS,
    CHANGELOG_SHEET,
    CONTRACT_TYPES,
    DATE_FORMAT,
    DATETIME_FORMAT,
    REGISTER_FILE,
    REGISTER_SHEET,
    REVIEW_FILE,
    REVIEW_OPINIONS,
    REVIEW_SHEET,
    SETTINGS_SHEET,
    SIGNOFF_LOG_SHEET,
    STATUSES,
)
from xlcsr.files.reader import FileSource
from xlcsr.files.settings_writer import write_settings_sheet
from xlcsr.workbook.changelog import CHANGELOG_WIDTHS, changelog_header
from xlcsr.workbook.forms import FIELD_ROWS, REQUIREMENT_ROWS, REVIEW_HEADER_ROW, review_cells, review_departments
from xlcsr.workbook.signoff_log import LOG_WIDTHS, log_header

REGISTER_FORM_NO, REVIEW_FORM_NO, FORM_REVISION = "QR-CSR-01", "QR-CSR-02", "A/0"
HEADER_ROW, FIRST_DATA_ROW, DATA_ROWS = 3, 4, 1000
LAST_DATA_ROW = FIRST_DATA_ROW + DATA_ROWS - 1

_WIDTHS = {
    "case_no": 16, "customer": 16, "product": 16, "requirement": 44, "category": 11, "source": 13,
    "source_ref": 20, "iatf_clause": 11, "received": 12, "priority": 8, "due": 12, "departments": 18,
    "owner": 10, "status": 10, "contract_type": 10, "closed": 12, "remarks": 30, "revision": 8,
}
_EXTRA_WIDTH = 14
_WRAP_KEYS = ("requirement", "remarks", "source_ref", "departments")
_LETTER = {f.key: get_column_letter(i) for i, f in enumerate(FIELDS, start=1)}
_DATE_COLUMNS = [c for c, f in enumerate(FIELDS) if f.kind is Kind.DATE]

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
_HEADER_FONT = Font(bold=True)
_REQUIRED_FONT = Font(bold=True, color="C00000")
_TITLE_FONT = Font(bold=True, size=16)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_TOP_WRAP = Alignment(vertical="top", wrap_text=True)

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES, _WORKBOOK_RELS, _STYLES = "[Content_Types].xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"
_SHARED_STRINGS_TYPE = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
_DEFLATE_LEVEL = 5  # of the sheet and its strings: zlib's default 6 takes 60% longer for a file 1.5% smaller
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
_TEXT_MAX = 32767  # characters of a cell's text
_FIRST_SURE_DATE = date(1900, 3, 1)  # before it, Excel's serial numbers count the 29th of February 1900
_SPECIAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f&<>\r]")  # text to escape, or to refuse as openpyxl does

_TEXT = {
    "zh": {
        "register": "顾客特殊要求清单", "review": "顾客特殊要求评审记录表",
        "form": "表单编号：{no}　　版本：{rev}",
        "multi": "可从列表选一个部门；多个部门请直接输入，用、分隔",
        "pick": "请从下拉列表中选择", "bad": "不在允许的列表中（列表见「设置」表）",
    },
    "en": {
        "register": "Customer Special Requirements Register",
        "review": "Customer Special Requirement Review Record",
        "form": "Form No.: {no}    Rev.: {rev}",
        "multi": "Pick one department, or type several separated by 、 or ,",
        "pick": "Pick a value from the list", "bad": "Not in the allowed list (see sheet 设置)",
    },
}


# ---------------------------------------------------------------- the register


def make_register(path: str | Path, settings: Settings = DEFAULT_SETTINGS,
                  rows: Iterable[Mapping[str, object]] = (), *, lang: str = "zh",
                  extra_headers: Sequence[str] = (), extra_rows: Sequence[Sequence[object]] = ()) -> Path:
    """Write a new register (清单, 设置, 变更记录) to `path`, or into `path` when it is a folder.

    `rows` from row 4, by field key; `extra_headers` are columns of the user's own after the
    template's, `extra_rows[i]` the values of row i in them: text stays text, dates get the date format.
    """
    return _write_register(path, settings, rows, lang, extra_headers, extra_rows)[0]


def new_register(path: str | Path, settings: Settings = DEFAULT_SETTINGS,
                 rows: Iterable[Mapping[str, object]] = (), *, lang: str = "zh",
                 extra_headers: Sequence[str] = (), extra_rows: Sequence[Sequence[object]] = ()) -> NewRegister:
    """`make_register`, and the register it wrote as a reader finds it (`NewRegister`)."""
    return NewRegister(*_write_register(path, settings, rows, lang, extra_headers, extra_rows))


class NewRegister(FileSource):
    """A register just written, as a `SheetSource`: its 清单 the cells written, as calamine reads them back
    (`DataRows.cells`), so that checking it needs no second read of its biggest sheet. The other
    sheets come from the file, and 清单 too when a value's reading back is not certain."""

    def __init__(self, path: Path, cells: list[list[object]] | None):
        super().__init__(path)
        self._cells = cells

    def values(self, sheet: str) -> list[list[object]]:
        return self._cells if sheet == REGISTER_SHEET and self._cells is not None else super().values(sheet)

    def rows(self, sheet: str) -> Iterator[list[object]]:
        return iter(self.values(sheet))

    def formulas(self, sheet: str) -> set[str]:
        return set() if sheet == REGISTER_SHEET and self._cells is not None else super().formulas(sheet)


def _write_register(path: str | Path, settings: Settings, rows: Iterable[Mapping[str, object]], lang: str,
                    extra_headers: Sequence[str], extra_rows: Sequence[Sequence[object]],
                    ) -> tuple[Path, list[list[object]] | None]:
    """The register written, and its 清单 as calamine reads it back (None when that is not certain)."""
    target = _target(path, REGISTER_FILE)
    wb = Workbook()
    ws = wb.active
    ws.title = REGISTER_SHEET
    write_settings_sheet(wb.create_sheet(SETTINGS_SHEET), settings, lang=lang)
    data = DataRows(ws, list(rows), extra_rows, width=len(FIELDS) + len(extra_headers))
    write_register_sheet(ws, settings, len(data.rows), lang=lang, extra_headers=extra_headers)
    write_changelog_sheet(wb.create_sheet(CHANGELOG_SHEET), lang=lang)
    write_log_sheet(wb.create_sheet(SIGNOFF_LOG_SHEET), log_header(lang), LOG_WIDTHS)
    write_atomically(target, _register_package(wb, ws, data), backup=False)
    return target, data.cells(ws.iter_rows(max_row=HEADER_ROW, max_col=data.width, values_only=True))


def write_register_sheet(ws: Worksheet, settings: Settings = DEFAULT_SETTINGS, rows: int = 0, *,
                         lang: str = "zh", extra_headers: Sequence[str] = ()) -> None:
    """Title, form number, header row 3, widths, dropdowns over the data area, filter over `rows` rows.

    The cells from row 4 on are `DataRows`, spliced into the saved sheet by `make_register`.
    """
    text = _TEXT[_lang(lang)]
    last = get_column_letter(len(FIELDS) + len(extra_headers))
    _title_rows(ws, text["register"], text["form"].format(no=REGISTER_FORM_NO, rev=FORM_REVISION), last)
    _header_row(ws, lang)
    for c, header in enumerate(extra_headers, start=len(FIELDS) + 1):
        cell = ws.cell(HEADER_ROW, c, str(header))
        cell.data_type = "s"
        _style_header(cell)
        ws.column_dimensions[get_column_letter(c)].width = _EXTRA_WIDTH
    _register_validations(ws, settings, lang)
    ws.freeze_panes = f"B{FIRST_DATA_ROW}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + max(rows, 1)}"
    _print_setup(ws, landscape=True, fit_height=False)
    ws.print_title_rows = f"1:{HEADER_ROW}"


def write_changelog_sheet(ws: Worksheet, *, lang: str = "zh") -> None:
    """The 变更记录 sheet: one header row, ready for xlcsr to append changes."""
    write_log_sheet(ws, changelog_header(lang), CHANGELOG_WIDTHS)


def write_log_sheet(ws: Worksheet, headers: Sequence[str], widths: Mapping[int, float]) -> None:
    """A log sheet xlcsr appends to (变更记录, 会签记录): one header row, frozen, printed landscape,
    protected without a password (people read the logs; xlcsr writes them)."""
    for c, header in enumerate(headers, start=1):
        _style_header(ws.cell(1, c, header))
        ws.column_dimensions[get_column_letter(c)].width = widths.get(c, 12)
    ws.freeze_panes = "A2"
    _print_setup(ws, landscape=True, fit_height=False)
    ws.print_title_rows = "1:1"
    ws.protection.sheet = True


def _header_row(ws: Worksheet, lang: str) -> None:
    for c, field in enumerate(FIELDS, start=1):
        cell = ws.cell(HEADER_ROW, c, field.english if lang == "en" else field.header)
        _style_header(cell)
        if field.required:
            cell.font = _REQUIRED_FONT
        ws.column_dimensions[get_column_letter(c)].width = _WIDTHS.get(field.key, 12)
    ws.row_dimensions[HEADER_ROW].height = 30


# ---------------------------------------------------------------- the register's rows, in one stream


class DataRows:
    """The 清单 cells from row 4 on, written as sheet XML with shared strings: about a µs a cell.

        data = DataRows(ws, [{"customer": "比亚迪", "received": date(2026, 11, 3)}], extra_rows=[["007"]])
        data.write(stream.write)           # <row r="4"><c r="A4" s="5"/><c r="B4" s="5" t="s"><v>0</v></c>…
        data.shared_strings(stream.write)  # xl/sharedStrings.xml
        data.cells(top)                    # the sheet as calamine reads it back

    Every cell of a data row has the thin border; over the data area (rows 4–1003) the date columns
    have the date format and the long-text columns wrap, in the rows below the data too; a date
    elsewhere (below row 1003, in the user's columns) gets the date format, one with a time of day
    the date-and-time format. Text stays text (a value starting with '=' is no formula). The style
    ids come from the workbook's own style table (openpyxl's `Cell.style_id`, one per kind of cell),
    so the cells are styled exactly as openpyxl styles them cell by cell; the table is saved after
    `write`.
    """

    def __init__(self, ws: Worksheet, rows: Sequence[Mapping[str, object]],
                 extra_rows: Sequence[Sequence[object]] = (), *, width: int = len(FIELDS)):
        self.ws, self.rows, self.extra_rows = ws, rows, extra_rows
        self.width = max([width, *(len(FIELDS) + len(extras) for extras in extra_rows[:len(rows)])])
        self.strings: dict[str, int] = {}  # shared string → its index
        self.read: list[list[object]] | None = []  # the data rows as calamine reads them back, while certain
        self._letters = [get_column_letter(c) for c in range(1, self.width + 1)]
        self._opens = [f'<c r="{letter}' for letter in self._letters]
        self._plain: dict[bool, list[str]] = {}  # in the data area? → each column's style of a value
        self._dated: dict[bool, list[str]] = {}  # the same, of a date
        self._style_ids: dict[tuple[bool, str | None, bool], int] = {}
        self._serials: dict[object, str] = {}  # a date → its serial number, as written

    def write(self, write: Callable[[bytes], object], chunk: int = 2000) -> None:
        """The <row>s from row 4 to the last data row or row 1003, whichever is further down."""
        for start in range(0, len(self.rows), chunk):
            stop = min(start + chunk, len(self.rows))
            write("".join([self._data_row(i) for i in range(start, stop)]).encode())
        below = range(FIRST_DATA_ROW + len(self.rows), LAST_DATA_ROW + 1)
        if below:
            empty = self._empty_row()
            write("".join([empty.format(r=r) for r in below]).encode())

    @property
    def dimension(self) -> str:
        """The sheet's used range: the title to the last column and the last data (or formatted) row."""
        return f"A1:{self._letters[-1]}{max(FIRST_DATA_ROW + len(self.rows) - 1, LAST_DATA_ROW)}"

    def shared_strings(self, write: Callable[[bytes], object], chunk: int = 20000) -> None:
        """xl/sharedStrings.xml: the strings `write` wrote, by index, in pieces."""
        write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{_MAIN_NS}" '
              f'uniqueCount="{len(self.strings)}">'.encode())
        strings = list(self.strings)
        for start in range(0, len(strings), chunk):
            write("".join(map(_shared_item, strings[start:start + chunk])).encode())
        write(b"</sst>")

    def _data_row(self, i: int) -> str:
        row, r = self.rows[i], FIRST_DATA_ROW + i
        if not row.keys() <= _LETTER.keys():
            raise ValueError(f"unknown register fields: {', '.join(sorted(set(row) - set(_LETTER)))}")
        values = list(map(row.get, _LETTER))
        for c in _DATE_COLUMNS:  # date text as a real date
            if values[c] is not None and type(values[c]) is not date:
                values[c] = _cell_value(FIELDS[c], values[c])
        if i < len(self.extra_rows):
            values += self.extra_rows[i]
        opens, plain, dated = self._columns(r <= LAST_DATA_ROW)
        rs = str(r)
        strings, serials = self.strings, self._serials
        cells = []
        for c, value in enumerate(values):  # the common kinds inline: this loop runs for every cell
            kind = type(value)  # values[c] becomes the value as calamine reads it back
            if value is None or (kind is str and not value):
                cells.append(f'{opens[c]}{rs}{plain[c]}/>')
                values[c] = ""
            elif kind is str:
                index = strings.get(value)
                if index is None:
                    index = strings[value] = len(strings)
                cells.append(f'{opens[c]}{rs}{plain[c]} t="s"><v>{index}</v></c>')
                if len(value) > _TEXT_MAX:
                    self.read = None  # cut to length: not read back as written
            elif (kind is int or kind is float) and isfinite(value):
                number = f"{value:.16g}"
                cells.append(f'{opens[c]}{rs}{plain[c]}><v>{number}</v></c>')
                values[c] = float(number)
            elif kind is date:
                if not dated[c]:
                    dated[c] = f'" s="{self._style(c, r <= LAST_DATA_ROW, DATE_FORMAT)}"'
                cells.append(f'{opens[c]}{rs}{dated[c]}><v>{serials.get(value) or self._serial(value)}</v></c>')
                if value < _FIRST_SURE_DATE:
                    self.read = None
            else:
                cells.append(self._other_cell(c, r, value))
                self.read = None  # read back as calamine sees it: not certain
        if self.read is not None:
            self.read.append(values)
        return f'<row r="{rs}">{"".join(cells)}</row>'

    def cells(self, top: Iterable[Sequence[object]]) -> list[list[object]] | None:
        """The sheet's values as calamine reads them back, `top` its rows 1–3 as openpyxl holds them;
        None when a value's reading back is not certain (a date and time, a duration, very long text …).

        Every header is text, so the sheet is as wide as the header row, and ends at the last row with a value.
        """
        rows = [["" if v is None else v for v in row] for row in top]
        if self.read is None or not all(type(v) is str and v for v in rows[HEADER_ROW - 1]):
            return None
        rows += self.read
        while not any(v != "" for v in rows[-1]):
            rows.pop()
        return [row if len(row) == self.width else [*row, *[""] * (self.width - len(row))] for row in rows]

    def _other_cell(self, c: int, r: int, value: object, *, converted: bool = False) -> str:
        """Any other value, as openpyxl writes it: a field's list or enum, a date and time, a time, a duration,
        true or false, infinity, a subclass of text or number."""
        if c < len(FIELDS) and not converted:
            return self._other_cell(c, r, _cell_value(FIELDS[c], value), converted=True)
        area = r <= LAST_DATA_ROW
        ref, style = f"{self._letters[c]}{r}", self._style(c, area, None)
        if value is None or value == "":
            return f'<c r="{ref}" s="{style}"/>'
        if isinstance(value, str):
            return f'<c r="{ref}" s="{style}" t="s"><v>{self.strings.setdefault(str(value), len(self.strings))}</v></c>'
        if isinstance(value, bool):
            return f'<c r="{ref}" s="{style}" t="b"><v>{int(value)}</v></c>'
        if isinstance(value, (date, time, timedelta)):
            if getattr(value, "tzinfo", None) is not None:
                raise TypeError("Excel does not support timezones in datetimes")
            style = self._style(c, area, _date_format(c, value))
            return f'<c r="{ref}" s="{style}"><v>{self._serial(value)}</v></c>'
        if not isinstance(value, NUMERIC_TYPES):
            raise ValueError(f"Cannot convert {value!r} to Excel")
        if not isfinite(value):  # type: ignore[arg-type]
            return f'<c r="{ref}" s="{style}"/>'
        return f'<c r="{ref}" s="{style}"><v>{float(value):.16g}</v></c>'  # type: ignore[arg-type]

    def _serial(self, value: object) -> str:
        serial = self._serials.get(value)
        if serial is None:
            serial = self._serials[value] = f"{to_excel(value):.16g}"
        return serial

    def _columns(self, area: bool) -> tuple[list[str], list[str], list[str]]:
        """Each column's cell start `<c r="B`, and its style attribute `" s="5"` of a value and of a date."""
        if area not in self._plain:
            self._plain[area] = [f'" s="{self._style(c, area, None)}"' for c in range(self.width)]
            self._dated[area] = [""] * self.width  # interned when the column's first date comes
        return self._opens, self._plain[area], self._dated[area]

    def _style(self, c: int, area: bool, number_format: str | None, *, border: bool = True) -> int:
        """The workbook's style id of a cell in column `c` (0-based): bordered, with this number format."""
        field = FIELDS[c] if c < len(FIELDS) else None
        dated = area and field is not None and field.kind is Kind.DATE
        wrapped = area and field is not None and field.key in _WRAP_KEYS
        key = (border, DATE_FORMAT if dated else number_format, wrapped)
        if key not in self._style_ids:
            cell = Cell(self.ws)  # never placed in the sheet: it interns the style in the workbook
            if border:
                cell.border = _BORDER
            if key[1]:
                cell.number_format = key[1]
            if wrapped:
                cell.alignment = _TOP_WRAP
            self._style_ids[key] = cell.style_id
        return self._style_ids[key]

    def _empty_row(self) -> str:
        """A row of the data area below the data, as a template of {r}: the date and long-text columns' formats."""
        cells = [f'<c r="{get_column_letter(c + 1)}{{r}}" s="{self._style(c, True, None, border=False)}"/>'
                 for c, field in enumerate(FIELDS) if field.kind is Kind.DATE or field.key in _WRAP_KEYS]
        return '<row r="{r}">' + "".join(cells) + "</row>"


def _date_format(c: int, value: date | time | timedelta) -> str:
    """A date's number format: a date field's, else with the time of day when it has one."""
    if not isinstance(value, date):
        return TIME_FORMATS[type(value)] if type(value) in TIME_FORMATS else get_time_format(type(value))
    dated = c < len(FIELDS) and FIELDS[c].kind is Kind.DATE
    timed = isinstance(value, datetime) and value.time() != time() and not dated
    return DATETIME_FORMAT if timed else DATE_FORMAT


def _shared_item(text: str) -> str:
    """A shared string as <si>, cut to 32,767 characters and checked as openpyxl does cell text."""
    text = text[:_TEXT_MAX]
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    if _SPECIAL.search(text):
        if ILLEGAL_CHARACTERS_RE.search(text):
            raise IllegalCharacterError(f"{text} cannot be used in worksheets.")
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return f"<si><t{space}>{text}</t></si>"


def _cell_value(field: Field, value: object) -> object:
    """What to put in the cell: lists joined with 、, date text as real dates, enums by value."""
    if value is None or value == "":
        return None
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, (list, tuple, set, frozenset)):
        return "、".join(str(v) for v in value)
    if field.kind is Kind.DATE and not isinstance(value, date):
        try:
            return parse_date(value)
        except ValueError:
            return str(value)  # kept as written: validation reports it
    return value


def _register_package(wb: Workbook, ws: Worksheet, data: DataRows) -> bytes:
    """`wb` as openpyxl saves it, with `data` after the header rows of sheet `ws`, and their shared strings.

    openpyxl saves every part; the style table is written again (as openpyxl's save writes it) once
    the rows have interned their styles. The rows and strings are compressed in a thread as they are made.
    """
    saved = _saved(wb)
    sheet = ws.path.lstrip("/")  # known once saved
    head, tail = _split_sheet(saved.pop(sheet)[1], data.dimension)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=_DEFLATE_LEVEL) as package:
        with package.open(sheet, "w") as stream, _Writer(stream) as writer:
            writer.write(head)
            data.write(writer.write)
            writer.write(tail)
        saved[_STYLES] = (saved[_STYLES][0], tostring(write_stylesheet(wb)))
        for name, (info, part) in saved.items():
            if name == _CONTENT_TYPES:
                part = _insert(part, b"</Types>", _SHARED_STRINGS_TYPE)
            elif name == _WORKBOOK_RELS:
                part = _insert(part, b"</Relationships>", _shared_strings_rel(part))
            package.writestr(info, part)
        with package.open("xl/sharedStrings.xml", "w") as stream, _Writer(stream) as writer:
            data.shared_strings(writer.write)
    return out.getvalue()


def _saved(wb: Workbook) -> dict[str, tuple[zipfile.ZipInfo, bytes]]:
    """The parts of `wb` as openpyxl saves it, by name."""
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as package:
        return {info.filename: (info, package.read(info)) for info in package.infolist()}


class _Writer:
    """Writes to `stream` in a thread, which lets zlib compress while the caller makes the next rows."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Writer:
        self._thread.start()
        return self

    def write(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(data)

    def __exit__(self, *exc: object) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and exc[0] is None:
            raise self._error

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._stream.write(data)
                except BaseException as error:  # handed to the writing thread
                    self._error = error


def _split_sheet(xml: bytes, dimension: str) -> tuple[bytes, bytes]:
    """The sheet up to the end of its header rows (its dimension now `dimension`), and from </sheetData> on."""
    head, found, tail = xml.partition(b"</sheetData>")
    head, count = _DIMENSION.subn(f'<dimension ref="{dimension}"/>'.encode(), head, count=1)
    if not found or not count:
        raise ValueError("openpyxl wrote the register sheet without <sheetData> or <dimension>")
    return head, found + tail


def _insert(xml: bytes, before: bytes, element: bytes) -> bytes:
    at = xml.rindex(before)
    return xml[:at] + element + xml[at:]


def _shared_strings_rel(rels: bytes) -> bytes:
    taken = {int(n) for n in re.findall(rb'Id="rId(\d+)"', rels)}
    return (f'<Relationship Id="rId{max(taken, default=0) + 1}" Target="sharedStrings.xml" '
            f'Type="{_REL_NS}/sharedStrings"/>').encode()


def _register_validations(ws: Worksheet, settings: Settings, lang: str) -> None:
    en = lang == "en"
    text = _TEXT[_lang(lang)]
    priorities = [p.english for p in settings.priorities] if en else None
    lists: dict[str, str] = {
        "category": "xlcsr_类别",
        "source": "xlcsr_来源",
        "priority": _inline(priorities) if priorities and len(_inline(priorities)) <= 255 else "xlcsr_优先级",
        "owner": "xlcsr_人员",
        "status": _inline(list(STATUSES.values()) if en else list(STATUSES)),
        "contract_type": _inline(list(CONTRACT_TYPES.values()) if en else list(CONTRACT_TYPES)),
    }
    for key, formula in lists.items():
        dv = _dropdown(formula, _data_range(key))
        dv.error, dv.errorTitle = text["bad"], _header_text(key, lang)
        dv.prompt, dv.promptTitle = text["pick"], _header_text(key, lang)
        ws.add_data_validation(dv)
    departments = _dropdown("xlcsr_部门", _data_range("departments"), strict=False)
    departments.prompt, departments.promptTitle = text["multi"], _header_text("departments", lang)
    ws.add_data_validation(departments)


def _header_text(key: str, lang: str) -> str:
    field = FIELD_BY_KEY[key]
    return field.english if lang == "en" else field.header


def _data_range(key: str) -> str:
    letter = _LETTER[key]
    return f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_DATA_ROW}"


# ---------------------------------------------------------------- the review form

_FORM_LABELS = {
    "zh": {
        "identified_by": "识别部门", "received": "识别日期", "customer": "客户", "contract_type": "合同类型",
        "case_no": "案件号", "product": "产品/项目", "source_ref": "来源文件及版本",
        "requirement": "顾客特殊要求内容", "reviews": "各部门评审",
        "department": "部门", "opinion": "评审意见", "comment": "说明", "reviewer": "评审人", "date": "日期",
        "approval": "总经理批准（特殊合同必填）", "decision": "审批结论", "signature": "签名",
        "prepared": "编制：", "checked": "审核：", "approved": "批准：",
    },
    "en": {
        "identified_by": "Identified by", "received": "Date identified", "customer": "Customer",
        "contract_type": "Contract type", "case_no": "Case No.", "product": "Product",
        "source_ref": "Source document", "requirement": "Requirement", "reviews": "Department reviews",
        "department": "Department", "opinion": "Opinion", "comment": "Comments", "reviewer": "Reviewer",
        "date": "Date", "approval": "General manager approval (required for special contracts)",
        "decision": "Decision", "signature": "Signature",
        "prepared": "Prepared:", "checked": "Checked:", "approved": "Approved:",
    },
}
_FORM_WIDTHS = (16, 15, 18, 16, 13, 14)  # A:F
def make_review_form(path: str | Path, *, lang: str = "zh", settings: Settings = DEFAULT_SETTINGS) -> Path:
    """Write a blank 顾客特殊要求评审记录表 to `path`, or into `path` when it is a folder."""
    target = _target(path, REVIEW_FILE)
    wb = Workbook()
    ws = wb.active
    ws.title = REVIEW_SHEET
    write_review_sheet(ws, settings, lang=lang)
    return _save(wb, target)


def write_review_sheet(ws: Worksheet, settings: Settings = DEFAULT_SETTINGS, *, lang: str = "zh") -> None:
    """Lay out the review form on `ws` and name its input cells xlcsr_<key>."""
    labels = _FORM_LABELS[_lang(lang)]
    text = _TEXT[_lang(lang)]
    for c, width in enumerate(_FORM_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    _title_rows(ws, text["review"], text["form"].format(no=REVIEW_FORM_NO, rev=FORM_REVISION), "F")
    _form_fields(ws, labels, settings, lang)
    _requirement_box(ws, labels)
    last = _review_table(ws, labels, review_departments(settings))
    end = _approval_block(ws, labels, last + 1)
    _footer(ws, labels, end + 2)
    _name_cells(ws, review_cells(settings))
    _print_setup(ws, landscape=False, fit_height=True)
    ws.print_area = f"A1:F{end + 2}"
    ws.print_options.horizontalCentered = True


def _form_fields(ws: Worksheet, labels: dict[str, str], settings: Settings, lang: str) -> None:
    for row, *pairs in FIELD_ROWS:
        for pair, label_col in zip(pairs, ("A", "D")):
            if pair is None:
                continue
            key, rng = pair
            _label(ws[f"{label_col}{row}"], labels[key])
            _box(ws, rng)
        ws.row_dimensions[row].height = 24
    ws["E3"].number_format = DATE_FORMAT
    contract = list(CONTRACT_TYPES.values()) if lang == "en" else list(CONTRACT_TYPES)
    ws.add_data_validation(_dropdown(_inline(contract), "E4"))
    names = _inline([d.name for d in settings.departments])
    if settings.departments and len(names) <= 255:
        ws.add_data_validation(_dropdown(names, "B3", strict=False))


def _requirement_box(ws: Worksheet, labels: dict[str, str]) -> None:
    first, last = REQUIREMENT_ROWS
    _section(ws, first - 1, labels["requirement"])
    _box(ws, f"A{first}:F{last}", _TOP_WRAP)
    for r in range(first, last + 1):
        ws.row_dimensions[r].height = 22


def _review_table(ws: Worksheet, labels: dict[str, str], departments: list[str]) -> int:
    """Header and one row per reviewing department; returns the last row used."""
    header = REVIEW_HEADER_ROW
    _section(ws, header - 1, labels["reviews"])
    ws.merge_cells(f"C{header}:D{header}")
    columns = (("A", "department"), ("B", "opinion"), ("C", "comment"), ("E", "reviewer"), ("F", "date"))
    for col, key in columns:
        _label(ws[f"{col}{header}"], labels[key])
    ws[f"D{header}"].border = _BORDER
    r = header
    for r, name in enumerate(departments, start=header + 1):
        ws[f"A{r}"].value = name
        for col in "ABEF":
            ws[f"{col}{r}"].border = _BORDER
            ws[f"{col}{r}"].alignment = _CENTER
        _box(ws, f"C{r}:D{r}", _TOP_WRAP)
        ws[f"F{r}"].number_format = DATE_FORMAT
        ws.row_dimensions[r].height = 36
    if departments:
        ws.add_data_validation(_dropdown(_inline(list(REVIEW_OPINIONS)), f"B{header + 1}:B{r}"))
    return r


def _approval_block(ws: Worksheet, labels: dict[str, str], row: int) -> int:
    """总经理 decision, signature and date; returns the last row used."""
    _section(ws, row, labels["approval"])
    r = row + 1
    for col, key in (("A", "decision"), ("C", "signature"), ("E", "date")):
        _label(ws[f"{col}{r}"], labels[key])
    for col in "BDF":
        ws[f"{col}{r}"].border = _BORDER
        ws[f"{col}{r}"].alignment = _CENTER
    ws[f"F{r}"].number_format = DATE_FORMAT
    ws.row_dimensions[r].height = 30
    ws.add_data_validation(_dropdown(_inline(list(APPROVALS)), f"B{r}"))
    return r


def _footer(ws: Worksheet, labels: dict[str, str], row: int) -> None:
    for col, key in (("A", "prepared"), ("C", "checked"), ("E", "approved")):
        ws[f"{col}{row}"].value = labels[key]
        ws[f"{col}{row}"].alignment = Alignment(horizontal="right", vertical="center")
        ws[f"{chr(ord(col) + 1)}{row}"].border = Border(bottom=_THIN)
    ws.row_dimensions[row].height = 24


def _name_cells(ws: Worksheet, cells: dict[str, str]) -> None:
    for key, ref in cells.items():
        absolute = ":".join(_absolute(part) for part in ref.split(":"))
        name = f"xlcsr_{key}"
        ws.parent.defined_names[name] = DefinedName(name, attr_text=f"{ws.title}!{absolute}")


def _absolute(ref: str) -> str:
    letters = "".join(ch for ch in ref if ch.isalpha())
    return f"${letters}${ref[len(letters):]}"


# ---------------------------------------------------------------- shared pieces


def _title_rows(ws: Worksheet, title: str, subtitle: str, last: str) -> None:
    ws["A1"] = title
    ws["A1"].font, ws["A1"].alignment = _TITLE_FONT, _CENTER
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 32
    ws["A2"] = subtitle
    ws["A2"].alignment = Alignment(horizontal="right", vertical="center")
    ws.merge_cells(f"A2:{last}2")


def _section(ws: Worksheet, row: int, text: str) -> None:
    ws[f"A{row}"].value = text
    _box(ws, f"A{row}:F{row}", Alignment(horizontal="left", vertical="center"))
    ws[f"A{row}"].font, ws[f"A{row}"].fill = _HEADER_FONT, _SECTION_FILL
    ws.row_dimensions[row].height = 22


def _label(cell, text: str) -> None:  # noqa: ANN001 - an openpyxl cell
    cell.value = text
    _style_header(cell)


def _box(ws: Worksheet, rng: str, alignment: Alignment = _CENTER) -> None:
    """Merge a range (when wider than one cell) and border every cell of it."""
    first, _, last = rng.partition(":")
    if last and last != first:
        ws.merge_cells(rng)
    for row in ws[f"{first}:{last or first}"]:
        for cell in row:
            cell.border = _BORDER
    ws[first].alignment = alignment


def _style_header(cell) -> None:  # noqa: ANN001 - an openpyxl cell
    cell.font, cell.fill, cell.border, cell.alignment = _HEADER_FONT, _HEADER_FILL, _BORDER, _CENTER


def _dropdown(formula: str, sqref: str, *, strict: bool = True) -> DataValidation:
    """A list dropdown; `strict` False lets the user type anything (several departments)."""
    dv = DataValidation(type="list", formula1=formula, allow_blank=True,
                        showErrorMessage=strict, showInputMessage=True)
    dv.add(sqref)
    return dv


def _inline(values: Sequence[str]) -> str:
    return '"' + ",".join(values) + '"'


def _print_setup(ws: Worksheet, *, landscape: bool, fit_height: bool) -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if fit_height else 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "&P / &N"


def _lang(lang: str) -> str:
    if lang not in _TEXT:
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    return lang


# ---------------------------------------------------------------- files


def _target(path: str | Path, default_name: str) -> Path:
    path = Path(path)
    return path / default_name if path.is_dir() else path


def _save(wb: Workbook, target: Path) -> Path:
    buffer = io.BytesIO()
    wb.save(buffer)
    write_atomically(target, buffer.getvalue(), backup=False)
    return target


def main(argv: Sequence[str] | None = None) -> None:
    """python -m xlcsr.files.new_books DIR [--lang en]: (re)write both workbooks into DIR."""
    import argparse  # only this command line needs it

    parser = argparse.ArgumentParser(prog="python -m xlcsr.files.new_books",
                                     description="写出空白清单与评审记录表 / write the blank workbooks. "
                                                 "Example: python -m xlcsr.files.new_books workbooks/")
    parser.add_argument("directory", nargs="?", default="workbooks")
    parser.add_argument("--lang", choices=sorted(_TEXT), default="zh")
    args = parser.parse_args(argv)
    folder = Path(args.directory)
    folder.mkdir(parents=True, exist_ok=True)
    print(make_register(folder / REGISTER_FILE, lang=args.lang))
    print(make_review_form(folder / REVIEW_FILE, lang=args.lang))


if __name__ == "__main__":
    main()
