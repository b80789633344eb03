"""Write what assign and validate --mark decided into the register file, through the patch writer.

    >>> write_assignment(register, plan)     # case numbers, due dates, statuses, high-water mark
    >>> write_marks(register, plan_marks(report, register))

Only the cells named change; xlcsr's bookkeeping goes to the very hidden sheet `_xlcsr`.
"""

from __future__ import annotations

from pathlib import Path

from xlcsr.fields import FIELD_BY_KEY
from xlcsr.marks import ERROR_FILL, RESULT_SHEET, MarkPlan
from xlcsr.numbering import Assignment
from xlcsr.records import Column, Register
from xlcsr.state import STATE_SHEET, state_rows
from xlcsr.xlsx.package import XlsxPackage
from xlcsr.xlsx.sheet_patch import SheetPatch

RESULT_WIDTHS = {1: 6, 2: 9, 3: 14, 4: 20, 5: 60, 6: 30}


def write_assignment(register: Register, plan: Assignment) -> None:
    """Put the planned values into their cells; add a missing column's header at the right end."""
    package = XlsxPackage.open(Path(register.path))
    sheet = package.sheet(register.sheet)
    columns = dict(register.columns)
    for (row, key), value in sorted(plan.values.items()):
        column = columns.get(key) or _add_column(sheet, register, columns, key)
        sheet.set_value(f"{column.letter}{row}", value)
    state = dict(register.state)
    state["high_water"] = {**dict(state.get("high_water", {})), **plan.high_water}
    _save(package, state)


def write_marks(register: Register, plan: MarkPlan) -> None:
    """Clear xlcsr's earlier marks, fill and annotate the bad cells, rewrite the 校验结果 sheet."""
    package = XlsxPackage.open(Path(register.path))
    sheet = package.sheet(register.sheet)
    state = dict(register.state)
    _clear_marks(sheet, dict(state.get("marks", {})))
    styles = package.styles
    marked = {}
    for ref in plan.cells:
        original, mark = sheet.set_fill(ref, ERROR_FILL)
        marked[ref] = [original, mark, styles.fill_rgb(original)]
    notes = sheet.add_notes(plan.notes) if plan.notes else False
    package.put_sheet(RESULT_SHEET, plan.rows, widths=RESULT_WIDTHS, links=plan.links)
    state["marks"] = {"sheet": register.sheet, "front": "file", "cells": marked, "notes": notes}
    _save(package, state)


def _clear_marks(sheet: SheetPatch, previous: dict[str, object]) -> None:
    """Give back each cell the look it had, unless the user restyled it since.

    A cell marked in Excel (the ribbon) has no style ids recorded, only its former fill colour.
    """
    if previous.get("sheet") != sheet.name:
        return
    styles = sheet.package.styles
    for ref, (original, marked, *colour) in dict(previous.get("cells", {})).items():
        current = sheet.style_of(ref)
        if marked is not None:
            if current == marked:
                sheet.set_style(ref, original)
        elif styles.fill_rgb(current) == ERROR_FILL:
            former = colour[0] if colour else None
            sheet.set_style(ref, styles.with_fill(current, former) if former else styles.without_fill(current))
    sheet.remove_notes()


def _add_column(sheet: SheetPatch, register: Register, columns: dict[str, Column], key: str) -> Column:
    used = [c.index for c in columns.values()] + [c.index for c in register.extra_columns]
    column = Column(key, FIELD_BY_KEY[key].header, max(used + [register.width - 1]) + 1)
    sheet.set_value(f"{column.letter}{register.header_row}", column.header)
    header_style = sheet.style_of(f"{columns['customer'].letter}{register.header_row}")
    sheet.set_style(f"{column.letter}{register.header_row}", header_style)
    columns[key] = column
    return column


def _save(package: XlsxPackage, state: dict[str, object]) -> None:
    package.put_sheet(STATE_SHEET, state_rows(state), state="veryHidden", bold_first_row=False, freeze_first_row=False)
    package.save()
