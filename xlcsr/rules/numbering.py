"""Case-number assignment that never renumbers or reuses, and the due dates and statuses it fills.

    >>> plan = plan_assignment(records, settings, used=["CSR-2026-0012"], high_water={"seq:2026": 14})
    >>> plan.numbered
    [(7, 'CSR-2026-0015')]
    >>> plan.new_fields(register.columns)              # a register without 截止日期 and 处理状态 columns
    ['due', 'status']
    >>> column_width("案件号", ["CSR-2026-0015"])       # characters, as Excel counts column widths
    15.0

A field the sheet has no column for gets one (placed by `xlcsr.workbook.locate.place_new_column`);
the writer lists it in `plan.added` and makes it as wide as `column_width` says.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

from xlcsr.domain.case_pattern import CasePattern
from xlcsr.domain.fields import FIELDS
from xlcsr.domain.records import Column, CsrRecord
from xlcsr.domain.settings import Settings
from xlcsr.domain.vocab import DATE_FORMAT, DATETIME_FORMAT, OPEN
from xlcsr.domain.workdays import WorkCalendar

MIN_WIDTH = 8.43  # Excel's default column width, in characters


@dataclass
class Assignment:
    """What assign will write: values per (row, field), and the new high-water marks."""

    values: dict[tuple[int, str], object] = field(default_factory=dict)
    high_water: dict[str, int] = field(default_factory=dict)
    numbered: list[tuple[int, str]] = field(default_factory=list)
    kept_formulas: list[tuple[int, str]] = field(default_factory=list)  # (row, field) left to its formula
    added: list[Column] = field(default_factory=list)  # columns the sheet lacked, as the writer placed them

    @property
    def changed(self) -> bool:
        return bool(self.values)

    def new_fields(self, columns: Mapping[str, Column]) -> list[str]:
        """The fields this plan writes that `columns` lacks, in the order of the field table."""
        wanted = {key for _, key in self.values}
        return [f.key for f in FIELDS if f.key in wanted and f.key not in columns]

    def column_values(self, key: str) -> list[object]:
        """The values this plan writes into field `key`'s column."""
        return [value for (_, k), value in self.values.items() if k == key]


def plan_assignment(records: list[CsrRecord], settings: Settings, used: list[str],
                    high_water: dict[str, int]) -> Assignment:
    """Numbers, due dates and statuses for valid records that lack them.

    A cell that holds a formula is never filled, even when it shows blank (`=IF(H5="高",G5+5,"")`):
    the formula stays and the row is listed in `kept_formulas`. `used` holds every case number already
    in the sheet (valid rows or not); `high_water` the highest sequence ever issued per key, kept in
    the workbook so deleted numbers stay used.
    """
    pattern = CasePattern(settings.case_pattern)
    calendar = WorkCalendar.from_settings(settings)
    top = _highest(pattern, used, high_water)
    plan = Assignment()
    _fill(plan, records, settings, pattern, calendar, top)
    plan.high_water = {k: v for k, v in top.items() if v != high_water.get(k)}
    return plan


def _highest(pattern: CasePattern, used: list[str], high_water: dict[str, int]) -> dict[str, int]:
    """The highest sequence per key among `used` and `high_water`."""
    top = dict(high_water)
    best: dict[int | None, int] = {}  # year → highest seq: one key() per year, not per number
    for text in used:
        parsed = pattern.parse(text)
        if parsed and parsed[1] > best.get(parsed[0], -1):
            best[parsed[0]] = parsed[1]
    for year, seq in best.items():
        key = pattern.key(year or 0)
        top[key] = max(top.get(key, 0), seq)
    return top


def _fill(plan: Assignment, records: list[CsrRecord], settings: Settings, pattern: CasePattern,
          calendar: WorkCalendar, top: dict[str, int]) -> None:
    """Put into `plan` the number, due date and status each record lacks; `top` is advanced."""
    for record in records:
        if record.case_no and record.status and record.due is not None:
            continue  # nothing to fill: most rows of a register
        if not record.case_no:
            key = pattern.key(record.received.year)
            top[key] = top.get(key, 0) + 1
            number = pattern.format(record.received.year, top[key])
            plan.values[(record.row, "case_no")] = number
            plan.numbered.append((record.row, number))
        fills = {"due": record.due is None, "status": not record.status}
        for key in [k for k, missing in fills.items() if missing and k in record.formulas]:
            plan.kept_formulas.append((record.row, key))
            fills[key] = False
        if fills["due"]:
            days = settings.sla_days(record.priority or settings.default_priority)
            plan.values[(record.row, "due")] = calendar.add(record.received, days)
        if fills["status"]:
            plan.values[(record.row, "status")] = OPEN


def column_width(header: str, values: Iterable[object]) -> float:
    """How wide (in Excel's characters) a column xlcsr adds must be to show its header and values in full.

    A CJK character counts two; a date as it shows in yyyy-mm-dd; the header gets room for its bold
    font and a filter button.
    """
    shown = [_shown_length(v) for v in values]
    needed = max([MIN_WIDTH, _shown_length(header) * 1.1 + 3, *(n + 2 for n in shown)])
    return math.ceil(needed * 4) / 4


def _shown_length(value: object) -> int:
    if isinstance(value, datetime) and value.time() != time(0):
        return len(DATETIME_FORMAT)
    if isinstance(value, date):
        return len(DATE_FORMAT)
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
