"""Write what assign and validate --mark decided into the register file, through the patch writer.

    >>> write_assignment(package, register, plan)     # case numbers, due dates, statuses, high-water mark
    >>> plan.added                                    # the columns it added, headed like their left neighbour
    >>> write_marks(package, register, plan_marks(report, register))
    >>> write_highlight(package, register, plan_highlight(register, records, today))

Only the cells named change; xlcsr's bookkeeping goes to the very hidden sheet `_xlcsr`. The caller
saves the package (`FileBook` does, with its stamp and clock). 逾期天数 goes in as one column write
(`SheetPatch.set_column`), so rows with nothing to write or clear in it cost next to nothing.
"""

from __future__ import annotations

import re

from xlcsr.domain.records import Column, Register, column_letter
from xlcsr.domain.signoff import EntryState
from xlcsr.domain.vocab import (
    CHANGELOG_SHEET,
    RESULT_SHEET,
    ROLLOUT_HEADER,
    SETTINGS_SHEET,
    SIGNOFF_LOG_SHEET,
    STATE_SHEET,
)
from xlcsr.ooxml.conditional import CfRule
from xlcsr.ooxml.package import XlsxPackage
from xlcsr.ooxml.sheet import SheetPatch
from xlcsr.rules.changes import ChangeWrite
from xlcsr.rules.highlight import STATE_KEY, HighlightPlan, rule_signature
from xlcsr.rules.marks import ERROR_FILL, MarkPlan, recorded_fill
from xlcsr.rules.numbering import Assignment, column_width
from xlcsr.rules.signoff import ID_KEY, REJECTED_FILL, ReviewWrite
from xlcsr.rules.signoff import STATE_KEY as SIGNOFF_STATE
from xlcsr.workbook.changelog import CHANGELOG_WIDTHS, change_row, changelog_header
from xlcsr.workbook.locate import place_new_column, place_own_column
from xlcsr.workbook.signoff_log import LOG_HEADERS, LOG_WIDTHS, entry_row, log_header
from xlcsr.workbook.state import state_rows

RESULT_WIDTHS = {1: 6, 2: 9, 3: 14, 4: 20, 5: 60, 6: 30}
FILTER_DATABASE = "_xlnm._FilterDatabase"


def write_assignment(package: XlsxPackage, register: Register, plan: Assignment) -> None:
    """Put the planned values into their cells; a field without a column gets one (listed in `plan.added`)."""
    sheet = package.sheet(register.sheet)
    columns = dict(register.columns)
    plan.added = [place_new_column(register, columns, key) for key in plan.new_fields(columns)]
    for column in plan.added:
        _write_header(sheet, register, column)
    added = {column.key for column in plan.added}
    styles = package.styles
    for (row, key), value in sorted(plan.values.items()):
        ref = f"{columns[key].letter}{row}"
        sheet.set_value(ref, value)
        if key == "case_no" and key in added:  # a new column of case numbers: text, also when retyped
            sheet.set_style(ref, styles.with_text_format(sheet.style_of(ref)))
    for column in plan.added:
        sheet.set_column_width(column.letter, column_width(column.header, plan.column_values(column.key)))
    _keep_filter_name(package, sheet)
    state = dict(register.state)
    state["high_water"] = {**dict(state.get("high_water", {})), **plan.high_water}
    put_state(package, state)


def write_marks(package: XlsxPackage, register: Register, plan: MarkPlan) -> None:
    """Clear xlcsr's earlier marks, fill and annotate the bad cells, rewrite the 校验结果 sheet."""
    sheet = package.sheet(register.sheet)
    state = dict(register.state)
    _clear_marks(sheet, dict(state.get("marks", {})))
    styles = package.styles
    marked = {}
    for ref in plan.cells:
        original, mark = sheet.set_fill(ref, ERROR_FILL)
        marked[ref] = {"fill": styles.fill_record(original), "style": [original, mark]}
    noted = sorted(plan.notes) if plan.notes and sheet.add_notes(plan.notes) else []
    package.put_sheet(RESULT_SHEET, plan.rows, widths=RESULT_WIDTHS, links=plan.links)
    state["marks"] = {"sheet": register.sheet, "front": "file", "cells": marked, "notes": noted}
    put_state(package, state)


def write_highlight(package: XlsxPackage, register: Register, plan: HighlightPlan) -> None:
    """Replace xlcsr's colour rules (the user's stay), refresh 逾期天数 and the legend, define the date lists."""
    sheet = package.sheet(register.sheet)
    state = dict(register.state)
    previous = state.get(STATE_KEY) if isinstance(state.get(STATE_KEY), dict) else {}
    for name, reference in plan.names.items():
        package.define_name(name, reference)
    sheet.remove_conditional(lambda formula: rule_signature(formula) in plan.remove)
    sheet.add_conditional([CfRule(r.sqref, r.formula, r.fill, r.font, r.stop_if_true) for r in plan.rules])
    column = plan.column.letter
    if plan.new_column:
        _write_header(sheet, register, plan.column)
    sheet.set_column(column, plan.values)
    if plan.new_column:
        days = {value for value in plan.values.values() if value is not None}
        sheet.set_column_width(column, column_width(plan.column.header, days))
    entry = plan.state()
    entry["front"] = "file"
    entry["legend"]["styles"] = _write_legend(sheet, plan, dict(dict(previous.get("legend") or {}).get("styles") or {}))
    _keep_filter_name(package, sheet)
    state[STATE_KEY] = entry
    put_state(package, state)


def _write_legend(sheet: SheetPatch, plan: HighlightPlan, before: dict[str, list[int]]) -> dict[str, list[int]]:
    """Write the legend cells, give the stale ones back their look; returns cell → [original, legend] style."""
    for ref in plan.stale_legend:
        sheet.set_value(ref, None)
        original, ours = (before.get(ref) or [None, None])[:2]
        if original is not None and sheet.style_of(ref) == ours:
            sheet.set_style(ref, original)
    styles = sheet.package.styles
    written = {}
    for ref, (text, fill) in plan.legend.items():
        current = sheet.style_of(ref)
        original, ours = (before.get(ref) or [None, None])[:2]
        if original is None or current != ours:
            original = current
        look = styles.with_fill(original, fill) if fill else styles.bold(original)
        sheet.set_value(ref, text)
        if look != current:
            sheet.set_style(ref, look)
        written[ref] = [original, look]
    return written


def _clear_marks(sheet: SheetPatch, previous: dict[str, object]) -> None:
    """Give back each cell still showing the mark the fill it had; a cell the user recoloured stays.

    The fill is restored from its record (written by either front), so styles renumbered by WPS or
    LibreOffice on save do not matter; the exact former style comes back when its id still holds it.
    """
    if previous.get("sheet") != sheet.name:
        return
    styles = sheet.package.styles
    for ref, entry in dict(previous.get("cells", {})).items():
        current = sheet.style_of(ref)
        if isinstance(entry, list) and len(entry) > 1 and entry[1] is not None:  # before the fill record
            if current == entry[1]:
                sheet.set_style(ref, entry[0])
            continue
        if styles.fill_rgb(current) != ERROR_FILL:
            continue
        fill = recorded_fill(entry)
        original, mark = (entry.get("style") or (None, None)) if isinstance(entry, dict) else (None, None)
        if mark == current and isinstance(original, int) and styles.fill_record(original) == fill:
            sheet.set_style(ref, original)
        else:
            sheet.set_style(ref, styles.with_fill_record(current, fill))
    sheet.remove_notes()


def _write_header(sheet: SheetPatch, register: Register, column: Column) -> None:
    """The header cell of a column xlcsr adds, styled like its left neighbour's (fill, font, borders …)."""
    ref = f"{column.letter}{register.header_row}"
    sheet.set_value(ref, column.header)
    if column.index:
        sheet.set_style(ref, sheet.style_of(f"{column_letter(column.index - 1)}{register.header_row}"))


def _keep_filter_name(package: XlsxPackage, sheet: SheetPatch) -> None:
    """Point the sheet's hidden `_xlnm._FilterDatabase` name at its autoFilter, which may have grown.

    Excel writes the name beside every filtered range and LibreOffice reads the range from it.
    """
    ref = sheet.auto_filter()
    if ref is not None:
        package.redefine_sheet_name(FILTER_DATABASE, sheet.name, re.sub(r"([A-Z]+)([0-9]+)", r"$\1$\2", ref))


def write_settings_cells(package: XlsxPackage, cells: dict[str, str]) -> None:
    """Text into cells of the 设置 sheet (new 【列映射】 rows), each as text."""
    sheet = package.sheet(SETTINGS_SHEET)
    for ref, text in cells.items():
        sheet.set_value(ref, text)


def put_state(package: XlsxPackage, state: dict[str, object]) -> None:
    package.put_sheet(STATE_SHEET, state_rows(state), state="veryHidden", bold_first_row=False, freeze_first_row=False)


def write_review(package: XlsxPackage, register: Register, change: ReviewWrite) -> None:
    """Statuses, 完成日期 and 落实情况 into the register; new rows at the bottom of 会签记录; the state."""
    sheet = package.sheet(register.sheet)
    for key, values in (("status", change.statuses), ("closed", change.closed)):
        if values:
            column = register.columns.get(key)
            if column is None:
                column = place_new_column(register, dict(register.columns), key)
                _write_header(sheet, register, column)
            for row, value in sorted(values.items()):
                sheet.set_value(f"{column.letter}{row}", value)
    if change.progress:
        _write_progress(sheet, register, change)
    if change.entries:
        _append_log(package, change)
    if change.state is not None:
        state = dict(register.state)
        state[SIGNOFF_STATE] = change.state
        put_state(package, state)


def _write_progress(sheet: SheetPatch, register: Register, change: ReviewWrite) -> None:
    column = place_own_column(register, ROLLOUT_HEADER)
    if column not in register.extra_columns:
        _write_header(sheet, register, column)
        sheet.set_column_width(column.letter, 16)
    styles = sheet.package.styles
    for row, text in sorted(change.progress.items()):
        ref = f"{column.letter}{row}"
        sheet.set_value(ref, text)
        current = sheet.style_of(ref)
        if row in change.rejected:
            wanted = styles.with_fill(current, REJECTED_FILL)
        elif styles.fill_rgb(current) == REJECTED_FILL:  # turned down before, no longer: the red goes
            wanted = styles.without_fill(current)
        else:
            wanted = current
        if wanted != current:
            sheet.set_style(ref, wanted)


def _append_log(package: XlsxPackage, change: ReviewWrite) -> None:
    append_rows(package, SIGNOFF_LOG_SHEET, log_header(), LOG_WIDTHS, change.log_row,
                 [entry_row(entry) for entry in change.entries])


def append_rows(package: XlsxPackage, name: str, header: list[str], widths: dict[int, float], first: int,
                 rows: list[list[object]]) -> None:
    """Rows at the bottom of one of xlcsr's logs (from `first`; the sheet made when it is missing), which
    is then protected: people read the logs, xlcsr writes them."""
    if not first or not package.has_sheet(name):
        package.put_sheet(name, [header, *rows], widths=widths, protect=True)
        return
    sheet = package.sheet(name)
    if first == 2:  # nothing logged yet: the header is made the current one (a template of an older xlcsr)
        for index, text in enumerate(header):
            sheet.set_value(f"{column_letter(index)}1", text)
    for offset, cells in enumerate(rows):
        for index, value in enumerate(cells):
            sheet.set_value(f"{column_letter(index)}{first + offset}", value)
    sheet.protect()


def write_changes(package: XlsxPackage, register: Register, write: ChangeWrite) -> None:
    """A tracked write: 版本号 and 处理状态 cells, new 变更记录 rows, voided 会签记录 answers, the register id."""
    if write.cells:
        sheet = package.sheet(register.sheet)
        columns = dict(register.columns)
        for key in sorted({key for _, key in write.cells}):
            if key not in columns:
                columns[key] = place_new_column(register, columns, key)
                _write_header(sheet, register, columns[key])
        for (row, key), text in sorted(write.cells.items()):
            sheet.set_value(f"{columns[key].letter}{row}", int(text) if key == "revision" and text.isdigit() else text)
    if write.changes:
        append_rows(package, CHANGELOG_SHEET, changelog_header(), CHANGELOG_WIDTHS, write.log_row,
                     [change_row(change) for change in write.changes])
    if write.stale and package.has_sheet(SIGNOFF_LOG_SHEET):
        log = package.sheet(SIGNOFF_LOG_SHEET)
        state_column = column_letter(len(LOG_HEADERS) - 1)
        for row in sorted(set(write.stale)):
            log.set_value(f"{state_column}{row}", str(EntryState.STALE))
        log.protect()
    if write.protect:
        for name in (CHANGELOG_SHEET, SIGNOFF_LOG_SHEET):
            if package.has_sheet(name):
                package.sheet(name).protect()
    if write.register_id:  # the first track, which writes no other state
        put_state(package, {**register.state, ID_KEY: write.register_id})
