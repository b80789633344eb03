"""Who gets which reminder today: one digest per person, over every register (pure, no I/O).

    >>> plan = build_digests([RegisterCases("清单A.xlsx", settings, records)], date(2026, 11, 25))
    >>> [(d.recipient.name, len(d.overdue), len(d.due_soon), len(d.escalations)) for d in plan.digests]
    [('李强', 2, 1, 0), ('技术部经理', 0, 0, 1)]

Routing: an open case that is overdue or due within the lead days goes to its owner; a case without
owner goes to the head of each of its departments (the head's e-mail, else the department's). A
sign-off still outstanding (`CaseTiming.waiting_on`, known once a `ReviewState` is given) goes to the
head of the department that owes it. A case overdue by more than `escalation_days` working days is
escalated: each manager e-mail of its departments gets it once, in the `escalations` section of that
manager's own digest — one summary per manager per run, whatever the number of people late — unless
the manager already gets the case as its owner. Whoever should get a mail but has no e-mail address,
or only an example one under a reserved domain (`is_placeholder_email`: the invented people of the
template and the defaults), is "not configured": a `Problem`, never a recipient and never silently
dropped. A head with an example address falls back to a real department e-mail.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from pathlib import PurePath, PurePosixPath, PureWindowsPath

from xlcsr.domain.records import CsrRecord
from xlcsr.domain.settings import Department, Person, Settings, email_addresses, is_placeholder_email
from xlcsr.domain.vocab import CLOSED_STATUSES, OPEN
from xlcsr.domain.workdays import WorkCalendar
from xlcsr.rules.deadlines import CaseTiming, ReviewState, timings


@dataclass(frozen=True)
class RegisterCases:
    """The valid records of one register, with its settings; `label` names it in mails and reports."""

    label: str
    settings: Settings
    records: Sequence[CsrRecord]
    review: ReviewState | None = None
    path: str = ""  # the register's full path, for the mail's folder and link; "" for a never-saved workbook


@dataclass(frozen=True)
class RegisterSource:
    """Where a register of a digest lives: its label, folder and a `file:` link (empty when unknown)."""

    label: str
    path: str = ""

    @property
    def _pure(self) -> PurePath | None:
        if not self.path:
            return None
        windows = PureWindowsPath(self.path)
        pure: PurePath = windows if windows.drive else PurePosixPath(self.path)
        return pure if pure.is_absolute() else None

    @property
    def name(self) -> str:
        pure = self._pure
        return pure.name if pure else self.label

    @property
    def folder(self) -> str:
        pure = self._pure
        return str(pure.parent) if pure else ""

    @property
    def uri(self) -> str:
        pure = self._pure
        return pure.as_uri() if pure else ""


@dataclass(frozen=True)
class CaseLine:
    """One case as a digest lists it."""

    register: str
    row: int
    case_no: str
    customer: str
    product: str
    requirement: str
    due: date
    overdue_days: int
    status: str
    departments: tuple[str, ...]
    owner: str
    escalated: bool = False
    waiting_on: tuple[str, ...] = ()
    days_left: int = 0  # working days to the due date (0: due today)
    waited_days: int = 0  # in a department's sign-off list: working days since its sheet was issued
    rejection: str = ""  # who turned the case down and why: "技术部不能满足（…）"

    @property
    def identity(self) -> str:
        return f"{self.register}#{self.case_no or f'row{self.row}'}"


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


SECTIONS = ("overdue", "due_soon", "rejected", "waiting", "escalations")  # a digest's lists of cases, in mail order


@dataclass(frozen=True)
class Digest:
    """Today's reminder for one recipient; `key` identifies it in the sent log.

    `escalations` are the cases of the departments this recipient manages that are overdue by more
    than `escalation_days` (others' cases: who, what, how late). `limit` is how many cases each section
    of the mail lists; `sources` says where each register of the digest lives.
    """

    recipient: Recipient
    today: date
    overdue: tuple[CaseLine, ...] = ()
    due_soon: tuple[CaseLine, ...] = ()
    waiting: tuple[CaseLine, ...] = ()
    escalations: tuple[CaseLine, ...] = ()
    rejected: tuple[CaseLine, ...] = ()  # the recipient's cases a department or 总经理 turned down
    limit: int = 50
    escalation_days: int = 5
    sources: tuple[RegisterSource, ...] = ()

    @property
    def escalated(self) -> tuple[CaseLine, ...]:
        """The recipient's own overdue cases that have been reported to their department's manager."""
        return tuple(line for line in self.overdue if line.escalated)

    @property
    def cases(self) -> int:
        return sum(len(getattr(self, section)) for section in SECTIONS)

    @property
    def registers(self) -> tuple[str, ...]:
        return tuple(sorted({line.register for section in SECTIONS for line in getattr(self, section)}))

    @property
    def key(self) -> str:
        parts = [self.recipient.email.lower(), self.today.isoformat()]
        for section in SECTIONS:
            parts.extend(sorted(f"{section}:{line.identity}" for line in getattr(self, section)))
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]

    def __repr__(self) -> str:
        return (f"<Digest to {self.recipient}: {len(self.overdue)} overdue, {len(self.due_soon)} due soon, "
                f"{len(self.waiting)} waiting, {len(self.escalations)} escalated>")


class ProblemCode(StrEnum):
    MISSING_EMAIL = "missing_email"  # a person, department or manager without an e-mail address
    PLACEHOLDER_EMAIL = "placeholder_email"  # … or with an example address only (a reserved domain)
    NO_RECIPIENT = "no_recipient"  # a case with neither owner nor department


NOT_CONFIGURED = frozenset({ProblemCode.MISSING_EMAIL, ProblemCode.PLACEHOLDER_EMAIL})
PROBLEM_CASES_SHOWN = 10  # case numbers a problem's message names before it counts the rest


_PROBLEM_TEXT = {
    ProblemCode.MISSING_EMAIL: ("{name} 没有邮箱地址，以下案件的提醒无法发出：{cases}（{register}）",
                                "{name} has no e-mail address; reminders not sent for {cases} ({register})"),
    ProblemCode.PLACEHOLDER_EMAIL: ("{name} 的邮箱 {address} 是示例地址（未配置），以下案件的提醒没有发给它：{cases}"
                                    "（{register}）",
                                    "{name} has only the example address {address} (not configured); reminders "
                                    "not sent for {cases} ({register})"),
    ProblemCode.NO_RECIPIENT: ("以下案件既无负责人也无责任部门，提醒无人可收：{cases}（{register}）",
                               "no owner and no department, nobody to remind: {cases} ({register})"),
}
_PROBLEM_LABEL = {ProblemCode.MISSING_EMAIL: ("未配置邮箱", "not configured"),
                  ProblemCode.PLACEHOLDER_EMAIL: ("未配置邮箱", "not configured"),
                  ProblemCode.NO_RECIPIENT: ("无人可收", "no recipient")}


@dataclass(frozen=True)
class Problem:
    code: ProblemCode
    name: str
    register: str
    cases: tuple[str, ...]
    address: str = ""  # the example address of a PLACEHOLDER_EMAIL

    @property
    def not_configured(self) -> bool:
        """Someone to remind without a usable address: none, or an example one."""
        return self.code in NOT_CONFIGURED

    def label(self, lang: str = "zh") -> str:
        zh, en = _PROBLEM_LABEL[self.code]
        return en if lang == "en" else zh

    def text(self, lang: str = "zh") -> str:
        zh, en = _PROBLEM_TEXT[self.code]
        shown = self.cases[:PROBLEM_CASES_SHOWN]
        cases = (", " if lang == "en" else "、").join(shown)
        if len(self.cases) > len(shown):  # one line stays readable: the rest are counted
            cases += (f" and {len(self.cases) - len(shown)} more" if lang == "en"
                      else f" 等 {len(self.cases)} 项")
        return (en if lang == "en" else zh).format(name=self.name, register=self.register, cases=cases,
                                                   address=self.address)


@dataclass(frozen=True)
class DigestPlan:
    digests: tuple[Digest, ...]
    problems: tuple[Problem, ...]


@dataclass
class _Bucket:
    recipient: Recipient
    overdue: dict[str, CaseLine] = field(default_factory=dict)
    due_soon: dict[str, CaseLine] = field(default_factory=dict)
    waiting: dict[str, CaseLine] = field(default_factory=dict)
    escalations: dict[str, CaseLine] = field(default_factory=dict)
    rejected: dict[str, CaseLine] = field(default_factory=dict)
    managed: list[str] = field(default_factory=list)  # departments whose escalations this recipient gets

    @property
    def named(self) -> Recipient:
        if self.recipient.name:
            return self.recipient
        return Recipient("、".join(self.managed) + "经理", self.recipient.email)


@dataclass(frozen=True)
class _Unconfigured:
    """Someone who should be reminded (or copied) but has no e-mail address, or only an example `address`."""

    name: str
    address: str = ""

    @property
    def code(self) -> ProblemCode:
        return ProblemCode.PLACEHOLDER_EMAIL if self.address else ProblemCode.MISSING_EMAIL


def build_digests(registers: Sequence[RegisterCases], today: date, *,
                  review: ReviewState | None = None) -> DigestPlan:
    """One digest per recipient over all registers; `review` serves registers without their own."""
    buckets: dict[str, _Bucket] = {}
    missing: dict[tuple[ProblemCode, str, str, str], dict[str, None]] = {}  # … → the cases, in order, once

    def bucket(recipient: Recipient) -> _Bucket:
        return buckets.setdefault(recipient.email.lower(), _Bucket(recipient))

    def manager_bucket(address: str, department: str, directory: _Directory) -> _Bucket:
        """A manager's bucket, named after the person with that address (人员), else after what they manage."""
        found = bucket(Recipient(directory.by_email.get(address.lower(), ""), address))
        if department not in found.managed:
            found.managed.append(department)
        return found

    def problem(code: ProblemCode, name: str, register: str, line: CaseLine, address: str = "") -> None:
        missing.setdefault((code, name, register, address), {})[line.case_no or f"第 {line.row} 行"] = None

    escalations: list[tuple[CaseLine, _Directory, set[str]]] = []
    for cases in registers:
        settings = cases.settings
        directory = _Directory(settings)
        calendar = WorkCalendar.from_settings(settings)
        open_cases = [r for r in cases.records if r.status not in CLOSED_STATUSES]  # closed ones get no reminder
        for timing in timings(open_cases, settings, today, cases.review or review):
            line = _line(cases.label, timing, settings)
            rejection = _rejection(cases.review or review, timing)
            if rejection:
                for target in _case_recipients(timing.record, directory):
                    if not isinstance(target, _Unconfigured):  # the owner's problems are listed below
                        bucket(target).rejected[line.identity] = replace(line, rejection=rejection)
            if timing.overdue or timing.due_soon:
                targets = list(_case_recipients(timing.record, directory))
                if not targets:
                    problem(ProblemCode.NO_RECIPIENT, "", cases.label, line)
                reached = set()
                for target in targets:
                    if isinstance(target, _Unconfigured):
                        problem(target.code, target.name, cases.label, line, target.address)
                        continue
                    b = bucket(target)
                    (b.overdue if timing.overdue else b.due_soon)[line.identity] = line
                    reached.add(target.email.lower())
                if line.escalated:
                    escalations.append((line, directory, reached))
            for department in timing.waiting_on:
                waited = _waited(cases.review or review, timing, department, today, calendar)
                if waited is None:  # not issued to the department yet: nothing waits on it
                    continue
                target = _department_contact(department, directory)
                if isinstance(target, _Unconfigured):
                    problem(target.code, target.name, cases.label, line, target.address)
                else:
                    bucket(target).waiting[line.identity] = replace(line, waited_days=waited)

    for line, directory, reached in escalations:  # after every owner's bucket: a manager keeps their own name
        for department, manager in _managers(line.departments, directory):
            if isinstance(manager, _Unconfigured):
                problem(manager.code, manager.name, line.register, line, manager.address)
            elif manager.lower() not in reached:
                manager_bucket(manager, department, directory).escalations[line.identity] = line

    sources = {cases.label: RegisterSource(cases.label, cases.path) for cases in registers}
    first = registers[0].settings if registers else Settings()
    digests = []
    for b in buckets.values():
        digest = Digest(b.named, today, overdue=tuple(sorted(b.overdue.values(), key=_latest_first)),
                        due_soon=tuple(sorted(b.due_soon.values(), key=_soonest_first)),
                        waiting=tuple(sorted(b.waiting.values(), key=_soonest_first)),
                        escalations=tuple(sorted(b.escalations.values(), key=_latest_first)),
                        rejected=tuple(sorted(b.rejected.values(), key=_soonest_first)),
                        limit=first.digest_limit, escalation_days=first.escalation_days)
        digests.append(replace(digest, sources=tuple(sources[label] for label in digest.registers)))
    digests.sort(key=lambda d: (d.recipient.name, d.recipient.email.lower()))
    problems = tuple(Problem(code, name, register, tuple(cases), address)
                     for (code, name, register, address), cases in missing.items())
    return DigestPlan(tuple(digests), problems)


def _waited(review: ReviewState | None, timing: CaseTiming, department: str, today: date,
            calendar: WorkCalendar) -> int | None:
    """Working days the department's sign-off has waited since it was issued; None when it was not issued.

    A `ReviewState` that does not know issue dates has every outstanding sign-off waiting, for 0 days.
    """
    issued_on = getattr(review, "issued_on", None)
    if issued_on is None:
        return 0
    issued = issued_on(timing.record.case_no, department)
    return None if issued is None else calendar.between(issued, today) if issued < today else 0


def _rejection(review: ReviewState | None, timing: CaseTiming) -> str:
    """Who turned the case down and why, when the `ReviewState` knows (the register's 会签记录)."""
    rejected = getattr(review, "rejected", None)
    if rejected is None or timing.closed or not timing.record.case_no:
        return ""
    return "；".join(f"{e.department}{e.answer}（{e.note}）" for e in rejected(timing.record.case_no))


def _latest_first(line: CaseLine) -> tuple[int, date, str]:
    return -line.overdue_days, line.due, line.identity


def _soonest_first(line: CaseLine) -> tuple[date, str]:
    return line.due, line.identity


def _line(label: str, timing: CaseTiming, settings: Settings) -> CaseLine:
    r = timing.record
    return CaseLine(register=label, row=r.row, case_no=r.case_no, customer=r.customer, product=r.product,
                    requirement=r.requirement, due=timing.due, overdue_days=timing.overdue_days,
                    status=r.status or OPEN, departments=r.departments, owner=r.owner,
                    escalated=timing.overdue_days > settings.escalation_days, waiting_on=timing.waiting_on,
                    days_left=timing.days_left)


class _Directory:
    """A register's people and departments by name (the first of a name counts), people's names by e-mail."""

    def __init__(self, settings: Settings):
        self.people: dict[str, Person] = {}
        self.by_email: dict[str, str] = {}  # e-mail, lower case → the name of the first person with it
        for person in settings.people:
            self.people.setdefault(person.name, person)
            self.by_email.setdefault(person.email.lower(), person.name)
        self.departments: dict[str, Department] = {}
        for department in settings.departments:
            self.departments.setdefault(department.name, department)


def _case_recipients(record: CsrRecord, directory: _Directory) -> Iterator[Recipient | _Unconfigured]:
    """The owner; without one, the contact of each responsible department."""
    if record.owner:
        person = directory.people.get(record.owner)
        yield _first_real([(record.owner, person.email if person else "")], record.owner)
        return
    for department in record.departments:
        yield _department_contact(department, directory)


def _department_contact(name: str, directory: _Directory) -> Recipient | _Unconfigured:
    """The department head's e-mail, else the department's own e-mail; example addresses do not count."""
    department = directory.departments.get(name)
    head = department.head if department else ""
    person = directory.people.get(head) if head else None
    label = head or f"{name}负责人"
    return _first_real([(head, person.email if person else ""),
                        (label, department.email if department else "")], label)


def _first_real(candidates: list[tuple[str, str]], name: str) -> Recipient | _Unconfigured:
    """The first (name, address) with a real address; else who is not configured, with any example address."""
    for who, address in candidates:
        if address and not is_placeholder_email(address):
            return Recipient(who, address)
    example = next(((who, address) for who, address in candidates if address), None)
    return _Unconfigured(*example) if example else _Unconfigured(name)


def _managers(departments: Sequence[str], directory: _Directory) -> Iterator[tuple[str, str | _Unconfigured]]:
    """(department, address) for each manager e-mail of each department; an example one, or none, is not
    configured."""
    for name in departments:
        department = directory.departments.get(name)
        addresses = email_addresses(department.manager_email) if department else ()
        if not addresses:
            yield name, _Unconfigured(f"{name}经理")
        for address in addresses:
            yield name, _Unconfigured(f"{name}经理", address) if is_placeholder_email(address) else address
