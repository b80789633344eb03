"""The register's rules: every check yields Issues; rows without errors become typed records.

    >>> report, records = validate_register(register)
    >>> [(i.row, i.field, i.code) for i in report.errors]
    [(7, 'received', <Code.BAD_DATE: 'bad_date'>)]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date
from operator import itemgetter

from xlcsr.domain.issues import Code, Issue, ValidationReport
from xlcsr.domain.records import CsrRecord, Register, bulk
from xlcsr.domain.settings import Settings, email_addresses, is_placeholder_email
from xlcsr.domain.vocab import SETTINGS_SHEET
from xlcsr.rules.column_checks import ColumnSweep
from xlcsr.rules.columns import unmapped_issues
from xlcsr.rules.row_checks import RowChecks, future_dates
from xlcsr.rules.signoff import ReviewScope, review_warnings


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


_ROW = itemgetter(0)  # a record's sheet row


def _validate(register: Register, today: date | None, *, typed: bool) -> tuple[ValidationReport, list[CsrRecord]]:
    issues: list[Issue] = list(register_warnings(register))
    records: list[CsrRecord] = []
    checks = RowChecks(register)
    review = ReviewScope(register)
    reviewed: list[CsrRecord] = []  # the cases the review rules look at, when records are not built
    table = register.read_table
    with bulk():
        sweep = ColumnSweep(checks, table) if table is not None else None
        for row in register.rows if sweep is None else [table.rows[i] for i in sweep.suspects]:  # type: ignore[union-attr]
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
        if sweep is not None:  # the rows the sweep passed
            if today:
                issues.extend(sweep.future_dates(today, checks.letters))
            found = records if typed else reviewed
            found.extend(sweep.records(sweep.clean if typed else sweep.wanted(review.wants)))
            found.sort(key=_ROW)
        issues.extend(check_duplicates(register, checks.letters.get("case_no")))
    bad = {i.row for i in issues if i.code is Code.DUPLICATE}
    records = [r for r in records if r.row not in bad] if bad else records
    candidates = records if typed else [r for r in reviewed if r.row not in bad]
    if review.active:
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


def check_duplicates(register: Register, letter: str | None) -> Iterator[Issue]:
    """Every row whose case number an earlier row already uses; the first holder keeps it."""
    texts = register.texts_of("case_no")
    keys = list(map(str.upper, texts))
    shared = {key for key, uses in Counter(keys).items() if uses > 1 and key}
    if not shared:
        return
    users: dict[str, list[int]] = {}  # case number, upper case → the rows using it
    numbered = [(number, case_no, key) for number, case_no, key in zip(register.numbers, texts, keys) if key in shared]
    for number, _, key in numbered:
        users.setdefault(key, []).append(number)
    for number, case_no, key in numbered:
        earlier = [n for n in users[key] if n < number]
        if earlier:
            yield Issue.make(Code.DUPLICATE, row=number, column=letter, field="case_no",
                             value=case_no, extra="、".join(map(str, earlier)))
