"""Sign-off (会签) as data: what a department is asked, what it answered, what 会签记录 keeps.

    >>> item = SignoffItem(case_no="CSR-2026-0001", department="技术部", kind=Kind.REVIEW,
    ...                    revision=1, fingerprint="3f2a…", fields={"customer": "比亚迪", ...})
    >>> Entry.from_answer(item, answer).state
    'applied'

Three kinds of question travel on one department's sign-off workbook: the review of a requirement
(评审意见: 可满足 / 有条件满足 / 不能满足), the general manager's approval of a special contract
(批准 / 不批准), and, once approved, the confirmation that the requirement is in the department's
own documents (落实确认: 已落实, the document and its revision). Every answer collected, applied or
stale, becomes an `Entry`, one row of the register's append-only 会签记录 sheet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Kind(StrEnum):
    REVIEW = "评审"
    APPROVAL = "批准"
    ROLLOUT = "落实"


class EntryState(StrEnum):
    APPLIED = "有效"  # counts for the case
    STALE = "已失效"  # answered for text that has changed since: history only


@dataclass(frozen=True)
class SignoffItem:
    """One question put to a department about one case, as issued on its sign-off workbook.

    `fields` holds the register values shown (customer, product, requirement …) as text; the
    fingerprint is of the values the department's answer rests on (`rules.signoff.fingerprint`).
    """

    case_no: str
    department: str
    kind: Kind
    revision: int
    fingerprint: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """What a filled sign-off workbook says about one item, and where it says it (for messages)."""

    case_no: str
    kind: Kind
    answer: str  # 可满足 … / 批准 / 不批准 / 已落实, as typed
    note: str = ""  # 说明; for a rollout, the document changed and its revision
    reviewer: str = ""
    day: object = None  # the 评审日期 cell's value as read (a date, a number or text)
    row: int = 0  # the sheet row of the item
    cells: dict[str, str] = field(default_factory=dict)  # answer column key → cell ref ("answer" → "H5")


@dataclass(frozen=True)
class Entry:
    """One row of 会签记录: an answer collected, with what it was given for."""

    case_no: str
    revision: int
    fingerprint: str
    department: str
    kind: Kind
    answer: str
    note: str
    reviewer: str
    day: date
    file: str
    collected_at: datetime
    state: EntryState = EntryState.APPLIED
    row: int = 0  # its row in 会签记录, 0 before it is written

    @property
    def key(self) -> tuple[object, ...]:
        """What makes two entries the same answer: a file collected twice adds nothing."""
        return (self.case_no, self.department, self.kind, self.fingerprint, self.answer, self.note,
                self.reviewer, self.day)
