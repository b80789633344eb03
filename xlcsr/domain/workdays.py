"""Working days: weekends and listed holidays off, listed make-up days (调休) on.

    >>> cal = WorkCalendar(holidays={date(2026, 10, 1)}, workdays={date(2026, 10, 10)})
    >>> cal.add(date(2026, 9, 30), 1)
    datetime.date(2026, 10, 2)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from xlcsr.domain.settings import Settings


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] | set[date] = field(default_factory=frozenset)
    workdays: frozenset[date] | set[date] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkCalendar:
        return cls(frozenset(h.day for h in settings.holidays), frozenset(w.day for w in settings.workdays))

    def is_working(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (start itself not counted)."""
        day = start
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working(day):
                remaining -= 1
        return day

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`; negative when end is earlier."""
        if end < start:
            return -self.between(end, start)
        return sum(1 for day in _days(start + timedelta(days=1), end) if self.is_working(day))


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
