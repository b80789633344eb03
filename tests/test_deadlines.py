"""Deadlines in working days: overdue, due soon, closed cases, holidays and make-up days."""

from __future__ import annotations

from datetime import date

from xlcsr.domain.records import CsrRecord
from xlcsr.domain.settings import DEFAULT_SETTINGS, CalendarDay
from xlcsr.rules.deadlines import case_timing

SETTINGS = DEFAULT_SETTINGS.model_copy(update={"holidays": (), "workdays": ()})


def record(**fields: object) -> CsrRecord:
    base = {"row": 4, "customer": "吉利汽车", "requirement": "PPAP", "received": date(2026, 11, 2),
            "case_no": "CSR-2026-0001", "status": "处理中"}
    return CsrRecord(**{**base, **fields})


def test_overdue_counts_working_days_past_due() -> None:
    timing = case_timing(record(due=date(2026, 11, 20)), SETTINGS, date(2026, 11, 25))  # Fri → Wed
    assert (timing.overdue_days, timing.due_soon) == (3, False)


def test_due_soon_within_the_lead_days_and_not_before() -> None:
    assert case_timing(record(due=date(2026, 11, 30)), SETTINGS, date(2026, 11, 25)).due_soon  # 3 working days
    assert not case_timing(record(due=date(2026, 12, 1)), SETTINGS, date(2026, 11, 25)).due_soon
    assert case_timing(record(due=date(2026, 11, 25)), SETTINGS, date(2026, 11, 25)).due_soon


def test_closed_cases_are_never_late() -> None:
    timing = case_timing(record(due=date(2026, 11, 2), status="已完成", closed=date(2026, 11, 3)),
                         SETTINGS, date(2026, 11, 25))
    assert (timing.overdue_days, timing.due_soon, timing.closed) == (0, False, True)


def test_missing_due_falls_back_to_the_sla() -> None:
    timing = case_timing(record(priority="高"), SETTINGS, date(2026, 11, 25))
    assert timing.due == date(2026, 11, 9) and timing.overdue_days == 12


def test_holidays_do_not_count_and_make_up_days_do() -> None:
    settings = SETTINGS.model_copy(update={"holidays": (CalendarDay(day=date(2026, 11, 24)),),
                                           "workdays": (CalendarDay(day=date(2026, 11, 22)),)})
    timing = case_timing(record(due=date(2026, 11, 20)), settings, date(2026, 11, 25))
    assert timing.overdue_days == 3  # Sun 22nd (make-up) + Mon 23rd + Wed 25th; Tue 24th off


def test_no_review_data_means_nothing_is_review_late() -> None:
    timing = case_timing(record(received=date(2026, 10, 1), due=date(2026, 12, 31)), SETTINGS, date(2026, 11, 25))
    assert not timing.review_late and timing.waiting_on == ()


class Unsigned:
    def unsigned(self, case_no: str) -> tuple[str, ...]:
        return ("品质部",)


def test_review_late_lights_up_once_sign_off_data_exists() -> None:
    timing = case_timing(record(received=date(2026, 11, 2), due=date(2026, 12, 31)), SETTINGS,
                         date(2026, 11, 25), review=Unsigned())
    assert timing.review_late and timing.waiting_on == ("品质部",)
    early = case_timing(record(received=date(2026, 11, 20), due=date(2026, 12, 31)), SETTINGS,
                        date(2026, 11, 25), review=Unsigned())
    assert not early.review_late
