"""The register's rules: every check yields Issues; rows without errors become typed records.

    >>> report, records = validate_register(register)
    >>> [(i.row, i.field, i.code) for i in report.errors]
    [(7, 'received', <Code.BAD_DATE: 'bad_date'>)]
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date

from xlcsr.domain.case_pattern import CasePattern
from xlcsr.domain.dates import parse_date
from xlcsr.domain.fields import FIELDS, Kind, split_list
from xlcsr.domain.issues import Code, Issue, ValidationReport
from xlcsr.domain.records import CsrRecord, Register, SourceRow
from xlcsr.domain.settings import Settings, email_addresses, is_placeholder_email
from xlcsr.domain.vocab import DONE, SETTINGS_SHEET
from xlcsr.rules.choices import Choice, choice_rules
from xlcsr.rules.columns import unmapped_issues

REQUIRED = tuple(f.key for f in FIELDS if f.required)
TEXT_KEYS = tuple(f.key for f in FIELDS if f.kind in (Kind.TEXT, Kind.CHOICE, Kind.LIST))
DATE_KEYS = tuple(f.key for f in FIELDS if f.kind is Kind.DATE)
_FORMULA_TEXT = re.compile(r"^\s*(?:[=@]|[+-](?![\d\s.]))")


def validate_register(register: Register, today: date | None = None) -> tuple[ValidationReport, list[CsrRecord]]:
    """Check every row of the register; return the report and the records of error-free rows.

    With `today`, a received or closed date after it is a warning. Serial-number dates are read in
    the workbook's date system (`register.date1904`).
    """
    issues: list[Issue] = list(register_warnings(register))
    records: list[CsrRecord] = []
    letters = {key: col.letter for key, col in register.columns.items()}
    pattern = CasePattern(register.settings.case_pattern)
    choices = choice_rules(register.settings)
    for row in register.rows:
        row_issues = list(check_row(row, register.settings, pattern, letters, choices, register.date1904))
        issues.extend(row_issues)
        if not row_issues:
            record = to_record(row, choices, register.date1904)
            records.append(record)
            if today:
                issues.extend(future_dates(record, today, letters))
    issues.extend(check_duplicates(register.rows, letters.get("case_no")))
    bad = {i.row for i in issues if i.code is Code.DUPLICATE}
    records = [r for r in records if r.row not in bad]
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


def check_row(row: SourceRow, settings: Settings, pattern: CasePattern, letters: dict[str, str],
              choices: Choices, date1904: bool = False) -> Iterator[Issue]:
    """Every rule of one row, formula cells first: a field with a formula gets no other check."""

    def issue(code: Code, key: str, value: object = "", extra: object = "") -> Issue:
        return Issue.make(code, row=row.number, column=letters.get(key), field=key,
                          value=value, extra=extra)

    formula_keys = set()
    for key in TEXT_KEYS:
        if key in row.formulas or _FORMULA_TEXT.match(row.text(key)):
            formula_keys.add(key)
            yield issue(Code.FORMULA, key, row.text(key))
    for key in REQUIRED:
        if key not in formula_keys and row.is_empty(key):
            yield issue(Code.MISSING, key)

    dates: dict[str, date] = {}
    for key in DATE_KEYS:
        if row.is_empty(key):
            continue
        try:
            dates[key] = parse_date(row.raw(key), date1904=date1904)
        except ValueError:
            yield issue(Code.BAD_DATE, key, row.text(key))
    received = dates.get("received")
    for key in ("due", "closed"):
        if received and key in dates and dates[key] < received:
            yield issue(Code.DATE_ORDER, key, dates[key].isoformat(), received.isoformat())

    for key, choice in choices.items():
        value = row.text(key)
        if value and key not in formula_keys and choice.value(value) is None:
            yield issue(Code.BAD_CHOICE, key, value, choice.shown)

    if choices["status"].value(row.text("status")) == DONE and row.is_empty("closed") and "closed" in letters:
        yield issue(Code.CLOSED_WITHOUT_DATE, "closed")

    if "departments" not in formula_keys:
        known = [d.name for d in settings.departments]
        for name in split_list(row.text("departments")):
            if name not in known:
                yield issue(Code.UNKNOWN_DEPARTMENT, "departments", name, "、".join(known))
    owner = row.text("owner")
    if owner and "owner" not in formula_keys:  # without 设置, against the default people
        if owner not in settings.person_names:
            yield issue(Code.UNKNOWN_OWNER, "owner", owner)

    case_no = row.text("case_no")
    if case_no and "case_no" not in formula_keys and not pattern.matches(case_no):
        yield issue(Code.BAD_CASE_NO, "case_no", case_no, pattern.shown)


def future_dates(record: CsrRecord, today: date, letters: dict[str, str]) -> Iterator[Issue]:
    for key in ("received", "closed"):
        day = getattr(record, key)
        if day and day > today:
            yield Issue.make(Code.FUTURE_DATE, row=record.row, column=letters.get(key), field=key,
                             value=day.isoformat(), extra=today.isoformat())


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
    where: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row.text("case_no"):
            where[row.text("case_no").upper()].append(row.number)
    for row in rows:
        earlier = [n for n in where.get(row.text("case_no").upper(), []) if n < row.number]
        if row.text("case_no") and earlier:
            yield Issue.make(Code.DUPLICATE, row=row.number, column=letter, field="case_no",
                             value=row.text("case_no"), extra="、".join(map(str, earlier)))


def to_record(row: SourceRow, choices: Choices, date1904: bool = False) -> CsrRecord:
    """The typed record of a row that passed every check."""
    def choice(key: str) -> str:
        return choices[key].value(row.text(key)) or ""

    def day(key: str) -> date | None:
        return parse_date(row.raw(key), date1904=date1904) if row.text(key) else None

    revision = row.text("revision")
    return CsrRecord(
        row=row.number, case_no=row.text("case_no"), customer=row.text("customer"),
        product=row.text("product"), requirement=row.text("requirement"),
        category=choice("category"), source=choice("source"), source_ref=row.text("source_ref"),
        iatf_clause=row.text("iatf_clause"), received=parse_date(row.raw("received"), date1904=date1904),
        priority=choice("priority"), due=day("due"),
        departments=tuple(split_list(row.text("departments"))), owner=row.text("owner"),
        status=choice("status"), contract_type=choice("contract_type"), closed=day("closed"),
        remarks=row.text("remarks"), revision=int(revision) if revision.isdigit() else None,
        formulas=row.formulas,
    )
