"""Find the register in a workbook's cell values: the sheet, its header row, its data and note rows.

Works over any `SheetSource` — a file read by calamine or the workbook open in Excel — so both
fronts find the same register the same way. The register sheet is read in one pass over its rows
(one at a time from a source that can stream them), keeping only the rows it builds.

    >>> register = find_register(source)
    >>> register.header_row, register.columns["customer"].letter
    (3, 'B')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from itertools import chain, compress, islice, zip_longest
from typing import Protocol

from xlcsr.domain.errors import HeaderNotFound, SheetMissing
from xlcsr.domain.fields import FIELD_BY_KEY, FIELDS, field_for_header, normalize
from xlcsr.domain.records import Column, Register, SourceRow, Table, bulk, cell_text, column_texts
from xlcsr.domain.settings import DEFAULT_SETTINGS, Settings
from xlcsr.domain.vocab import (
    CHANGELOG_SHEET,
    OWN_SHEETS,
    REGISTER_SHEET,
    SETTINGS_SHEET,
    SIGNOFF_LOG_SHEET,
    STATE_SHEET,
)
from xlcsr.rules.highlight import OVERDUE_HEADERS, own_columns
from xlcsr.workbook.changelog import canonical, changes_from_rows, log_rows
from xlcsr.workbook.settings_sheet import date_list_refs, settings_from_rows
from xlcsr.workbook.signoff_log import entries_from_rows
from xlcsr.workbook.state import state_from_rows

HEADER_SCAN_ROWS = 30
MIN_HEADER_FIELDS = 3
_NOTE = re.compile(r"^\s*(编制|审核|批准|制表|核准|审批|会签)\s*[:：]")
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


class SheetSource(Protocol):
    """A workbook's sheets as values from A1, and where its formulas are.

    A source may also offer `rows(sheet)`, the rows of `values(sheet)` one at a time: the register
    sheet is then never held whole.
    """

    label: str

    def sheet_names(self) -> list[str]: ...

    def values(self, sheet: str) -> list[list[object]]: ...

    def formulas(self, sheet: str) -> set[str]: ...

    def date1904(self) -> bool:
        """True when the workbook counts serial dates from 1904-01-01 (Mac Excel, some LibreOffice files)."""
        ...

    def modified_by(self) -> str:
        """Who saved the workbook last (its document properties), "" when it does not say."""
        ...


class Amended:
    """`source` as it will read once `cells` (ref → text) are written into its 设置 sheet."""

    def __init__(self, source: SheetSource, cells: Mapping[str, str]):
        self.source, self.cells = source, cells
        self.label = source.label

    def __getattr__(self, name: str) -> object:
        return getattr(self.source, name)

    def values(self, sheet: str) -> list[list[object]]:
        rows = [list(row) for row in self.source.values(sheet)]
        if sheet == SETTINGS_SHEET:
            for ref, text in self.cells.items():
                row, column = _split(ref)
                rows += [[] for _ in range(row - len(rows))]
                rows[row - 1] += [None] * (column + 1 - len(rows[row - 1]))
                rows[row - 1][column] = text
        return rows


def _split(ref: str) -> tuple[int, int]:
    """"C7" → (7, 2): the row, and the 0-based column."""
    letters = "".join(ch for ch in ref if ch.isalpha())
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return int(ref[len(letters):]), index - 1


def find_register(source: SheetSource, sheet: str | None = None, *, defaults: Settings | None = None) -> Register:
    """The register: sheet 清单 (or `sheet`), else the first sheet with a register header.

    Its 设置 sheet gives the settings, the user's column mapping among them; without 设置,
    `defaults` (say from xlcsr.toml) or the built-in defaults apply, and the report says so.
    The collector is paused for all of it: the reader's values are millions of new objects.
    """
    with bulk():
        return _find_register(source, sheet, defaults)


def _find_register(source: SheetSource, sheet: str | None, defaults: Settings | None) -> Register:
    names = source.sheet_names()
    settings_rows = source.values(SETTINGS_SHEET) if SETTINGS_SHEET in names else None
    date1904 = source.date1904()
    if settings_rows is not None:
        settings = settings_from_rows(settings_rows, date1904=date1904)
    else:
        settings = (defaults or DEFAULT_SETTINGS).model_copy(update={"from_defaults": True})
    candidates = _candidates(names, sheet)
    for name in candidates:  # noqa: B007 - the sheet found is used below
        rows = _sheet_rows(source, name)
        top = list(islice(rows, HEADER_SCAN_ROWS))
        found = find_header(top, settings.column_map)
        if found:
            break
    else:
        raise HeaderNotFound(_no_header_message(source.label, candidates))
    header_row, columns, extra = found
    _require_columns(name, header_row, columns)
    log = source.values(CHANGELOG_SHEET) if CHANGELOG_SHEET in names else None
    body = _Body(columns, [c for c in extra if c.key is None], _formula_fields(source.formulas(name), columns))
    body.read(chain(top[header_row + 1:], rows), first=header_row + 2)
    return Register(path=source.label, sheet=name, header_row=header_row + 1, columns=columns,
                    extra_columns=extra, rows=body.data, settings=settings,
                    state=state_from_rows(source.values(STATE_SHEET), source.label) if STATE_SHEET in names else {},
                    note_rows=body.notes, width=max([body.width, *(len(r) for r in top)]),
                    settings_refs=date_list_refs(settings_rows) if settings_rows is not None else {},
                    date1904=date1904, samples=body.samples,
                    signoffs=entries_from_rows(source.values(SIGNOFF_LOG_SHEET), date1904)
                    if SIGNOFF_LOG_SHEET in names else None,
                    changes=changes_from_rows(log, date1904) if log is not None else None,
                    change_texts=[(n, canonical(r, date1904)) for n, r in log_rows(log)] if log else [],
                    modified_by=source.modified_by(), table=body.table)


def _sheet_rows(source: SheetSource, sheet: str) -> Iterator[Sequence[object]]:
    """The rows of `sheet` from row 1: streamed when the source can (see SheetSource), else its values."""
    stream = getattr(source, "rows", None)
    return iter(stream(sheet) if callable(stream) else source.values(sheet))


def find_header(rows: Sequence[Sequence[object]], column_map: Mapping[str, str] | None = None,
                ) -> tuple[int, dict[str, Column], list[Column]] | None:
    """The first row among the top rows naming at least three register fields, with its columns.

    `column_map` (normalized header → field key, the user's 【列映射】) beats an alias: a column it
    maps takes the field even when another column's header is an alias of it.
    """
    mapped = column_map or {}
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns: dict[str, Column] = {}
        extra: list[Column] = []
        texts = [(col, cell_text(value)) for col, value in enumerate(row)]
        explicit = {mapped[normalize(text)] for _, text in texts if text and normalize(text) in mapped}
        for col, text in texts:
            if not text:
                continue
            key = mapped.get(normalize(text))
            field = FIELD_BY_KEY[key] if key else field_for_header(text)
            if field and field.key in explicit and not key:  # the user mapped another column to this field
                extra.append(Column(field.key, text, col))
                continue
            if field and field.key not in columns:
                columns[field.key] = Column(field.key, text, col)
            else:
                extra.append(Column(field.key if field else None, text, col))
        if len(columns) >= MIN_HEADER_FIELDS and ({"customer", "requirement"} & columns.keys()):
            return index, columns, extra
    return None


def place_new_column(register: Register, columns: dict[str, Column], key: str) -> Column:
    """The column for field `key`, which the sheet lacks: right of every column in use; added to `columns`.

    The adapter writes its header cell (`column.header`) in the header row. Highlight's legend right of
    the register does not count: the new column goes next to the data, and the legend moves on.
    """
    column = Column(key, FIELD_BY_KEY[key].header, _next_index(register, columns))
    columns[key] = column
    return column


def place_own_column(register: Register, header: str) -> Column:
    """xlcsr's own column `header` (落实情况): the one the sheet has, else a new one placed like a field's."""
    found = next((c for c in register.extra_columns if c.header == header), None)
    return found or Column(None, header, _next_index(register, register.columns))


def _next_index(register: Register, columns: dict[str, Column]) -> int:
    legend = own_columns(register) - {c.index for c in register.extra_columns if c.header in OVERDUE_HEADERS.values()}
    used = [c.index for c in columns.values()] + [c.index for c in register.extra_columns if c.index not in legend]
    width = register.width if not legend or register.width - 1 > max(legend) else 0
    return max([*used, width - 1]) + 1


def _candidates(names: list[str], wanted: str | None) -> list[str]:
    if wanted:
        if wanted not in names:
            raise SheetMissing(f"工作簿中没有工作表「{wanted}」/ no sheet named {wanted}")
        return [wanted]
    if REGISTER_SHEET in names:
        return [REGISTER_SHEET]
    return [n for n in names if n not in OWN_SHEETS]


SAMPLE_SIZE = 200  # values of an unknown column looked at to tell what it holds


class _Body:
    """The rows under the header, read in one pass and kept column by column (a `Table`): data rows, note
    rows, samples of unknown columns, width."""

    def __init__(self, columns: dict[str, Column], unknown: list[Column], formulas: dict[int, frozenset[str]]):
        self.columns = columns
        self.formulas = formulas
        self.table = Table([], {}, {}, formulas)
        self.notes: list[int] = []
        self.samples: dict[int, list[object]] = {c.index: [] for c in unknown}  # the first values of each
        self.width = 0

    @property
    def data(self) -> list[SourceRow]:
        return self.table.rows

    def read(self, rows: Iterable[Sequence[object]], first: int) -> None:
        """Take `rows`, the first of them being sheet row `first`; empty rows are skipped."""
        grid = list(rows)
        self.width = max(map(len, grid), default=0)
        blank = ("",) * len(grid)
        column_of = _columns(grid, self.width, [c.index for c in self.columns.values()] + list(self.samples))
        dates: dict[date, str] = {}  # the text of each date, one string shared by the rows
        texts: dict[str, list[str]] = {}
        raws: dict[str, list[object]] = {}
        for key, column in self.columns.items():
            texts[key], raw = column_texts(column_of.get(column.index, blank), dates)
            if raw is not None:
                raws[key] = raw
        keep = list(map(bool, texts.get("received", blank)))  # a row with a received date is a data row
        for index in [i for i, dated in enumerate(keep) if not dated]:  # the others: empty, a note, or data
            if any(column[index] for column in texts.values()):
                keep[index] = not any(_NOTE.match(cell_text(v)) for v in grid[index])
                if not keep[index]:
                    self.notes.append(first + index)
        del grid
        numbers = list(compress(range(first, first + len(keep)), keep))
        if len(numbers) < len(keep):
            texts = {key: list(compress(column, keep)) for key, column in texts.items()}
            raws = {key: list(compress(column, keep)) for key, column in raws.items()}
        for index, found in self.samples.items():
            if index in column_of:
                values = (v for v, kept in zip(column_of[index], keep) if kept and cell_text(v))
                found.extend(islice(values, SAMPLE_SIZE))
        self.table = Table(numbers, texts, raws, self.formulas)


def _columns(grid: list[Sequence[object]], width: int, wanted: list[int]) -> dict[int, Sequence[object]]:
    """Column index → its cells, for the `wanted` columns within `width` (a short row's missing cells are "")."""
    wanted = sorted({index for index in wanted if index < width})
    if not grid:
        return {index: () for index in wanted}
    if min(map(len, grid)) == width:  # as calamine gives a sheet: every row as wide
        cells = list(zip(*grid))
    else:
        cells = list(zip_longest(*grid, fillvalue=""))
    return {index: cells[index] for index in wanted}


def _formula_fields(refs: set[str], columns: dict[str, Column]) -> dict[int, frozenset[str]]:
    """Row number → the fields whose cells hold formulas (the values alone do not tell)."""
    key_of = {col.letter: key for key, col in columns.items()}
    by_row: dict[int, set[str]] = {}
    for ref in refs:
        match = _CELL_REF.fullmatch(ref.replace("$", ""))
        if match and match[1] in key_of:
            by_row.setdefault(int(match[2]), set()).add(key_of[match[1]])
    return {row: frozenset(keys) for row, keys in by_row.items()}


def _require_columns(sheet: str, header_row: int, columns: dict[str, Column]) -> None:
    missing = [f for f in FIELDS if f.required and f.key not in columns]
    if missing:
        names = "、".join(f"「{f.header}」" for f in missing)
        raise HeaderNotFound(
            f"「{sheet}」第 {header_row + 1} 行的表头缺少必填列 {names}（可用名称："
            + "；".join("/".join(f.names) for f in missing)
            + f"）/ the header in row {header_row + 1} of {sheet} lacks "
            + ", ".join(f.english for f in missing))


def _no_header_message(label: str, sheets: list[str]) -> str:
    wanted = "；".join(f"{f.header}（{'/'.join(f.aliases + (f.english,))}）"
                       for f in FIELDS if f.required)
    shown = "、".join(f"「{s}」" for s in sheets) or "（无工作表）"
    return (f"在 {label} 的 {shown} 前 {HEADER_SCAN_ROWS} 行中找不到表头：表头行需含至少 "
            f"{MIN_HEADER_FIELDS} 个已知列名，包括 {wanted} / no header row found in the first "
            f"{HEADER_SCAN_ROWS} rows: it needs at least {MIN_HEADER_FIELDS} known column names "
            "such as Customer, Requirement, Received")
