"""The register as read (rows of cell values located by Excel row and column) and as typed records.

    >>> row = SourceRow(number=5, values={"customer": "比亚迪", "received": 46329.0})
    >>> row.text("customer"), row.text("received"), row.raw("received")
    ('比亚迪', '46329', 46329.0)

A register of 100,000 rows is held as such rows, so each keeps what it needs once: the text of every
non-empty cell, and the value read only where it is not text (a number, a date).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import NamedTuple

from xlcsr.domain.changes import Change
from xlcsr.domain.fields import FIELD_BY_KEY, Kind
from xlcsr.domain.settings import Settings
from xlcsr.domain.signoff import Entry


@dataclass(frozen=True)
class Column:
    """A register column: its header text, 0-based index and letter; `key` None for a user column."""

    key: str | None
    header: str
    index: int

    @property
    def letter(self) -> str:
        return column_letter(self.index)


class SourceRow:
    """One data row as found in the sheet: its cells by field key, and which held formulas."""

    __slots__ = ("number", "texts", "formulas", "_raw")

    def __init__(self, number: int, values: Mapping[str, object], formulas: frozenset[str] = frozenset()):
        self._start(number, formulas)
        self._take(values.items(), {})

    @classmethod
    def of_cells(cls, number: int, cells: Sequence[object], fields: Fields,
                 formulas: frozenset[str] = frozenset()) -> SourceRow:
        """The row of a sheet's `cells`, each field from its column (a short row lacks the last ones).

        The text fields of a row are taken at once, as text they nearly always are; the rest one by one.
        """
        row = cls.__new__(cls)
        row._start(number, formulas)
        try:
            texts = filter(_TEXT_OF, zip(fields.text_keys, map(str.strip, fields.pick_texts(cells))))
            row.texts.update(texts)
            others = fields.pick_others(cells)
        except (TypeError, IndexError):  # a number or a date in a text field; a short row
            row.texts.clear()
            row._take(((key, cells[i]) for key, i in fields.positions if i < len(cells)), fields.dates)
            return row
        row._take(zip(fields.other_keys, others), fields.dates)
        return row

    def _start(self, number: int, formulas: frozenset[str]) -> None:
        self.number = number
        self.formulas = formulas
        self.texts: dict[str, str] = {}  # the non-empty cells, as the user reads them
        self._raw: dict[str, object] = {}  # the values read that are not text: numbers, dates

    def _take(self, values: Iterable[tuple[str, object]], dates: dict[date, str]) -> None:
        """Keep each value's text, and the value too when it is not text; `dates` holds the text of each date."""
        texts, raw = self.texts, self._raw
        for key, value in values:
            kind = type(value)  # cell_text's own cases first, for the 100,000 rows of a big register
            if kind is str:
                text = value.strip()
            elif kind is date:
                text = dates.get(value) or dates.setdefault(value, value.isoformat())
            else:
                text = cell_text(value)
            if text:
                texts[key] = text
                if kind is not str:
                    raw[key] = value

    def __repr__(self) -> str:
        return f"SourceRow(number={self.number}, texts={self.texts!r}, formulas={set(self.formulas)!r})"

    def raw(self, key: str) -> object:
        """The value as read when it is not text (a number, a date); else the text, "" for an empty cell."""
        return self._raw[key] if key in self._raw else self.texts.get(key, "")

    def text(self, key: str) -> str:
        return self.texts.get(key, "")

    def is_empty(self, key: str) -> bool:
        return key not in self.texts


class Fields:
    """Where a sheet's fields are, field key → 0-based column, picked from a row in two groups: the text
    fields (text in nearly every row) and the others (dates, numbers)."""

    def __init__(self, positions: Iterable[tuple[str, int]]):
        self.positions = tuple(positions)
        texts = [(key, index) for key, index in self.positions if FIELD_BY_KEY[key].kind not in _NOT_TEXT]
        others = [(key, index) for key, index in self.positions if FIELD_BY_KEY[key].kind in _NOT_TEXT]
        self.text_keys, self.pick_texts = tuple(key for key, _ in texts), _picker([i for _, i in texts])
        self.other_keys, self.pick_others = tuple(key for key, _ in others), _picker([i for _, i in others])
        self.dates: dict[date, str] = {}  # the text of each date read, one string shared by the rows


_NOT_TEXT = (Kind.DATE, Kind.INT)
_TEXT_OF = itemgetter(1)  # (key, text) → text: an empty one is not kept


def _picker(indexes: list[int]) -> Callable[[Sequence[object]], tuple[object, ...]]:
    """cells → the cells at `indexes`, as a tuple (itemgetter, which gives one cell alone when asked for one)."""
    if len(indexes) > 1:
        return itemgetter(*indexes)
    return lambda cells: tuple(cells[i] for i in indexes)


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
    signoffs: list[Entry] | None = None  # the answers of its 会签记录 sheet; None when it has none
    changes: list[Change] | None = None  # the rows of its 变更记录 sheet; None when it has none
    change_texts: list[tuple[int, str]] = field(default_factory=list)  # 变更记录 row → its text as chained
    modified_by: str = ""  # who saved the workbook last, as its document properties say


class CsrRecord(NamedTuple):
    """A valid register row, typed: built from a row that passed every check, so not validated again.

    Immutable and cheap (a register has 100,000 of them); built with keywords, the required fields first.
    """

    row: int
    customer: str
    requirement: str
    received: date
    case_no: str = ""
    product: str = ""
    category: str = ""
    source: str = ""
    source_ref: str = ""
    iatf_clause: str = ""
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


@contextmanager
def bulk() -> Iterator[None]:
    """Build or check many rows with the cyclic garbage collector paused (rows, records and issues hold no
    cycles; each full collection would walk every row built so far, 0.1 s a time at 100,000 rows). What
    was built is then frozen out of the collector's later passes; reference counting still frees it."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.freeze()  # what was built stays out of later collections (it is freed by reference count)
            gc.enable()


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
