"""The 设置 sheet: side-by-side blocks the user edits in Excel, read back by text.

    >>> import openpyxl, python_calamine
    >>> wb = openpyxl.Workbook(); ws = wb.active; ws.title = "设置"
    >>> write_settings_sheet(ws, DEFAULT_SETTINGS); wb.save("book.xlsx")  # xlcsr.files.settings_writer
    >>> book = python_calamine.CalamineWorkbook.from_path("book.xlsx")            # doctest: +SKIP
    >>> settings_from_rows(book.get_sheet_by_name("设置").to_python(skip_empty_area=False))  # doctest: +SKIP
    Settings(categories=('产品', '测量', ...), ...)

Layout as written (row 1 a title, row 2 block titles, row 3 column headers, data from row 4, one
blank column between blocks): 【类别】A · 【来源】C · 【部门】E:H · 【人员】J:L · 【优先级】N:P ·
【节假日】R:S · 【调休上班日】U:V · 【参数】X:Z. The reader does not rely on these positions: it finds
each bracketed block title anywhere in the sheet, the headers in the row under it by text (Chinese or
English), and reads down to the block's first fully empty row. A block missing from the sheet keeps
its default; a value xlcsr cannot use raises `BadSettings` naming the cell, e.g. `设置!N5`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import NoReturn

from pydantic import ValidationError

from xlcsr.domain.case_pattern import CasePattern
from xlcsr.domain.dates import parse_date
from xlcsr.domain.errors import BadSettings
from xlcsr.domain.fields import FIELD_BY_KEY, FIELDS, field_for_header, normalize, split_list
from xlcsr.domain.records import cell_text, column_letter
from xlcsr.domain.settings import DEFAULT_SETTINGS, CalendarDay, Department, Person, Priority, Settings
from xlcsr.domain.vocab import CONTRACT_TYPES, DATE_LIST_NAMES, SETTINGS_SHEET, STATUSES

TITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 2, 3, 4
LIST_LAST_ROW = 200


@dataclass(frozen=True)
class Col:
    """A column of a block: the key it fills, its Chinese and English header, other accepted names."""

    key: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return (self.zh, self.en, *self.aliases)


@dataclass(frozen=True)
class Block:
    """A block of the 设置 sheet: title 【zh】 or 【en】, then its columns."""

    key: str
    zh: str
    en: str
    columns: tuple[Col, ...]
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.zh, self.en, *self.aliases)

    def title(self, lang: str) -> str:
        return f"【{self.en if lang == 'en' else self.zh}】"


@dataclass(frozen=True)
class Param:
    """A row of the 【参数】 block and the Settings field it sets."""

    key: str
    zh: str
    en: str
    note_zh: str
    note_en: str
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.zh, self.en, self.key, *self.aliases)


_EMAIL = ("邮箱", "E-mail", ("Email", "邮件", "电子邮箱", "Mail"))
_DATE_COLS = (Col("day", "日期", "Date", (), True), Col("note", "说明", "Note", ("备注", "Remarks")))

BLOCKS: tuple[Block, ...] = (
    Block("categories", "类别", "Categories", (Col("name", "类别", "Category", ("Categories",), True),),
          ("Category",)),
    Block("sources", "来源", "Sources", (Col("name", "来源", "Source", ("Sources",), True),), ("Source",)),
    Block("departments", "部门", "Departments", (
        Col("name", "部门", "Department", ("部门名称",), True),
        Col("head", "部门负责人", "Head", ("负责人", "Department head")),
        Col("email", "部门邮箱", "E-mail", ("Department e-mail", "Department email", "Email", "邮箱")),
        Col("manager_email", "经理邮箱", "Manager e-mail", ("Manager email", "上级邮箱"))), ("Department",)),
    Block("people", "人员", "People", (
        Col("name", "姓名", "Name", ("人员",), True),
        Col("department", "所属部门", "Department", ("部门",)),
        Col("email", *_EMAIL)), ("Person", "Persons")),
    Block("priorities", "优先级", "Priorities", (
        Col("name", "优先级", "Priority", (), True),
        Col("english", "英文", "English", ("英文名称",)),
        Col("sla_days", "时限(工作日)", "SLA (working days)", ("时限", "SLA", "SLA days", "Working days"), True)),
          ("Priority",)),
    Block("holidays", "节假日", "Holidays", _DATE_COLS, ("法定节假日", "假日", "CalendarDay")),
    Block("workdays", "调休上班日", "Make-up workdays", _DATE_COLS,
          ("调休", "调休日", "Makeup workdays", "Workdays", "Make-up workday")),
    Block("parameters", "参数", "Parameters", (
        Col("name", "参数", "Parameter", ("参数名称",), True),
        Col("value", "值", "Value", ("参数值", "数值"), True),
        Col("note", "说明", "Note", ("备注",))), ("Parameter",)),
    Block("columns", "列映射", "Column mapping", (
        Col("header", "表头", "Header", ("列名", "原表头"), True),
        Col("field", "字段", "Field", ("映射为", "对应字段"), True)), ("列名映射", "Columns")),
    Block("values", "值映射", "Value mapping", (
        Col("field", "字段", "Field", ("列",), True),
        Col("word", "原值", "Word", ("用户写法", "原文"), True),
        Col("value", "映射为", "Value", ("对应值", "标准值"), True)), ("Values",)),
)
MAPPED_CHOICES = ("status", "priority", "contract_type", "category", "source")  # fields 【值映射】 may map
BLOCK_BY_KEY: dict[str, Block] = {b.key: b for b in BLOCKS}

PARAMS: tuple[Param, ...] = (
    Param("case_pattern", "案件号格式", "Case number pattern",
          "{year} 为接收年份，{seq:04d} 为四位流水号，须含 {seq}",
          "{year} = year received, {seq:04d} = 4-digit sequence; {seq} is required"),
    Param("default_priority", "默认优先级", "Default priority",
          "优先级为空时按此优先级计算截止日期", "used when a row has no priority"),
    Param("lead_days", "提醒提前天数", "Reminder lead days",
          "截止日期前几天开始提醒负责人", "remind owners this many days before the due date",
          ("提醒天数",)),
    Param("escalation_days", "升级天数", "Escalation days",
          "逾期超过几个工作日后汇总报告部门经理", "report to the manager after this many working days overdue",
          ("逾期升级天数",)),
    Param("review_days", "评审期限(工作日)", "Review days (working days)",
          "接收后须在几个工作日内完成评审（IATF 16949 §7.5.3.2.2）",
          "working days after receipt by which review must be done (IATF 16949 §7.5.3.2.2)",
          ("评审期限", "Review days")),
    Param("digest_limit", "邮件每类最多案件数", "Cases per e-mail section",
          "提醒邮件每一类最多列出几项，其余请在清单中查看", "at most this many cases per section of a reminder",
          ("提醒邮件最多案件数",)),
    Param("date_sensitive", "日期相关部门", "Date-sensitive departments",
          "截止日期变更时须重新评审的部门，用、分隔", "departments that review again when the due date changes",
          ("交期相关部门",)),
)

# Defined names for the register's dropdowns: name → (block, column).
LIST_NAMES: dict[str, tuple[str, str]] = {
    "xlcsr_类别": ("categories", "name"),
    "xlcsr_来源": ("sources", "name"),
    "xlcsr_部门": ("departments", "name"),
    "xlcsr_人员": ("people", "name"),
    "xlcsr_优先级": ("priorities", "name"),
}



def _start_columns() -> dict[str, int]:
    start, col = {}, 1
    for block in BLOCKS:
        start[block.key] = col
        col += len(block.columns) + 1
    return start


BLOCK_COLUMNS: dict[str, int] = _start_columns()  # block key → 1-based first column as written


def column_of(block: str, key: str) -> int:
    """The 1-based column where write_settings_sheet puts `key` of `block`."""
    cols = BLOCK_BY_KEY[block].columns
    return BLOCK_COLUMNS[block] + [c.key for c in cols].index(key)


def list_range(name: str, sheet: str = SETTINGS_SHEET) -> str:
    """The reference a dropdown defined name points at, e.g. 设置!$A$4:$A$200."""
    letter = column_letter(column_of(*LIST_NAMES[name]) - 1)
    return f"{_sheet_ref(sheet)}!${letter}${FIRST_DATA_ROW}:${letter}${LIST_LAST_ROW}"


def _sheet_ref(sheet: str) -> str:
    return sheet if re.fullmatch(r"\w+", sheet) else "'" + sheet.replace("'", "''") + "'"


def date_list_refs(rows: list[list[object]], sheet: str = SETTINGS_SHEET) -> dict[str, str]:
    """Defined name → the date column of its block where the sheet has it, e.g. 设置!$R$4:$R$200.

    The range runs to row LIST_LAST_ROW (room for dates added in Excel), or to just above the first
    cell below the block's dates that holds something else.
    """
    found = _find_blocks(rows)
    refs = {}
    for name, key in DATE_LIST_NAMES.items():
        block = found.get(key)
        if block is None:
            continue
        day = _header_columns(rows, block.block, block.row, block.col)["day"]
        first = block.row + 2  # 0-based
        end = max(LIST_LAST_ROW, first + len(block.rows))  # 0-based, exclusive
        for r in range(first + len(block.rows), end):
            if _text(_cell(rows, r, day)):
                end = r
                break
        letter = column_letter(day)
        refs[name] = f"{_sheet_ref(sheet)}!${letter}${first + 1}:${letter}${max(end, first + 1)}"
    return refs


@dataclass(frozen=True)
class _Row:
    """A data row of a block: its 0-based sheet row and, per column key, (0-based column, value)."""

    index: int
    cells: dict[str, tuple[int, object]]

    def value(self, key: str) -> object:
        return self.cells.get(key, (0, ""))[1]

    def text(self, key: str) -> str:
        return _text(self.value(key))

    def ref(self, key: str) -> tuple[int, int]:
        return self.index, self.cells[key][0]


@dataclass(frozen=True)
class _Found:
    block: Block
    row: int
    col: int
    rows: list[_Row]


def settings_from_rows(rows: list[list[object]], *, date1904: bool = False) -> Settings:
    """The Settings a 设置 sheet holds, given its values from A1 (python-calamine `to_python`).

    Serial-number dates count from the workbook's epoch (`date1904`).
    """
    found = _find_blocks(rows)
    if not found:
        titles = "、".join(b.title("zh") for b in BLOCKS)
        raise BadSettings(f"{SETTINGS_SHEET} 表中找不到任何设置块（如 {titles}）/ "
                          f"no settings block such as 【Categories】 found in sheet {SETTINGS_SHEET}")
    values: dict[str, object] = {}
    for key, parse in _PARSERS.items():
        if key in found:
            values.update(parse(found[key], {**values, _DATE1904: date1904}))
    merged = {**dict(DEFAULT_SETTINGS), **values, "from_defaults": False}
    _check_people(found.get("people"), merged)
    _check_default_priority(found.get("parameters"), found.get("priorities"), merged)
    try:
        return Settings(**merged)
    except ValidationError as exc:  # every rule above should have caught it first
        raise BadSettings(f"{SETTINGS_SHEET} 表的设置无效：{exc} / invalid settings in sheet {SETTINGS_SHEET}") from exc


def _find_blocks(rows: list[list[object]]) -> dict[str, _Found]:
    found: dict[str, _Found] = {}
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            block = _block_for_title(value)
            if block is None:
                continue
            if block.key in found:
                first = found[block.key]
                _bad(r, c, f"块标题 {block.title('zh')} 出现了两次（另一个在 {_ref(first.row, first.col)}）",
                     f"block {block.title('en')} appears twice (also at {_ref(first.row, first.col)})")
            found[block.key] = _read_block(rows, block, r, c)
    return found


_BRACKETS = re.compile(r"^[【\[［〔](.+?)[】\]］〕]$")
_TITLES: dict[str, Block] = {normalize(n): b for b in BLOCKS for n in b.names}


def _block_for_title(value: object) -> Block | None:
    if not isinstance(value, str):
        return None
    match = _BRACKETS.match(value.strip())
    return _TITLES.get(normalize(match[1])) if match else None


def _read_block(rows: list[list[object]], block: Block, r: int, c: int) -> _Found:
    columns = _header_columns(rows, block, r, c)
    span = range(c, max([c, *columns.values()]) + 1)
    data: list[_Row] = []
    for index in range(r + 2, len(rows)):
        if all(_text(_cell(rows, index, cc)) == "" for cc in span):
            break
        data.append(_Row(index, {key: (cc, _cell(rows, index, cc)) for key, cc in columns.items()}))
    return _Found(block, r, c, data)


def _header_columns(rows: list[list[object]], block: Block, r: int, c: int) -> dict[str, int]:
    """Column key → 0-based column, from the contiguous headers under the block title."""
    by_name = {normalize(n): col.key for col in block.columns for n in col.names}
    columns: dict[str, int] = {}
    cc = c
    while _text(_cell(rows, r + 1, cc)):
        key = by_name.get(normalize(_text(_cell(rows, r + 1, cc))))
        if key and key not in columns:
            columns[key] = cc
        cc += 1
    missing = [col for col in block.columns if col.required and col.key not in columns]
    if missing:
        _bad(r + 1, c, f"{block.title('zh')} 下一行缺少列标题「{missing[0].zh}」",
             f"block {block.title('en')} lacks the header '{missing[0].en}' in the row under its title")
    return columns


def _cell(rows: list[list[object]], r: int, c: int) -> object:
    if 0 <= r < len(rows) and 0 <= c < len(rows[r]):
        return rows[r][c]
    return ""


# --- one parser per block: (found block, values parsed so far) → Settings fields


def _names(found: _Found, what_zh: str, what_en: str) -> tuple[str, ...]:
    names = _unique_names(found, "name", what_zh, what_en)
    if not names:
        _bad(found.row, found.col, f"{found.block.title('zh')} 至少需要一行", f"{found.block.title('en')} is empty")
    return tuple(names)


def _parse_categories(found: _Found, _: dict[str, object]) -> dict[str, object]:
    return {"categories": _names(found, "类别", "category")}


def _parse_sources(found: _Found, _: dict[str, object]) -> dict[str, object]:
    return {"sources": _names(found, "来源", "source")}


def _parse_departments(found: _Found, _: dict[str, object]) -> dict[str, object]:
    names = _unique_names(found, "name", "部门", "department")
    departments = []
    for row, name in zip(found.rows, names):
        departments.append(Department(name=name, head=row.text("head"), email=_email(row, "email"),
                                      manager_email=_email(row, "manager_email")))
    return {"departments": tuple(departments)}


def _parse_people(found: _Found, _: dict[str, object]) -> dict[str, object]:
    names = _unique_names(found, "name", "姓名", "name")
    people = [Person(name=name, department=row.text("department"), email=_email(row, "email"))
              for row, name in zip(found.rows, names)]
    return {"people": tuple(people)}


def _parse_priorities(found: _Found, _: dict[str, object]) -> dict[str, object]:
    names = _names(found, "优先级", "priority")
    priorities, english_seen = [], {}
    for row, name in zip(found.rows, names):
        english = row.text("english") or name
        if english.lower() in english_seen and "english" in row.cells:
            _bad(*row.ref("english"), f"英文名称「{english}」重复（已用于「{english_seen[english.lower()]}」）",
                 f"English name '{english}' is used twice")
        english_seen[english.lower()] = name
        days = _whole(row, "sla_days", "时限（工作日）", "SLA (working days)")
        priorities.append(Priority(name=name, english=english, sla_days=days))
    return {"priorities": tuple(priorities)}


def _parse_days(field: str) -> Callable[[_Found, dict[str, object]], dict[str, object]]:
    def parse(found: _Found, values: dict[str, object]) -> dict[str, object]:
        days, seen = [], {}
        other = {h.day for h in values.get("holidays", ())} if field == "workdays" else set()
        for row in found.rows:
            day = _date(row, "day", bool(values.get(_DATE1904)))
            if day in seen:
                _bad(*row.ref("day"), f"日期 {day.isoformat()} 重复（第 {seen[day] + 1} 行已有）",
                     f"date {day.isoformat()} is listed twice")
            if day in other:
                _bad(*row.ref("day"), f"{day.isoformat()} 同时列为节假日和调休上班日",
                     f"{day.isoformat()} is both a holiday and a make-up workday")
            seen[day] = row.index
            days.append(CalendarDay(day=day, note=row.text("note")))
        return {field: tuple(days)}
    return parse


def _parse_parameters(found: _Found, _: dict[str, object]) -> dict[str, object]:
    by_name = {normalize(n): p for p in PARAMS for n in p.names}
    values: dict[str, object] = {}
    for row in found.rows:
        param = by_name.get(normalize(row.text("name")))
        if param is None:
            known = "、".join(p.zh for p in PARAMS)
            _bad(*row.ref("name"), f"未知参数「{row.text('name')}」（可用：{known}）",
                 f"unknown parameter '{row.text('name')}'")
        if param.key in values:
            _bad(*row.ref("name"), f"参数「{param.zh}」出现了两次", f"parameter '{param.en}' appears twice")
        values[param.key] = _PARAM_VALUE[param.key](row, param)
    return values


def _case_pattern(row: _Row, param: Param) -> str:
    pattern = row.text("value")
    try:
        CasePattern(pattern).format(2026, 1)
    except (ValueError, KeyError, IndexError, AttributeError) as exc:
        _bad(*row.ref("value"),
             f"案件号格式「{pattern}」无效：须含 {{seq}}（可含 {{year}}），如 CSR-{{year}}-{{seq:04d}}",
             f"case number pattern '{pattern}' is not usable ({exc}); it needs {{seq}}, "
             "e.g. CSR-{year}-{seq:04d}")
    return pattern


def _default_priority(row: _Row, param: Param) -> str:
    if not row.text("value"):
        _bad(*row.ref("value"), "默认优先级为空", "the default priority is empty")
    return row.text("value")


def _whole_param(row: _Row, param: Param) -> int:
    return _whole(row, "value", param.zh, param.en)


def _positive_param(row: _Row, param: Param) -> int:
    number = _whole(row, "value", param.zh, param.en)
    if number < 1:
        _bad(*row.ref("value"), f"{param.zh}须为正整数，而不是 0", f"{param.en} must be at least 1, not 0")
    return number


def _names_param(row: _Row, _: Param) -> tuple[str, ...]:
    return tuple(split_list(row.text("value")))


_PARAM_VALUE: dict[str, Callable[[_Row, Param], object]] = {
    "case_pattern": _case_pattern,
    "default_priority": _default_priority,
    "lead_days": _whole_param,
    "escalation_days": _whole_param,
    "review_days": _whole_param,
    "digest_limit": _positive_param,
    "date_sensitive": _names_param,
}

def _field_of(row: _Row, key: str) -> str:
    """The register field a cell names (its header, an alias, the English header or the key)."""
    text = row.text(key)
    field = field_for_header(text) or FIELD_BY_KEY.get(text)
    if field is None:
        _bad(*row.ref(key), f"「{text}」不是清单的字段（可用：{'、'.join(f.header for f in FIELDS)}）",
             f"'{text}' is not a register field")
    return field.key


def _parse_columns(found: _Found, _: dict[str, object]) -> dict[str, object]:
    mapping: dict[str, str] = {}
    where: dict[str, tuple[int, int]] = {}
    claimed: dict[str, tuple[int, int]] = {}
    for row in found.rows:
        header, key = normalize(row.text("header")), _field_of(row, "field")
        if not header:
            _bad(*row.ref("header"), "本行填了字段但表头为空", "the header is empty on a filled row")
        if header in where:
            _bad(*row.ref("header"), f"表头「{row.text('header')}」映射了两次（另一处在 {_ref(*where[header])}）",
                 f"header '{row.text('header')}' is mapped twice (also at {_ref(*where[header])})")
        if key in claimed:
            _bad(*row.ref("field"), f"两列都映射为「{FIELD_BY_KEY[key].header}」（另一处在 {_ref(*claimed[key])}）",
                 f"two columns are mapped to {FIELD_BY_KEY[key].english} (also at {_ref(*claimed[key])})")
        mapping[header], where[header], claimed[key] = key, row.ref("header"), row.ref("field")
    return {"column_map": mapping}


def _parse_values(found: _Found, values: dict[str, object]) -> dict[str, object]:
    merged = {**dict(DEFAULT_SETTINGS), **values}
    allowed = {"status": tuple(STATUSES), "contract_type": tuple(CONTRACT_TYPES),
               "priority": tuple(p.name for p in merged["priorities"]),  # type: ignore[attr-defined]
               "category": tuple(merged["categories"]), "source": tuple(merged["sources"])}  # type: ignore[arg-type]
    mapping: dict[str, dict[str, str]] = {}
    for row in found.rows:
        key = _field_of(row, "field")
        if key not in MAPPED_CHOICES:
            shown = "、".join(FIELD_BY_KEY[k].header for k in MAPPED_CHOICES)
            _bad(*row.ref("field"), f"值映射只用于 {shown}，不用于「{row.text('field')}」",
                 f"value mappings are for {', '.join(MAPPED_CHOICES)} only")
        target = row.text("value")
        if target not in allowed[key]:
            _bad(*row.ref("value"), f"「{target}」不是{FIELD_BY_KEY[key].header}的可选值（{'、'.join(allowed[key])}）",
                 f"'{target}' is not a value of {FIELD_BY_KEY[key].english}")
        mapping.setdefault(key, {})[row.text("word")] = target
    return {"value_map": mapping}


_DATE1904 = "_date1904"  # passed to the parsers beside the values parsed so far, never a Settings field
_PARSERS: dict[str, Callable[[_Found, dict[str, object]], dict[str, object]]] = {
    "categories": _parse_categories,
    "sources": _parse_sources,
    "departments": _parse_departments,
    "people": _parse_people,
    "priorities": _parse_priorities,
    "holidays": _parse_days("holidays"),
    "workdays": _parse_days("workdays"),
    "parameters": _parse_parameters,
    "columns": _parse_columns,
    "values": _parse_values,
}


def _check_people(found: _Found | None, merged: dict[str, object]) -> None:
    """Every person's department must be a configured department."""
    if found is None:
        return
    departments = {d.name for d in merged["departments"]}  # type: ignore[attr-defined]
    for row in found.rows:
        name = row.text("department")
        if name and name not in departments:
            shown = "、".join(sorted(departments)) or "（无）"
            _bad(*row.ref("department"), f"「{row.text('name')}」的所属部门「{name}」不在【部门】中（现有：{shown}）",
                 f"{row.text('name')}'s department '{name}' is not in 【Departments】")


def _check_default_priority(found: _Found | None, priority_block: _Found | None,
                            merged: dict[str, object]) -> None:
    """The default priority must be one of the priorities; stored by its Chinese name."""
    priorities = merged["priorities"]
    wanted = str(merged["default_priority"])
    for p in priorities:  # type: ignore[attr-defined]
        if wanted in (p.name, p.english) or wanted.lower() == p.english.lower():
            merged["default_priority"] = p.name
            return
    shown = "、".join(p.name for p in priorities)  # type: ignore[attr-defined]
    block = priority_block or found  # the priorities block is present whenever the default mismatches
    where = _param_ref(found, "default_priority") or (block.row, block.col)  # type: ignore[union-attr]
    _bad(*where, f"默认优先级「{wanted}」不在【优先级】中（现有：{shown}）",
         f"default priority '{wanted}' is not one of 【Priorities】")


def _param_ref(found: _Found | None, key: str) -> tuple[int, int] | None:
    """Where parameter `key`'s value is, when the sheet lists it."""
    by_name = {normalize(n): p.key for p in PARAMS for n in p.names}
    for row in found.rows if found else []:
        if by_name.get(normalize(row.text("name"))) == key:
            return row.ref("value")
    return None


# --- values


def _unique_names(found: _Found, key: str, what_zh: str, what_en: str) -> list[str]:
    names: dict[str, int] = {}
    for row in found.rows:
        name = row.text(key)
        if not name:
            _bad(*row.ref(key), f"本行填了内容但{what_zh}为空", f"the {what_en} is empty on a filled row")
        if name in names:
            _bad(*row.ref(key), f"{what_zh}「{name}」重复（{_ref(names[name], row.ref(key)[1])} 已有）",
                 f"{what_en} '{name}' is listed twice")
        names[name] = row.index
    return list(names)


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_EMAIL_SPLIT = re.compile(r"[;；,，、\s]+")


def _email(row: _Row, key: str) -> str:
    text = row.text(key)
    for address in filter(None, _EMAIL_SPLIT.split(text)):
        if not _EMAIL_RE.match(address):
            _bad(*row.ref(key), f"「{address}」不是有效的邮箱地址", f"'{address}' is not an e-mail address")
    return text


def _whole(row: _Row, key: str, what_zh: str, what_en: str) -> int:
    value = row.value(key)
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", normalize(value) or "x"):
        number = int(normalize(value))
    if number is None or number < 0 or number != int(number):
        _bad(*row.ref(key), f"{what_zh}须为 0 或正整数，而不是「{_text(value)}」",
             f"{what_en} must be a whole number ≥ 0, not '{_text(value)}'")
    return int(number)


def _date(row: _Row, key: str, date1904: bool) -> date:
    value = row.value(key)
    try:
        return parse_date(value, date1904=date1904)
    except ValueError:
        _bad(*row.ref(key), f"「{_text(value)}」不是日期（可写 2026-11-03、2026/11/3 或 2026年11月3日）",
             f"'{_text(value)}' is not a date (write 2026-11-03, 2026/11/3 or 2026年11月3日)")


_text = cell_text


def _ref(r: int, c: int) -> str:
    """设置!N5 for 0-based row and column."""
    return f"{SETTINGS_SHEET}!{column_letter(c)}{r + 1}"


def _bad(r: int, c: int, zh: str, en: str) -> NoReturn:
    """Raise BadSettings for cell (r, c), 0-based: Chinese first, then English."""
    raise BadSettings(f"{_ref(r, c)}：{zh} / {en}")


def column_map_cells(rows: list[list[object]], mappings: dict[str, str], lang: str = "zh") -> dict[str, str]:
    """The 设置 cells (A1 refs) that add `mappings` (header → field key) below the 【列映射】 block's
    rows; without the block, the block itself right of everything the sheet holds."""
    block = BLOCK_BY_KEY["columns"]
    found = _find_blocks(rows).get("columns")
    cells: dict[str, str] = {}
    if found is None:
        first = max((len(r) for r in rows), default=0) + 1  # one empty column before it
        cells[f"{column_letter(first)}{TITLE_ROW}"] = block.title(lang)
        for offset, col in enumerate(block.columns):
            cells[f"{column_letter(first + offset)}{HEADER_ROW}"] = col.en if lang == "en" else col.zh
        header, field, row = first, first + 1, FIRST_DATA_ROW - 1
    else:
        where = _header_columns(rows, block, found.row, found.col)
        header, field, row = where["header"], where["field"], found.row + 2 + len(found.rows)
    for offset, (text, key) in enumerate(mappings.items()):
        cells[f"{column_letter(header)}{row + offset + 1}"] = text
        cells[f"{column_letter(field)}{row + offset + 1}"] = FIELD_BY_KEY[key].english if lang == "en" \
            else FIELD_BY_KEY[key].header
    return cells
