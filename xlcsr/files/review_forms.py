"""The 顾客特殊要求评审记录表 of one case, filled from the register and sealed; read back when filled at a meeting.

    >>> write_review_record(Path("评审记录/评审记录表-CSR-2026-0001.xlsx"), register=register, record=record,
    ...                     ledger=ledger, register_id="4f1c…", key=key, issued=date(2026, 11, 25))
    PosixPath('评审记录/评审记录表-CSR-2026-0001.xlsx')
    >>> [(f.department, f.answers[0].answer) for f in read_review_record(
    ...     Path("评审记录/评审记录表-CSR-2026-0001.xlsx"), register_id="4f1c…", key_for=lambda rid: key)]
    [('生产部', '可满足'), ('总经理', '批准')]
    >>> pdf_of([Path("评审记录/评审记录表-CSR-2026-0001.xlsx")], Path("评审记录"))   # LibreOffice headless
    {PosixPath('评审记录/评审记录表-CSR-2026-0001.xlsx'): PosixPath('评审记录/评审记录表-CSR-2026-0001.pdf')}

The form is the template's (`xlcsr.files.new_books.write_review_sheet`, cells in
`xlcsr.workbook.forms`), laid out for the case: its department rows are the review departments of
设置 (`review_departments`), plus any department the case names that 设置 lacks, so the rows grow
and shrink with the settings. What each part shows, and why:

- 识别部门 is 市场部 when 设置 lists it (the procedures make 市场部 the department that receives the
  customer's documents and organises the review), else the first department of 设置 that neither
  reviews the case nor is 总经理; 识别日期 is the case's 接收日期. 来源文件 shows the source and the
  source document; the requirement is shown in full (its rows grow to hold it), and its section
  title carries the category and the due date, which the date-sensitive departments sign on.
- A department the case names shows its current answer from 会签记录 (`Ledger.current`: the latest
  one still valid for the text as it reads now), its note, reviewer and date; one that has not
  answered gets empty answer cells, the only cells unlocked, with a dropdown of the answers. A
  department of 设置 the case does not name stays on the form, like on the paper form, marked
  不涉及 and locked.
- The 总经理 block (批准 / 不批准, 签名, date, and a 说明 row the template lacks) is filled or left open for a
  special contract (特殊) only; for a regular one it says 不适用 and is locked.
- The last row gives the revision, the two fingerprints (of requirement, category and contract type,
  and with the due date too, as the date-sensitive departments and 总经理 sign) and the issue date;
  the page footer repeats case and revision. A4 portrait, one page wide, as many tall as it needs.

The seal is the sign-off workbooks' (`xlcsr.rules.seal`) in the very hidden sheet `_xlcsr_seal`,
as `{"payload": …, "mac": …}` rows, with one payload for the whole form: `form` (评审记录), the
register, case and issue date, `departments` (one `seal_payload` per reviewing department, so each
item keeps its department and row), `open` (the departments whose answer cells are unlocked, with
where they are) and `cells` (every locked value cell of the form as text, empty ones too). One
HMAC binds it all. `read_review_record` gives one `Filled` per open department that wrote
something, and refuses, in one line naming the file and why, a form without a seal, one for
another register, one whose key is not beside the register, one whose seal was altered and one
whose locked cells were edited (naming the cell, what was sealed and what is there now).
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from copy import copy
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.worksheet import Worksheet

from xlcsr.disk.atomic import write_atomically
from xlcsr.domain.errors import OutputRefused, SignoffRefused
from xlcsr.domain.records import CsrRecord, Register, cell_text
from xlcsr.domain.settings import Department, Settings
from xlcsr.domain.signoff import Answer, Entry, Kind
from xlcsr.domain.vocab import (
    APPROVALS,
    APPROVER,
    DATE_FORMAT,
    IDENTIFIER,
    REVIEW_OPINIONS,
    REVIEW_SHEET,
)
from xlcsr.files.new_books import _dropdown, _inline, write_review_sheet
from xlcsr.files.reader import FileSource
from xlcsr.files.signoff_books import SealedForm, verified_seal, write_seal_sheet
from xlcsr.rules.collect import Filled
from xlcsr.rules.seal import VERSION, placed_items, seal_payload
from xlcsr.rules.signoff import SPECIAL, Ledger, fingerprint, item_for, reviewers, revision_of
from xlcsr.workbook.forms import FIELD_ROWS, REQUIREMENT_ROWS, review_cells, review_departments
from xlcsr.workbook.signoff_book import shows_sealed

ANSWER_KEYS = ("answer", "note", "reviewer", "day")
_REVIEW_COLUMNS = {"answer": "B", "note": "C", "reviewer": "E", "day": "F"}  # of a department row
_APPROVAL_COLUMNS = {"answer": "B", "reviewer": "D", "day": "F"}  # of the 总经理 row; the note is the next row
_CASE_CELL = "B5"  # xlcsr.workbook.forms: case_no
_FORM_WIDTH = 92  # the columns A:F of the template, in character widths
_NOTE_WIDTH = 34  # C:D
_LINE_HEIGHT = 15.5  # points per line of wrapped text
_MAX_HEIGHT = 409.0  # points: the tallest row Excel accepts
_OPEN_FILL = PatternFill("solid", fgColor="FFF2CC")  # the cells to fill in, as on the sign-off workbooks
_NOT_INVOLVED_FONT = Font(color="808080")
_UNLOCKED = Protection(locked=False)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_SOFFICE_TIMEOUT = 300  # seconds for one conversion run
Put = Callable[[str, object], None]  # writes a locked value cell and seals the text it shows

_TEXT = {
    "zh": {
        "not_involved": "不涉及", "not_needed": "不适用（常规合同）", "note": "说明",
        "requirement": "顾客特殊要求内容（类别：{category}；截止日期：{due}）",
        "trail": "版本号：{revision}　　指纹：{plain}（含截止日期：{dated}）　　签发：{issued}",
        "footer": "&8{case_no}　版本号 {revision}",
    },
    "en": {
        "not_involved": "Not involved", "not_needed": "Not needed (regular contract)", "note": "Note",
        "requirement": "Requirement (category: {category}; due: {due})",
        "trail": "Revision {revision}    Fingerprint {plain} (with the due date: {dated})    Issued {issued}",
        "footer": "&8{case_no}  rev. {revision}",
    },
}


def write_review_record(path: str | Path, *, register: Register, record: CsrRecord, ledger: Ledger,
                        register_id: str, key: bytes, issued: date, lang: str = "zh") -> Path:
    """Write the sealed review form of `record` to `path` (an .xlsx never there before)."""
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise OutputRefused(f"评审记录表应为 .xlsx 文件：{target.name} / a review record must be an .xlsx file: "
                            f"{target.name}")
    if target.exists() or target.is_symlink():
        raise OutputRefused(f"{target} 已存在，未覆盖 / {target} already exists and was not overwritten")
    text = _TEXT["en" if lang == "en" else "zh"]
    settings = register.settings
    departments = form_departments(record, settings)
    form = _form_settings(settings, departments)
    cells = review_cells(form)
    wb = Workbook()
    ws = wb.active
    ws.title = REVIEW_SHEET
    write_review_sheet(ws, form, lang=lang)
    ws.data_validations.dataValidation = []  # the template's lists cover every cell; the open ones get theirs
    sealed: dict[str, str] = {}

    def put(ref: str, value: object) -> None:
        """A locked value cell: written, and sealed as the text it shows."""
        cell = ws[ref]
        cell.value = value if value not in ("", None) else None
        if isinstance(value, str) and value:
            cell.data_type = "s"  # text stays text, even when it starts with "="
        elif isinstance(value, date):
            cell.number_format = DATE_FORMAT
        sealed[ref] = _text_of(value)

    _header(put, record, settings, cells)
    _requirement(ws, put, record, text)
    first = int(cells["reviews"].split(":")[0][1:])
    gm_row = int(cells["gm_decision"][1:])
    placed: dict[str, tuple[int, Kind]] = {}  # department → its row and question, for the seal
    opened: dict[str, dict[str, str]] = {}  # department → its unlocked answer cells
    _reviews(ws, put, record, ledger, departments, first, text, placed, opened)
    _approval(ws, put, record, ledger, gm_row, text, placed, opened)
    trail = gm_row + 3
    _trail(ws, put, trail, record, settings, issued, text)
    for department, refs in opened.items():
        _open(ws, refs, APPROVALS if department == APPROVER else REVIEW_OPINIONS)
    _protect(ws, record, trail, text)
    payload = _payload(register_id, record, settings, issued, placed, opened, sealed)
    write_seal_sheet(wb, payload, key)
    buffer = io.BytesIO()
    wb.save(buffer)
    write_atomically(target, buffer.getvalue(), backup=False)
    return target


def _reviews(ws: Worksheet, put: Put, record: CsrRecord, ledger: Ledger, departments: Sequence[str], first: int,
             text: dict[str, str], placed: dict[str, tuple[int, Kind]], opened: dict[str, dict[str, str]]) -> None:
    """A row per department: its current answer, open cells when it has none, 不涉及 when the case names it not."""
    named = set(reviewers(record))
    for row, department in enumerate(departments, start=first):
        put(f"A{row}", department)
        refs = {key: f"{column}{row}" for key, column in _REVIEW_COLUMNS.items()}
        if department not in named:
            _not_asked(ws, put, refs, text["not_involved"])
            continue
        placed[department] = (row, Kind.REVIEW)
        entry = ledger.current(record.case_no, department, Kind.REVIEW)
        if entry is None:
            opened[department] = refs
        else:
            _answered(put, refs, entry)
        _fit(ws, row, entry.note if entry else "", _NOTE_WIDTH, minimum=36)


def _approval(ws: Worksheet, put: Put, record: CsrRecord, ledger: Ledger, row: int, text: dict[str, str],
              placed: dict[str, tuple[int, Kind]], opened: dict[str, dict[str, str]]) -> None:
    """总经理's decision, signature, date and 说明 (the row under them) for a special contract; 不适用 otherwise."""
    refs = {key: f"{column}{row}" for key, column in _APPROVAL_COLUMNS.items()} | {"note": f"B{row + 1}"}
    _note_row(ws, row + 1, text["note"])
    ws.parent.defined_names["xlcsr_gm_note"] = DefinedName("xlcsr_gm_note", attr_text=f"{REVIEW_SHEET}!$B${row + 1}")
    if record.contract_type != SPECIAL:
        _not_asked(ws, put, refs, text["not_needed"])
        return
    placed[APPROVER] = (row, Kind.APPROVAL)
    entry = ledger.current(record.case_no, APPROVER, Kind.APPROVAL)
    if entry is None:
        opened[APPROVER] = refs
    else:
        _answered(put, refs, entry)
        _fit(ws, row + 1, entry.note, _FORM_WIDTH - 16, minimum=30)


def _answered(put: Put, refs: dict[str, str], entry: Entry) -> None:
    for key, value in zip(ANSWER_KEYS, (entry.answer, entry.note, entry.reviewer, entry.day)):
        put(refs[key], value)


def _not_asked(ws: Worksheet, put: Put, refs: dict[str, str], label: str) -> None:
    """A question the case does not put: the label in grey, the other answer cells sealed empty."""
    put(refs["answer"], label)
    ws[refs["answer"]].font = _NOT_INVOLVED_FONT
    for key in ("note", "reviewer", "day"):
        put(refs[key], "")


def form_departments(record: CsrRecord, settings: Settings) -> list[str]:
    """The department rows of the form: the review departments of 设置, then those the case names that 设置 lacks."""
    listed = review_departments(settings)
    return listed + [d for d in reviewers(record) if d != APPROVER and d not in listed]


def identifying_department(record: CsrRecord, settings: Settings) -> str:
    """识别部门: 市场部 when 设置 lists it, else the first department of 设置 not reviewing the case (nor 总经理)."""
    names = [d.name for d in settings.departments]
    if IDENTIFIER in names:
        return IDENTIFIER
    named = set(reviewers(record))
    return next((n for n in names if n not in named and APPROVER not in n), "")


def _form_settings(settings: Settings, departments: Sequence[str]) -> Settings:
    """`settings` with the form's department rows (and 总经理, whose block the template always has)."""
    rows = [Department(name=d) for d in departments]
    return settings.model_copy(update={"departments": (*rows, Department(name=APPROVER))})


def _header(put: Put, record: CsrRecord, settings: Settings,
            cells: dict[str, str]) -> None:
    source = "：".join(part for part in (record.source, record.source_ref) if part)
    values: dict[str, object] = {
        "identified_by": identifying_department(record, settings), "received": record.received,
        "customer": record.customer, "contract_type": record.contract_type, "case_no": record.case_no,
        "product": record.product, "source_ref": source,
    }
    for _, *pairs in FIELD_ROWS:
        for pair in pairs:
            if pair:
                put(cells[pair[0]], values[pair[0]])


def _requirement(ws: Worksheet, put: Put, record: CsrRecord, text: dict[str, str]) -> None:
    first, last = REQUIREMENT_ROWS
    put(f"A{first - 1}", text["requirement"].format(category=record.category or "—",
                                                    due=record.due.isoformat() if record.due else "—"))
    put(f"A{first}", record.requirement)
    lines = _lines(record.requirement, _FORM_WIDTH)
    rows = last - first + 1
    height = min(_MAX_HEIGHT, max(22.0, math.ceil(lines * _LINE_HEIGHT / rows) + 2))
    for r in range(first, last + 1):
        ws.row_dimensions[r].height = height


def _note_row(ws: Worksheet, row: int, label: str) -> None:
    """The 说明 of 总经理, under the decision (the template leaves the row blank)."""
    ws[f"A{row}"].value = label
    ws[f"A{row}"]._style = copy(ws[f"A{row - 1}"]._style)
    ws.merge_cells(f"B{row}:F{row}")
    for column in "BCDEF":
        ws[f"{column}{row}"].border = copy(ws[f"B{row - 1}"].border)
    ws[f"B{row}"].alignment = Alignment(vertical="top", wrap_text=True)
    ws.row_dimensions[row].height = 30


def _trail(ws: Worksheet, put: Put, row: int, record: CsrRecord, settings: Settings,
           issued: date, text: dict[str, str]) -> None:
    """Under 编制/审核/批准: the revision, the fingerprints and the issue date."""
    plain, dated = fingerprint(record, "", settings), fingerprint(record, APPROVER, settings)
    ws.merge_cells(f"A{row}:F{row}")
    put(f"A{row}", text["trail"].format(revision=revision_of(record), plain=plain, dated=dated,
                                        issued=issued.isoformat()))
    ws[f"A{row}"].font = Font(size=8, color="595959")
    ws[f"A{row}"].alignment = _LEFT
    ws.row_dimensions[row].height = 18


def _open(ws: Worksheet, refs: dict[str, str], allowed: Sequence[str]) -> None:
    """Unlock an answer's cells, fill them yellow, give the answer its dropdown."""
    for key, ref in refs.items():
        cell = ws[ref]
        cell.protection, cell.fill = _UNLOCKED, _OPEN_FILL
        if key == "note" and ref.startswith("C"):  # C:D merged
            ws[f"D{ref[1:]}"].protection = _UNLOCKED
        if key == "day":
            cell.number_format = DATE_FORMAT
    ws.add_data_validation(_dropdown(_inline(list(allowed)), refs["answer"]))


def _protect(ws: Worksheet, record: CsrRecord, last: int, text: dict[str, str]) -> None:
    ws.protection.sheet = True
    ws.protection.formatColumns = ws.protection.formatRows = False  # widths and heights may still change
    ws.page_setup.fitToHeight = 0  # one page wide, as many tall as a long requirement needs
    ws.print_area = f"A1:F{last}"
    ws.oddFooter.left.text = text["footer"].format(case_no=record.case_no, revision=revision_of(record))


def _payload(register_id: str, record: CsrRecord, settings: Settings, issued: date,
             placed: dict[str, tuple[int, Kind]], opened: dict[str, dict[str, str]],
             sealed: dict[str, str]) -> dict[str, object]:
    parts = [seal_payload(register_id, dept, issued, [(row, item_for(record, dept, kind, settings))])
             for dept, (row, kind) in placed.items()]
    return {"v": VERSION, "form": REVIEW_SHEET, "register": register_id, "case_no": record.case_no,
            "issued": issued.isoformat(), "departments": parts, "open": opened, "cells": sealed}


def _lines(text: str, width: int) -> int:
    """How many lines `text` takes wrapped in a cell `width` characters wide (a CJK character counts two)."""
    total = 0
    for paragraph in (text or "").splitlines() or [""]:
        units = sum(2 if ord(ch) > 0x2E7F else 1.1 for ch in paragraph)
        total += max(1, math.ceil(units / width))
    return total


def _fit(ws: Worksheet, row: int, text: str, width: int, *, minimum: float) -> None:
    ws.row_dimensions[row].height = min(_MAX_HEIGHT, max(minimum, _lines(text, width) * _LINE_HEIGHT + 4))


# ---------------------------------------------------------------- reading a filled form


def read_review_record(path: str | Path, *, register_id: str | None, key_for: Callable[[str], bytes | None],
                       source: FileSource | None = None) -> list[Filled]:
    """One `Filled` per department that wrote an answer on the form, once its seal verifies for this register.

    `register_id` is the register's (None when it never issued any); `key_for` gives the seal key of a
    register id, None when it is not in the `.xlcsr/` folder beside the register; `source` is the file
    when the caller has it open already.
    """
    path = Path(path)
    name = path.name
    source = source or FileSource(path)
    payload = verified_seal(source, name, register_id=register_id, key_for=key_for, form=REVIEW_FORM,
                            shaped=_review_shaped)
    sheets = source.sheet_names()
    if REVIEW_SHEET not in sheets:
        raise SignoffRefused(f"{name} 缺少工作表「{REVIEW_SHEET}」，不能收集；请用 xlcsr record 重新签发 / {name} has "
                             f"no sheet {REVIEW_SHEET}, so it cannot be collected; re-issue it with `xlcsr record`")
    values = source.values(REVIEW_SHEET)
    date1904 = source.date1904()
    for ref, sealed in dict(payload["cells"]).items():  # type: ignore[call-overload]
        found = _at(values, ref)
        if not shows_sealed(found, str(sealed), date1904):
            raise SignoffRefused(
                f"{name} 的锁定单元格 {REVIEW_SHEET}!{ref} 已被改动：签发时为「{_short(str(sealed))}」，现为"
                f"「{_short(_text_of(found))}」，不能收集；请用 xlcsr record 重新签发 / locked cell "
                f"{REVIEW_SHEET}!{ref} of {name} was changed: issued as '{_short(str(sealed))}', now "
                f"'{_short(_text_of(found))}', so it cannot be collected; re-issue it with `xlcsr record`")
    opened: dict[str, dict[str, str]] = dict(payload["open"])  # type: ignore[call-overload]
    filled = []
    for part in payload["departments"]:  # type: ignore[attr-defined]
        department = str(part["department"])
        refs = opened.get(department)
        if refs is None:
            continue
        placed = placed_items(part)
        answers = [_answer(values, row, item.case_no, item.kind, refs) for row, item in placed]
        answers = [a for a in answers if a.answer or a.note or a.reviewer or a.day is not None]
        if answers:
            filled.append(Filled(file=name, sheet=REVIEW_SHEET, department=department,
                                 items={(item.case_no, item.kind): item for _, item in placed}, answers=answers,
                                 date1904=date1904))
    return filled


def _answer(values: Sequence[Sequence[object]], row: int, case_no: str, kind: Kind,
            refs: dict[str, str]) -> Answer:
    found = {key: _at(values, ref) for key, ref in refs.items()}
    day = found.get("day")
    return Answer(case_no, kind, cell_text(found.get("answer")), cell_text(found.get("note")),
                  cell_text(found.get("reviewer")), None if day in (None, "") else day, row,
                  {**refs, "case_no": _CASE_CELL})


REVIEW_FORM = SealedForm("评审记录表", "review record", "xlcsr record")


def _review_shaped(payload: dict[str, object]) -> bool:
    return (isinstance(payload.get("departments"), list) and isinstance(payload.get("open"), dict)
            and isinstance(payload.get("cells"), dict))


def _at(values: Sequence[Sequence[object]], ref: str) -> object:
    letters = "".join(ch for ch in ref if ch.isalpha())
    row = int(ref[len(letters):])
    column = 0
    for ch in letters:
        column = column * 26 + ord(ch.upper()) - 64
    if row > len(values) or column > len(values[row - 1]):
        return None
    value = values[row - 1][column - 1]
    return None if value == "" else value


def _text_of(value: object) -> str:
    """A cell value as text: a date (or a datetime at midnight) as its ISO date, 1.0 as "1"."""
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date().isoformat()
    return _normal(cell_text(value))


def _normal(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _short(text: str, limit: int = 40) -> str:
    """A cell's text on one line of a message."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


# ---------------------------------------------------------------- PDF


def soffice() -> str | None:
    """The LibreOffice program on PATH (soffice or libreoffice), None when there is none."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def pdf_of(books: Sequence[Path], out: Path, *, program: str | None = None) -> dict[Path, Path]:
    """Convert `books` to PDF with LibreOffice headless, into `out`, never over an existing file.

    One LibreOffice run for all, with a profile of its own (so a LibreOffice the user has open is not
    disturbed); a book that did not convert is missing from the result.
    """
    program = program or soffice()
    if program is None or not books:
        return {}
    done: dict[Path, Path] = {}
    with tempfile.TemporaryDirectory(prefix="xlcsr-pdf-") as temp:
        folder = Path(temp)
        command = [program, "--headless", "--norestore", f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                   "--convert-to", "pdf", "--outdir", str(folder / "pdf"), *map(str, books)]
        try:
            subprocess.run(command, capture_output=True, timeout=_SOFFICE_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return done
        for book in books:
            made = folder / "pdf" / f"{book.stem}.pdf"
            if made.is_file() and made.read_bytes()[:5] == b"%PDF-":
                target = free_name(out, book.stem, ".pdf")
                shutil.move(made, target)
                done[book] = target
    return done


def free_name(folder: Path, stem: str, suffix: str) -> Path:
    """`folder/stem.suffix`, or with -2, -3 … when that is taken."""
    target, n = folder / f"{stem}{suffix}", 2
    while target.exists() or target.is_symlink():
        target = folder / f"{stem}-{n}{suffix}"
        n += 1
    return target
