"""Where each field of the review form 顾客特殊要求评审记录表 is, on its sheet 评审记录.

    >>> review_cells()["case_no"], review_cells()["reviews"]
    ('B5', 'A16:F21')

The form is written by `xlcsr.files.new_books`; sign-off and collection read and fill it through
these cells (and the workbook's `xlcsr_<key>` names), never through a layout of their own.
"""

from __future__ import annotations

from xlcsr.domain.settings import DEFAULT_SETTINGS, Settings
from xlcsr.domain.vocab import APPROVER

FIELD_ROWS = (  # (label key, value range) pairs, two per row
    (3, ("identified_by", "B3:C3"), ("received", "E3:F3")),
    (4, ("customer", "B4:C4"), ("contract_type", "E4:F4")),
    (5, ("case_no", "B5:C5"), ("product", "E5:F5")),
    (6, ("source_ref", "B6:F6"), None),
)
REQUIREMENT_ROWS = (8, 13)
REVIEW_HEADER_ROW = 15


def review_departments(settings: Settings = DEFAULT_SETTINGS) -> list[str]:
    """The departments that review, in settings order; the approver (总经理) signs separately."""
    return [d.name for d in settings.departments if APPROVER not in d.name]


def review_cells(settings: Settings = DEFAULT_SETTINGS) -> dict[str, str]:
    """Where each field of the review form is: key → cell or range on sheet 评审记录."""
    cells = {pair[0]: pair[1].split(":")[0] for _, *pairs in FIELD_ROWS for pair in pairs if pair}
    cells["requirement"] = f"A{REQUIREMENT_ROWS[0]}"
    first = REVIEW_HEADER_ROW + 1
    last = first + len(review_departments(settings)) - 1
    cells["reviews"] = f"A{first}:F{last}"
    cells.update(gm_decision=f"B{last + 2}", gm_signature=f"D{last + 2}", gm_date=f"F{last + 2}")
    return cells


REVIEW_CELLS: dict[str, str] = review_cells()
