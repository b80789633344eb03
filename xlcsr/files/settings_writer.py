"""Write the 设置 sheet with openpyxl: the blocks of `xlcsr.workbook.settings_sheet`, styled for editing in Excel.

    >>> write_settings_sheet(workbook.create_sheet("设置"), DEFAULT_SETTINGS)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from xlcsr.domain.fields import FIELD_BY_KEY
from xlcsr.domain.settings import DEFAULT_SETTINGS, Settings
from xlcsr.domain.vocab import DATE_FORMAT
from xlcsr.workbook.settings_sheet import (
    BLOCK_COLUMNS,
    BLOCKS,
    FIRST_DATA_ROW,
    HEADER_ROW,
    LIST_LAST_ROW,
    LIST_NAMES,
    PARAMS,
    TITLE_ROW,
    Block,
    column_of,
    list_range,
)

_BOLD = Font(bold=True)
_TITLE_FONT = Font(bold=True, size=14)
_BLOCK_FILL = PatternFill("solid", fgColor="FCE4D6")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TITLE = {
    "zh": "设置（可增删行、整块移动；请勿改动【块标题】和列标题的文字）",
    "en": "Settings (add or delete rows, move whole blocks; keep the 【block titles】 and headers)",
}


def write_settings_sheet(ws: Worksheet, settings: Settings = DEFAULT_SETTINGS, *, lang: str = "zh") -> None:
    """Fill an empty worksheet with `settings` as blocks, and define the dropdown list names."""
    ws.cell(1, 1, _TITLE["en" if lang == "en" else "zh"]).font = _TITLE_FONT
    for block in BLOCKS:
        _write_block(ws, block, BLOCK_COLUMNS[block.key], block_rows(block.key, settings, lang), lang)
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"
    ws.sheet_view.zoomScale = 90
    _print_setup(ws)
    define_list_names(ws)
    _add_sheet_validations(ws)


def define_list_names(ws: Worksheet) -> None:
    """(Re)define the xlcsr_… names over the list columns of this 设置 sheet."""
    names = ws.parent.defined_names
    for name in LIST_NAMES:
        names[name] = DefinedName(name, attr_text=list_range(name, ws.title))


def _write_block(ws: Worksheet, block: Block, first: int, rows: list[tuple[object, ...]], lang: str) -> None:
    title = ws.cell(TITLE_ROW, first, block.title(lang))
    title.font, title.fill = _BOLD, _BLOCK_FILL
    for offset, col in enumerate(block.columns):
        cell = ws.cell(HEADER_ROW, first + offset, col.en if lang == "en" else col.zh)
        cell.font, cell.fill, cell.border = _BOLD, _HEADER_FILL, _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, values in enumerate(rows, start=FIRST_DATA_ROW):
        for offset, value in enumerate(values):
            cell = ws.cell(r, first + offset, None if value == "" else value)
            if isinstance(value, str) and value:
                cell.data_type = "s"  # text stays text, even if it starts with '='
            if isinstance(value, date):
                cell.number_format = DATE_FORMAT
    for offset, col in enumerate(block.columns):
        texts = [col.en if lang == "en" else col.zh, *(v[offset] for v in rows)]
        ws.column_dimensions[get_column_letter(first + offset)].width = _width(texts)
    ws.column_dimensions[get_column_letter(first + len(block.columns))].width = 3


def _print_setup(ws: Worksheet) -> None:
    """A4 landscape, all blocks on one page width, block titles and headers on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{TITLE_ROW}:{HEADER_ROW}"


def _width(values: Sequence[object]) -> float:
    """A column width that shows the longest value; CJK characters count double."""
    longest = max((_display_len(v) for v in values), default=4)
    return min(max(longest + 3, 8), 60)


def _display_len(value: object) -> int:
    text = value.isoformat() if isinstance(value, date) else str(value if value is not None else "")
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def block_rows(key: str, s: Settings, lang: str = "zh") -> list[tuple[object, ...]]:
    """The rows block `key` of 设置 shows for `s` (the benchmark's register writes the same)."""
    match key:
        case "categories" | "sources":
            return [(name,) for name in getattr(s, key)]
        case "departments":
            return [(d.name, d.head, d.email, d.manager_email) for d in s.departments]
        case "people":
            return [(p.name, p.department, p.email) for p in s.people]
        case "priorities":
            return [(p.name, p.english, p.sla_days) for p in s.priorities]
        case "holidays" | "workdays":
            return [(h.day, h.note) for h in getattr(s, key)]
        case "parameters":
            en = lang == "en"
            return [(p.en if en else p.zh, _shown(getattr(s, p.key)), p.note_en if en else p.note_zh) for p in PARAMS]
        case "columns":
            return [(header, _field_name(field, lang)) for header, field in s.column_map.items()]
        case "values":
            return [(_field_name(field, lang), word, value) for field, words in s.value_map.items()
                    for word, value in words.items()]
    raise KeyError(key)


def _field_name(key: str, lang: str) -> str:
    field = FIELD_BY_KEY[key]
    return field.english if lang == "en" else field.header


def _add_sheet_validations(ws: Worksheet) -> None:
    """Dropdowns inside 设置 itself: a person's department, the default priority."""
    dept = get_column_letter(column_of("people", "department"))
    _list_validation(ws, "xlcsr_部门", f"{dept}{FIRST_DATA_ROW}:{dept}{LIST_LAST_ROW}")
    value = get_column_letter(column_of("parameters", "value"))
    row = FIRST_DATA_ROW + [p.key for p in PARAMS].index("default_priority")
    _list_validation(ws, "xlcsr_优先级", f"{value}{row}")


def _list_validation(ws: Worksheet, formula: str, sqref: str) -> None:
    dv = DataValidation(type="list", formula1=formula, allow_blank=True)
    dv.add(sqref)
    ws.add_data_validation(dv)


# ---------------------------------------------------------------- reading


def _shown(value: object) -> object:
    """A parameter as its cell holds it: a list of names joined with 、."""
    return "、".join(value) if isinstance(value, tuple) else value
