"""The rules of one register row: its issues, and the typed record of a row without any.

    >>> checks = RowChecks(register)
    >>> issues, parsed = checks.check(register.rows[0])
    >>> checks.record(register.rows[0], parsed).received
    datetime.date(2026, 11, 3)
"""

from __future__ import annotations

import re
from datetime import date
from operator import itemgetter
from typing import NamedTuple

from xlcsr.domain.case_pattern import CasePattern
from xlcsr.domain.dates import parse_date
from xlcsr.domain.fields import FIELDS, Kind, split_list
from xlcsr.domain.issues import Code, Issue
from xlcsr.domain.records import CsrRecord, Register, SourceRow
from xlcsr.domain.vocab import DONE
from xlcsr.rules.choices import Choice, choice_rules

REQUIRED = tuple(f.key for f in FIELDS if f.required)
TEXT_KEYS = tuple(f.key for f in FIELDS if f.kind in (Kind.TEXT, Kind.CHOICE, Kind.LIST))
DATE_KEYS = tuple(f.key for f in FIELDS if f.kind is Kind.DATE)
_FORMULA_TEXT = re.compile(r"^\s*(?:[=@]|[+-](?![\d\s.]))")

Choices = dict[str, Choice]
FORMULA_SIGNS = ("=", "@", "+", "-")  # how text that may be a formula starts (texts are stripped)
_SIGNS = frozenset(FORMULA_SIGNS)
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

        departments = self.names_of(texts.get("departments", ""))
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

    def names_of(self, text: str) -> tuple[str, ...]:
        names = self._lists.get(text)
        if names is None:
            names = self._lists[text] = tuple(split_list(text))
        return names


def future_dates(row: int, dates: dict[str, date], today: date, letters: dict[str, str]) -> list[Issue]:
    return [Issue.make(Code.FUTURE_DATE, row=row, column=letters.get(key), field=key, value=day.isoformat(),
                       extra=today.isoformat())
            for key in ("received", "closed") if (day := dates.get(key)) and day > today]
