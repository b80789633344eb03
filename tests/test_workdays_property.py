"""`WorkCalendar` counts by arithmetic; it must agree with the old day-by-day walk on every date pair."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlcsr.domain.settings import DEFAULT_SETTINGS
from xlcsr.domain.workdays import WorkCalendar

LO, HI = date(2015, 1, 1), date(2035, 12, 31)


# --- the reference: the day-by-day code WorkCalendar had before issue 11 ---------------------------

def ref_is_working(cal: WorkCalendar, day: date) -> bool:
    if day in cal.workdays:
        return True
    return day.weekday() < 5 and day not in cal.holidays


def ref_add(cal: WorkCalendar, start: date, days: int) -> date:
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if ref_is_working(cal, day):
            remaining -= 1
    return day


def ref_between(cal: WorkCalendar, start: date, end: date) -> int:
    if end < start:
        return -ref_between(cal, end, start)
    return sum(1 for day in _days(start + timedelta(days=1), end) if ref_is_working(cal, day))


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


# --- random calendars ---------------------------------------------------------------------------

@st.composite
def scenarios(draw: st.DrawFn) -> tuple[WorkCalendar, date, date]:
    """A calendar with holidays and 调休 clustered near a random date, and two dates to count between.

    The listed dates fall on any weekday (weekend holidays and weekday make-up days included), some
    dates are in both sets, and the two dates are often listed dates themselves.
    """
    centre = draw(st.dates(LO, HI))
    width = draw(st.sampled_from([10, 45, 400, 8000]))
    window = st.dates(max(LO, centre - timedelta(days=width)), min(HI, centre + timedelta(days=width)))
    holidays = draw(st.sets(window, max_size=30))
    workdays = draw(st.sets(window, max_size=15))
    if holidays:
        workdays |= draw(st.sets(st.sampled_from(sorted(holidays)), max_size=4))  # in both: workdays wins
    listed = sorted(holidays | workdays)
    point = st.one_of(window, st.dates(LO, HI), *([st.sampled_from(listed)] if listed else []))
    start, end = draw(point), draw(point)
    if draw(st.booleans()):
        return WorkCalendar(frozenset(holidays), frozenset(workdays)), start, end
    return WorkCalendar(holidays, workdays), start, end  # plain sets, as callers may pass them


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_between_agrees_with_day_by_day(scenario: tuple[WorkCalendar, date, date]) -> None:
    cal, start, end = scenario
    expected = ref_between(cal, start, end)
    assert cal.between(start, end) == expected
    assert cal.between(end, start) == -expected
    assert cal.between(start, start) == 0


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.one_of(st.integers(-5, 3), st.integers(-5, 400)))
def test_add_agrees_with_day_by_day(scenario: tuple[WorkCalendar, date, date], days: int) -> None:
    cal, start, _ = scenario
    got = cal.add(start, days)
    assert got == ref_add(cal, start, days)
    if days <= 0:
        assert got == start
    else:
        assert cal.is_working(got)
        assert cal.between(start, got) == days


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_add_reaches_end_of_counted_range(scenario: tuple[WorkCalendar, date, date]) -> None:
    """Adding the count of a range lands on the range's last working day (the inverse of between)."""
    cal, start, end = scenario
    start, end = min(start, end), max(start, end)
    n = cal.between(start, end)
    if n > 0:
        landed = cal.add(start, n)
        assert start < landed <= end
        assert cal.is_working(landed)
        assert cal.between(landed, end) == 0


@settings(max_examples=20, deadline=None)
@given(scenarios(), st.integers(5_000, 12_000))
def test_add_many_days(scenario: tuple[WorkCalendar, date, date], days: int) -> None:
    cal, start, _ = scenario
    assert cal.add(start, days) == ref_add(cal, start, days)


# --- the real 2026 calendar (国务院办公厅通知) ------------------------------------------------------

CAL_2026 = WorkCalendar.from_settings(DEFAULT_SETTINGS)


@pytest.mark.parametrize(("start", "days", "expected"), [
    (date(2026, 9, 30), 0, date(2026, 9, 30)),
    (date(2026, 9, 30), -2, date(2026, 9, 30)),
    (date(2026, 9, 30), 1, date(2026, 10, 8)),     # 10-01..10-07 off (10-03/04 a weekend anyway)
    (date(2026, 9, 30), 3, date(2026, 10, 10)),    # Saturday 10-10 is a make-up day
    (date(2026, 9, 30), 4, date(2026, 10, 12)),
    (date(2026, 10, 3), 1, date(2026, 10, 8)),     # from inside the holiday
    (date(2026, 9, 19), 1, date(2026, 9, 20)),     # Sunday 09-20 is a make-up day
    (date(2026, 2, 13), 1, date(2026, 2, 14)),     # Saturday 02-14 is a make-up day
    (date(2026, 2, 13), 2, date(2026, 2, 24)),     # 春节 02-16..02-23 off
    (date(2025, 12, 31), 1, date(2026, 1, 4)),     # 元旦 01-01/02 off; Sunday 01-04 is a make-up day
    (date(2025, 12, 31), 2, date(2026, 1, 5)),
    (date(2025, 12, 30), 1, date(2025, 12, 31)),
])
def test_add_2026(start: date, days: int, expected: date) -> None:
    assert CAL_2026.add(start, days) == expected == ref_add(CAL_2026, start, days)


@pytest.mark.parametrize(("start", "end", "expected"), [
    (date(2026, 9, 30), date(2026, 10, 7), 0),
    (date(2026, 9, 30), date(2026, 10, 10), 3),
    (date(2026, 10, 10), date(2026, 9, 30), -3),
    (date(2026, 2, 13), date(2026, 2, 28), 6),     # 02-14, 02-24..02-27, 02-28
    (date(2025, 12, 31), date(2026, 12, 31), 248),  # 261 weekdays − 19 holidays + 6 make-up days
    (date(2026, 11, 25), date(2026, 11, 25), 0),
])
def test_between_2026(start: date, end: date, expected: int) -> None:
    assert CAL_2026.between(start, end) == expected == ref_between(CAL_2026, start, end)


def test_sets_and_frozensets_make_equal_calendars() -> None:
    plain = WorkCalendar({date(2026, 10, 1)}, {date(2026, 10, 10)})
    frozen = WorkCalendar(frozenset({date(2026, 10, 1)}), frozenset({date(2026, 10, 10)}))
    assert plain == frozen
    assert plain.add(date(2026, 9, 30), 1) == frozen.add(date(2026, 9, 30), 1) == date(2026, 10, 2)
