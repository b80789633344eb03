"""What each command does to a register: read, apply the rules, write only what they decide.

    >>> report = validate_workbook(Path("清单.xlsx"), mark=True, today=date(2026, 11, 25))
    >>> result = assign_case_numbers(Path("清单.xlsx"), today=date(2026, 11, 25))
    >>> highlight_workbook(Path("清单.xlsx"), today=date(2026, 11, 25)).overdue
    4

The command line passes a file; the Excel ribbon passes the open workbook (`xlcsr.excel.LiveBook`).
Both are a `RegisterBook`: the same function runs behind a verb and its button.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from xlcsr.app.change_log import edits_of, log_tampered, moment, tracked
from xlcsr.app.config import register_defaults, retention_for
from xlcsr.domain.errors import UnmappedColumn
from xlcsr.domain.fields import FIELD_BY_KEY
from xlcsr.domain.issues import ValidationReport
from xlcsr.domain.records import Column, Register
from xlcsr.domain.vocab import REGISTER_FILE, REVIEW_FILE, SETTINGS_SHEET
from xlcsr.files.change_store import ChangeStore
from xlcsr.files.file_book import Clock, FileBook
from xlcsr.rules.changes import ChangeWrite, source_of
from xlcsr.rules.columns import ColumnReading, added_lookalikes, read_columns
from xlcsr.rules.deadlines import ReviewState
from xlcsr.rules.highlight import HighlightPlan, plan_highlight
from xlcsr.rules.marks import MarkPlan, plan_marks
from xlcsr.rules.numbering import Assignment, plan_assignment
from xlcsr.rules.signoff import ReviewWrite, ledger_of
from xlcsr.rules.validate import check_register, validate_register
from xlcsr.workbook.settings_sheet import column_map_cells


class RegisterBook(Protocol):
    """Where a register lives: a file, or the workbook open in Excel."""

    def read(self) -> Register: ...

    def write_assignment(self, register: Register, plan: Assignment) -> None: ...

    def write_marks(self, register: Register, plan: MarkPlan) -> None: ...

    def write_highlight(self, register: Register, plan: HighlightPlan) -> None: ...

    def values(self, sheet: str) -> list[list[object]]: ...

    def write_settings_cells(self, register: Register, cells: dict[str, str]) -> None: ...

    def read_amended(self, cells: dict[str, str]) -> Register:
        """The register as it will read once `cells` are written into 设置 (nothing is written)."""
        ...

    def write_review(self, register: Register, change: ReviewWrite) -> None: ...

    def write_changes(self, register: Register, write: ChangeWrite) -> None: ...

    @property
    def store(self) -> ChangeStore:
        """The SQLite store beside the workbook."""
        ...

    def stage_changes(self, register: Register, write: ChangeWrite) -> None:
        """Add `write` to the book's next write (a file saves both at once; the open workbook writes now)."""
        ...


def as_book(book: RegisterBook | Path, clock: Clock | None = None, *, writes: bool = False,
            command: str = "") -> RegisterBook:
    """A path as a `FileBook` whose backups `clock` names (see FileBook), opened for a write while it
    is read when the command `writes`; an open workbook as it is.

    A register without 设置 takes its column mapping from `xlcsr.toml` beside it (`[columns]`), and its
    backups are kept as its `[backups]` says; each is listed as made by `command`.
    """
    if not isinstance(book, Path):
        return book
    return FileBook(book, clock=clock, defaults=register_defaults(book.parent), writes=writes,
                    command=source_of(command) if command else "", keep=retention_for(book.parent))


def validate_workbook(book: RegisterBook | Path, *, today: date, mark: bool = False,
                      lang: str = "zh", clock: Clock | None = None) -> ValidationReport:
    """Validate the register; with `mark`, write the result into the workbook."""
    book = as_book(book, clock, writes=mark, command="validate")
    register = book.read()
    report = check_register(register, today=today)
    tampered = log_tampered(book, register)
    if tampered is not None:
        report.issues.append(tampered)
    if mark:
        book.write_marks(register, plan_marks(report, register, lang))
    return report


@dataclass
class AssignResult:
    """What assign did: the numbers given, the other values filled, and the rows it had to skip."""

    report: ValidationReport
    assignment: Assignment
    written: bool
    skipped: list[int] = field(default_factory=list)

    @property
    def kept_formulas(self) -> list[int]:
        """Rows whose empty-looking due date (or status) is a formula, left as it is."""
        return sorted({row for row, _ in self.assignment.kept_formulas})

    @property
    def added_columns(self) -> list[Column]:
        """The columns assign added for fields the sheet lacked (案件号, 截止日期, 处理状态), left to right."""
        return list(self.assignment.added) if self.written else []


def assign_case_numbers(book: RegisterBook | Path, *, today: date, clock: Clock | None = None) -> AssignResult:
    """Number every valid row without a case number; fill missing due dates and statuses."""
    book = as_book(book, clock, writes=True, command="assign")
    register = book.read()
    report, records = validate_register(register, today=today)
    used = [case_no for case_no in register.texts_of("case_no") if case_no]
    high_water = {k: int(v) for k, v in dict(register.state.get("high_water", {})).items()}
    plan = plan_assignment(records, register.settings, used, high_water)
    refuse_lookalikes(register, {key for _, key in plan.values if key not in register.columns})
    if plan.changed:
        with tracked(book, register, records, command="assign", edits=edits_of(plan.values), at=moment(today, clock)):
            book.write_assignment(register, plan)
    return AssignResult(report, plan, plan.changed, sorted(report.bad_rows))


def refuse_lookalikes(register: Register, added: set[str]) -> None:
    """UnmappedColumn when a field about to get a new column is, by the look of it, an unmapped column."""
    found = added_lookalikes(register, added)
    if not found:
        return
    zh = "、".join(f"{c.letter} 列「{c.header}」像是「{FIELD_BY_KEY[k].header}」" for c, k in found)
    en = ", ".join(f"column {c.letter} '{c.header}' looks like {FIELD_BY_KEY[k].english}" for c, k in found)
    raise UnmappedColumn(
        f"{register.path}：{zh}，但未映射；为免添加重复的列，未写入任何内容。请先运行 xlcsr columns "
        f"{Path(register.path).name} --apply，或在「设置」的【列映射】中映射 / {register.path}: {en} but is not "
        "mapped; nothing was written, to avoid a duplicate column. Run xlcsr columns BOOK --apply first, "
        "or map it in 设置")


@dataclass
class ColumnsResult:
    """How every column is understood; with apply, the mappings written into 【列映射】 (header → field)."""

    register: Register
    readings: list[ColumnReading]
    applied: dict[str, str] = field(default_factory=dict)

    @property
    def suggested(self) -> dict[str, str]:
        return {r.column.header: r.looks_like for r in self.readings if r.looks_like}

    @property
    def unresolved(self) -> bool:
        """Unknown columns that look like a field and were not mapped now."""
        return any(header not in self.applied for header in self.suggested)


def understand_columns(book: RegisterBook | Path, *, apply: bool = False, lang: str = "zh",
                       clock: Clock | None = None) -> ColumnsResult:
    """How the register's columns are read; with `apply`, write the suggested mappings into 【列映射】.

    A register without a 设置 sheet gets nothing written: its mapping belongs in xlcsr.toml's [columns].
    On a tracked register each mapping is logged in 变更记录 (with the hand edits since the snapshot)
    and the snapshot follows the new reading, at the time `clock` gives (without a clock, nothing is
    logged: the command line always passes one).
    """
    book = as_book(book, clock, command="columns")
    register = book.read()
    result = ColumnsResult(register, read_columns(register))
    if apply and result.suggested and not register.settings.from_defaults:
        cells = column_map_cells(book.values(SETTINGS_SHEET), result.suggested, lang)
        mapped = dict(result.suggested)
        log = (tracked(book, register, None, command="columns", edits={}, at=clock(),
                       remap=lambda: (book.read_amended(cells), mapped)) if clock else nullcontext())
        with log:
            book.write_settings_cells(register, cells)
        result.applied = mapped
    return result


@dataclass
class HighlightResult:
    """What highlight did: the plan it wrote, and the invalid rows it left without a 逾期天数 value."""

    report: ValidationReport
    plan: HighlightPlan
    skipped: list[int] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return self.plan.overdue

    @property
    def due_soon(self) -> int:
        return self.plan.due_soon

    @property
    def added_columns(self) -> list[Column]:
        """The 逾期天数 column when highlight added it, else nothing."""
        return [self.plan.column] if self.plan.new_column else []


def highlight_workbook(book: RegisterBook | Path, *, today: date, review: ReviewState | None = None,
                       lang: str = "zh", clock: Clock | None = None) -> HighlightResult:
    """Colour closed, overdue and due-soon cases with live rules; refresh the 逾期天数 column.

    Cases past the review period with sign-offs missing turn purple: from `review` when given, else
    from the register's 会签记录 when it uses sign-off.
    """
    book = as_book(book, clock, writes=True, command="highlight")
    register = book.read()
    report, records = validate_register(register, today=today)
    if review is None:
        ledger = ledger_of(register, records)
        review = ledger if ledger.active else None
    plan = plan_highlight(register, records, today, review=review, lang=lang)
    book.write_highlight(register, plan)
    return HighlightResult(report, plan, sorted(report.bad_rows))


def init_workbooks(directory: Path, *, lang: str = "zh") -> tuple[list[Path], list[Path]]:
    """Write the register and review-form templates into `directory`; existing files are kept."""
    from xlcsr.files.new_books import make_register, make_review_form

    directory.mkdir(parents=True, exist_ok=True)
    written, kept = [], []
    for name, make in ((REGISTER_FILE, make_register), (REVIEW_FILE, make_review_form)):
        target = directory / name
        if target.exists():
            kept.append(target)
        else:
            written.append(make(target, lang=lang))
    return written, kept


def new_register(folder: Path, *, today: date, lang: str = "zh") -> Path:
    """A fresh register from the template in `folder`, named for `today`, never over an existing file."""
    from xlcsr.files.new_books import make_register

    stem = Path(REGISTER_FILE).stem
    target, n = folder / f"{stem}-{today:%Y%m%d}.xlsx", 2
    while target.exists():
        target = folder / f"{stem}-{today:%Y%m%d}-{n}.xlsx"
        n += 1
    return make_register(target, lang=lang)


@dataclass
class DemoOutcome:
    """The demo register and what validate and assign made of it."""

    register: Path
    review_form: Path
    before: ValidationReport
    assigned: AssignResult
    after: ValidationReport
    highlighted: HighlightResult


def run_demo(directory: Path, *, today: date, lang: str = "zh", clock: Clock | None = None) -> DemoOutcome:
    """Build a realistic register in `directory`, then validate, assign, mark and highlight it."""
    from xlcsr.app.demo import demo_rows
    from xlcsr.files.new_books import make_register, make_review_form

    directory.mkdir(parents=True, exist_ok=True)
    book = directory / REGISTER_FILE
    for stale in (book, directory / REVIEW_FILE):
        stale.unlink(missing_ok=True)
    make_register(book, rows=demo_rows(today), lang=lang)
    form = make_review_form(directory / REVIEW_FILE, lang=lang)
    before = validate_workbook(book, today=today, lang=lang, clock=clock)
    assigned = assign_case_numbers(book, today=today, clock=clock)
    after = validate_workbook(book, today=today, mark=True, lang=lang, clock=clock)
    highlighted = highlight_workbook(book, today=today, lang=lang, clock=clock)
    return DemoOutcome(book, form, before, assigned, after, highlighted)
