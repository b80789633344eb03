"""The hash chain over 变更记录: each row's hash is sha256 of the previous hash and the row's canonical text.

    >>> links = extend([], ['["2026-11-03 08:00:00","CSR-2026-0001",…]'])
    >>> links[0].hash == link(GENESIS, links[0].text)
    True
    >>> check_chain([(2, links[0].text)], links) is None
    True
    >>> check_chain([(2, "edited")], links).message
    '「变更记录」第 2 行被修改：记录不可修改，请从备份恢复或联系管理员'

The store keeps the links; the sheet keeps the rows. `check_chain` names the first row where the two part:
a row edited (the rows after it still line up), stored rows deleted (the sheet's row is a later link),
rows reordered (its text is elsewhere in the chain), a row xlcsr did not write (beyond the chain, or
inserted between two that line up), or rows missing at the end. History is never rewritten here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from xlcsr.domain.issues import Code, Issue

GENESIS = ""
FIRST_LOG_ROW = 2  # 变更记录's row 1 is its header

_EDITED = ("被修改", "was edited")
_MOVED = ("顺序被调换", "was moved (the rows were reordered)")
_BY_HAND = ("不是 xlcsr 写入的（手工添加）", "was not written by xlcsr (added by hand)")


class Link(NamedTuple):
    """One row of the chain: its hash and the canonical text it covers."""

    hash: str
    text: str


def link(previous: str, text: str) -> str:
    """The hash of a row whose text is `text`, after the row hashed `previous`."""
    return hashlib.sha256((previous + text).encode("utf-8")).hexdigest()


def extend(links: Sequence[Link], texts: Iterable[str]) -> list[Link]:
    """The links of rows appended after `links` (only the new ones)."""
    previous = links[-1].hash if links else GENESIS
    new = []
    for text in texts:
        previous = link(previous, text)
        new.append(Link(previous, text))
    return new


def check_chain(rows: Sequence[tuple[int, str]], links: Sequence[Link]) -> Issue | None:
    """The first broken row of 变更记录 (`rows`: sheet row and canonical text, as read) against the stored
    `links`, as a `log_tampered` Issue; None when the sheet is the chain."""
    previous = GENESIS
    for index, (number, text) in enumerate(rows):
        if index >= len(links):
            return _tampered(number, *_BY_HAND)
        current = link(previous, text)
        if current != links[index].hash:
            return _tampered(number, *_mismatch(rows, links, index))
        previous = current
    if len(rows) < len(links):
        missing = len(links) - len(rows)
        where = rows[-1][0] + 1 if rows else FIRST_LOG_ROW
        return _tampered(where, f"起缺少 {missing} 行记录（末尾被删除）",
                         f"onwards is missing: {missing} logged row{'s' if missing > 1 else ''} deleted at the end")
    return None


def _mismatch(rows: Sequence[tuple[int, str]], links: Sequence[Link], index: int) -> tuple[str, str]:
    """What happened at `index`, the first row whose hash differs from the stored one."""
    text = rows[index][1]
    rest = {t for _, t in rows[index + 1:]}
    later = next((j for j in range(index + 1, len(links)) if links[j].text == text), None)
    if later is not None and not any(links[k].text in rest for k in range(index, later)):
        gone = later - index
        return (f"处的 {gone} 行记录被删除",
                f"is where {gone} logged row{'s were' if gone > 1 else ' was'} deleted")
    if any(stored.text == text for k, stored in enumerate(links) if k != index):
        return _MOVED
    if index + 1 < len(rows) and rows[index + 1][1] == links[index].text:
        return _BY_HAND
    return _EDITED


def _tampered(number: int, zh: str, en: str) -> Issue:
    return Issue.make(Code.LOG_TAMPERED, value=number, extra=zh, extra_en=en)
