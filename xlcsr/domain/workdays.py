"""Working days: weekends and listed holidays off, listed make-up days (调休) on.

    >>> cal = WorkCalendar(holidays={date(2026, 10, 1)}, workdays={date(2026, 10, 10)})
    >>> cal.add(date(2026, 9, 30), 1)
    datetime.date(2026, 10, 2)
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from heapq import merge

from xlcsr.domain.settings import Settings


@dataclass(frozen=True)
class WorkCalendar:
    """The sets are read once, when the calendar is built: treat them as frozen afterwards."""

    holidays: frozenset[date] | set[date] = field(default_factory=frozenset)
    workdays: frozenset[date] | set[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        # Counting is arithmetic, not a walk: whole weeks × 5 plus the weekdays of the remainder,
        # corrected by bisect over the only dates that differ from Monday–Friday (as date ordinals,
        # 1 = Monday 0001-01-01): holidays on a weekday that are not also make-up days, and make-up
        # days on a weekend. A weekend holiday or a weekday make-up day changes nothing.
        off = tuple(sorted(d.toordinal() for d in self.holidays if d.weekday() < 5 and d not in self.workdays))
        on = tuple(sorted(d.toordinal() for d in self.workdays if d.weekday() >= 5))
        object.__setattr__(self, "_off", off)
        object.__setattr__(self, "_on", on)
        object.__setattr__(self, "_changes", tuple(merge(((n, False) for n in off), ((n, True) for n in on))))
        object.__setattr__(self, "_change_days", tuple(n for n, _ in self._changes))

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkCalendar:
        return cls(frozenset(h.day for h in settings.holidays), frozenset(w.day for w in settings.workdays))

    def is_working(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (start itself not counted)."""
        if days <= 0:
            return start
        first = start.toordinal()
        here, remaining = first, days
        # Between two listed dates every weekday works: jump over each stretch in one step.
        for day, working in self._changes[bisect_right(self._change_days, first):]:
            stretch = _weekdays_through(day - 1) - _weekdays_through(here)
            if remaining <= stretch:
                break
            remaining -= stretch
            here = day
            if working:
                remaining -= 1
                if remaining == 0:
                    return start + timedelta(days=day - first)
        return start + timedelta(days=_nth_weekday(_weekdays_through(here) + remaining) - first)

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`; negative when end is earlier."""
        if end < start:
            return -self.between(end, start)
        a, b = start.toordinal(), end.toordinal()
        return (_weekdays_through(b) - _weekdays_through(a)
                - (bisect_right(self._off, b) - bisect_right(self._off, a))
                + (bisect_right(self._on, b) - bisect_right(self._on, a)))


def _weekdays_through(ordinal: int) -> int:
    """Monday–Friday dates among ordinals 1..`ordinal` (ordinal 1 is a Monday)."""
    weeks, rest = divmod(ordinal, 7)
    return weeks * 5 + min(rest, 5)


def _nth_weekday(count: int) -> int:
    """The ordinal of the `count`-th Monday–Friday date (count >= 1): the inverse of `_weekdays_through`."""
    weeks, rest = divmod(count - 1, 5)
    return weeks * 7 + rest + 1
