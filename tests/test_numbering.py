"""Case numbering and SLA due dates on typed records."""

from __future__ import annotations

from datetime import date

import pytest

from xlcsr.domain.case_pattern import CasePattern
from xlcsr.domain.records import CsrRecord
from xlcsr.domain.settings import DEFAULT_SETTINGS, CalendarDay
from xlcsr.domain.workdays import WorkCalendar
from xlcsr.rules.numbering import plan_assignment

NO_HOLIDAYS = DEFAULT_SETTINGS.model_copy(update={"holidays": (), "workdays": ()})


def record(row: int, received: date, **fields: object) -> CsrRecord:
    return CsrRecord(row=row, customer="吉利汽车", requirement="PPAP", received=received, **fields)


def test_numbers_follow_the_year_of_receipt_and_continue_after_existing_ones() -> None:
    records = [record(4, date(2025, 12, 30)), record(5, date(2026, 1, 5)), record(6, date(2026, 2, 1))]
    plan = plan_assignment(records, NO_HOLIDAYS, used=["CSR-2026-0007"], high_water={})
    assert plan.numbered == [(4, "CSR-2025-0001"), (5, "CSR-2026-0008"), (6, "CSR-2026-0009")]
    assert plan.high_water == {"seq:2025": 1, "seq:2026": 9}


def test_the_high_water_mark_keeps_deleted_numbers_used() -> None:
    plan = plan_assignment([record(4, date(2026, 3, 1))], NO_HOLIDAYS, used=[], high_water={"seq:2026": 12})
    assert plan.numbered == [(4, "CSR-2026-0013")]


def test_nothing_to_do_when_every_row_is_complete() -> None:
    done = record(4, date(2026, 3, 2), case_no="CSR-2026-0001", due=date(2026, 3, 9), status="待处理")
    plan = plan_assignment([done], NO_HOLIDAYS, used=["CSR-2026-0001"], high_water={"seq:2026": 1})
    assert not plan.changed and plan.high_water == {}


def test_missing_due_comes_from_priority_sla_in_working_days() -> None:
    plan = plan_assignment([record(4, date(2026, 11, 6), priority="高"), record(5, date(2026, 11, 6))],
                           NO_HOLIDAYS, used=[], high_water={})
    assert plan.values[(4, "due")] == date(2026, 11, 13)  # Friday + 5 working days
    assert plan.values[(5, "due")] == date(2026, 11, 20)  # default 中: 10 working days
    assert plan.values[(4, "status")] == "待处理"


def test_holidays_and_make_up_days_move_the_due_date() -> None:
    settings = NO_HOLIDAYS.model_copy(update={
        "holidays": (CalendarDay(day=date(2026, 10, 1)), CalendarDay(day=date(2026, 10, 2))),
        "workdays": (CalendarDay(day=date(2026, 10, 10)),)})
    plan = plan_assignment([record(4, date(2026, 9, 30), priority="中")], settings, used=[], high_water={})
    # 10-01 and 10-02 off; 10-05..09 count 5, Saturday 10-10 is the 6th, 10-12..15 the 7th to 10th
    assert plan.values[(4, "due")] == date(2026, 10, 15)


def test_working_day_calendar_counts_both_ways() -> None:
    cal = WorkCalendar(holidays={date(2026, 10, 1)}, workdays={date(2026, 10, 10)})
    assert cal.add(date(2026, 9, 30), 1) == date(2026, 10, 2)
    assert cal.between(date(2026, 10, 2), date(2026, 10, 12)) == 7  # 10-05..09, 10-10, 10-12
    assert cal.between(date(2026, 10, 12), date(2026, 10, 2)) == -cal.between(date(2026, 10, 2), date(2026, 10, 12))


@pytest.mark.parametrize(("pattern", "text", "parsed"), [
    ("CSR-{year}-{seq:04d}", "CSR-2026-0042", (2026, 42)),
    ("CSR-{year}-{seq:04d}", "CSR-2026-42", None),
    ("KH{seq:05d}", "KH00042", (None, 42)),
    ("{year}{seq:03d}", "2026123", (2026, 123)),
])
def test_patterns_parse_what_they_format(pattern: str, text: str, parsed: object) -> None:
    assert CasePattern(pattern).parse(text) == parsed


def test_a_pattern_without_seq_is_refused() -> None:
    with pytest.raises(ValueError):
        CasePattern("CSR-{year}")


def test_a_due_date_formula_showing_blank_is_kept_and_the_row_still_numbered() -> None:
    shows_blank = record(4, date(2026, 3, 2), formulas=frozenset({"due"}))
    plan = plan_assignment([shows_blank, record(5, date(2026, 3, 2))], NO_HOLIDAYS, used=[], high_water={})
    assert plan.numbered == [(4, "CSR-2026-0001"), (5, "CSR-2026-0002")]
    assert (4, "due") not in plan.values and (5, "due") in plan.values and plan.values[(4, "status")] == "待处理"
    assert plan.kept_formulas == [(4, "due")]
