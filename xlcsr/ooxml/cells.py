"""Cell references and cell values as SpreadsheetML writes them.

    >>> split_ref("$B$7"), cell_ref(7, 2), excel_serial(date(2026, 11, 3))
    ((7, 2), 'B7', 46329)
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from decimal import Decimal
from itertools import product
from xml.sax.saxutils import escape

from xlcsr.domain.records import column_letter

MAX_ROW, MAX_COL, MAX_TEXT = 1_048_576, 16_384, 32_767

Value = str | bool | int | float | Decimal | date | datetime | None

_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")



_AZ = [chr(c) for c in range(65, 91)]
COLUMN_LETTERS = ["", *_AZ, *map("".join, product(_AZ, repeat=2)), *map("".join, product(_AZ, repeat=3))][: MAX_COL + 1]
_NUMBERS = {letters: c for c, letters in enumerate(COLUMN_LETTERS) if c}


def col_letter(col: int) -> str:
    """3 → 'C', 28 → 'AB' (1-based)."""
    return COLUMN_LETTERS[col] if 0 < col <= MAX_COL else column_letter(col - 1)


def col_number(letters: str) -> int:
    """'AB' → 28."""
    known = _NUMBERS.get(letters)
    if known is not None:
        return known
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def split_ref(ref: str) -> tuple[int, int]:
    """'$B$7' → (7, 2): 1-based row and column."""
    m = _REF.fullmatch(ref) or _REF.fullmatch(ref.strip())
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    row, col = int(m.group(2)), col_number(m.group(1))
    if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
        raise ValueError(f"cell reference out of range: {ref!r}")
    return row, col


def cell_ref(row: int, col: int) -> str:
    return f"{COLUMN_LETTERS[col] if 0 < col <= MAX_COL else col_letter(col)}{row}"


def split_range(ref: str) -> tuple[int, int, int, int]:
    """'B2:D9' → (2, 2, 9, 4); a single cell is a 1×1 range."""
    first, _, last = ref.partition(":")
    r1, c1 = split_ref(first)
    r2, c2 = split_ref(last) if last else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def clean_text(text: str) -> str:
    """`text` without the control characters XML cannot hold."""
    return _ILLEGAL.sub("", text)


def excel_serial(value: date | datetime, *, date1904: bool = False) -> int | float:
    """The Excel serial number of a date or datetime (1900 or 1904 date system)."""
    if isinstance(value, datetime):
        day = value.date()
        fraction = (value - datetime.combine(day, time(0), value.tzinfo)).total_seconds() / 86400
    else:
        day, fraction = value, 0.0
    if date1904:
        days = (day - date(1904, 1, 1)).days
    elif day >= date(1900, 3, 1):
        days = (day - date(1899, 12, 30)).days
    else:
        days = (day - date(1899, 12, 31)).days
    if days < (0 if date1904 else 1):
        raise ValueError(f"date before Excel's epoch: {value!r}")
    return days + fraction if fraction else days


def number_text(value: int | float | Decimal) -> str:
    if isinstance(value, int):
        return str(value)
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"Excel cannot store {value!r}")
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def text_needs_preserve(text: str) -> bool:
    return text != text.strip() or "\n" in text or "\t" in text or "  " in text


def inline_string_xml(text: str) -> str:
    space = ' xml:space="preserve"' if text_needs_preserve(text) else ""
    return f"<is><t{space}>{escape(text)}</t></is>"
