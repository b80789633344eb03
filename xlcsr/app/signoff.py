"""Sign-off (会签) over a register: issue each department's workbook, collect the filled ones.

    >>> result = issue_signoffs(Path("清单.xlsx"), out=Path("会签"), today=date(2026, 11, 25))
    >>> [p.name for p in result.written]
    ['技术部-20261125.xlsx', '品质部-20261125.xlsx']
    >>> collected = collect_signoffs(Path("清单.xlsx"), [Path("会签")], today=date(2026, 11, 27))
    >>> len(collected.applied), collected.problems
    (5, [])

The command line and the ribbon buttons 生成会签表 and 收集会签 call these. Both read the register
once, decide with `xlcsr.rules.signoff` and `xlcsr.rules.collect`, and write in one save: statuses,
完成日期, the 落实情况 column, the new rows at the bottom of 会签记录, and xlcsr's state (the register's
id and when each question was issued). The seal key lives in the store beside the register file.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from xlcsr.app.change_log import edits_of, moment, tracked
from xlcsr.app.commands import RegisterBook, as_book
from xlcsr.domain.errors import OutputRefused, SignoffRefused, XlcsrError
from xlcsr.domain.issues import ValidationReport
from xlcsr.domain.records import Register
from xlcsr.domain.signoff import Entry
from xlcsr.domain.vocab import REVIEW_SHEET, SIGNOFF_LOG_SHEET
from xlcsr.files.file_book import Clock
from xlcsr.rules.collect import CollectPlan, Filled, Problem, plan_collect
from xlcsr.rules.signoff import STATE_KEY, ReviewWrite, SignoffPlan, ledger_of, plan_signoff, register_id
from xlcsr.rules.validate import validate_register


@dataclass
class SignoffResult:
    """What signoff issued: a workbook per department, and the cases that moved to 评审中."""

    report: ValidationReport
    plan: SignoffPlan
    files: dict[str, Path] = field(default_factory=dict)  # department → its workbook

    @property
    def written(self) -> list[Path]:
        return list(self.files.values())

    @property
    def moved(self) -> int:
        return len(self.plan.statuses)

    def to_rows(self) -> list[list[object]]:
        return [[path, len(self.plan.books[dept])] for dept, path in self.files.items()]


def issue_signoffs(book: RegisterBook | Path, *, out: Path, today: date, department: str | None = None,
                   lang: str = "zh", clock: Clock | None = None) -> SignoffResult:
    """Write `out/<部门>-<date>.xlsx` for every department with a question outstanding; cases go to 评审中."""
    from xlcsr.files.signoff_books import write_signoff_book

    book = as_book(book, clock, writes=True, command="signoff")
    register = book.read()
    report, records = validate_register(register, today=today)
    if department and department not in {d.name for d in register.settings.departments}:
        shown = "、".join(d.name for d in register.settings.departments)
        raise XlcsrError(f"部门「{department}」不在「设置」的部门中（现有：{shown}） / "
                         f"department {department!r} is not in the settings")
    ledger = ledger_of(register, records)
    plan = plan_signoff(records, ledger, today=today, department=department)
    result = SignoffResult(report, plan)
    if not plan.books:
        return result
    targets = {dept: out / f"{dept}-{today:%Y%m%d}.xlsx" for dept in plan.books}
    taken = [str(path) for path in targets.values() if path.exists()]
    if taken:
        raise OutputRefused(f"已存在，未覆盖：{'、'.join(taken)}；请换一个输出文件夹 / already there, not "
                            f"overwritten: {', '.join(taken)}; choose another output folder")
    _make_folder(out)
    ident, key = _identity(book, register)
    for dept, items in plan.books.items():
        result.files[dept] = (write_signoff_book(
            targets[dept], register_id=ident, department=dept, issued=today,
            register_name=Path(register.path).name, items=items, key=key, lang=lang))
    state = {"register_id": ident, "issued": plan.issued}
    with tracked(book, register, records, command="signoff", edits=edits_of(_cells("status", plan.statuses)),
                 at=moment(today, clock)):
        book.write_review(register, ReviewWrite(statuses=plan.statuses, state=state))
    return result


def _cells(key: str, values: dict[int, object]) -> dict[tuple[int, str], object]:
    return {(row, key): value for row, value in values.items()}


def _make_folder(out: Path) -> None:
    """The output folder, made before anything is written; OutputRefused when it cannot be."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputRefused(f"无法创建输出文件夹 {out}（{error.strerror or error}），未写入任何文件 / cannot make the "
                            f"output folder {out} ({error.strerror or error}); nothing was written") from None


def _identity(book: RegisterBook, register: Register) -> tuple[str, bytes]:
    """The register's id (made now when it has none) and its seal key (made beside it when missing)."""
    from xlcsr.files.seal_key import seal_key

    ident = register_id(register) or uuid.uuid4().hex
    key = seal_key(_register_path(book, register), ident, create=True)
    assert key is not None
    return ident, key


def ensure_register_id(book: RegisterBook, register: Register) -> tuple[str, bytes]:
    """The register's id and key for a sealed form; a new id is written into the register's state."""
    ident, key = _identity(book, register)
    if register_id(register) != ident:
        book.write_review(register, ReviewWrite(state={**_signoff_state(register), "register_id": ident}))
    return ident, key


def _signoff_state(register: Register) -> dict[str, object]:
    state = register.state.get(STATE_KEY)
    return dict(state) if isinstance(state, dict) else {}


def _register_path(book: RegisterBook, register: Register) -> Path:
    return Path(getattr(book, "path", None) or register.path)


@dataclass
class CollectResult:
    """What collect found in the files: answers applied or stale, files refused, items refused."""

    plan: CollectPlan
    files: list[str] = field(default_factory=list)  # files read
    refused: list[str] = field(default_factory=list)  # one line per refused file
    written: bool = False

    @property
    def applied(self) -> list[Entry]:
        return self.plan.applied

    @property
    def stale(self) -> list[Entry]:
        return self.plan.stale

    @property
    def problems(self) -> list[Problem]:
        return self.plan.problems

    @property
    def clean(self) -> bool:
        return not (self.refused or self.problems or self.stale)

    def to_rows(self) -> list[list[object]]:
        return [[e.case_no, e.department, e.answer, e.reviewer, e.day.isoformat(), str(e.state), e.file]
                for e in self.plan.entries]


def collect_signoffs(book: RegisterBook | Path, sources: Iterable[Path], *, today: date,
                     clock: Clock | None = None) -> CollectResult:
    """Apply the complete, allowed and current answers of the filled workbooks in `sources` (files or folders)."""
    book = as_book(book, clock, writes=True, command="collect")
    register = book.read()
    _, records = validate_register(register, today=today)
    ledger = ledger_of(register, records)
    filled, refused, files = _read_filled(book, register, sources)
    now = clock() if clock else datetime.now()
    plan = plan_collect(filled, ledger, today=today, now=now.replace(microsecond=0))
    result = CollectResult(plan, files, refused)
    if plan.entries or plan.statuses:
        with tracked(book, register, records, command="collect", at=now,
                     edits=edits_of({**_cells("status", plan.statuses), **_cells("closed", plan.closed)})):
            book.write_review(register, ReviewWrite(
                statuses=plan.statuses, closed=plan.closed, progress=plan.progress, rejected=plan.rejected,
                entries=plan.entries, log_row=_free_log_row(book, register)))
        result.written = True
    return result


def _read_filled(book: RegisterBook, register: Register,
                 sources: Iterable[Path]) -> tuple[list[Filled], list[str], list[str]]:
    from xlcsr.files.reader import FileSource
    from xlcsr.files.review_forms import read_review_record
    from xlcsr.files.seal_key import seal_key
    from xlcsr.files.signoff_books import read_signoff_book

    ident = register_id(register)
    path = _register_path(book, register)

    def key_for(other: str) -> bytes | None:
        return seal_key(path, other)

    filled: list[Filled] = []
    refused: list[str] = []
    files: list[str] = []
    for file in _files(sources):
        files.append(str(file))
        try:
            source = FileSource(file)  # opened once: its sheets say which kind of form it is
            if REVIEW_SHEET in source.sheet_names():
                filled.extend(read_review_record(file, register_id=ident, key_for=key_for, source=source))
            else:
                filled.append(read_signoff_book(file, register_id=ident, key_for=key_for, source=source))
        except SignoffRefused as refusal:
            refused.append(str(refusal))
        except XlcsrError as error:
            refused.append(f"{file.name}：{error}")
    return filled, refused, files


def _files(sources: Iterable[Path]) -> list[Path]:
    """The workbooks named, and those in the folders named (not Excel's ~$ lock files), in name order."""
    found: list[Path] = []
    for source in sources:
        if source.is_dir():
            found.extend(sorted(p for p in source.iterdir()
                                if p.suffix.lower() in (".xlsx", ".xlsm") and not p.name.startswith("~$")))
        else:
            found.append(source)
    return found


def _free_log_row(book: RegisterBook, register: Register) -> int:
    """The first empty row of 会签记录 (0 when the sheet is not there yet)."""
    if register.signoffs is None:
        return 0
    rows = book.values(SIGNOFF_LOG_SHEET)
    used = len(rows)
    while used and not any(cell not in (None, "") for cell in rows[used - 1]):
        used -= 1
    return max(used, 1) + 1
