"""The 变更记录 sheet: one row per change, appended at the bottom, as cell values.

    >>> [zh for zh, _ in CHANGELOG_HEADERS]
    ['时间', '案件号', '字段', '原值', '新值', '版本', '修改人', '来源']
    >>> change_row(change)[2]
    '要求描述'
    >>> changes_from_rows(rows)[0].source
    '手工'

Row 1 is the header. 字段 names the field by its Chinese header for an edit, and the action for the
rest (（新增）, （删除）, 案件号（重新编号）, （恢复备份）). `canonical` is a row's text as the hash chain
hashes it: the same whether the row is about to be written or was read back from Excel, WPS or
LibreOffice (times to the second, numbers without .0, text stripped).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from xlcsr.domain.changes import Action, Change
from xlcsr.domain.dates import parse_moment
from xlcsr.domain.fields import FIELD_BY_KEY, field_for_header
from xlcsr.domain.records import cell_text

CHANGELOG_HEADERS: tuple[tuple[str, str], ...] = (
    ("时间", "Time"), ("案件号", "Case No."), ("字段", "Field"), ("原值", "Old value"), ("新值", "New value"),
    ("版本", "Revision"), ("修改人", "Changed by"), ("来源", "Source"),
)
CHANGELOG_WIDTHS = {1: 18, 2: 16, 3: 16, 4: 40, 5: 40, 6: 6, 7: 12, 8: 14}
ACTION_LABELS = {Action.ADDED: "（新增）", Action.REMOVED: "（删除）", Action.RENUMBERED: "案件号（重新编号）",
                 Action.RESTORED: "（恢复备份）", Action.MAPPED: "（列映射）"}
_ACTION_OF = {label: action for action, label in ACTION_LABELS.items()}


def changelog_header(lang: str = "zh") -> list[str]:
    return [en if lang == "en" else zh for zh, en in CHANGELOG_HEADERS]


def field_label(change: Change) -> str:
    """The 字段 cell: the field's header for an edit, the action for the rest."""
    if change.action is Action.EDIT:
        known = FIELD_BY_KEY.get(change.field)
        return known.header if known else change.field
    return ACTION_LABELS[change.action]


def change_row(change: Change) -> list[object]:
    """The cells of a change's row: the time as a date-time, the rest as text (values stay text)."""
    return [change.at.replace(microsecond=0), change.case_no, field_label(change), change.old, change.new,
            "" if change.revision is None else str(change.revision), change.by, change.source]


def canonical(cells: Sequence[object], date1904: bool = False) -> str:
    """A row's text as the hash chain takes it (a written row and the same row read back agree)."""
    width = len(CHANGELOG_HEADERS)
    texts = [cell_text(v) for v in list(cells[:width]) + [None] * (width - len(cells))]
    if texts[0]:
        try:
            texts[0] = parse_moment(cells[0], date1904=date1904).isoformat(sep=" ")
        except ValueError:
            pass  # not a time: hashed as the text it is, so an edit of it still breaks the chain
    return json.dumps(texts, ensure_ascii=False, separators=(",", ":"))


def log_rows(rows: Sequence[Sequence[object]]) -> list[tuple[int, Sequence[object]]]:
    """The sheet's non-empty rows below the header, each with its sheet row: what the chain covers."""
    return [(number, row) for number, row in enumerate(rows[1:], start=2) if any(cell_text(v) for v in row)]


def changes_from_rows(rows: Sequence[Sequence[object]], date1904: bool = False) -> list[Change]:
    """The changes the sheet's rows record, each with its sheet row; a row that does not read as one is
    skipped (the chain, not this reading, tells whether the log was edited)."""
    changes = []
    for number, row in log_rows(rows):
        cells = list(row) + [None] * (len(CHANGELOG_HEADERS) - len(row))
        at, case_no, label, old, new, revision, by, source = (cells[0], *map(cell_text, cells[1:8]))
        try:
            moment = parse_moment(at, date1904=date1904)
        except ValueError:
            continue
        action = _ACTION_OF.get(label, Action.EDIT)
        if action is Action.EDIT:
            known = field_for_header(label)
            key = known.key if known else label
        else:
            key = "case_no" if action is Action.RENUMBERED else ""
        changes.append(Change(moment, case_no, key, old, new, int(float(revision)) if _number(revision) else None,
                              by, source, action, log_row=number))
    return changes


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
