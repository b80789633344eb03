"""The change log every writing command keeps: hand edits since the snapshot, then its own, in one save.

    >>> with tracked(book, register, records, command="assign", edits=edits_of(plan.values), at=now):
    ...     book.write_assignment(register, plan)   # 变更记录 gains the hand edits and assign's

The snapshot and the hash chain of 变更记录 live in the store beside the register
(`files.change_store`), keyed by the register's id in `_xlcsr`. A register is tracked from its
first `track` on (the nightly run tracks every register); until then the writing commands keep no
log. The store is written only once the workbook is saved (its transaction is committed after the
save, rolled back when the save fails), so the two never disagree about what was logged.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from xlcsr.domain.issues import Issue
from xlcsr.domain.records import CsrRecord, Register, cell_text
from xlcsr.files.file_book import Clock
from xlcsr.rules.chain import check_chain
from xlcsr.rules.changes import Edits, TrackPlan, plan_track
from xlcsr.rules.signoff import register_id
from xlcsr.workbook.changelog import canonical, change_row

if TYPE_CHECKING:
    from xlcsr.app.commands import RegisterBook


def current_user() -> str:
    """Who runs xlcsr (the OS account), for 修改人 of xlcsr's own edits."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


def moment(today: date, clock: Clock | None) -> datetime:
    """The time a change is logged at: the clock's, else the start of `today`."""
    return clock() if clock else datetime.combine(today, time())


@contextmanager
def tracked(book: RegisterBook, register: Register, records: list[CsrRecord] | None, *, command: str,
            edits: Edits, at: datetime, user: str | None = None,
            remap: Callable[[], tuple[Register, Mapping[str, str]]] | None = None) -> Iterator[TrackPlan | None]:
    """Around a command's write: the hand edits since the snapshot and the command's `edits` go into
    the same save (staged on the book), the store follows once it is saved. Yields None, and does
    nothing, for a register not tracked yet."""
    ident = register_id(register)
    previous = book.store.snapshot(ident) if ident else None
    if ident is None or previous is None:
        yield None
        return
    plan = plan_track(previous, register, records, at=at, user=current_user() if user is None else user,
                      command=command, edits=edits, remap=remap() if remap else None)
    book.stage_changes(register, plan.write)
    with book.store.stage(ident, plan.states, log_texts(plan, register), at=at) as pending:
        yield plan
        pending.commit()


def log_tampered(book: RegisterBook, register: Register) -> Issue | None:
    """log_tampered when the register's 变更记录 no longer matches the chain kept beside it."""
    ident = register_id(register)
    if ident is None or not register.change_texts:
        return None
    links = book.store.links(ident)
    return check_chain(register.change_texts, links) if links else None


def edits_of(values: dict[tuple[int, str], object]) -> dict[tuple[int, str], str]:
    """A command's planned cell values as the snapshot keeps them (text as the user reads it)."""
    return {cell: cell_text(value) for cell, value in values.items()}


def log_texts(plan: TrackPlan, register: Register) -> list[str]:
    return [canonical(change_row(change), register.date1904) for change in plan.changes]
