"""The workbook open in Excel as a `RegisterBook`, through xlwings, in as few calls as possible.

    >>> book = LiveBook(xw.Book.caller())
    >>> report = validate_workbook(book, today=date.today(), mark=True)

Each sheet is read in one bulk call for its values and one for its formulas; writes go in
contiguous blocks and multi-area ranges, so the number of calls follows the number of changes,
never the number of rows. Everything is planned before the first write.

Every write leaves Excel as the user had it (`_quiet`): screen updating, events and automatic
calculation off while it writes and given back after, also when the write fails; the active sheet
and the selection as they were; the status bar counting the blocks of a long write. xlcsr's state
sheet `_xlcsr` is very hidden, as the file writer leaves it: Format ▸ Unhide does not list it.
"""

from __future__ import annotations

import contextlib
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from xlcsr.domain.errors import XlcsrError
from xlcsr.domain.records import Column, Register, column_letter
from xlcsr.domain.settings import Settings
from xlcsr.domain.signoff import EntryState
from xlcsr.domain.vocab import (
    CHANGELOG_SHEET,
    DATE_FORMAT,
    RESULT_SHEET,
    ROLLOUT_HEADER,
    SETTINGS_SHEET,
    SIGNOFF_LOG_SHEET,
    STATE_SHEET,
)
from xlcsr.files.change_store import ChangeStore
from xlcsr.rules.changes import ChangeWrite
from xlcsr.rules.highlight import STATE_KEY, HighlightPlan, Rule, rule_signature, shift_rows
from xlcsr.rules.marks import ERROR_FILL, Fill, MarkPlan, fill_rgb, recorded_fill, solid_fill
from xlcsr.rules.numbering import Assignment, column_width
from xlcsr.rules.signoff import ID_KEY, REJECTED_FILL, ReviewWrite
from xlcsr.rules.signoff import STATE_KEY as SIGNOFF_STATE
from xlcsr.workbook.changelog import change_row, changelog_header
from xlcsr.workbook.locate import Amended, find_register, place_new_column, place_own_column
from xlcsr.workbook.signoff_log import LOG_HEADERS, entry_row, log_header
from xlcsr.workbook.state import state_rows

MARK_COLOR = tuple(int(ERROR_FILL[i:i + 2], 16) for i in (2, 4, 6))  # (255, 199, 206)
REJECTED_COLOR = tuple(int(REJECTED_FILL[i:i + 2], 16) for i in (2, 4, 6))
MAX_ADDRESS = 250  # Excel refuses range addresses longer than 255 characters
VERY_HIDDEN = 2  # XlSheetVisibility.xlSheetVeryHidden: only the object model shows the sheet again
MANUAL = "manual"  # xlwings' name for xlCalculationManual (-4135)
LONG_WRITE = 50  # blocks: a shorter write leaves the status bar alone
PROGRESS_STEPS = 10  # a long write tells the status bar about this many times
_TEXT_TRIGGERS = ("=", "+", "-", "@")
TEXT_FORMAT = "@"  # Excel's number format that keeps what is typed as text


class LiveBook:
    """An xlwings Book holding a register; `label` names it in messages."""

    def __init__(self, book: Any, *, defaults: Settings | None = None):
        self.book = book
        self.defaults = defaults  # the settings when the workbook has no 设置 sheet (xlcsr.toml's [columns])
        self.label = book.name
        self._names: list[str] | None = None
        self._read: dict[str, tuple[Any, list[list[object]]]] = {}
        self._store: ChangeStore | None = None
        self._staged: tuple[Register, ChangeWrite] | None = None
        self._writing: _quiet | None = None  # Excel's settings kept while a write runs

    @property
    def path(self) -> Path:
        """The workbook's file (its store of keys and logs is beside it); just its name when never saved."""
        return Path(self.book.fullname)

    @property
    def store(self) -> ChangeStore:
        """The SQLite store beside the workbook's file (snapshots, the change log's chain, keys)."""
        if self._store is None:
            self._store = ChangeStore.beside(self.path)
        return self._store

    # -- SheetSource --

    def sheet_names(self) -> list[str]:
        if self._names is None:
            self._names = list(self.book.sheet_names)
        return self._names

    def values(self, sheet: str) -> list[list[object]]:
        used, rows = self._used(sheet)
        return _from_a1(rows, used.row, used.column)

    def date1904(self) -> bool:
        """Excel's own flag (Workbook.Date1904, as True or False); where the object model lacks it, False."""
        try:
            flag = self.book.api.Date1904
        except AttributeError:
            return False
        return flag is True

    def modified_by(self) -> str:
        """Excel's "Last Author" document property ("" where the object model does not give it)."""
        try:
            author = self.book.api.BuiltinDocumentProperties("Last Author").Value
        except Exception:  # noqa: BLE001 - a COM error, or no such property on this Excel
            return ""
        return author.strip() if isinstance(author, str) else ""

    def formulas(self, sheet: str) -> set[str]:
        """Cells holding a real formula: their formula text differs from their value."""
        used, values = self._used(sheet)
        first_row, first_column = used.row, used.column
        refs = set()
        for r, row in enumerate(_grid(used.formula)):
            for c, text in enumerate(row):
                if isinstance(text, str) and text.startswith("=") and values[r][c] != text:
                    refs.add(f"{column_letter(first_column + c - 1)}{first_row + r}")
        return refs

    def _used(self, sheet: str) -> tuple[Any, list[list[object]]]:
        """The sheet's used range and its values, read once."""
        if sheet not in self._read:
            used = self.book.sheets[sheet].used_range
            self._read[sheet] = used, _grid(used.options(ndim=2).value)
        return self._read[sheet]

    # -- RegisterBook --

    def read(self) -> Register:
        return find_register(self, defaults=self.defaults)

    def read_amended(self, cells: dict[str, str]) -> Register:
        return find_register(Amended(self, cells), defaults=self.defaults)

    def write_assignment(self, register: Register, plan: Assignment) -> None:
        sheet = self.book.sheets[register.sheet]
        columns = dict(register.columns)
        by_column: dict[str, dict[int, object]] = defaultdict(dict)
        for (row, key), value in plan.values.items():
            by_column[key][row] = value
        runs = [(key, first, values) for key, cells in by_column.items() for first, values in _runs(cells)]
        with self.quietly(blocks=len(runs)) as quiet:
            plan.added = [place_new_column(register, columns, key) for key in plan.new_fields(columns)]
            for column in plan.added:
                _add_column(sheet, register.header_row, column)
            added = {column.key for column in plan.added}
            for key, first, values in runs:
                column = columns[key]
                target = sheet.range((first, column.index + 1), (first + len(values) - 1, column.index + 1))
                if key == "case_no" and key in added:  # a new column of case numbers: text, also when retyped
                    target.number_format = TEXT_FORMAT
                target.value = [[_cell(v)] for v in values]
                if any(isinstance(v, date) for v in values):
                    target.number_format = DATE_FORMAT
                quiet.advance()
            for column in plan.added:
                _widen(sheet, register.header_row, column, plan.column_values(column.key))
            state = dict(register.state)
            state["high_water"] = {**dict(state.get("high_water", {})), **plan.high_water}
            self._write_state(state)

    def write_marks(self, register: Register, plan: MarkPlan) -> None:
        sheet = self.book.sheets[register.sheet]
        state = dict(register.state)
        previous = dict(state.get("marks", {}))
        originals = {ref: sheet.range(ref).color for ref in plan.cells}
        addresses = list(_addresses(plan.cells))
        cleared = len(previous.get("notes") or []) + len(previous.get("cells") or {}) \
            if previous.get("sheet") == register.sheet else 0
        with self.quietly(blocks=cleared + len(addresses) + len(plan.notes)) as quiet:
            self._clear_marks(sheet, previous, set(plan.cells), quiet)
            for address in addresses:
                sheet.range(address).color = MARK_COLOR
                quiet.advance()
            noted = []
            for ref, text in plan.notes.items():
                if self._note(sheet, ref, text):
                    noted.append(ref)
                quiet.advance()
            self._write_result(plan)
            state["marks"] = {"sheet": register.sheet, "front": "excel", "notes": noted,
                              "cells": {ref: {"fill": solid_fill(_hex(originals[ref]))} for ref in plan.cells}}
            self._write_state(state)

    def write_settings_cells(self, register: Register, cells: dict[str, str]) -> None:
        sheet = self.book.sheets[SETTINGS_SHEET]
        with self.quietly(blocks=len(cells)) as quiet:
            for ref, text in cells.items():
                sheet.range(ref).value = "'" + text if text[:1] in "=+-@" else text
                quiet.advance()

    def write_highlight(self, register: Register, plan: HighlightPlan) -> None:
        """Rules through xlwings' conditional_formats; the 逾期天数 column and the legend as blocks."""
        sheet = self.book.sheets[register.sheet]
        state = dict(register.state)
        previous = state.get(STATE_KEY) if isinstance(state.get(STATE_KEY), dict) else {}
        column = plan.column.index + 1
        areas = [list(_rule_areas(rule)) for rule in plan.rules]
        with self.quietly(blocks=sum(map(len, areas))) as quiet:
            for name, reference in plan.names.items():
                self.book.names.add(name, "=" + reference)
            self._replace_rules(sheet, plan, areas, quiet)
            if plan.new_column:
                _add_column(sheet, register.header_row, plan.column)
            if plan.values:
                first, last = min(plan.values), max(plan.values)
                sheet.range((first, column), (last, column)).value = [
                    [plan.values.get(row)] for row in range(first, last + 1)]
            if plan.new_column:
                _widen(sheet, register.header_row, plan.column, plan.values.values())
            before = dict(dict(previous.get("legend") or {}).get("colors") or {})
            entry = plan.state()
            entry["front"] = "excel"
            entry["legend"]["colors"] = self._write_legend(sheet, plan, before)
            state[STATE_KEY] = entry
            self._write_state(state)

    @contextlib.contextmanager
    def quietly(self, *, blocks: int = 0) -> Iterator[_quiet]:
        """Excel kept as the user had it (`_quiet`) around a write of `blocks` blocks. Every write
        runs in one; writes inside an outer one (a caller's around several) share it, so Excel's
        settings are read and given back once.

            with live.quietly():
                commands.assign_case_numbers(live, today=today)  # the change log's write and assign's
        """
        if self._writing is not None:
            self._writing.blocks += blocks
            yield self._writing
            return
        with _quiet(self.book, blocks=blocks) as quiet:
            self._writing = quiet
            try:
                yield quiet
                staged, self._staged = self._staged, None
                if staged is not None:  # the change log of the write just done, only once it is done
                    self.write_changes(*staged)
            finally:
                self._writing = None
                self._staged = None

    def _before_moving(self) -> None:
        """Adding, hiding or activating a sheet comes next: the user's selection is read first."""
        if self._writing is not None:
            self._writing.keep_selection()

    # -- helpers --

    def _replace_rules(self, sheet: Any, plan: HighlightPlan, areas: list[list[tuple[str, str]]],
                       quiet: _quiet) -> None:
        """Delete xlcsr's earlier rules, then add the plan's so that they run in the plan's order;
        `areas`: each rule's (address, formula) pieces (`_rule_areas`).

        Excel reads the relative references of a new rule from the active cell (KB 895562), so the
        rule's top-left cell is selected first; `_quiet` gives the user's selection back afterwards.
        """
        formats = sheet.cells.conditional_formats
        ours = [i for i, rule in enumerate(formats)
                if rule.type == "custom" and rule_signature(rule.formula or "") in plan.remove]
        for index in reversed(ours):
            formats[index].delete()
        self._before_moving()
        sheet.activate()
        for rule, pieces in reversed(list(zip(plan.rules, areas, strict=True))):  # Excel puts each new rule on top
            for address, formula in pieces:
                sheet.range(address.split(",")[0].split(":")[0]).select()
                sheet.range(address).conditional_formats.add_custom(
                    "=" + formula, fill_color="#" + rule.fill[2:], font_color="#" + rule.font[2:],
                    stop_if_true=rule.stop_if_true)
                quiet.advance()

    @staticmethod
    def _write_legend(sheet: Any, plan: HighlightPlan, before: dict[str, str | None]) -> dict[str, str | None]:
        """Write the legend in one block and colour it; returns cell → the fill it had before."""
        fills = {_rgb(fill) for _, fill in plan.legend.values() if fill}
        for ref in plan.stale_legend:
            cell = sheet.range(ref)
            cell.value = None
            if cell.color in fills:
                cell.color = _rgb(before.get(ref))
        refs = list(plan.legend)
        colors = {}
        for ref, (_, fill) in plan.legend.items():
            if fill:
                cell = sheet.range(ref)
                current = cell.color
                colors[ref] = before.get(ref) if ref in before and current in fills else _hex(current)
                cell.color = _rgb(fill)
        sheet.range(f"{refs[0]}:{refs[-1]}").value = [[text for text, _ in plan.legend.values()]]
        sheet.range(refs[0]).font.bold = True
        return colors


    def _clear_marks(self, sheet: Any, previous: dict[str, Any], keep: set[str], quiet: _quiet) -> None:
        if previous.get("sheet") != sheet.name:
            return
        for ref in previous.get("notes") or []:  # the cells xlcsr annotated, whichever front did
            note = sheet.range(ref).note
            if note is not None:
                note.delete()
            quiet.advance()
        for ref, entry in dict(previous.get("cells") or {}).items():
            if ref not in keep and sheet.range(ref).color == MARK_COLOR:
                _restore_fill(sheet.range(ref), recorded_fill(entry))
            quiet.advance()

    @staticmethod
    def _note(sheet: Any, ref: str, text: str) -> bool:
        """Add a note unless the cell already has the user's own."""
        cell = sheet.range(ref)
        if cell.note is not None:
            return False
        cell.add_note(text)
        return True

    def _write_result(self, plan: MarkPlan) -> None:
        sheet = self._own_sheet(RESULT_SHEET)
        rows = [[_cell(v) for v in row] for row in plan.rows]
        for ref, target in plan.links.items():
            r = int(ref[1:]) - 1
            rows[r][1] = f'=HYPERLINK("#{target}","{plan.rows[r][1]}")'
        sheet.range("A1").value = rows
        sheet.range("A1:F1").font.bold = True
        sheet.autofit("c")

    def write_review(self, register: Register, change: ReviewWrite) -> None:
        """Statuses, 完成日期 and 落实情况 as runs of cells; new 会签记录 rows as one block at its bottom."""
        sheet = self.book.sheets[register.sheet]
        blocks = sum(_run_count(values) for values in (change.statuses, change.closed, change.progress))
        with self.quietly(blocks=blocks) as quiet:
            for key, values in (("status", change.statuses), ("closed", change.closed)):
                if not values:
                    continue
                columns = dict(register.columns)
                column = columns.get(key) or place_new_column(register, columns, key)
                if key not in register.columns:
                    _add_column(sheet, register.header_row, column)
                self._write_runs(sheet, column, values, quiet)
            if change.progress:
                column = place_own_column(register, ROLLOUT_HEADER)
                if column not in register.extra_columns:
                    _add_column(sheet, register.header_row, column)
                self._write_runs(sheet, column, change.progress, quiet)
                for address in _addresses([f"{column.letter}{row}" for row in sorted(change.rejected)]):
                    sheet.range(address).color = REJECTED_COLOR
            if change.entries:
                self._append_log(change)
            if change.state is not None:
                self._write_state({**register.state, SIGNOFF_STATE: change.state})

    def write_changes(self, register: Register, write: ChangeWrite) -> None:
        """版本号 and 处理状态 as runs of cells, new 变更记录 rows as one block, voided 会签记录 answers, the
        register id; the two logs protected again (they are unprotected only while xlcsr writes)."""
        logs = [name for name, wanted in ((CHANGELOG_SHEET, write.changes), (SIGNOFF_LOG_SHEET, write.stale))
                if wanted and name in self.sheet_names()]
        by_key: dict[str, dict[int, object]] = defaultdict(dict)
        for (row, key), text in write.cells.items():
            by_key[key][row] = int(text) if key == "revision" and text.isdigit() else text
        stale = sorted(set(write.stale)) if SIGNOFF_LOG_SHEET in self.sheet_names() else []
        blocks = sum(map(_run_count, by_key.values())) + len(stale)
        with self.quietly(blocks=blocks) as quiet, ExitStack() as opened:
            for name in logs:  # a log xlcsr cannot write refuses the whole write before any cell changes
                opened.enter_context(_unprotected(self.book.sheets[name]))
            if by_key:
                sheet = self.book.sheets[register.sheet]
                columns = dict(register.columns)
                for key in sorted(by_key):
                    if key not in columns:
                        _add_column(sheet, register.header_row, place_new_column(register, columns, key))
                    self._write_runs(sheet, columns[key], by_key[key], quiet)
            if write.changes:
                rows = [change_row(change) for change in write.changes]
                self._append_rows(CHANGELOG_SHEET, changelog_header(), write.log_row, rows,
                                  opened=CHANGELOG_SHEET in logs)
            if stale:
                log = self.book.sheets[SIGNOFF_LOG_SHEET]  # unprotected above
                for row in stale:
                    log.range((row, len(LOG_HEADERS))).value = str(EntryState.STALE)
                    quiet.advance()
            if write.protect:
                for name in (CHANGELOG_SHEET, SIGNOFF_LOG_SHEET):
                    if name in self.sheet_names():
                        _protect(self.book.sheets[name])
            if write.register_id:
                self._write_state({**register.state, ID_KEY: write.register_id})

    def stage_changes(self, register: Register, write: ChangeWrite) -> None:
        """The change log of the next write, written right after it succeeds (never for a write that failed)."""
        self._staged = (register, write)

    @staticmethod
    def _write_runs(sheet: Any, column: Column, values: dict[int, object], quiet: _quiet) -> None:
        for first, run in _runs(values):
            target = sheet.range((first, column.index + 1), (first + len(run) - 1, column.index + 1))
            target.value = [[_cell(v)] for v in run]
            if any(isinstance(v, date) for v in run):
                target.number_format = DATE_FORMAT
            quiet.advance()

    def _append_log(self, change: ReviewWrite) -> None:
        self._append_rows(SIGNOFF_LOG_SHEET, log_header(), change.log_row,
                          [entry_row(entry) for entry in change.entries])

    def _append_rows(self, name: str, header: list[str], first: int, rows: list[list[object]], *,
                     opened: bool = False) -> None:
        """Rows at the bottom of one of xlcsr's logs (the sheet made when missing), protected after;
        `opened`: the caller has it unprotected and protects it again."""
        rows = [[_cell(v) for v in row] for row in rows]
        if not first or name not in self.sheet_names():
            sheet = self._own_sheet(name)
            sheet.range("A1").value = [header]
            sheet.range((1, 1), (1, len(header))).font.bold = True
            first = 2
        else:
            sheet = self.book.sheets[name]
        with contextlib.nullcontext() if opened else _unprotected(sheet):
            if first == 2:
                sheet.range("A1").value = [header]
            sheet.range((first, 1)).value = rows

    def _write_state(self, state: dict[str, object]) -> None:
        sheet = self._own_sheet(STATE_SHEET)
        sheet.range("A1").value = [[key, _cell(text)] for key, text in state_rows(state)]
        self._very_hidden(sheet)

    def _very_hidden(self, sheet: Any) -> None:
        """Make `sheet` very hidden (Format ▸ Unhide does not list it), as the file writer leaves `_xlcsr`.

        Through the COM object model: Worksheet.Visible read, and set to xlSheetVeryHidden unless it is
        so already. The read comes first also because it is what fails where `.api` is no COM object:
        Excel for Mac's appscript reference raises AttributeError for `Visible` but would take an
        assignment to it silently. There the sheet is merely hidden.
        """
        try:
            if sheet.api.Visible != VERY_HIDDEN:
                self._before_moving()  # hiding the active sheet activates another
                sheet.api.Visible = VERY_HIDDEN
        except Exception:  # noqa: BLE001 - no COM object model (appscript raises its own errors)
            sheet.visible = False

    def _own_sheet(self, name: str) -> Any:
        """xlcsr's own sheet, emptied, or a new one after the last sheet."""
        if name in self.sheet_names():
            sheet = self.book.sheets[name]
            sheet.clear()
            return sheet
        self._before_moving()  # Excel activates the sheet it adds
        sheet = self.book.sheets.add(name, after=self.book.sheets[len(self.sheet_names()) - 1])
        self._names = None
        return sheet


class _quiet:
    """Excel kept as the user had it around one write, whatever happens in it.

        with _quiet(book, blocks=len(runs)) as quiet:
            for run in runs:
                ...  # write the run
                quiet.advance()

    Screen updating off, events off (the user's Worksheet_Change macros do not run on xlcsr's blocks)
    and calculation manual (no recalculation per block) while writing; each given back as it was
    found, in a `finally`: a setting the user already had (events off, calculation manual) is only
    read. The selection is read just before the first call that can move it (`keep_selection`:
    adding a sheet activates it, hiding the active sheet activates another, a rule's cell is
    selected) and given back with its sheet active again; with a chart or picture selected the
    active sheet is. A write that moves nothing pays nothing for it. A write of `blocks` ≥
    LONG_WRITE shows "xlcsr：写入第 3/10 块…" on the status bar about PROGRESS_STEPS times, then
    gives the status bar back. Calculation goes back before events, so the one recalculation after
    the write runs no Calculate macro either. A setting that cannot be given back (a COM error) does
    not stop the others; it is raised after them unless the write itself failed, whose error wins.
    """

    def __init__(self, book: Any, *, blocks: int = 0):
        self.book, self.app = book, book.app
        self.blocks = blocks  # grows when a write joins an outer one (`LiveBook.quietly`)
        self.done = 0
        self._undo: list[Any] = []  # how to give each changed setting back, in the order changed
        self._status_kept = self._selection_kept = False

    def __enter__(self) -> _quiet:
        try:
            self._switch("screen_updating", False)
            self._switch("enable_events", False)
            self._switch("calculation", MANUAL)
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def _switch(self, name: str, value: object) -> None:
        """Set the application's `name` to `value` unless it is so already; remember how it was."""
        before = getattr(self.app, name)
        if before != value:
            setattr(self.app, name, value)
            self._undo.append(lambda: setattr(self.app, name, before))

    def keep_selection(self) -> None:
        """Read the user's selection (once) to give it back at the end."""
        if self._selection_kept:
            return
        self._selection_kept = True
        selection = self.book.selection
        if selection is None:  # a chart or picture selected: its sheet at least
            sheet = self.book.sheets.active
            self._undo.append(sheet.activate)
            return

        def give_back() -> None:
            sheet = selection.sheet
            try:
                sheet.activate()
            except Exception:  # noqa: BLE001 - COM: the user was on a sheet the write hid (`_xlcsr`)
                return  # Excel's neighbour stays active
            selection.select()

        self._undo.append(give_back)

    def advance(self) -> None:
        """One block written; on a long write the status bar says how far, every tenth or so."""
        self.done += 1
        every = -(-self.blocks // PROGRESS_STEPS)  # a tenth, rounded up
        if self.blocks < LONG_WRITE or (self.done % every and self.done != self.blocks):
            return
        if not self._status_kept:
            before = self.app.status_bar
            self._undo.append(lambda: setattr(self.app, "status_bar", before))
            self._status_kept = True
        self.app.status_bar = f"xlcsr：写入第 {min(self.done, self.blocks)}/{self.blocks} 块…"

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, *_: object) -> None:
        failed: Exception | None = None
        for undo in reversed(self._undo):
            try:
                undo()
            except Exception as exc:  # noqa: BLE001 - COM: give back the rest, then tell
                failed = failed or exc
        self._undo.clear()
        if failed is not None:
            if error is None:
                raise failed
            error.add_note(f"xlcsr could not give Excel's settings back: {failed!r}")


class _unprotected:
    """A log sheet open to xlcsr's write (protected without a password, as xlcsr leaves it)."""

    def __init__(self, sheet: Any):
        self.sheet = sheet

    def __enter__(self) -> None:
        try:
            self.sheet.api.Unprotect()
        except Exception as exc:  # noqa: BLE001 - COM: protected with a password
            name = self.sheet.name
            raise XlcsrError(f"工作表「{name}」设有密码保护，xlcsr 无法写入记录；请取消保护后重试 / sheet {name} is "
                             "protected with a password; xlcsr cannot add to it: unprotect it and retry") from exc

    def __exit__(self, *exc: object) -> None:
        _protect(self.sheet)


def _protect(sheet: Any) -> None:
    sheet.api.Protect(DrawingObjects=True, Contents=True, Scenarios=True)


def _add_column(sheet: Any, header_row: int, column: Column) -> None:
    """The header cell of a column xlcsr adds, with its left neighbour's look.

    Range.Copy with a destination copies the format without the clipboard; a note it brings along
    is deleted, and the header text written over the copied value.
    """
    target = sheet.range((header_row, column.index + 1))
    if column.index:
        left = sheet.range((header_row, column.index))
        noted = left.note is not None
        left.copy(target)
        if noted and target.note is not None:
            target.note.delete()
    target.value = column.header
    _join_table(sheet, header_row, column)


def _join_table(sheet: Any, header_row: int, column: Column) -> None:
    """Take a column added right of an Excel table (its header in the table's header row) into it.

    Excel grows a table over a column typed beside it; whether it does for a value written through
    its object model depends on the version and the AutoCorrect option, so the table is resized here
    (a table Excel already grew is left as it is).
    """
    for table in sheet.tables:
        area = table.range
        last = area.last_cell
        if area.row == header_row and last.column == column.index:  # its last column is the new one's neighbour
            table.resize(sheet.range((area.row, area.column), (last.row, column.index + 1)))


def _widen(sheet: Any, header_row: int, column: Column, values: Iterable[object]) -> None:
    """Make a column xlcsr added wide enough for its header and values (a hidden one is shown)."""
    width = column_width(column.header, values)
    cell = sheet.range((header_row, column.index + 1))
    if (cell.column_width or 0) < width:
        cell.column_width = width


def _grid(value: Any) -> list[list[object]]:
    """A range's values as rows, a date as a date (as the file reader gives it: both fronts read alike)."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if value and not isinstance(value[0], (list, tuple)):
        value = [value]
    return [[v.date() if type(v) is datetime and v.time() == _MIDNIGHT and v.tzinfo is None else v for v in row]
            for row in value]


_MIDNIGHT = time()  # xlwings gives a date cell as a datetime at midnight; python-calamine as the date it is


def _from_a1(rows: list[list[object]], first_row: int, first_column: int) -> list[list[object]]:
    """Pad a used range that starts below or right of A1 so indexes count from A1."""
    pad = [None] * (first_column - 1)
    return [[] for _ in range(first_row - 1)] + [pad + row for row in rows]


def _rule_areas(rule: Rule) -> Iterator[tuple[str, str]]:
    """(address, formula) pieces of a rule short enough for Excel, each formula anchored at its first row."""
    areas = rule.sqref.split()
    first_row = int("".join(ch for ch in areas[0].split(":")[0] if ch.isdigit()))
    for address in _addresses(areas):
        top = int("".join(ch for ch in address.split(",")[0].split(":")[0] if ch.isdigit()))
        yield address, shift_rows(rule.formula, top - first_row)


def _runs(cells: dict[int, object]) -> Iterator[tuple[int, list[object]]]:
    """Contiguous row runs: (first row, values)."""
    rows = sorted(cells)
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i] != rows[i - 1] + 1:
            yield rows[start], [cells[r] for r in rows[start:i]]
            start = i


def _run_count(cells: dict[int, object]) -> int:
    """How many runs `_runs` makes of `cells` (the blocks of a column's write)."""
    rows = sorted(cells)
    return sum(1 for i, r in enumerate(rows) if i == 0 or r != rows[i - 1] + 1)


def _addresses(refs: Sequence[str]) -> Iterator[str]:
    """Multi-area addresses ("E5,F7,…") each short enough for Excel."""
    chunk: list[str] = []
    for ref in refs:
        if chunk and len(",".join([*chunk, ref])) > MAX_ADDRESS:
            yield ",".join(chunk)
            chunk = []
        chunk.append(ref)
    if chunk:
        yield ",".join(chunk)


def _cell(value: object) -> object:
    """A value as Excel should store it: text that Excel would read as a formula gets a quote."""
    if isinstance(value, str) and value.startswith(_TEXT_TRIGGERS):
        return "'" + value
    return value


# SpreadsheetML's theme colour index → Excel's XlThemeColor (1-based; light and dark swap places).
_THEME_COLOR = {0: 2, 1: 1, 2: 4, 3: 3}


def _restore_fill(cell: Any, fill: Fill) -> None:
    """Give `cell` the recorded fill: a colour, a theme colour (through the object model), or none."""
    rgb = fill_rgb(fill)
    theme = fill.get("fg") if isinstance(fill, dict) else None
    if rgb or not (isinstance(theme, dict) and "theme" in theme):
        cell.color = _rgb(rgb)
        return
    try:
        interior = cell.api.Interior
        interior.ThemeColor = _THEME_COLOR.get(int(theme["theme"]), int(theme["theme"]) + 1)
        interior.TintAndShade = float(theme.get("tint", 0.0))
    except AttributeError:  # no object model (macOS appscript, the test fakes): no fill rather than the mark
        cell.color = None


def _hex(color: object) -> str | None:
    if isinstance(color, (tuple, list)) and len(color) == 3:
        return "FF" + "".join(f"{int(c):02X}" for c in color)
    return None


def _rgb(argb: object) -> tuple[int, int, int] | None:
    if isinstance(argb, str) and len(argb) == 8:
        return tuple(int(argb[i:i + 2], 16) for i in (2, 4, 6))  # type: ignore[return-value]
    return None
