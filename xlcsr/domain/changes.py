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

from collections.abc import Sequence
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


_PACK = "\x00"  # between the texts of a packed column (a cell that holds one keeps its column unpacked)


class PackedStates:
    """A register's rows as the snapshot keeps them, in a fraction of the memory: each field's texts
    joined into one string (100,000 short strings take five times the bytes of their characters).

    For a comparison of two registers (`xlcsr diff`): the first is packed while the second is read,
    and unpacked once the second read's own peak is over.
    """

    def __init__(self, numbers: list[int], texts: dict[str, Sequence[str]]):
        self.numbers = numbers
        self.columns: dict[str, str | Sequence[str]] = {}
        for key, column in texts.items():
            joined = _PACK.join(column)
            self.columns[key] = joined if joined.count(_PACK) == len(column) - 1 else column

    def unpack(self, like: Sequence[RowState] = ()) -> list[RowState]:
        """The rows, each with its non-empty fields. A text equal to the same field's in the row of
        `like` with the same case number is that row's own string: two copies of a register share
        most of their texts, and the second copy of each is never kept."""
        if not self.numbers:
            return []
        twins = self._twins(like)
        keys = list(self.columns)
        columns = []
        for key, column in self.columns.items():
            texts = column.split(_PACK) if isinstance(column, str) else list(column)
            if twins is not None:
                theirs = [twin.get(key, "") for twin in twins]
                texts = [b if a == b else a for a, b in zip(texts, theirs)]
            columns.append(texts)
        rows = zip(*columns) if columns else [()] * len(self.numbers)
        return [RowState(number, {key: text for key, text in zip(keys, texts) if text})
                for number, texts in zip(self.numbers, rows)]

    def _twins(self, like: Sequence[RowState]) -> list[dict[str, str]] | None:
        """For each row, the fields of the row of `like` with its case number (empty when none has it)."""
        numbers = self.columns.get("case_no")
        if not like or numbers is None:
            return None
        by_number: dict[str, dict[str, str]] = {}
        for state in like:
            if state.case_no:
                by_number.setdefault(state.case_no, state.fields)
        none: dict[str, str] = {}
        column = numbers.split(_PACK) if isinstance(numbers, str) else numbers
        return [by_number.get(number, none) if number else none for number in column]


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
