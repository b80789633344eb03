"""xlcsr's own bookkeeping inside the workbook: a very hidden sheet `_xlcsr` of key → JSON rows.

    >>> state_from_rows(state_rows({"high_water": {"seq:2026": 12}}))
    {'high_water': {'seq:2026': 12}}

A value longer than an Excel cell holds continues on the next rows under the same key.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

CHUNK = 30_000  # below Excel's 32,767 characters per cell


def state_rows(state: dict[str, object]) -> list[list[object]]:
    rows: list[list[object]] = []
    for key, value in sorted(state.items()):
        text = json.dumps(value, ensure_ascii=False, default=str)
        rows.extend([key, text[i:i + CHUNK]] for i in range(0, max(len(text), 1), CHUNK))
    return rows


def state_from_rows(rows: Sequence[Sequence[object]]) -> dict[str, object]:
    texts: dict[str, str] = {}
    for row in rows:
        if len(row) >= 2 and row[0]:
            texts[str(row[0])] = texts.get(str(row[0]), "") + str(row[1])
    state: dict[str, object] = {}
    for key, text in texts.items():
        try:
            state[key] = json.loads(text)
        except ValueError:
            continue  # a damaged entry is dropped; xlcsr rebuilds it on the next write
    return state
