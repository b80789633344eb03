"""The register as read (rows of cell values located by Excel row and column) and as typed records.

    >>> row = SourceRow(number=5, values={"customer": "比亚迪", "received": 46329.0})
    >>> row.text("customer"), row.text("received"), row.raw("received")
    ('比亚迪', '46329', 46329.0)

A register read from a sheet keeps its rows field by field (`Table`): each field's column of texts,
and of the values read where they are not text (a number, a date), one string per distinct date. A
rule that needs one field of 100,000 rows reads its column (`Register.texts_of`); a row's `SourceRow`,
with its dictionary of texts, is made only when something asks for that row.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple, overload

from xlcsr.domain.changes import Change
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
    """One data row as found in the sheet: its cells by field key, and which held formulas.

    A row read from a sheet is a view of its `Table`: its texts are taken from the table's columns the
    first time they are asked for (most commands look at a few columns of 100,000 rows, not at every row).
    """

    __slots__ = ("number", "formulas", "_texts", "_raw", "_table", "_index")

    def __init__(self, number: int, values: Mapping[str, object], formulas: frozenset[str] = frozenset()):
        self.number = number
        self.formulas = formulas
        self._texts: dict[str, str] | None = {}
        self._raw: dict[str, object] = {}
        self._table: Columns | None = None
        self._index = 0
        self._take(values.items())

    @classmethod
    def of_table(cls, table: Columns, index: int) -> SourceRow:
        row = cls.__new__(cls)
        row.number = table.numbers[index]
        row.formulas = table.formulas.get(row.number, _NO_FORMULAS)
        row._texts = None
        row._table, row._index = table, index
        return row

    @property
    def texts(self) -> dict[str, str]:
        """The non-empty cells, as the user reads them."""
        if self._texts is None:
            self._texts, self._raw = self._table.cells(self._index)  # type: ignore[union-attr]
        return self._texts

    def _take(self, values: Iterable[tuple[str, object]]) -> None:
        """Keep each value's text, and the value too when it is not text (a number, a date)."""
        texts, raw = self.texts, self._raw
        for key, value in values:
            text = cell_text(value)
            if text:
                texts[key] = text
                if type(value) is not str:
                    raw[key] = value

    def __repr__(self) -> str:
        return f"SourceRow(number={self.number}, texts={self.texts!r}, formulas={set(self.formulas)!r})"

    def raw(self, key: str) -> object:
        """The value as read when it is not text (a number, a date); else the text, "" for an empty cell."""
        texts = self.texts
        return self._raw[key] if key in self._raw else texts.get(key, "")

    def text(self, key: str) -> str:
        return self.texts.get(key, "")

    def is_empty(self, key: str) -> bool:
        return key not in self.texts


_NO_FORMULAS: frozenset[str] = frozenset()


class Columns:
    """The data rows of a register sheet field by field, as read: the column of each field's texts ("" for an
    empty cell) and, for a field with values that are not text, those values (None elsewhere)."""

    __slots__ = ("numbers", "texts", "raws", "formulas")

    def __init__(self, numbers: list[int], texts: dict[str, list[str]], raws: dict[str, list[object]],
                 formulas: dict[int, frozenset[str]]):
        self.numbers = numbers
        self.texts = texts
        self.raws = raws
        self.formulas = formulas  # row number → the fields whose cells hold formulas

    def __len__(self) -> int:
        return len(self.numbers)

    def cells(self, index: int) -> tuple[dict[str, str], dict[str, object]]:
        """Row `index`'s non-empty texts by field, and its values that are not text."""
        texts = {key: text for key, column in self.texts.items() if (text := column[index])}
        raw = {key: value for key, column in self.raws.items() if (value := column[index]) is not None}
        return texts, raw


class Table(Columns):
    """A register's `Columns` with its `rows` as `SourceRow`s, in sheet order; a rule that reads a column of
    every row reads it here (`Register.texts_of`), without the rows' dictionaries being built.

    The rows see a copy of the columns, not the table: nothing refers back to what refers to it, so a
    register let go is freed at once by reference counting, also when its objects were frozen out of
    the collector (`bulk`).
    """

    __slots__ = ("rows",)

    def __init__(self, numbers: list[int], texts: dict[str, list[str]], raws: dict[str, list[object]],
                 formulas: dict[int, frozenset[str]]):
        super().__init__(numbers, texts, raws, formulas)
        self.rows = TableRows(Columns(numbers, texts, raws, formulas))


class TableRows(Sequence[SourceRow]):
    """A table's rows as `SourceRow`s, each made when first asked for and kept (the same row every time)."""

    __slots__ = ("_table", "_made")

    def __init__(self, table: Columns):
        self._table = table
        self._made: list[SourceRow | None] = [None] * len(table)

    def __len__(self) -> int:
        return len(self._made)

    @overload
    def __getitem__(self, index: int) -> SourceRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[SourceRow]: ...

    def __getitem__(self, index: int | slice) -> SourceRow | list[SourceRow]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        row = self._made[index]
        if row is None:
            index = range(len(self))[index]
            row = self._made[index] = SourceRow.of_table(self._table, index)
        return row

    def __iter__(self) -> Iterator[SourceRow]:
        made = self._made
        if None in made:
            for index in [i for i, row in enumerate(made) if row is None]:
                made[index] = SourceRow.of_table(self._table, index)
        return iter(made)  # type: ignore[arg-type]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"TableRows({len(self)} rows)"


def column_texts(cells: Sequence[object], dates: dict[date, str]) -> tuple[list[str], list[object] | None]:
    """A column's cells as the user reads them, and its values that are not text (None where a cell is
    text or empty; no list when every cell is text). `dates` holds the text of each date, shared."""
    try:
        return list(map(str.strip, cells)), None  # a text column, as most are
    except TypeError:
        pass
    kinds = set(map(type, cells))
    if bool in kinds or {int, float} <= kinds:  # True == 1 == 1.0: equal values, other texts
        return [cell_text(value) for value in cells], [None if type(value) is str else value for value in cells]
    unique = set(cells)  # a date column holds a few thousand dates: each is looked at once
    for value in unique:
        if type(value) is date and value not in dates:
            dates[value] = value.isoformat()
    shown = {value: dates[value] if type(value) is date else cell_text(value) for value in unique}
    kept = {value: None if type(value) is str else value for value in unique}
    texts = list(map(shown.__getitem__, cells))
    raw = list(map(kept.__getitem__, cells))  # equal values of one kind, one object
    return texts, raw


@dataclass
class Register:
    """A register sheet as read: where the header is, its columns, its data rows, its settings."""

    path: str
    sheet: str
    header_row: int
    columns: dict[str, Column]
    extra_columns: list[Column]
    rows: Sequence[SourceRow]
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
    table: Table | None = None  # the rows field by field, as read from the sheet

    @property
    def read_table(self) -> Table | None:
        """The table `rows` are the rows of, as read; None once they are other rows (or were not read)."""
        table = self.table
        return table if table is not None and table.rows is self.rows else None

    @property
    def numbers(self) -> list[int]:
        """The sheet row of each of `rows`."""
        table = self.read_table
        return table.numbers if table is not None else [row.number for row in self.rows]

    def texts_of(self, key: str) -> list[str]:
        """Field `key`'s text in each of `rows`, "" for an empty cell (the table's own column: not to be changed)."""
        table = self.read_table
        if table is None:
            return [row.texts.get(key, "") for row in self.rows]
        column = table.texts.get(key)
        return column if column is not None else [""] * len(table)


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
