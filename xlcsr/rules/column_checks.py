"""validate's row checks over a read table's columns: which rows may have an issue, and the others' records.

    >>> sweep = ColumnSweep(RowChecks(register), register.table)
    >>> sweep.suspects                   # the rows RowChecks.check must look at, one by one
    [17, 41]
    >>> sweep.records(sweep.clean)       # the records of every other row, as RowChecks.record builds them

A column holds a few distinct values (statuses, departments, owners, dates) or texts that are checked
once each, so the 95% of rows that are fine are found without a dictionary per row. The sweep errs one
way only: a row it passes has no issue `RowChecks.check` would find, and its record is the one
`RowChecks.record` would build; a suspect row may turn out fine. A date written as text, a formula,
a value the settings do not know: the row is a suspect and is checked as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from itertools import compress, count, repeat
from operator import and_, is_, lt, not_

from xlcsr.domain.issues import Issue
from xlcsr.domain.records import CsrRecord, Table
from xlcsr.domain.vocab import DONE
from xlcsr.rules.row_checks import DATE_KEYS, REQUIRED, TEXT_KEYS, RowChecks, future_dates
from xlcsr.rules.row_checks import FORMULA_SIGNS as _SIGNS

# The columns whose every text is looked at for a formula's first sign. A choice's, the departments' and
# the owner's distinct texts are looked at instead; a date that is not a date value, and any revision,
# raise no issue but in the text columns (a row is looked at as a whole when one of those does).
_SCANNED = frozenset(TEXT_KEYS) - {"category", "source", "priority", "status", "contract_type", "departments", "owner"}


_DATED = frozenset({date, type(None)})


class ColumnSweep:
    """One pass over each column of `table` with the rules of `checks`."""

    def __init__(self, checks: RowChecks, table: Table):
        self.table = table
        self.size = size = len(table)
        self._blank: list[str] = [""] * size
        self._none: list[None] = [None] * size
        self._texts = table.texts
        bad: dict[str, set[str]] = {key: set() for key in table.texts}  # texts that make a row a suspect
        suspect: set[int] = set()
        self._suspect = suspect
        if table.formulas:
            suspect.update(i for i, number in enumerate(table.numbers) if number in table.formulas)
        for key in _SCANNED.intersection(table.texts):  # the other columns' texts are looked at one by one below
            column = table.texts[key]
            if any(map(str.startswith, column, repeat(_SIGNS))):
                suspect.update(compress(count(), map(str.startswith, column, repeat(_SIGNS))))
        for key in REQUIRED:
            suspect.update(compress(count(), map(not_, table.texts[key])) if key in table.texts else range(size))
        self.dates = {key: self._dates(key, table) for key in DATE_KEYS}
        received = [day or date.min for day in self.dates["received"]]
        for key in ("due", "closed"):
            later = self.dates[key]
            if later is not self._none:
                suspect.update(compress(count(), map(lt, [day or date.max for day in later], received)))
        self.choices = {key: self._choice(key, checks, bad) for key in checks.choices}
        if "closed" in checks.letters:
            closed = self.text("closed")
            suspect.update(compress(count(), map(and_, map(DONE.__eq__, self.choices["status"]), map(not_, closed))))
        self.departments = self._departments(checks, bad)
        if "owner" in bad:
            bad["owner"].update(text for text in set(self._texts["owner"])
                                if text and (text not in checks.people or text.startswith(_SIGNS)))
        if "case_no" in bad:
            column = self._texts["case_no"]
            bad["case_no"].update(compress(column, map(is_, map(checks.pattern.regex.match, column), repeat(None))))
            bad["case_no"].discard("")
        for key, texts in bad.items():
            if texts:
                suspect.update(compress(count(), map(texts.__contains__, self._texts[key])))
        self.suspects = sorted(suspect)
        clean = [True] * size
        for index in self.suspects:
            clean[index] = False
        self.clean = clean

    def text(self, key: str) -> list[str]:
        """Field `key`'s texts ("" for an empty cell, or every cell of a column the sheet lacks)."""
        return self._texts.get(key) or self._blank

    def _dates(self, key: str, table: Table) -> list[date | None]:
        """Each row's date of `key` (None for an empty cell); a cell that holds no date value is a suspect."""
        texts, values = self.text(key), table.raws.get(key)
        if values is None:  # no cell of the column is a date (all text, or all empty)
            self._suspect.update(compress(count(), texts))
            return self._none  # type: ignore[return-value]
        if not _DATED.issuperset(map(type, values)):  # numbers, times: not dates as they are
            values = [value if type(value) is date else None for value in values]
        self._suspect.update(compress(count(), map(and_, map(bool, texts), map(is_, values, repeat(None)))))
        return values  # type: ignore[return-value]

    def _choice(self, key: str, checks: RowChecks, bad: dict[str, set[str]]) -> list[str]:
        """Each row's value of choice field `key`, as check reads it; a word the settings do not know is a suspect."""
        blank = checks.blank[key]
        if key not in self._texts:
            return [blank] * self.size
        choice, column = checks.choices[key], self._texts[key]
        meant = {text: text if text in choice.allowed else choice.value(text) for text in set(column) if text}
        bad[key].update(text for text, value in meant.items() if value is None or text.startswith(_SIGNS))
        shown = {text: value or "" for text, value in meant.items()}
        if not blank and all(text == value for text, value in shown.items()):
            return column  # the words as they are, as in most columns
        shown[""] = blank
        return list(map(shown.__getitem__, column))

    def _departments(self, checks: RowChecks, bad: dict[str, set[str]]) -> list[tuple[str, ...]]:
        if "departments" not in self._texts:
            return [()] * self.size
        column = self._texts["departments"]
        names = {text: checks.names_of(text) for text in set(column)}
        bad["departments"].update(text for text, found in names.items()
                                  if not checks.known.issuperset(found) or text.startswith(_SIGNS))
        return list(map(names.__getitem__, column))

    def future_dates(self, today: date, letters: dict[str, str]) -> list[Issue]:
        """The FUTURE_DATE warnings of the rows passed (validate adds them to a row without errors)."""
        received, closed = self.dates["received"], self.dates["closed"]
        issues: list[Issue] = []
        for index in [i for i, (r, c) in enumerate(zip(received, closed))
                      if (r is not None and r > today) or (c is not None and c > today)]:
            if self.clean[index]:
                dates = {key: day for key, day in (("received", received[index]), ("closed", closed[index])) if day}
                issues.extend(future_dates(self.table.numbers[index], dates, today, letters))
        return issues

    def wanted(self, wants: Callable[[str, str], bool]) -> list[bool]:
        """The rows passed whose status and case number `wants(status, case_no)` takes."""
        return [ok and wants(status, case_no)
                for ok, status, case_no in zip(self.clean, self.choices["status"], self.text("case_no"))]

    def records(self, mask: Iterable[bool]) -> list[CsrRecord]:
        """The records of the rows `mask` selects (rows passed), as `RowChecks.record` builds them."""
        text, choice, dates = self.text, self.choices, self.dates
        revisions = {value: int(value) if value.isdigit() else None for value in set(text("revision"))}
        columns = zip(
            self.table.numbers, text("customer"), text("requirement"), dates["received"], text("case_no"),
            text("product"), choice["category"], choice["source"], text("source_ref"), text("iatf_clause"),
            choice["priority"], dates["due"], self.departments, text("owner"), choice["status"],
            choice["contract_type"], dates["closed"], text("remarks"),
            map(revisions.__getitem__, text("revision")), repeat(frozenset()))
        return list(map(tuple.__new__, repeat(CsrRecord), compress(columns, mask)))  # CsrRecord._make, in C
