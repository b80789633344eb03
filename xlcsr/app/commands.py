"""What each command does to a register: read, apply the rules, write only what they decide.

    >>> report = validate_workbook(Path("清单.xlsx"), mark=True, today=date(2026, 11, 25))
    >>> result = assign_case_numbers(Path("清单.xlsx"), today=date(2026, 11, 25))
    >>> highlight_workbook(Path("清单.xlsx"), today=date(2026, 11, 25)).overdue
    4

The command line passes a file; the Excel ribbon passes the open workbook (`xlcsr.excel.LiveBook`).
Both are a `RegisterBook`: the same function runs behind a verb and its button.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from xlcsr.domain.issues import ValidationReport
from xlcsr.domain.records import Register
from xlcsr.domain.vocab import REGISTER_FILE, REVIEW_FILE
from xlcsr.files.file_book import Clock, FileBook
from xlcsr.rules.deadlines import ReviewState
from xlcsr.rules.highlight import HighlightPlan, plan_highlight
from xlcsr.rules.marks import MarkPlan, plan_marks
from xlcsr.rules.numbering import Assignment, plan_assignment
from xlcsr.rules.validate import validate_register


class RegisterBook(Protocol):
    """Where a register lives: a file, or the workbook open in Excel."""

    def read(self) -> Register: ...

    def write_assignment(self, register: Register, plan: Assignment) -> None: ...

    def write_marks(self, register: Register, plan: MarkPlan) -> None: ...

    def write_highlight(self, register: Register, plan: HighlightPlan) -> None: ...


def as_book(book: RegisterBook | Path, clock: Clock | None = None) -> RegisterBook:
    """A path as a `FileBook` whose backups `clock` names (see FileBook); an open workbook as it is."""
    return FileBook(book, clock=clock) if isinstance(book, Path) else book


def validate_workbook(book: RegisterBook | Path, *, today: date, mark: bool = False,
                      lang: str = "zh", clock: Clock | None = None) -> ValidationReport:
    """Validate the register; with `mark`, write the result into the workbook."""
    book = as_book(book, clock)
    register = book.read()
    report, _ = validate_register(register, today=today)
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


def assign_case_numbers(book: RegisterBook | Path, *, today: date, clock: Clock | None = None) -> AssignResult:
    """Number every valid row without a case number; fill missing due dates and statuses."""
    book = as_book(book, clock)
    register = book.read()
    report, records = validate_register(register, today=today)
    used = [row.text("case_no") for row in register.rows if row.text("case_no")]
    high_water = {k: int(v) for k, v in dict(register.state.get("high_water", {})).items()}
    plan = plan_assignment(records, register.settings, used, high_water)
    if plan.changed:
        book.write_assignment(register, plan)
    return AssignResult(report, plan, plan.changed, sorted(report.bad_rows))


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


def highlight_workbook(book: RegisterBook | Path, *, today: date, review: ReviewState | None = None,
                       lang: str = "zh", clock: Clock | None = None) -> HighlightResult:
    """Colour closed, overdue and due-soon cases with live rules; refresh the 逾期天数 column.

    With `review` (sign-off data), cases past the review period with sign-offs missing turn purple.
    """
    book = as_book(book, clock)
    register = book.read()
    report, records = validate_register(register, today=today)
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
