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
EPOCH_1904 = date(1904, 1, 1)
_MAX_SERIAL = 2958465  # 9999-12-31
_TEXT = re.compile(
    r"^(?P<y>\d{4})\s*(?:(?P<sep>[-/.])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})"
    r"|年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*日?)"
    r"(?:\s+0{1,2}:00(?::00)?)?$"
)


def parse_date(value: object, *, date1904: bool = False) -> date:
    """The date a cell value stands for; ValueError when it is not one.

    A serial number counts from the workbook's epoch: 1899-12-30, or 1904-01-01 in the 1904 date
    system (Mac Excel, some LibreOffice files).
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        return from_serial(value, date1904=date1904)
    return _from_text(str(value))


def from_serial(serial: float, *, date1904: bool = False) -> date:
    lowest = 0 if date1904 else 1
    if not (lowest <= serial <= _MAX_SERIAL - (1462 if date1904 else 0)) or serial != int(serial):
        raise ValueError(serial)
    return (EPOCH_1904 if date1904 else EXCEL_EPOCH) + timedelta(days=int(serial))


def _from_text(text: str) -> date:
    match = _TEXT.match(text.strip())
    if not match:
        raise ValueError(text)
    month = match["m"] or match["m2"]
    day = match["d"] or match["d2"]
    return date(int(match["y"]), int(month), int(day))


def parse_moment(value: object, *, date1904: bool = False) -> datetime:
    """A date and time as a cell holds it: a datetime, a date, an Excel serial, or ISO text; to the second."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        day = from_serial(int(value), date1904=date1904)
        moment = datetime(day.year, day.month, day.day) + timedelta(seconds=(float(value) % 1) * 86400)
    else:
        moment = datetime.fromisoformat(str(value or "").strip())
    return (moment + timedelta(microseconds=500_000)).replace(microsecond=0)  # a serial's rounding undone
