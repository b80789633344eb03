"""Read a register file: calamine for the values, the sheet XML only where formulas are.

    >>> register = read_register("顾客特殊要求清单.xlsx")
    >>> register.header_row, register.columns["customer"].letter
    (3, 'B')
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import python_calamine
from lxml import etree

from xlcsr.domain.errors import WorkbookUnreadable
from xlcsr.domain.records import Register
from xlcsr.ooxml.package import XlsxPackage
from xlcsr.workbook.locate import find_register


def read_register(path: str | Path, sheet: str | None = None) -> Register:
    """The register in `path`: sheet 清单, else the first sheet with a register header."""
    return find_register(FileSource(Path(path)), sheet)


class FileSource:
    """A workbook file as a `SheetSource`; `package` gives its zip when formulas must be found."""

    def __init__(self, path: Path, package: Callable[[], XlsxPackage] | None = None):
        self.path = path
        self.label = str(path)
        self._package = package or (lambda: XlsxPackage.open(path))
        if not path.is_file():
            raise WorkbookUnreadable(f"找不到工作簿 {path} / workbook not found: {path}")
        try:
            self.book = python_calamine.CalamineWorkbook.from_path(str(path))
        except Exception as exc:  # calamine raises several kinds for damaged files
            raise WorkbookUnreadable(f"无法读取工作簿 {path.name}：文件不是有效的 Excel 工作簿（{exc}）/ "
                                     f"cannot read {path.name}: not a valid Excel workbook") from exc

    def sheet_names(self) -> list[str]:
        return list(self.book.sheet_names)

    def values(self, sheet: str) -> list[list[object]]:
        try:
            return self.book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        except Exception:  # a chart sheet or an unreadable part has no cells to offer
            return []

    def date1904(self) -> bool:
        return self._package().date1904

    def formulas(self, sheet: str) -> set[str]:
        """References of the cells of `sheet` that hold a formula."""
        patch = self._package().sheet(sheet)
        if not patch.has_formulas():
            return set()
        refs: set[str] = set()
        for _, cell in etree.iterparse(io.BytesIO(patch.package.read(patch.part)), tag="{*}c"):
            if any(etree.QName(child).localname == "f" for child in cell):
                refs.add(cell.get("r", ""))
            cell.clear()
        return refs
