"""The register's rules: every check yields Issues; rows without errors become typed records.

    >>> report, records = validate_register(register)
    >>> [(i.row, i.field, i.code) for i in report.errors]
    [(7, 'received', <Code.BAD_DATE: 'bad_date'>)]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from operator import itemgetter
from typing import NamedTuple

from xlcsr.domain.case_pattern import CasePattern
from xlcsr.domain.dates import parse_date
from xlcsr.domain.fields import FIELDS, Kind, split_list
from xlcsr.domain.issues import Code, Issue, ValidationReport
from xlcsr.domain.records import CsrRecord, Register, SourceRow, bulk
from xlcsr.domain.settings import Settings, email_addresses, is_placeholder_email
from xlcsr.domain.vocab import DONE, SETTINGS_SHEET
from xlcsr.rules.choices import Choice, choice_rules
from xlcsr.rules.columns import unmapped_issues
from xlcsr.rules.signoff import ReviewScope, review_warnings

REQUIRED = tuple(f.key for f in FIELDS if f.required)
TEXT_KEYS = tuple(f.key for f in FIELDS if f.kind in (Kind.TEXT, Kind.CHOICE, Kind.LIST))
DATE_KEYS = tuple(f.key for f in FIELDS if f.kind is Kind.DATE)
_FORMULA_TEXT = re.compile(r"^\s*(?:[=@]|[+-](?![\d\s.]))")


def validate_register(register: Register, today: date | None = None) -> tuple[ValidationReport, list[CsrRecord]]:
    """Check every row of the register; return the report and the records of error-free rows.

    With `today`, a received or closed date after it is a warning. Serial-number dates are read in
    the workbook's date system (`register.date1904`).
    """
    return _validate(register, today, typed=True)


def records_of(register: Register, rows: Iterable[int]) -> list[CsrRecord]:
    """The records of the error-free rows among `rows` (sheet rows), each checked as validate checks it."""
    wanted = set(rows)
    checks = RowChecks(register)
    found = []
    for row in register.rows:
        if row.number in wanted:
            issues, parsed = checks.check(row)
            if not issues:
                found.append(checks.record(row, parsed))
    return found


def check_register(register: Register, today: date | None = None) -> ValidationReport:
    """The report of `validate_register` alone, for a command that needs no records (they are not built)."""
    return _validate(register, today, typed=False)[0]


def _validate(register: Register, today: date | None, *, typed: bool) -> tuple[ValidationReport, list[CsrRecord]]:
    issues: list[Issue] = list(register_warnings(register))
    records: list[CsrRecord] = []
    checks = RowChecks(register)
    review = ReviewScope(register)
    reviewed: list[CsrRecord] = []  # the cases the review rules look at, when records are not built
    with bulk():
        for row in register.rows:
            row_issues, parsed = checks.check(row)
            if row_issues:
                issues.extend(row_issues)
                continue
            if today:
                issues.extend(future_dates(row.number, parsed.dates, today, checks.letters))
            if typed:
                records.append(checks.record(row, parsed))
            elif review.wants(parsed.choices["status"], row.texts.get("case_no")):
                reviewed.append(checks.record(row, parsed))
        issues.extend(check_duplicates(register.rows, checks.letters.get("case_no")))
    bad = {i.row for i in issues if i.code is Code.DUPLICATE}
    records = [r for r in records if r.row not in bad]
    candidates = records if typed else [r for r in reviewed if r.row not in bad]
    issues.extend(review_warnings(register, [r for r in candidates if review.wants(r.status, r.case_no)], today))
    issues.sort(key=lambda i: (i.row or 0, len(i.column or ""), i.column or ""))
    return ValidationReport(register.sheet, len(register.rows), issues), records


def register_warnings(register: Register) -> Iterator[Issue]:
    yield from unmapped_issues(register)
    if register.settings.from_defaults:
        yield Issue.make(Code.DEFAULT_SETTINGS)
    yield from placeholder_emails(register.settings)
    for column in register.extra_columns:
        if column.key:
            yield Issue.make(Code.DUPLICATE_COLUMN, field=column.key, column=column.letter,
                             extra=column.letter)


Choices = dict[str, Choice]
_SIGNS = frozenset("=@+-")  # how text that may be a formula starts (texts are stripped)
_FIRST = itemgetter(0)


class Parsed(NamedTuple):
    """What the checks of a row read from it, for its record: dates, choice values, departments."""

    dates: dict[str, date]
    choices: dict[str, str]
    departments: tuple[str, ...]


class RowChecks:
    """Every rule of a row, with what the rules need from the register prepared once."""

    def __init__(self, register: Register):
        settings = register.settings
        self.letters = {key: col.letter for key, col in register.columns.items()}
        self.date1904 = register.date1904
        self.pattern = CasePattern(settings.case_pattern)
        self.choices: Choices = choice_rules(settings)
        self.blank = {key: choice.value("") or "" for key, choice in self.choices.items()}  # an empty cell's value
        self.departments = [d.name for d in settings.departments]
        self.known = frozenset(self.departments)
        self.people = settings.person_names
        self._lists: dict[str, tuple[str, ...]] = {}  # a departments cell → its names (few distinct cells)

    def check(self, row: SourceRow) -> tuple[list[Issue], Parsed]:
        """The row's issues, formula cells first (a field with a formula gets no other check), and what was read."""
        texts = row.texts
        issues: list[Issue] = []

        def issue(code: Code, key: str, value: object = "", extra: object = "") -> None:
            issues.append(Issue.make(code, row=row.number, column=self.letters.get(key), field=key,
                                     value=value, extra=extra))

        formula_keys = set()
        if row.formulas or not _SIGNS.isdisjoint(map(_FIRST, texts.values())):
            for key in TEXT_KEYS:
                if key in row.formulas or _FORMULA_TEXT.match(row.text(key)):
                    formula_keys.add(key)
                    issue(Code.FORMULA, key, row.text(key))
        for key in REQUIRED:
            if key not in formula_keys and key not in texts:
                issue(Code.MISSING, key)

        dates: dict[str, date] = {}
        for key in DATE_KEYS:
            if key in texts:
                value = row.raw(key)
                if type(value) is date:  # a real Excel date, as most are
                    dates[key] = value
                    continue
                try:
                    dates[key] = parse_date(value, date1904=self.date1904)
                except ValueError:
                    issue(Code.BAD_DATE, key, texts[key])
        received = dates.get("received")
        for key in ("due", "closed"):
            if received and key in dates and dates[key] < received:
                issue(Code.DATE_ORDER, key, dates[key].isoformat(), received.isoformat())

        values = dict(self.blank)
        for key, choice in self.choices.items():
            if key in texts:
                text = texts[key]
                value = text if text in choice.allowed else choice.value(text)
                values[key] = value or ""
                if value is None and key not in formula_keys:
                    issue(Code.BAD_CHOICE, key, text, choice.shown)

        if values["status"] == DONE and "closed" not in texts and "closed" in self.letters:
            issue(Code.CLOSED_WITHOUT_DATE, "closed")

        departments = self._names(texts.get("departments", ""))
        if "departments" not in formula_keys:
            for name in departments:
                if name not in self.known:
                    issue(Code.UNKNOWN_DEPARTMENT, "departments", name, "、".join(self.departments))
        owner = texts.get("owner", "")
        if owner and "owner" not in formula_keys and owner not in self.people:  # without 设置, the default people
            issue(Code.UNKNOWN_OWNER, "owner", owner)

        case_no = texts.get("case_no", "")
        if case_no and "case_no" not in formula_keys and not self.pattern.matches(case_no):
            issue(Code.BAD_CASE_NO, "case_no", case_no, self.pattern.shown)
        return issues, Parsed(dates, values, departments)

    def record(self, row: SourceRow, parsed: Parsed) -> CsrRecord:
        """The typed record of a row that passed every check, from what its checks read."""
        text, choice, dates = row.texts.get, parsed.choices, parsed.dates
        revision = text("revision", "")
        return CsrRecord(
            row=row.number, case_no=text("case_no", ""), customer=text("customer", ""),
            product=text("product", ""), requirement=text("requirement", ""),
            category=choice["category"], source=choice["source"], source_ref=text("source_ref", ""),
            iatf_clause=text("iatf_clause", ""), received=dates["received"],
            priority=choice["priority"], due=dates.get("due"),
            departments=parsed.departments, owner=text("owner", ""),
            status=choice["status"], contract_type=choice["contract_type"], closed=dates.get("closed"),
            remarks=text("remarks", ""), revision=int(revision) if revision.isdigit() else None,
            formulas=row.formulas,
        )

    def _names(self, text: str) -> tuple[str, ...]:
        names = self._lists.get(text)
        if names is None:
            names = self._lists[text] = tuple(split_list(text))
        return names


def future_dates(row: int, dates: dict[str, date], today: date, letters: dict[str, str]) -> list[Issue]:
    return [Issue.make(Code.FUTURE_DATE, row=row, column=letters.get(key), field=key, value=day.isoformat(),
                       extra=today.isoformat())
            for key in ("received", "closed") if (day := dates.get(key)) and day > today]


def placeholder_emails(settings: Settings) -> Iterator[Issue]:
    """One warning per example address (a reserved domain) in the settings, naming who has it and where.

    The 设置 reader keeps no cells for people, so the place is 设置 (or the default settings) and the
    person's or department's name.
    """
    places: dict[str, list[tuple[str, str]]] = {}  # address, lower case → (Chinese, English) places
    shown: dict[str, str] = {}
    managed: dict[str, list[str]] = {}

    def note(text: str, zh: str, en: str) -> None:
        for address in email_addresses(text):
            if is_placeholder_email(address):
                shown.setdefault(address.lower(), address)
                found = places.setdefault(address.lower(), [])
                if (zh, en) not in found:
                    found.append((zh, en))

    for person in settings.people:
        note(person.email, f"人员「{person.name}」的邮箱", f"the e-mail of {person.name}")
    for department in settings.departments:
        note(department.email, f"部门「{department.name}」的部门邮箱", f"the department e-mail of {department.name}")
        for address in email_addresses(department.manager_email):
            if is_placeholder_email(address):
                managed.setdefault(address.lower(), []).append(department.name)
                shown.setdefault(address.lower(), address)
    for key, names in managed.items():
        places.setdefault(key, []).append((f"部门「{'、'.join(names)}」的经理邮箱",
                                           f"the manager e-mail of {', '.join(names)}"))
    where_zh, where_en = (("默认设置中", " in the default settings (no 设置 sheet)") if settings.from_defaults
                          else (f"「{SETTINGS_SHEET}」中", f" in {SETTINGS_SHEET}"))
    for key, found in places.items():
        yield Issue.make(Code.PLACEHOLDER_EMAIL, value=shown[key],
                         extra=where_zh + "、".join(zh for zh, _ in found),
                         extra_en=", ".join(en for _, en in found) + where_en)


def check_duplicates(rows: list[SourceRow], letter: str | None) -> Iterator[Issue]:
    """Every row whose case number an earlier row already uses; the first holder keeps it."""
    numbered = [(row.number, case_no, case_no.upper()) for row in rows if (case_no := row.texts.get("case_no"))]
    users: dict[str, list[int]] = {}  # case number, upper case → the rows using it
    for number, _, key in numbered:
        users.setdefault(key, []).append(number)
    shared = {key for key, numbers in users.items() if len(numbers) > 1}
    for number, case_no, key in numbered:
        earlier = [n for n in users[key] if n < number] if key in shared else None
        if earlier:
            yield Issue.make(Code.DUPLICATE, row=number, column=letter, field="case_no",
                             value=case_no, extra="、".join(map(str, earlier)))
