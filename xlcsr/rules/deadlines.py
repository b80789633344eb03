"""Where each case stands against its deadline on a given day, in working days.

    >>> timing = case_timing(record, settings, today=date(2026, 11, 25))
    >>> timing.overdue_days, timing.due_soon
    (3, False)

Review lateness (IATF 16949 §7.5.3.2.2: reviewed within `review_days` working days of receipt)
needs sign-off data, which the sign-off issue brings: until a `ReviewState` is given, no case is
review-late and no sign-off waits on anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from xlcsr.domain.records import CsrRecord
from xlcsr.domain.settings import Settings
from xlcsr.domain.vocab import CLOSED_STATUSES
from xlcsr.domain.workdays import WorkCalendar


class ReviewState(Protocol):
    """Sign-off data for a case: which named departments have not signed yet."""

    def unsigned(self, case_no: str) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class CaseTiming:
    record: CsrRecord
    due: date
    overdue_days: int  # working days past due, 0 when not overdue or closed
    due_soon: bool  # open, not overdue, due within the lead days
    review_late: bool  # open, received more than review_days ago, some sign-off missing
    waiting_on: tuple[str, ...]  # departments whose sign-off is outstanding
    days_left: int = 0  # working days from today to the due date, 0 when due today, overdue or closed

    @property
    def closed(self) -> bool:
        return self.record.status in CLOSED_STATUSES

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0


def effective_due(record: CsrRecord, settings: Settings, calendar: WorkCalendar) -> date:
    """The due date written in the register, else receipt plus the priority's SLA."""
    if record.due:
        return record.due
    return calendar.add(record.received, settings.sla_days(record.priority or settings.default_priority))


def case_timing(record: CsrRecord, settings: Settings, today: date, *,
                calendar: WorkCalendar | None = None, review: ReviewState | None = None) -> CaseTiming:
    calendar = calendar or WorkCalendar.from_settings(settings)
    due = effective_due(record, settings, calendar)
    closed = record.status in CLOSED_STATUSES
    late = 0 if closed or due >= today else calendar.between(due, today)
    left = calendar.between(today, due) if not closed and due >= today else 0
    soon = not closed and due >= today and left <= settings.lead_days
    waiting = review.unsigned(record.case_no) if review and record.case_no and not closed else ()
    review_late = bool(waiting) and calendar.between(record.received, today) > settings.review_days
    return CaseTiming(record, due, late, soon, review_late, waiting, left)


def timings(records: list[CsrRecord], settings: Settings, today: date,
            review: ReviewState | None = None) -> list[CaseTiming]:
    calendar = WorkCalendar.from_settings(settings)
    return [case_timing(r, settings, today, calendar=calendar, review=review) for r in records]


