"""A register file as the commands see it: read with calamine, written through the patch writer.

    >>> book = FileBook(Path("顾客特殊要求清单.xlsx"))
    >>> register = book.read()
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xlcsr.highlight import HighlightPlan
from xlcsr.marks import MarkPlan
from xlcsr.numbering import Assignment
from xlcsr.records import Register
from xlcsr.xlsx.reader import read_register
from xlcsr.xlsx.register_writer import write_assignment, write_highlight, write_marks


@dataclass(frozen=True)
class FileBook:
    path: Path

    def read(self) -> Register:
        return read_register(self.path)

    def write_assignment(self, register: Register, plan: Assignment) -> None:
        write_assignment(register, plan)

    def write_marks(self, register: Register, plan: MarkPlan) -> None:
        write_marks(register, plan)

    def write_highlight(self, register: Register, plan: HighlightPlan) -> None:
        write_highlight(register, plan)
