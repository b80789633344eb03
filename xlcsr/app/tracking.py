"""`track`: compare the register with its last snapshot and log every change in 变更记录.

    >>> result = track_changes(Path("清单.xlsx"), today=date(2026, 12, 1), clock=clock)
    >>> result.baseline, len(result.changes)        # the first run takes the snapshot
    (True, 0)
    >>> track_changes(Path("清单.xlsx"), today=date(2026, 12, 2), clock=clock).reopened
    {'CSR-2026-0001': ('技术部', '品质部')}

See `xlcsr.rules.changes` for what is logged and what a change re-opens, `xlcsr.app.change_log`
for the store and how the other writing commands log their own edits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from xlcsr.app.change_log import current_user, log_texts, moment
from xlcsr.app.commands import RegisterBook, as_book
from xlcsr.domain.changes import Change, RowState
from xlcsr.domain.issues import Issue
from xlcsr.domain.records import bulk
from xlcsr.files.file_book import Clock
from xlcsr.rules.chain import check_chain
from xlcsr.rules.changes import TrackPlan, plan_track
from xlcsr.rules.signoff import register_id
from xlcsr.workbook.changelog import change_row


@dataclass
class TrackResult:
    """What track found: the changes logged, the flags (a case removed or renumbered, the log edited)."""

    rows: int  # the register's data rows
    plan: TrackPlan
    tampered: Issue | None = None
    written: bool = False

    @property
    def baseline(self) -> bool:
        return self.plan.baseline

    @property
    def changes(self) -> list[Change]:
        return self.plan.changes

    @property
    def issues(self) -> list[Issue]:
        return [*self.plan.issues, *([self.tampered] if self.tampered else [])]

    @property
    def reopened(self) -> dict[str, tuple[str, ...]]:
        return self.plan.reopened

    def to_rows(self) -> list[list[object]]:
        """The changes as 变更记录 holds them, the time to the minute."""
        return [[c.at.strftime("%Y-%m-%d %H:%M"), *change_row(c)[1:]] for c in self.changes]


def track_changes(book: RegisterBook | Path, *, today: date, clock: Clock | None = None,
                  user: str | None = None) -> TrackResult:
    """Compare the register with its last snapshot; log every change in 变更记录, bump the revisions and
    re-open the sign-offs the changes void. The first run takes the snapshot and logs nothing."""
    book = as_book(book, clock, command="track")
    with bulk():
        register = book.read()
    at, user = moment(today, clock), current_user() if user is None else user
    ident = register_id(register)
    store = book.store
    with bulk():
        previous = store.snapshot(ident) if ident else None
    tampered = check_chain(register.change_texts, store.links(ident)) if ident and previous is not None else None
    with bulk():
        plan = plan_track(previous, register, at=at, user=user)
    if ident is None:
        ident = uuid.uuid4().hex
        plan.write.register_id = ident
    if previous is None:
        plan.write.protect = True
    result = TrackResult(len(register.rows), plan, tampered)
    if previous is not None and plan.write.empty and _same_order(previous, plan.states):
        return result  # nothing to write, nothing to keep: the snapshot is the register as it is
    with store.stage(ident, plan.states, log_texts(plan, register), at=at) as pending:
        if not plan.write.empty:
            book.write_changes(register, plan.write)
            result.written = True
        pending.commit()
    return result


def _same_order(before: list[RowState], after: list[RowState]) -> bool:
    """The rows stand where the snapshot has them (a re-sort moves them: the snapshot follows)."""
    return len(before) == len(after) and all(a.position == b.position and a.fields == b.fields
                                             for a, b in zip(before, after))
