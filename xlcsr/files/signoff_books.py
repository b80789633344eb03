"""A department's sign-off workbook (会签表) as a file: written with openpyxl, sealed, read back with calamine.

    >>> write_signoff_book(Path("会签/技术部-2026-11-25.xlsx"), register_id="4f1c…", department="技术部",
    ...                    issued=date(2026, 11, 25), register_name="顾客特殊要求清单.xlsx", items=items, key=key)
    PosixPath('会签/技术部-2026-11-25.xlsx')
    >>> filled = read_signoff_book(Path("会签/技术部-2026-11-25.xlsx"), register_id="4f1c…",
    ...                            key_for=lambda rid: seal_key(register, rid))
    >>> [(a.case_no, a.answer, a.cells["answer"]) for a in filled.answers]
    [('CSR-2026-0001', '可满足', 'K6')]

The sheet 会签 (`xlcsr.workbook.signoff_book`) is protected with every cell locked but the answer
cells of the item rows, which have dropdowns of the allowed answers and a date check. The very
hidden sheet `_xlcsr_seal` holds the payload (`xlcsr.rules.seal`) and its HMAC as key → JSON rows
(`xlcsr.workbook.state`); the key stays in the register's `.xlcsr/` folder. A re-save by
LibreOffice leaves the seal sheet hidden rather than very hidden, which is fine: the seal is what
is checked, not the sheet's visibility. `read_signoff_book` refuses, with one line naming the file
and why, a workbook that is not a sign-off workbook, one issued for another register, one whose
key is not beside the register, one whose seal does not verify, a renamed copy for another
department and one whose locked cells were edited.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from xlcsr.disk.atomic import write_atomically
from xlcsr.domain.errors import BadState, OutputRefused, SignoffRefused
from xlcsr.domain.signoff import SignoffItem
from xlcsr.domain.vocab import DATE_FORMAT, SEAL_SHEET, SIGNOFF_SHEET, STORE_DIR
from xlcsr.files.new_books import (
    _BORDER,
    _CENTER,
    _HEADER_FONT,
    _SECTION_FILL,
    _TITLE_FONT,
    _TOP_WRAP,
    _dropdown,
    _inline,
    _print_setup,
    _style_header,
)
from xlcsr.files.reader import FileSource
from xlcsr.rules.collect import Filled
from xlcsr.rules.seal import placed_items, seal_payload, sign, verify
from xlcsr.workbook.signoff_book import (
    HELP_ROW,
    INFO_ROW,
    LETTERS,
    TITLE_ROW,
    WIDTH,
    SignoffLayout,
    read_answers,
    signoff_layout,
)
from xlcsr.workbook.state import state_from_rows, state_rows

_WIDTHS = {"case_no": 16, "customer": 14, "product": 14, "requirement": 44, "category": 9, "source": 10,
           "source_ref": 16, "received": 11, "due": 11, "revision": 7,
           "answer": 13, "note": 30, "reviewer": 10, "day": 12}
_WRAPPED = ("requirement", "source_ref", "note")
_ANSWER_FILL = PatternFill("solid", fgColor="FFF2CC")  # the cells to fill in
_UNLOCKED = Protection(locked=False)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_EARLIEST = 36526  # 2000-01-01, the earliest date the date check lets through
_DATED_NAME = re.compile(r"^(?P<department>[^-]+)-")  # <部门>-<date>.xlsx


def write_signoff_book(path: str | Path, *, register_id: str, department: str, issued: date, register_name: str,
                       items: Sequence[SignoffItem], key: bytes, lang: str = "zh") -> Path:
    """Write the sealed sign-off workbook of `department` for `items` to `path`; never over an existing file."""
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise OutputRefused(f"会签表应为 .xlsx 文件：{target.name} / a sign-off workbook must be an .xlsx file: "
                            f"{target.name}")
    if target.exists() or target.is_symlink():
        raise OutputRefused(f"{target} 已存在，未覆盖，也未写入任何文件：请换一个文件夹 / {target} already exists; "
                            "it was not overwritten and nothing was written: choose another folder")
    layout = signoff_layout(department, issued, register_name, items, lang)
    payload = seal_payload(register_id, department, issued, layout.placed)
    wb = Workbook()
    ws = wb.active
    ws.title = SIGNOFF_SHEET
    _write_sheet(ws, layout)
    write_seal_sheet(wb, payload, key)
    buffer = io.BytesIO()
    wb.save(buffer)
    write_atomically(target, buffer.getvalue(), backup=False)
    return target


def _write_sheet(ws: Worksheet, layout: SignoffLayout) -> None:
    last = layout.last_column
    for r, values in enumerate(layout.rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is None:
                continue
            cell = ws.cell(r, c, value)
            if isinstance(value, str):
                cell.data_type = "s"  # text stays text, even when it starts with "="
            elif isinstance(value, date):
                cell.number_format = DATE_FORMAT
    for r in (TITLE_ROW, INFO_ROW, HELP_ROW, *layout.section_rows):
        ws.merge_cells(f"A{r}:{last}{r}")
    ws[f"A{TITLE_ROW}"].font, ws[f"A{TITLE_ROW}"].alignment = _TITLE_FONT, _CENTER
    ws.row_dimensions[TITLE_ROW].height = 30
    ws[f"A{INFO_ROW}"].alignment = _LEFT
    ws[f"A{HELP_ROW}"].alignment = _LEFT
    ws.row_dimensions[HELP_ROW].height = 32
    for r in layout.section_rows:
        ws[f"A{r}"].font, ws[f"A{r}"].fill = _HEADER_FONT, _SECTION_FILL
    for r in layout.header_rows:
        for c in range(1, WIDTH + 1):
            _style_header(ws.cell(r, c))
        ws.row_dimensions[r].height = 30
    _style_items(ws, layout)
    for key, width in _WIDTHS.items():
        ws.column_dimensions[LETTERS[key]].width = width
    for cells, allowed in layout.choices.items():
        ws.add_data_validation(_dropdown(_inline(list(allowed)), cells))
    for cells in layout.date_ranges:
        check = DataValidation(type="date", operator="greaterThanOrEqual", formula1=str(_EARLIEST),
                               allow_blank=True, showErrorMessage=True)
        check.error, check.errorTitle = "请填写日期，如 2026-11-25 / a date, like 2026-11-25", "日期 / Date"
        check.add(cells)
        ws.add_data_validation(check)
    ws.protection.sheet = True
    ws.protection.formatColumns = ws.protection.formatRows = False  # widths and heights may still change
    _print_setup(ws, landscape=True, fit_height=False)
    ws.print_title_rows = layout.print_rows


def _style_items(ws: Worksheet, layout: SignoffLayout) -> None:
    """Borders, alignment and the unlocked yellow answer cells of the item rows.

    Each look is made once on its first cell and copied to the others as openpyxl's style array:
    setting a style attribute cell by cell costs a lookup in the workbook's style lists each time.
    """
    wrapped = {LETTERS[key] for key in _WRAPPED}
    answers = set(layout.answer_cells)
    looks: dict[tuple[bool, bool, bool, bool], object] = {}
    for r in layout.item_rows:
        for letter in LETTERS.values():
            cell = ws[f"{letter}{r}"]
            answer = cell.coordinate in answers
            kind = (letter in wrapped, answer, answer and letter == LETTERS["day"], cell.number_format != "General")
            if kind in looks:
                cell._style = copy(looks[kind])
                continue
            cell.border = _BORDER
            cell.alignment = _TOP_WRAP if kind[0] else Alignment(vertical="top")
            if answer:
                cell.protection, cell.fill = _UNLOCKED, _ANSWER_FILL
                if kind[2]:
                    cell.number_format = DATE_FORMAT
            looks[kind] = copy(cell._style)


def write_seal_sheet(wb: Workbook, payload: dict[str, object], key: bytes) -> None:
    """The very hidden seal sheet: the payload and its HMAC as `_xlcsr`-style key → JSON rows."""
    seal = wb.create_sheet(SEAL_SHEET)
    for row in state_rows({"payload": payload, "mac": sign(payload, key)}):
        seal.append(row)
        seal.cell(seal.max_row, 2).data_type = "s"  # JSON text, never a formula
    seal.sheet_state = "veryHidden"
    seal.protection.sheet = True


def read_signoff_book(path: str | Path, *, register_id: str | None, key_for: Callable[[str], bytes | None],
                      source: FileSource | None = None) -> Filled:
    """The items and answers of a filled sign-off workbook whose seal verifies for this register.

    `register_id` is the register's (None when it never issued any); `key_for` gives the seal key of a
    register id, None when it is not in the `.xlcsr/` folder beside the register; `source` is the file
    when the caller has it open already.
    """
    path = Path(path)
    name = path.name
    reissue = ("请用 xlcsr signoff 重新签发", "re-issue it with `xlcsr signoff`")
    source = source or FileSource(path)
    payload = verified_seal(source, name, register_id=register_id, key_for=key_for, form=SIGNOFF_FORM,
                            shaped=lambda p: isinstance(p.get("department"), str) and isinstance(p.get("items"), list))
    sheets = source.sheet_names()
    department = str(payload["department"])
    named = _named_department(path, department)
    if named is not None:
        raise _refused(f"{name} 的文件名是「{named}」的，但这份会签表是签发给「{department}」的（改名复制的文件）："
                       f"请填写签发给{named}的会签表",
                       f"{name} is named for {named} but was issued to {department} (a renamed copy): "
                       f"{named} should fill the workbook issued to it")
    if SIGNOFF_SHEET not in sheets:
        raise _refused(f"{name} 缺少工作表「{SIGNOFF_SHEET}」，不能收集；{reissue[0]}",
                       f"{name} has no sheet {SIGNOFF_SHEET}, so it cannot be collected; {reissue[1]}")
    placed = placed_items(payload)
    date1904 = source.date1904()
    answers, edited = read_answers(source.values(SIGNOFF_SHEET), placed, date1904=date1904)
    if edited:
        cell, sealed, found = edited[0]
        others = len(edited) - 1
        more, more_en = (f"（另有 {others} 处）", f" ({others} more)") if others else ("", "")
        raise _refused(f"{name} 的锁定单元格 {SIGNOFF_SHEET}!{cell} 已被改动{more}：签发时为「{_short(sealed)}」，"
                       f"现为「{_short(found)}」，不能收集；{reissue[0]}",
                       f"locked cell {SIGNOFF_SHEET}!{cell} of {name} was changed{more_en}: issued as "
                       f"'{_short(sealed)}', now '{_short(found)}', so it cannot be collected; {reissue[1]}")
    return Filled(file=name, sheet=SIGNOFF_SHEET, department=department,
                  items={(item.case_no, item.kind): item for _, item in placed}, answers=answers, date1904=date1904)


@dataclass(frozen=True)
class SealedForm:
    """How refusals name a kind of sealed workbook and the command that issues it."""

    zh: str
    en: str
    command: str


SIGNOFF_FORM = SealedForm("会签表", "sign-off workbook", "xlcsr signoff")


def verified_seal(source: FileSource, name: str, *, register_id: str | None,
                  key_for: Callable[[str], bytes | None], form: SealedForm,
                  shaped: Callable[[dict[str, object]], bool]) -> dict[str, object]:
    """The payload of a sealed workbook, once it is there, of the `shaped` kind, for this register, and its
    HMAC verifies with the key kept beside the register; else SignoffRefused, naming the file and why."""
    zh, en, command = form.zh, form.en, form.command
    if SEAL_SHEET not in source.sheet_names():
        raise _refused(f"{name} 不是 xlcsr {zh}，没有 xlcsr 的封签（隐藏工作表 {SEAL_SHEET}）："
                       f"请收集 {command} 签发的{zh}",
                       f"{name} is not an xlcsr {en} (it has no hidden seal sheet {SEAL_SHEET}): collect the "
                       f"ones `{command}` made")
    try:
        state = state_from_rows(source.values(SEAL_SHEET), name)
    except BadState:
        state = {}
    payload, mac = state.get("payload"), state.get("mac")
    if not (isinstance(payload, dict) and isinstance(mac, str) and isinstance(payload.get("register"), str)
            and shaped(payload)):
        raise _refused(f"{name} 的封签（隐藏工作表 {SEAL_SHEET}）无法读取，文件已被改动，不能收集；"
                       f"请用 {command} 重新签发",
                       f"the seal of {name} (hidden sheet {SEAL_SHEET}) cannot be read: the file was altered, so it "
                       f"cannot be collected; re-issue it with `{command}`")
    theirs = str(payload["register"])
    if register_id is None or theirs != register_id:
        why, why_en = (("本清单尚未签发过会签表或评审记录表", "this register has never issued any")
                       if register_id is None else
                       (f"它属于清单 {theirs[:8]}…，本清单为 {register_id[:8]}…",
                        f"it belongs to register {theirs[:8]}…, this one is {register_id[:8]}…"))
        raise _refused(f"{name} 不是为本清单签发的{zh}（{why}），不能收集到本清单",
                       f"{name} was not issued for this register ({why_en}); it cannot be collected here")
    key = key_for(theirs)
    if key is None:
        raise _refused(f"无法核验 {name}：封签密钥不在清单旁的 {STORE_DIR} 文件夹中（清单被移动或复制时没有带上它）；"
                       f"请把 {STORE_DIR} 文件夹放回清单旁，或用 {command} 重新签发",
                       f"cannot check {name}: the seal key is not in the {STORE_DIR} folder beside the register "
                       f"(it was moved or copied without it); put the {STORE_DIR} folder back beside the register, "
                       f"or re-issue with `{command}`")
    if not verify(payload, mac, key):
        raise _refused(f"{name} 的封签校验失败：隐藏的封签工作表 {SEAL_SHEET} 已被改动，不能收集；"
                       f"请用 {command} 重新签发",
                       f"the seal of {name} does not verify: its hidden seal sheet {SEAL_SHEET} was altered, "
                       f"so it cannot be collected; re-issue it with `{command}`")
    return payload


def _refused(zh: str, en: str) -> SignoffRefused:
    return SignoffRefused(f"{zh} / {en}")


def _named_department(path: Path, department: str) -> str | None:
    """The other department the file's name claims (`<部门>-<date>.xlsx`), or None when it names none or this one.

    A name without "-", or whose first part is a number (a date) or holds the department (副本 技术部-…), is fine.
    """
    match = _DATED_NAME.match(path.stem)
    if match is None:
        return None
    named = match["department"].strip()
    if not named or named.isdigit() or department in named:
        return None
    return named


def _short(text: str, limit: int = 40) -> str:
    """A cell's text on one line of a message."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 1] + "…"
