"""Case-number assignment that never renumbers or reuses, and the due dates and statuses it fills.

    >>> plan = plan_assignment(records, settings, used=["CSR-2026-0012"], high_water={"seq:2026": 14})
    >>> plan.numbered
    [(7, 'CSR-2026-0015')]
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xlcsr.domain.case_pattern import CasePattern
from xlcsr.domain.records import CsrRecord
from xlcsr.domain.settings import Settings
from xlcsr.domain.vocab import OPEN
from xlcsr.domain.workdays import WorkCalendar


@dataclass
class Assignment:
    """What assign will write: values per (row, field), and the new high-water marks."""

    values: dict[tuple[int, str], object] = field(default_factory=dict)
    high_water: dict[str, int] = field(default_factory=dict)
    numbered: list[tuple[int, str]] = field(default_factory=list)
    kept_formulas: list[tuple[int, str]] = field(default_factory=list)  # (row, field) left to its formula

    @property
    def changed(self) -> bool:
        return bool(self.values)


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
    top = dict(high_water)
    for text in used:
        parsed = pattern.parse(text)
        if parsed:
            key = pattern.key(parsed[0] or 0)
            top[key] = max(top.get(key, 0), parsed[1])
    plan = Assignment()
    for record in records:
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
    plan.high_water = {k: v for k, v in top.items() if v != high_water.get(k)}
    return plan
