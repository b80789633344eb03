"""Case-number patterns such as `CSR-{year}-{seq:04d}`: format, parse, and the state key of a sequence.

    >>> p = CasePattern("CSR-{year}-{seq:04d}")
    >>> p.format(2026, 7), p.parse("CSR-2026-0007")
    ('CSR-2026-0007', (2026, 7))
"""

from __future__ import annotations

import re
import string


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
        return self.regex.match(text.strip()) is not None

    def key(self, year: int) -> str:
        """The state key of the sequence a year draws from."""
        return f"seq:{year}" if self.has_year else "seq"
