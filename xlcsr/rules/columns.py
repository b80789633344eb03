"""How every column of the register is understood, and what an unknown column looks like.

    >>> [(r.column.letter, r.how, r.field, r.looks_like) for r in read_columns(register)][-2:]
    [('I', 'unknown', None, 'status'), ('J', 'unknown', None, 'due')]

An unknown column whose values look like a field the register lacks (dates, status words, case
numbers, configured people) is never ignored quietly: validate warns `unmapped_column`, and a
command that would add that field as a new column stops instead (`added_lookalikes`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from xlcsr.domain.case_pattern import CasePattern
from xlcsr.domain.dates import parse_date
from xlcsr.domain.fields import FIELD_BY_KEY, normalize
from xlcsr.domain.issues import Code, Issue
from xlcsr.domain.records import Column, Register, cell_text
from xlcsr.rules.choices import choice_rules
from xlcsr.rules.highlight import own_columns

LOOKS_LIKE_SHARE = 0.6  # of an unknown column's values that must look like a field
SERIALS_OF_DATES = (29_221, 62_091)  # plain numbers taken for dates: 1980-01-01 … 2069-12-31


@dataclass(frozen=True)
class ColumnReading:
    """One column: found by its header (`alias`), by the user's 【列映射】 (`mapping`), a second column
    for a field (`duplicate`) or not known (`unknown`, maybe with what it `looks_like`)."""

    column: Column
    how: str
    field: str | None = None
    looks_like: str | None = None


def read_columns(register: Register) -> list[ColumnReading]:
    mapped = register.settings.column_map
    readings = [ColumnReading(c, "mapping" if normalize(c.header) in mapped else "alias", c.key)
                for c in register.columns.values()]
    looks = lookalikes(register)
    for column in register.extra_columns:
        if column.key:
            readings.append(ColumnReading(column, "duplicate", column.key))
        else:
            readings.append(ColumnReading(column, "unknown", None, looks.get(column.index)))
    return sorted(readings, key=lambda r: r.column.index)


def lookalikes(register: Register) -> dict[int, str]:
    """Unknown column index → the missing field its values look like."""
    missing = [k for k in ("case_no", "due", "closed", "status", "owner", "priority") if k not in register.columns]
    tests = _tests(register)
    found: dict[int, str] = {}
    own = own_columns(register)  # 逾期天数 and the legend are xlcsr's, not the user's
    for index, values in sorted(register.samples.items()):
        if index in own:
            continue
        texts = [cell_text(v) for v in values if cell_text(v)]
        if not texts:
            continue
        for key in missing:
            if key in found.values():
                continue
            share = sum(1 for value, text in zip(values, texts) if tests[key](value, text)) / len(texts)
            if share >= LOOKS_LIKE_SHARE:
                found[index] = key
                break
    return found


def unmapped_issues(register: Register) -> Iterator[Issue]:
    """An `unmapped_column` warning for every unknown column that looks like a field."""
    columns = {c.index: c for c in register.extra_columns}
    for index, key in lookalikes(register).items():
        column = columns[index]
        yield Issue.make(Code.UNMAPPED_COLUMN, column=column.letter, field=key, value=column.header,
                         extra=column.letter)


def added_lookalikes(register: Register, added: Iterable[str]) -> list[tuple[Column, str]]:
    """(unknown column, field) for each field about to be added as a new column while a column looks like it."""
    columns = {c.index: c for c in register.extra_columns}
    wanted = set(added)
    return [(columns[i], key) for i, key in lookalikes(register).items() if key in wanted]


def _tests(register: Register) -> dict[str, object]:
    settings = register.settings
    pattern = CasePattern(settings.case_pattern)
    choices = choice_rules(settings)
    people = settings.person_names

    def is_date(value: object, text: str) -> bool:
        if isinstance(value, (int, float)) and not SERIALS_OF_DATES[0] <= value <= SERIALS_OF_DATES[1]:
            return False  # 1, 2, 3 … is a running number, not January 1900
        try:
            parse_date(value, date1904=register.date1904)
        except ValueError:
            return False
        return True

    return {
        "case_no": lambda value, text: pattern.matches(text),
        "due": is_date,
        "closed": is_date,
        "status": lambda value, text: choices["status"].value(text) is not None,
        "priority": lambda value, text: choices["priority"].value(text) is not None,
        "owner": lambda value, text: text in people,
    }


def mapping_hint(column: Column, key: str) -> str:
    """'「目标日期」→ 截止日期' for messages."""
    return f"「{column.header}」→ {FIELD_BY_KEY[key].header}"
