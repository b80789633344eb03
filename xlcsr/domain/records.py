"""The register as read (rows of raw cell values located by Excel row and column) and as typed records.

    >>> row = SourceRow(number=5, values={"customer": "比亚迪"})
    >>> row.text("customer")
    '比亚迪'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel, ConfigDict

from xlcsr.domain.settings import Settings


@dataclass(frozen=True)
class Column:
    """A register column: its header text, 0-based index and letter; `key` None for a user column."""

    key: str | None
    header: str
    index: int

    @property
    def letter(self) -> str:
        return column_letter(self.index)


@dataclass
class SourceRow:
    """One data row as found in the sheet: raw values by field key, and which held formulas."""

    number: int
    values: dict[str, object]
    formulas: frozenset[str] = frozenset()
    texts: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.texts = {key: cell_text(value) for key, value in self.values.items()}

    def raw(self, key: str) -> object:
        return self.values.get(key, "")

    def text(self, key: str) -> str:
        return self.texts.get(key, "")

    def is_empty(self, key: str) -> bool:
        return self.text(key) == ""


@dataclass
class Register:
    """A register sheet as read: where the header is, its columns, its data rows, its settings."""

    path: str
    sheet: str
    header_row: int
    columns: dict[str, Column]
    extra_columns: list[Column]
    rows: list[SourceRow]
    settings: Settings
    state: dict[str, object] = field(default_factory=dict)
    note_rows: list[int] = field(default_factory=list)
    width: int = 0
    settings_refs: dict[str, str] = field(default_factory=dict)  # 设置 date lists: defined name → range
    date1904: bool = False  # the workbook counts serial dates from 1904-01-01
    samples: dict[int, list[object]] = field(default_factory=dict)  # unknown column → its first values


class CsrRecord(BaseModel):
    """A valid register row, typed."""

    model_config = ConfigDict(frozen=True)
    row: int
    case_no: str = ""
    customer: str
    product: str = ""
    requirement: str
    category: str = ""
    source: str = ""
    source_ref: str = ""
    iatf_clause: str = ""
    received: date
    priority: str = ""
    due: date | None = None
    departments: tuple[str, ...] = ()
    owner: str = ""
    status: str = ""
    contract_type: str = ""
    closed: date | None = None
    remarks: str = ""
    revision: int | None = None
    formulas: frozenset[str] = frozenset()  # fields whose cell holds a formula (the value shown is its result)


def cell_text(value: object) -> str:
    """A cell value as the user reads it: numbers without a trailing .0, text stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
