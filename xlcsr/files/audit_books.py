"""The workbooks of `xlcsr history --out` and `xlcsr diff --out`, written with openpyxl.

    >>> write_history_book(Path("履历.xlsx"), ["时间", "事件", …], rows, sheet="案件履历")
    PosixPath('履历.xlsx')
    >>> write_diff_book(Path("差异.xlsx"), ["", "案件号", …], [MarkedRow(Action.ADDED, cells)],
    ...                 legend=[(None, "图例："), (Action.ADDED, "+++ 新增的行")], sheet="差异")
    PosixPath('差异.xlsx')

One sheet each: a header row (in the diff, below a legend row), frozen, with column widths; dates are
dates, text is text (never a formula). In the diff, an added row is filled green, a removed row red,
a changed cell yellow with a note. Neither is written over an existing file.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xlcsr.disk.atomic import write_atomically
from xlcsr.domain.changes import Action
from xlcsr.domain.errors import OutputRefused
from xlcsr.domain.vocab import DATE_FORMAT, DATETIME_FORMAT
from xlcsr.files.new_books import _print_setup, _style_header

FILLS = {Action.ADDED: PatternFill("solid", fgColor="C6EFCE"), Action.REMOVED: PatternFill("solid", fgColor="FFC7CE"),
         Action.EDIT: PatternFill("solid", fgColor="FFEB9C"), Action.RENUMBERED: PatternFill("solid", fgColor="FFEB9C")}
_WRAP = Alignment(vertical="top", wrap_text=True)
_NOTE_AUTHOR = "xlcsr"
_MIN_WIDTH, _MAX_WIDTH = 6, 48


class MarkedRow(NamedTuple):
    """A row of the diff workbook: what happened to it, its cells, and a note per changed cell (0-based)."""

    action: Action | None
    cells: Sequence[object]
    notes: Mapping[int, str] = {}


def write_history_book(path: Path, headers: Sequence[str], rows: Sequence[Sequence[object]], *, sheet: str) -> Path:
    """`rows` under `headers` on one sheet at `path`."""
    target = _refuse(path)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    _header(ws, 1, headers)
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            _put(ws, r, c, value)
    _finish(ws, headers, rows, header_row=1)
    return _save(wb, target)


def write_diff_book(path: Path, headers: Sequence[str], rows: Sequence[MarkedRow], *,
                    legend: Sequence[tuple[Action | None, str]], sheet: str) -> Path:
    """A legend row, `headers`, then `rows` coloured by their action, each changed cell noted."""
    target = _refuse(path)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for c, (action, text) in enumerate(legend, start=1):
        cell = ws.cell(1, c, text)
        cell.data_type = "s"
        if action in FILLS:
            cell.fill = FILLS[action]
    _header(ws, 2, headers)
    for r, row in enumerate(rows, start=3):
        whole = FILLS.get(row.action) if row.action in (Action.ADDED, Action.REMOVED) else None
        for c, value in enumerate(row.cells, start=1):
            cell = _put(ws, r, c, value)
            if whole is not None:
                cell.fill = whole
            note = row.notes.get(c - 1)
            if note is not None:
                cell.fill = FILLS[Action.EDIT]
                cell.comment = Comment(note, _NOTE_AUTHOR, width=240, height=60)
    _finish(ws, headers, [[text for _, text in legend], *(row.cells for row in rows)], header_row=2)
    return _save(wb, target)


def _refuse(path: Path) -> Path:
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise OutputRefused(f"输出文件应为 .xlsx：{target.name} / the output must be an .xlsx file: {target.name}")
    if target.exists() or target.is_symlink():
        raise OutputRefused(f"{target} 已存在，未覆盖：请换一个文件名 / {target} already exists and was not "
                            "overwritten: choose another name")
    return target


def _header(ws: Worksheet, row: int, headers: Sequence[str]) -> None:
    for c, text in enumerate(headers, start=1):
        _style_header(ws.cell(row, c, text))


def _put(ws: Worksheet, r: int, c: int, value: object):  # noqa: ANN202 - an openpyxl cell
    cell = ws.cell(r, c)
    if value is None or value == "":
        return cell
    cell.value = value
    if isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    elif isinstance(value, str):
        cell.data_type = "s"  # text stays text, even when it starts with "="
        cell.alignment = _WRAP
    return cell


def _finish(ws: Worksheet, headers: Sequence[str], rows: Sequence[Sequence[object]], *, header_row: int) -> None:
    """Widths from the longest text of each column (a CJK character counts two), the header frozen."""
    for c, header in enumerate(headers, start=1):
        texts = [header, *(_shown(row[c - 1]) for row in rows if c - 1 < len(row))]
        width = max(_width(t) for t in texts) + 2
        ws.column_dimensions[get_column_letter(c)].width = min(max(width, _MIN_WIDTH), _MAX_WIDTH)
    ws.freeze_panes = f"A{header_row + 1}"
    _print_setup(ws, landscape=True, fit_height=False)
    ws.print_title_rows = f"{header_row}:{header_row}"


def _shown(value: object) -> str:
    if isinstance(value, datetime):
        return DATETIME_FORMAT  # as wide as the time it shows
    if isinstance(value, date):
        return DATE_FORMAT
    return "" if value is None else str(value)


def _width(text: str) -> int:
    longest = max(text.split("\n"), key=len, default="")
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in longest)


def _save(wb: Workbook, target: Path) -> Path:
    buffer = io.BytesIO()
    wb.save(buffer)
    write_atomically(target, buffer.getvalue(), backup=False)
    return target
