"""A register file as the commands see it: read with calamine, written through the patch writer.

    >>> book = FileBook(Path("顾客特殊要求清单.xlsx"))
    >>> register = book.read()
    >>> book.write_assignment(register, plan)

The workbook's zip is opened once per command, on first need (formulas when reading, then the
write), so a command reads the file twice at most: calamine for the values, the zip for the rest.
"""

from __future__ import annotations

from pathlib import Path

from xlcsr.domain.records import Register
from xlcsr.files.reader import FileSource
from xlcsr.files.register_writer import write_assignment, write_highlight, write_marks
from xlcsr.ooxml.package import XlsxPackage
from xlcsr.rules.highlight import HighlightPlan
from xlcsr.rules.marks import MarkPlan
from xlcsr.rules.numbering import Assignment
from xlcsr.workbook.locate import find_register


class FileBook:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._package: XlsxPackage | None = None

    def __repr__(self) -> str:
        return f"FileBook({str(self.path)!r})"

    @property
    def package(self) -> XlsxPackage:
        if self._package is None:
            self._package = XlsxPackage.open(self.path)
        return self._package

    def read(self) -> Register:
        return find_register(FileSource(self.path, lambda: self.package))

    def write_assignment(self, register: Register, plan: Assignment) -> None:
        write_assignment(self.package, register, plan)

    def write_marks(self, register: Register, plan: MarkPlan) -> None:
        write_marks(self.package, register, plan)

    def write_highlight(self, register: Register, plan: HighlightPlan) -> None:
        write_highlight(self.package, register, plan)
