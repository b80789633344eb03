"""Case numbers: the configured pattern, and assignment that never renumbers or reuses.

    >>> p = CasePattern("CSR-{year}-{seq:04d}")
    >>> p.format(2026, 7), p.parse("CSR-2026-0007")
    ('CSR-2026-0007', (2026, 7))
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

from xlcsr.domain.workdays import WorkCalendar
from xlcsr.domain.records import CsrRecord
from xlcsr.domain.settings import Settings

OPEN_STATUS = "待处理"


class CasePattern:
    """A case-number pattern such as `CSR-{year}-{seq:04d}` and the regex that recognises it."""

    def __init__(self, pattern: str):
        self.pattern = pattern
        self.has_year = False
        parts, shown = [], []
        for literal, name, spec, _ in string.Formatter().parse(pattern):
            parts.append(re.escape(literal))
            shown.append(literal)
            if name == "year":
                self.has_year = True
                parts.append(r"(?P<year>\d{4})")
                shown.append("YYYY")
            elif name == "seq":
                width = max(int(spec.lstrip("0").rstrip("d") or 0) if spec else 0, 1)
                parts.append(rf"(?P<seq>\d{{{width},}})")
                shown.append("N" * width)
            elif name is not None:
                raise ValueError(f"unknown placeholder {{{name}}} in {pattern}")
        if "(?P<seq>" not in "".join(parts):
            raise ValueError(f"{pattern} has no {{seq}}")
        self.regex = re.compile("^" + "".join(parts) + "$", re.IGNORECASE)
        self.shown = "".join(shown)

    def format(self, year: int, seq: int) -> str:
        return self.pattern.format(year=year, seq=seq)

    def parse(self, text: str) -> tuple[int | None, int] | None:
        match = self.regex.match(text.strip())
        if not match:
            return None
        year = int(match["year"]) if self.has_year else None
        return year, int(match["seq"])

    def matches(self, text: str) -> bool:
        return self.parse(text) is not None

    def key(self, year: int) -> str:
        """The state key of the sequence a year draws from."""
        return f"seq:{year}" if self.has_year else "seq"


@dataclass
class Assignment:
    """What assign will write: values per (row, field), and the new high-water marks."""

    values: dict[tuple[int, str], object] = field(default_factory=dict)
    high_water: dict[str, int] = field(default_factory=dict)
    numbered: list[tuple[int, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.values)


def plan_assignment(records: list[CsrRecord], settings: Settings, used: list[str],
                    high_water: dict[str, int]) -> Assignment:
    """Numbers, due dates and statuses for valid records that lack them.

    `used` holds every case number already in the sheet (valid rows or not); `high_water` the
    highest sequence ever issued per key, kept in the workbook so deleted numbers stay used.
    """
    pattern = CasePattern(settings.case_pattern)
    calendar = WorkCalendar.from_settings(settings)
    top = dict(high_water)
    for text in used:
        parsed = pattern.parse(text)
        if parsed:
            key = pattern.key(parsed[0] or 0)
            top[key] = max(top.get(key, 0), parsed[1])
    plan = Assignment()
    for record in records:
        if not record.case_no:
            key = pattern.key(record.received.year)
            top[key] = top.get(key, 0) + 1
            number = pattern.format(record.received.year, top[key])
            plan.values[(record.row, "case_no")] = number
            plan.numbered.append((record.row, number))
        if record.due is None:
            days = settings.sla_days(record.priority or settings.default_priority)
            plan.values[(record.row, "due")] = calendar.add(record.received, days)
        if not record.status:
            plan.values[(record.row, "status")] = OPEN_STATUS
    plan.high_water = {k: v for k, v in top.items() if v != high_water.get(k)}
    return plan
