"""What a collection of filled sign-off workbooks changes: the answers applied, stale or refused, and statuses.

    >>> plan = plan_collect([filled], ledger, today=date(2026, 11, 25), now=datetime(2026, 11, 25, 9, 0))
    >>> [(e.case_no, e.department, e.answer) for e in plan.entries], plan.statuses
    ([('CSR-2026-0001', '技术部', '可满足')], {5: '处理中'})

An item is applied whole or not at all: an allowed answer, a reviewer, a valid date not after today,
a 说明 where the answer needs one, for a case the register has, answered for the fields as they read
now (else the answer is stale: kept in 会签记录 as such, not applied). An item left blank is
unanswered, not a problem; one half filled is. A file collected again adds nothing — except a stale
answer whose fields read as answered again (a due date moved back), which then counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from xlcsr.domain.dates import parse_date
from xlcsr.domain.signoff import Answer, Entry, EntryState, Kind, SignoffItem
from xlcsr.domain.vocab import APPROVALS, DONE, IN_PROGRESS, NOTE_REQUIRED, REVIEW_OPINIONS, ROLLOUT_DONE, UNDER_REVIEW
from xlcsr.rules.signoff import REVIEWED, Ledger, fingerprint

ALLOWED: dict[Kind, tuple[str, ...]] = {Kind.REVIEW: REVIEW_OPINIONS, Kind.APPROVAL: APPROVALS,
                                        Kind.ROLLOUT: (ROLLOUT_DONE,)}


@dataclass(frozen=True)
class Filled:
    """One filled sign-off workbook whose seal verified: its items as issued and the answers in it."""

    file: str  # the name shown in messages and kept in 会签记录
    sheet: str
    department: str
    items: dict[tuple[str, Kind], SignoffItem]  # (case, kind) → as sealed
    answers: list[Answer]
    date1904: bool = False


@dataclass(frozen=True)
class Problem:
    """Why an item was not applied, at its file, sheet and cell."""

    file: str
    sheet: str
    cell: str
    case_no: str
    zh: str
    en: str

    def text(self, lang: str = "zh") -> str:
        where = f"{self.file} [{self.sheet}] {self.cell}"
        return f"{where}：{self.case_no} {self.zh}" if lang == "zh" else f"{where}: {self.case_no} {self.en}"


@dataclass
class CollectPlan:
    """The new 会签记录 rows, the problems, and what the answers do to the register."""

    entries: list[Entry] = field(default_factory=list)  # applied and stale, in file order
    problems: list[Problem] = field(default_factory=list)
    repeated: int = 0  # answers already in 会签记录
    unanswered: int = 0
    statuses: dict[int, str] = field(default_factory=dict)  # register row → status
    closed: dict[int, date] = field(default_factory=dict)  # register row → 完成日期
    progress: dict[int, str] = field(default_factory=dict)  # register row → 落实情况 text
    rejected: dict[int, str] = field(default_factory=dict)  # register row → who rejected and why

    @property
    def applied(self) -> list[Entry]:
        return [e for e in self.entries if e.state is EntryState.APPLIED]

    @property
    def stale(self) -> list[Entry]:
        return [e for e in self.entries if e.state is EntryState.STALE]


def plan_collect(books: Iterable[Filled], ledger: Ledger, *, today: date, now: datetime) -> CollectPlan:
    plan = CollectPlan()
    # an answer seen before adds nothing, unless it was stale and the register reads as answered again
    seen = {(e.key, e.state) for e in ledger.entries}
    touched: list[str] = []
    for book in books:
        for answer in book.answers:
            entry = _entry(book, answer, ledger, plan, today, now)
            if entry is None:
                continue
            if (entry.key, EntryState.APPLIED) in seen or (entry.key, entry.state) in seen:
                plan.repeated += 1
                continue
            seen.add((entry.key, entry.state))
            plan.entries.append(entry)
            if entry.state is EntryState.APPLIED:
                touched.append(entry.case_no)
    after = Ledger([*ledger.entries, *plan.entries], ledger.records.values(), ledger.settings, ledger.issued)
    for case_no in dict.fromkeys(touched):
        _follow(case_no, after, plan)
    return plan


def _entry(book: Filled, answer: Answer, ledger: Ledger, plan: CollectPlan, today: date,
           now: datetime) -> Entry | None:
    """The answer as a 会签记录 entry; None (and a problem, unless it is blank) when it cannot be taken."""
    def refuse(cell_key: str, zh: str, en: str) -> None:
        cell = answer.cells.get(cell_key) or answer.cells.get("answer", f"第 {answer.row} 行")
        plan.problems.append(Problem(book.file, book.sheet, cell, answer.case_no, zh, en))

    text, note, reviewer = answer.answer.strip(), answer.note.strip(), answer.reviewer.strip()
    blank_day = answer.day is None or str(answer.day).strip() == ""
    if not text and not note and not reviewer and blank_day:
        plan.unanswered += 1
        return None
    item = book.items.get((answer.case_no, answer.kind))
    record = ledger.records.get(answer.case_no)
    if item is None or record is None:
        refuse("case_no", "不是本清单的案件（或不在本会签表签发的项目中）",
               "is not a case of this register (or not an item issued on this sheet)")
        return None
    allowed = ALLOWED[answer.kind]
    if text not in allowed:
        shown = "、".join(allowed)
        refuse("answer", f"的答复「{text}」无效，应为：{shown}" if text else f"未填写答复（{shown}）",
               f"answer '{text}' is not one of: {shown}" if text else f"has no answer ({shown})")
        return None
    if text in NOTE_REQUIRED and not note:
        refuse("note", f"答复为「{text}」，须填写说明", f"answer '{text}' needs a note (说明)")
        return None
    if answer.kind is Kind.ROLLOUT and not note:
        refuse("note", "已落实须填写更改的文件及版本",
               "a rollout confirmation needs the document changed and its revision")
        return None
    if not reviewer:
        refuse("reviewer", "未填写评审人", "has no reviewer")
        return None
    day = _day(answer.day, book.date1904)
    if day is None:
        refuse("day", f"评审日期「{answer.day or ''}」不是有效日期", f"date '{answer.day or ''}' is not a date")
        return None
    if day > today:
        refuse("day", f"评审日期 {day} 晚于今天 {today}", f"date {day} is after today {today}")
        return None
    current = fingerprint(record, book.department, ledger.settings)
    state = EntryState.APPLIED if current == item.fingerprint else EntryState.STALE
    return Entry(answer.case_no, item.revision, item.fingerprint, book.department, answer.kind, text, note,
                 reviewer, day, book.file, now, state)


def _day(value: object, date1904: bool) -> date | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        return parse_date(value, date1904=date1904)
    except ValueError:
        return None


def _follow(case_no: str, ledger: Ledger, plan: CollectPlan) -> None:
    """The case's status, 完成日期 and 落实情况 after the answers (the workflow of DESIGN.md)."""
    record = ledger.records[case_no]
    plan.progress[record.row] = ledger.progress(case_no)
    rejected = ledger.rejected(case_no)
    if record.status in REVIEWED:
        if rejected:
            plan.statuses[record.row] = UNDER_REVIEW
            plan.rejected[record.row] = "；".join(f"{e.department}{e.answer}：{e.note}" for e in rejected)
        elif ledger.approved(case_no):
            plan.statuses[record.row] = IN_PROGRESS
        elif record.status != UNDER_REVIEW:
            plan.statuses[record.row] = UNDER_REVIEW
    elif record.status == IN_PROGRESS:
        done, missing = ledger.rolled_out(case_no)
        if done and not missing:
            plan.statuses[record.row] = DONE
            days = [ledger.current(case_no, d, Kind.ROLLOUT).day for d in done]  # type: ignore[union-attr]
            plan.closed[record.row] = max(days)
