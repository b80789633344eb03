"""Dates as registers hold them: real Excel dates, serial numbers and the usual Chinese text forms.

    >>> parse_date("2026年11月3日")
    datetime.date(2026, 11, 3)
    >>> parse_date(46329.0)
    datetime.date(2026, 11, 3)

Anything else raises ValueError: a date is never guessed.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

EXCEL_EPOCH = date(1899, 12, 30)
_MAX_SERIAL = 2958465  # 9999-12-31
_TEXT = re.compile(
    r"^(?P<y>\d{4})\s*(?:(?P<sep>[-/.])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})"
    r"|年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*日?)"
    r"(?:\s+0{1,2}:00(?::00)?)?$"
)


def parse_date(value: object) -> date:
    """The date a cell value stands for; ValueError when it is not one."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        return from_serial(value)
    return _from_text(str(value))


def from_serial(serial: float) -> date:
    if not (1 <= serial <= _MAX_SERIAL) or serial != int(serial):
        raise ValueError(serial)
    return EXCEL_EPOCH + timedelta(days=int(serial))


def _from_text(text: str) -> date:
    match = _TEXT.match(text.strip())
    if not match:
        raise ValueError(text)
    month = match["m"] or match["m2"]
    day = match["d"] or match["d2"]
    return date(int(match["y"]), int(month), int(day))
