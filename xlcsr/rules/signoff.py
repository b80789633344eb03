"""Who must sign what, what they signed, and what is still outstanding (会签, 批准, 落实确认).

    >>> ledger = Ledger(register.signoffs, records, settings)
    >>> ledger.unsigned("CSR-2026-0001")
    ('品质部', '生产部')
    >>> plan = plan_signoff(records, ledger, today=date(2026, 11, 25))
    >>> [item.case_no for item in plan.books["品质部"]]
    ['CSR-2026-0001']

A department's answer rests on a fingerprint of the fields it reviewed: the requirement, category
and contract type for everyone, and the due date too for the date-sensitive departments of 设置
(default 生产部, 采购部) and for 总经理. An answer counts while the case's fingerprint for that
department is still the one answered (so a changed due date leaves 技术部's answer valid); the latest
such answer of a department wins. Only cases in 待处理 or 评审中 are reviewed; a case that went
through review here is then confirmed rolled out by each named department once it is 处理中.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from xlcsr.domain.issues import Code, Issue
from xlcsr.domain.records import CsrRecord, Register
from xlcsr.domain.settings import Settings
from xlcsr.domain.signoff import Entry, EntryState, Kind, SignoffItem
from xlcsr.domain.vocab import APPROVER, DONE, IN_PROGRESS, OPEN, REJECTIONS, ROLLOUT_DONE, UNDER_REVIEW
from xlcsr.domain.workdays import WorkCalendar

STATE_KEY = "signoff"  # in `_xlcsr`: {"register_id": …, "issued": {case: {department: [date, fingerprint]}}}
ID_KEY = "register_id"  # in `_xlcsr`: the id `track` gives a register that has none from sign-off
REVIEWED = (OPEN, UNDER_REVIEW)
REJECTED_FILL = "FFFF9999"  # the 落实情况 cell of a case a department or 总经理 turned down
SPECIAL = "特殊"
SHOWN_FIELDS = ("customer", "product", "requirement", "category", "source", "source_ref", "received", "due",
                "revision")


def revision_of(record: CsrRecord) -> int:
    return record.revision or 1


def fingerprint(record: CsrRecord, department: str, settings: Settings) -> str:
    """The fields `department`'s answer rests on, hashed (16 hex digits)."""
    parts = [record.requirement, record.category, record.contract_type]
    if department == APPROVER or department in settings.date_sensitive:
        parts.append(record.due.isoformat() if record.due else "")
    text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def reviewers(record: CsrRecord) -> tuple[str, ...]:
    """The departments that review the case: those named, and 总经理 for a special contract."""
    named = tuple(d for d in record.departments if d != APPROVER)
    return named + (APPROVER,) if record.contract_type == SPECIAL else named


def kind_for(department: str, phase: Kind) -> Kind:
    """The question `department` answers in a phase: 总经理 approves what the others review."""
    return Kind.APPROVAL if phase is Kind.REVIEW and department == APPROVER else phase


def shown(record: CsrRecord) -> dict[str, str]:
    """The register values a sign-off item shows, as text."""
    values = {key: getattr(record, key) for key in SHOWN_FIELDS}
    values["revision"] = revision_of(record)
    return {key: value.isoformat() if isinstance(value, date) else str(value or "") for key, value in values.items()}


def item_for(record: CsrRecord, department: str, kind: Kind, settings: Settings) -> SignoffItem:
    return SignoffItem(record.case_no, department, kind, revision_of(record),
                       fingerprint(record, department, settings), shown(record))


class Ledger:
    """The answers of 会签记录 against today's register: the `ReviewState` of validate, highlight, remind.

    `issued` is what the sign-off runs recorded in the register's state: case → department → [date, fingerprint].
    """

    def __init__(self, entries: Iterable[Entry], records: Iterable[CsrRecord], settings: Settings,
                 issued: dict[str, dict[str, list[str]]] | None = None, *, active: bool = True):
        self.settings = settings
        self.active = active  # the register uses sign-off: it has a 会签记录 sheet or issued a sheet
        self.entries = list(entries)
        self.records = {r.case_no: r for r in records if r.case_no}
        self.issued = issued or {}
        self._by_case: dict[str, list[Entry]] = defaultdict(list)
        for entry in self.entries:
            if entry.state is EntryState.APPLIED:
                self._by_case[entry.case_no].append(entry)

    def current(self, case_no: str, department: str, kind: Kind) -> Entry | None:
        """The latest answer of `department` that still holds for the case as it reads now."""
        record = self.records.get(case_no)
        entries = self._by_case.get(case_no)
        if record is None or not entries:
            return None
        print_ = fingerprint(record, department, self.settings)
        found = [e for e in entries if e.department == department and e.kind is kind and e.fingerprint == print_]
        return max(found, key=lambda e: (e.day, e.collected_at, e.row)) if found else None

    def reviewed_here(self, case_no: str) -> bool:
        """True when the case has answers in 会签记录 (it went through sign-off with xlcsr)."""
        return bool(self._by_case.get(case_no))

    def unsigned(self, case_no: str) -> tuple[str, ...]:
        """The departments whose review or approval of an open case is outstanding."""
        record = self.records.get(case_no)
        if record is None or record.status not in REVIEWED:
            return ()
        if not self._by_case.get(case_no):
            return reviewers(record)
        return tuple(d for d in reviewers(record) if self.current(case_no, d, kind_for(d, Kind.REVIEW)) is None)

    def rejected(self, case_no: str) -> list[Entry]:
        """The answers that stop the case: 不能满足 or 不批准, still holding."""
        record = self.records.get(case_no)
        if record is None or not self._by_case.get(case_no):
            return []
        found = (self.current(case_no, d, kind_for(d, Kind.REVIEW)) for d in reviewers(record))
        return [e for e in found if e is not None and e.answer in REJECTIONS]

    def approved(self, case_no: str) -> bool:
        """Every reviewer answered, none rejected: the case may go to 处理中."""
        return not self.unsigned_any(case_no) and not self.rejected(case_no)

    def unsigned_any(self, case_no: str) -> tuple[str, ...]:
        """Like `unsigned`, whatever the case's status."""
        record = self.records.get(case_no)
        if record is None:
            return ()
        return tuple(d for d in reviewers(record) if self.current(case_no, d, kind_for(d, Kind.REVIEW)) is None)

    def rolled_out(self, case_no: str) -> tuple[list[str], list[str]]:
        """(departments that confirmed, departments that have not), over the named departments."""
        record = self.records.get(case_no)
        if record is None:
            return [], []
        named = [d for d in record.departments if d != APPROVER]
        done = [d for d in named if self._confirmed(case_no, d)]
        return done, [d for d in named if d not in done]

    def _confirmed(self, case_no: str, department: str) -> bool:
        entry = self.current(case_no, department, Kind.ROLLOUT)
        return entry is not None and entry.answer == ROLLOUT_DONE

    def issued_on(self, case_no: str, department: str) -> date | None:
        """When the outstanding question was first issued to `department`, if it was."""
        entry = self.issued.get(case_no, {}).get(department)
        record = self.records.get(case_no)
        if not entry or record is None or entry[1] != fingerprint(record, department, self.settings):
            return None
        return date.fromisoformat(entry[0])

    def progress(self, case_no: str) -> str:
        """The register's 落实情况 text: what the case waits for, or how far its rollout is."""
        record = self.records.get(case_no)
        if record is None or not self.reviewed_here(case_no):
            return ""
        rejected = self.rejected(case_no)
        if rejected:
            return "、".join(f"{e.department}{e.answer}" for e in rejected)
        waiting = self.unsigned_any(case_no)
        if waiting:
            return "待会签：" + "、".join(waiting)
        done, missing = self.rolled_out(case_no)
        return f"{len(done)}/{len(done) + len(missing)} 已落实"


@dataclass
class ReviewWrite:
    """What a sign-off command writes into the register, in one save (both adapters)."""

    statuses: dict[int, str] = field(default_factory=dict)  # register row → status
    closed: dict[int, date] = field(default_factory=dict)  # register row → 完成日期
    progress: dict[int, str] = field(default_factory=dict)  # register row → 落实情况 text
    rejected: dict[int, str] = field(default_factory=dict)  # register row → who rejected, why (shown red)
    entries: list[Entry] = field(default_factory=list)  # new 会签记录 rows
    log_row: int = 0  # where they go: the first free row of 会签记录, 0 when the sheet is not there
    state: dict[str, object] | None = None  # the `_xlcsr` signoff entry, when it changes


@dataclass
class SignoffPlan:
    """What `signoff` issues: per department its items, the cases that go to 评审中, the issue dates."""

    books: dict[str, list[SignoffItem]] = field(default_factory=dict)
    statuses: dict[int, str] = field(default_factory=dict)  # register row → new status
    issued: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # the state to keep
    without_departments: list[str] = field(default_factory=list)  # open cases nobody is named to review

    @property
    def items(self) -> int:
        return sum(len(items) for items in self.books.values())


def plan_signoff(records: Iterable[CsrRecord], ledger: Ledger, *, today: date,
                 department: str | None = None) -> SignoffPlan:
    """Every question still outstanding, grouped by department (only `department`'s when given)."""
    settings = ledger.settings
    plan = SignoffPlan(issued={case: dict(depts) for case, depts in ledger.issued.items()})
    for record in records:
        if not record.case_no:
            continue
        wanted = _outstanding(record, ledger)
        if record.status in REVIEWED and not reviewers(record):
            plan.without_departments.append(record.case_no)
        for dept, kind in wanted:
            if department and dept != department:
                continue
            item = item_for(record, dept, kind, settings)
            plan.books.setdefault(dept, []).append(item)
            before = plan.issued.get(record.case_no, {}).get(dept)
            if not before or before[1] != item.fingerprint:
                plan.issued.setdefault(record.case_no, {})[dept] = [today.isoformat(), item.fingerprint]
            if record.status == OPEN and kind is not Kind.ROLLOUT:
                plan.statuses[record.row] = UNDER_REVIEW
    return plan


def _outstanding(record: CsrRecord, ledger: Ledger) -> list[tuple[str, Kind]]:
    if record.status in REVIEWED:
        return [(d, kind_for(d, Kind.REVIEW)) for d in ledger.unsigned(record.case_no)]
    if record.status == IN_PROGRESS and ledger.reviewed_here(record.case_no):
        return [(d, Kind.ROLLOUT) for d in ledger.rolled_out(record.case_no)[1]]
    return []


def ledger_of(register: Register, records: Iterable[CsrRecord]) -> Ledger:
    """The ledger of a register as read: its 会签记录 entries and the issue dates in its state."""
    state = register.state.get(STATE_KEY)
    issued = dict(state.get("issued", {})) if isinstance(state, dict) else {}
    return Ledger(register.signoffs or [], records, register.settings, issued, active=uses_signoff(register))


def uses_signoff(register: Register) -> bool:
    """The register has a 会签记录 sheet (every new one does) or has issued sign-off workbooks or forms."""
    return register.signoffs is not None or isinstance(register.state.get(STATE_KEY), dict)


def register_id(register: Register) -> str | None:
    """The register's id, kept in `_xlcsr` once it issued a sign-off or was tracked (it travels with the file)."""
    state = register.state.get(STATE_KEY)
    found = register.state.get(ID_KEY) or (state.get("register_id") if isinstance(state, dict) else None)
    return str(found) if found else None


class ReviewScope:
    """Which rows the review warnings need as records: none in a register that does not use sign-off;
    else the numbered open ones, and the closed ones with answers in 会签记录."""

    def __init__(self, register: Register):
        self.active = uses_signoff(register)
        self.logged = {entry.case_no for entry in register.signoffs or ()}

    def wants(self, status: str, case_no: str | None) -> bool:
        if not self.active or not case_no:
            return False
        return status in REVIEWED or (status == DONE and case_no in self.logged)


def review_warnings(register: Register, records: list[CsrRecord], today: date | None) -> list[Issue]:
    """review_late, review_rejected and closed_without_rollout for the cases of `records`.

    Only for a register that uses sign-off (a 会签记录 sheet, as every new register has): an old list
    whose reviews are kept on paper is not flagged.

    review_late (IATF 16949 §7.5.3.2.2): open for review more than `review_days` working days after
    receipt with a sign-off missing. closed_without_rollout: a case reviewed here set 已完成 while a
    department has not confirmed its rollout, with nothing in 备注 to say why.
    """
    settings = register.settings
    ledger = ledger_of(register, records)
    if not ledger.active:
        return []
    calendar = WorkCalendar.from_settings(settings)
    letters = {key: column.letter for key, column in register.columns.items()}
    issues = []
    for record in records:
        if record.status in REVIEWED:
            waiting = ledger.unsigned(record.case_no)
            if waiting and today and calendar.between(record.received, today) > settings.review_days:
                issues.append(Issue.make(Code.REVIEW_LATE, row=record.row, column=letters.get("received"),
                                         field="received", value="、".join(waiting), extra=settings.review_days))
            rejected = ledger.rejected(record.case_no)
            if rejected:
                said = "；".join(f"{e.department}{e.answer}（{e.note}）" for e in rejected)
                issues.append(Issue.make(Code.REVIEW_REJECTED, row=record.row, column=letters.get("status"),
                                         field="status", value=said))
        elif record.status == DONE and not record.remarks and ledger.reviewed_here(record.case_no):
            missing = ledger.rolled_out(record.case_no)[1]
            if missing:
                issues.append(Issue.make(Code.CLOSED_WITHOUT_ROLLOUT, row=record.row, column=letters.get("status"),
                                         field="status", value="、".join(missing)))
    return issues
