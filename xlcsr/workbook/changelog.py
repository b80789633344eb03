"""The 变更记录 sheet: its header row, (Chinese, English) per column, in order.

    >>> [zh for zh, _ in CHANGELOG_HEADERS][:3]
    ['变更时间', '案件号', '字段']
"""

from __future__ import annotations

CHANGELOG_HEADERS: tuple[tuple[str, str], ...] = (
    ("变更时间", "Changed at"), ("案件号", "Case No."), ("字段", "Field"), ("原值", "Old value"),
    ("新值", "New value"), ("版本号", "Revision"), ("操作人", "Changed by"),
)
