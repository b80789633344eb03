"""Change tracking as data: a register row as the snapshot keeps it, and one row of 变更记录.

    >>> before = RowState(5, {"case_no": "CSR-2026-0001", "requirement": "PPAP 3级"})
    >>> Change(at, "CSR-2026-0001", "requirement", "PPAP 3级", "PPAP 4级", revision=2, by="张三",
    ...        source=MANUAL_SOURCE).action
    <Action.EDIT: '修改'>

A snapshot is the register's rows, each as its non-empty fields' text (as `SourceRow.texts` reads
them) and its sheet row. A change is one field of one case edited, a row added or removed, a case
renumbered, or the register restored from a backup; 变更记录 keeps each as one row, appended and
never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class Action(StrEnum):
    EDIT = "修改"  # one field's value changed
    ADDED = "新增"  # a row appeared
    REMOVED = "删除"  # a row disappeared (flagged when it had a case number: numbers must not vanish)
    RENUMBERED = "重新编号"  # a case's number changed (flagged: numbers must not change)
    RESTORED = "恢复"  # the register was put back from a backup
    MAPPED = "列映射"  # a column of the user's is now read as a field (【列映射】 written by xlcsr columns)


class RowState(NamedTuple):
    """A register row as tracked: its sheet row and the text of its non-empty fields (field key → text)."""

    position: int
    fields: dict[str, str]

    @property
    def case_no(self) -> str:
        return self.fields.get("case_no", "")


@dataclass(frozen=True)
class Change:
    """One row of 变更记录: what changed, when, in which revision, by whom, through what.

    `field` is the field key of an edit ("" for the other actions); `source` is 手工 for a hand edit
    found by `track`, else the xlcsr command that made it ("xlcsr assign"). For an added or removed
    row, `new` or `old` holds the row's summary; for a renumbering, the two numbers.
    """

    at: datetime
    case_no: str
    field: str
    old: str
    new: str
    revision: int | None
    by: str
    source: str
    action: Action = Action.EDIT
    row: int = 0  # the register row it is about, for messages (0 when it is gone)
    log_row: int = 0  # its row in 变更记录, once written or as read
