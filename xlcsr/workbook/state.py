"""xlcsr's own bookkeeping inside the workbook: a very hidden sheet `_xlcsr` of key → JSON rows.

    >>> state_from_rows(state_rows({"high_water": {"seq:2026": 12}}))
    {'high_water': {'seq:2026': 12}}

A value longer than an Excel cell holds continues on the next rows under the same key. A damaged
entry is never dropped (a lost high-water mark would issue a deleted case's number again): it is
`BadState`, naming the row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from xlcsr.domain.errors import BadState
from xlcsr.domain.vocab import BACKUP_DIR, STATE_SHEET

CHUNK = 30_000  # below Excel's 32,767 characters per cell


def state_rows(state: dict[str, object]) -> list[list[object]]:
    rows: list[list[object]] = []
    for key, value in sorted(state.items()):
        text = json.dumps(value, ensure_ascii=False, default=str)
        rows.extend([key, text[i:i + CHUNK]] for i in range(0, max(len(text), 1), CHUNK))
    return rows


def state_from_rows(rows: Sequence[Sequence[object]], label: str = "") -> dict[str, object]:
    """The state the rows hold; BadState when an entry does not parse or its high-water mark is not numbers."""
    texts: dict[str, str] = {}
    first_row: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        if len(row) >= 2 and row[0]:
            key = str(row[0])
            texts[key] = texts.get(key, "") + str(row[1])
            first_row.setdefault(key, number)
    state: dict[str, object] = {}
    for key, text in texts.items():
        try:
            state[key] = json.loads(text)
        except ValueError:
            raise _damaged(label, key, first_row[key]) from None
    marks = state.get("high_water", {})
    if not isinstance(marks, dict) or not all(isinstance(v, int) and not isinstance(v, bool) for v in marks.values()):
        raise _damaged(label, "high_water", first_row["high_water"])
    return state


def _damaged(label: str, key: str, row: int) -> BadState:
    where = f"{label} 的" if label else ""
    return BadState(
        f"{where}隐藏工作表 {STATE_SHEET} 第 {row} 行（{key}）已损坏：xlcsr 停止运行，以免重复使用已删除的案件号；"
        f"请从 {BACKUP_DIR} 中的备份恢复该工作簿 / the xlcsr state in sheet {STATE_SHEET}, row {row} ({key}), "
        f"of {label or 'the workbook'} is damaged; restore the workbook from a backup in {BACKUP_DIR}")
