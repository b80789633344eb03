"""Who gets which reminder today: one digest per person, over every register (pure, no I/O).

    >>> plan = build_digests([RegisterCases("清单A.xlsx", settings, records)], date(2026, 11, 25))
    >>> [(d.recipient.name, len(d.overdue), len(d.due_soon), d.cc) for d in plan.digests]
    [('李强', 2, 1, ('zhou@csrplant.cn',))]

Routing: an open case that is overdue or due within the lead days goes to its owner; a case without
owner goes to the head of each of its departments (the head's e-mail, else the department's). A
sign-off still outstanding (`CaseTiming.waiting_on`, known once a `ReviewState` is given) goes to the
head of the department that owes it. A case overdue by more than `escalation_days` working days puts
its departments' manager e-mails on the CC line. Whoever should get a mail (or a copy) but has no
e-mail address, or only an example one under a reserved domain (`is_placeholder_email`: the invented
people of the template and the defaults), is "not configured": a `Problem`, never a recipient and
never silently dropped. A head with an example address falls back to a real department e-mail.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from xlcsr.domain.records import CsrRecord
from xlcsr.domain.settings import Settings, email_addresses, is_placeholder_email
from xlcsr.domain.vocab import OPEN
from xlcsr.rules.deadlines import CaseTiming, ReviewState, timings


@dataclass(frozen=True)
class RegisterCases:
    """The valid records of one register, with its settings; `label` names it in mails and reports."""

    label: str
    settings: Settings
    records: Sequence[CsrRecord]
    review: ReviewState | None = None


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

    @property
    def identity(self) -> str:
        return f"{self.register}#{self.case_no or f'row{self.row}'}"


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


@dataclass(frozen=True)
class Digest:
    """Today's reminder for one recipient; `key` identifies it in the sent log."""

    recipient: Recipient
    today: date
    overdue: tuple[CaseLine, ...] = ()
    due_soon: tuple[CaseLine, ...] = ()
    waiting: tuple[CaseLine, ...] = ()
    cc: tuple[str, ...] = ()

    @property
    def escalated(self) -> tuple[CaseLine, ...]:
        return tuple(line for line in self.overdue if line.escalated)

    @property
    def registers(self) -> tuple[str, ...]:
        return tuple(sorted({line.register for line in (*self.overdue, *self.due_soon, *self.waiting)}))

    @property
    def key(self) -> str:
        parts = [self.recipient.email.lower(), self.today.isoformat()]
        for section, lines in (("overdue", self.overdue), ("due_soon", self.due_soon), ("waiting", self.waiting)):
            parts.extend(sorted(f"{section}:{line.identity}" for line in lines))
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]

    def __repr__(self) -> str:
        return (f"<Digest to {self.recipient}: {len(self.overdue)} overdue, {len(self.due_soon)} due soon, "
                f"{len(self.waiting)} waiting{', cc ' + ', '.join(self.cc) if self.cc else ''}>")


class ProblemCode(StrEnum):
    MISSING_EMAIL = "missing_email"  # a person, department or manager without an e-mail address
    PLACEHOLDER_EMAIL = "placeholder_email"  # … or with an example address only (a reserved domain)
    NO_RECIPIENT = "no_recipient"  # a case with neither owner nor department


NOT_CONFIGURED = frozenset({ProblemCode.MISSING_EMAIL, ProblemCode.PLACEHOLDER_EMAIL})


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
        cases = (", " if lang == "en" else "、").join(self.cases)
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
    cc: dict[str, None] = field(default_factory=dict)


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
    missing: dict[tuple[ProblemCode, str, str, str], list[str]] = {}

    def bucket(recipient: Recipient) -> _Bucket:
        return buckets.setdefault(recipient.email.lower(), _Bucket(recipient))

    def problem(code: ProblemCode, name: str, register: str, line: CaseLine, address: str = "") -> None:
        cases = missing.setdefault((code, name, register, address), [])
        label = line.case_no or f"第 {line.row} 行"
        if label not in cases:
            cases.append(label)

    for cases in registers:
        settings = cases.settings
        for timing in timings(list(cases.records), settings, today, cases.review or review):
            if timing.closed:
                continue
            line = _line(cases.label, timing, settings)
            if timing.overdue or timing.due_soon:
                targets = list(_case_recipients(timing.record, settings))
                if not targets:
                    problem(ProblemCode.NO_RECIPIENT, "", cases.label, line)
                managers = list(_managers(timing.record, settings)) if line.escalated else []
                for target in targets:
                    if isinstance(target, _Unconfigured):
                        problem(target.code, target.name, cases.label, line, target.address)
                        continue
                    b = bucket(target)
                    (b.overdue if timing.overdue else b.due_soon)[line.identity] = line
                    for manager in managers:
                        if isinstance(manager, _Unconfigured):
                            problem(manager.code, manager.name, cases.label, line, manager.address)
                        elif manager.lower() != target.email.lower():
                            b.cc[manager] = None
            for department in timing.waiting_on:
                target = _department_contact(department, settings)
                if isinstance(target, _Unconfigured):
                    problem(target.code, target.name, cases.label, line, target.address)
                else:
                    bucket(target).waiting[line.identity] = line

    digests = [
        Digest(b.recipient, today,
               overdue=tuple(sorted(b.overdue.values(), key=lambda c: (-c.overdue_days, c.due, c.identity))),
               due_soon=tuple(sorted(b.due_soon.values(), key=lambda c: (c.due, c.identity))),
               waiting=tuple(sorted(b.waiting.values(), key=lambda c: (c.due, c.identity))),
               cc=tuple(_unique_ci(b.cc)))
        for b in buckets.values()
    ]
    digests.sort(key=lambda d: (d.recipient.name, d.recipient.email.lower()))
    problems = tuple(Problem(code, name, register, tuple(cases), address)
                     for (code, name, register, address), cases in missing.items())
    return DigestPlan(tuple(digests), problems)


def _line(label: str, timing: CaseTiming, settings: Settings) -> CaseLine:
    r = timing.record
    return CaseLine(register=label, row=r.row, case_no=r.case_no, customer=r.customer, product=r.product,
                    requirement=r.requirement, due=timing.due, overdue_days=timing.overdue_days,
                    status=r.status or OPEN, departments=r.departments, owner=r.owner,
                    escalated=timing.overdue_days > settings.escalation_days, waiting_on=timing.waiting_on)


def _case_recipients(record: CsrRecord, settings: Settings) -> Iterator[Recipient | _Unconfigured]:
    """The owner; without one, the contact of each responsible department."""
    if record.owner:
        person = next((p for p in settings.people if p.name == record.owner), None)
        yield _first_real([(record.owner, person.email if person else "")], record.owner)
        return
    for department in record.departments:
        yield _department_contact(department, settings)


def _department_contact(name: str, settings: Settings) -> Recipient | _Unconfigured:
    """The department head's e-mail, else the department's own e-mail; example addresses do not count."""
    department = next((d for d in settings.departments if d.name == name), None)
    head = department.head if department else ""
    person = next((p for p in settings.people if p.name == head), None) if head else None
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


def _managers(record: CsrRecord, settings: Settings) -> Iterator[str | _Unconfigured]:
    """Each address of each department's manager e-mail; an example one, or none, is not configured."""
    for name in record.departments:
        department = next((d for d in settings.departments if d.name == name), None)
        addresses = email_addresses(department.manager_email) if department else ()
        if not addresses:
            yield _Unconfigured(f"{name}经理")
        for address in addresses:
            yield _Unconfigured(f"{name}经理", address) if is_placeholder_email(address) else address


def _unique_ci(addresses: dict[str, None]) -> list[str]:
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.lower(), address)
    return list(seen.values())
