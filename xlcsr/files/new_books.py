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
"""

from __future__ import annotations

import argparse
import copy
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from enum import Enum
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

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
    STATUSES,
)
from xlcsr.files.settings_writer import write_settings_sheet
from xlcsr.workbook.changelog import CHANGELOG_HEADERS
from xlcsr.workbook.forms import FIELD_ROWS, REQUIREMENT_ROWS, REVIEW_HEADER_ROW, review_cells, review_departments

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

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
_HEADER_FONT = Font(bold=True)
_REQUIRED_FONT = Font(bold=True, color="C00000")
_TITLE_FONT = Font(bold=True, size=16)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_TOP_WRAP = Alignment(vertical="top", wrap_text=True)

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

    `extra_headers` are columns of the user's own after the template's, `extra_rows[i]` the values
    of row i in them (see `write_register_sheet`).
    """
    target = _target(path, REGISTER_FILE)
    wb = Workbook()
    ws = wb.active
    ws.title = REGISTER_SHEET
    write_settings_sheet(wb.create_sheet(SETTINGS_SHEET), settings, lang=lang)
    write_register_sheet(ws, settings, list(rows), lang=lang, extra_headers=extra_headers, extra_rows=extra_rows)
    write_changelog_sheet(wb.create_sheet(CHANGELOG_SHEET), lang=lang)
    return _save(wb, target)


def write_register_sheet(ws: Worksheet, settings: Settings = DEFAULT_SETTINGS,
                         rows: Sequence[Mapping[str, object]] = (), *, lang: str = "zh",
                         extra_headers: Sequence[str] = (), extra_rows: Sequence[Sequence[object]] = ()) -> None:
    """Title, form number, header row 3, `rows` from row 4, formats and dropdowns for 1000 rows.

    Extra columns (`extra_headers`, values `extra_rows[i]` for `rows[i]`) follow the template's,
    their values as given: text stays text, dates get the date format.
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
    styled: dict[tuple[int, str], object] = {}  # this workbook's style arrays, by column and number format
    for i, row in enumerate(rows):
        _write_record(ws, FIRST_DATA_ROW + i, row, extra_rows[i] if i < len(extra_rows) else (), styled)
    _format_data_area(ws)
    _register_validations(ws, settings, lang)
    ws.freeze_panes = f"B{FIRST_DATA_ROW}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + max(len(rows), 1)}"
    _print_setup(ws, landscape=True, fit_height=False)
    ws.print_title_rows = f"1:{HEADER_ROW}"


def write_changelog_sheet(ws: Worksheet, *, lang: str = "zh") -> None:
    """The 变更记录 sheet: one header row, ready for xlcsr to append changes."""
    widths = (20, 16, 12, 32, 32, 8, 12)
    for c, ((zh, en), width) in enumerate(zip(CHANGELOG_HEADERS, widths), start=1):
        _style_header(ws.cell(1, c, en if lang == "en" else zh))
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "A2"
    _print_setup(ws, landscape=True, fit_height=False)
    ws.print_title_rows = "1:1"


def _header_row(ws: Worksheet, lang: str) -> None:
    for c, field in enumerate(FIELDS, start=1):
        cell = ws.cell(HEADER_ROW, c, field.english if lang == "en" else field.header)
        _style_header(cell)
        if field.required:
            cell.font = _REQUIRED_FONT
        ws.column_dimensions[get_column_letter(c)].width = _WIDTHS.get(field.key, 12)
    ws.row_dimensions[HEADER_ROW].height = 30


def _write_record(ws: Worksheet, r: int, row: Mapping[str, object], extras: Sequence[object] = (),
                  styled: dict[tuple[int, str], object] | None = None) -> None:
    unknown = set(row) - set(_LETTER)
    if unknown:
        raise ValueError(f"unknown register fields: {', '.join(sorted(unknown))}")
    values = [_cell_value(field, row.get(field.key)) for field in FIELDS]
    values += [None if value == "" else value for value in extras]
    for c, value in enumerate(values, start=1):
        cell = ws.cell(r, c, value)
        number_format = None
        if isinstance(value, str):
            cell.data_type = "s"  # user text stays text, even when it starts with '=' or looks like 007
        elif isinstance(value, date):  # formatted here too: below the 1000 formatted rows, in extra columns
            dated = c <= len(FIELDS) and FIELDS[c - 1].kind is Kind.DATE
            timed = isinstance(value, datetime) and value.time() != time() and not dated
            number_format = DATETIME_FORMAT if timed else DATE_FORMAT
        _style_data_cell(cell, number_format, {} if styled is None else styled)


def _style_data_cell(cell, number_format: str | None, styled: dict[tuple[int, str], object]) -> None:  # noqa: ANN001
    """Border (and a date format) on a data cell. openpyxl interns a style per assignment, which costs
    milliseconds a cell; a cell of the same workbook styled the same way lends its style array instead."""
    key = (cell.column, cell.number_format if number_format is None else number_format)
    if key in styled:
        cell._style = copy.copy(styled[key])
        return
    if number_format:
        cell.number_format = number_format
    cell.border = _BORDER
    styled[key] = copy.copy(cell._style)


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


def _format_data_area(ws: Worksheet) -> None:
    """Date format on date columns and wrapped text on long-text columns, over the data area."""
    for field in FIELDS:
        letter = _LETTER[field.key]
        if field.kind is Kind.DATE:
            for r in range(FIRST_DATA_ROW, LAST_DATA_ROW + 1):
                ws[f"{letter}{r}"].number_format = DATE_FORMAT
        elif field.key in _WRAP_KEYS:
            for r in range(FIRST_DATA_ROW, LAST_DATA_ROW + 1):
                ws[f"{letter}{r}"].alignment = _TOP_WRAP


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
