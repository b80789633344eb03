"""What the benchmark compares xlcsr with, each run by `run.py` as a process of its own.

    $ python benchmarks/baselines.py calamine-read 清单.xlsx
    $ python benchmarks/baselines.py wolfxl-edit 清单.xlsx edits.json     # edits: [["A54", "CSR-2019-0055"], …]

Each baseline imports only its own library (the process's peak memory is then the library's), does
its work on BOOK (the edit baselines save over it: the runner passes a copy) and prints one line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

SHEET = "清单"  # xlcsr.domain.vocab.REGISTER_SHEET, not imported: importing xlcsr would cost memory here


def calamine_read(book: Path, _: Path | None) -> str:
    """The whole register sheet as Python values: the least any command that reads it must do."""
    import python_calamine

    rows = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name(SHEET).to_python()
    return f"{len(rows)} rows"


def openpyxl_read(book: Path, _: Path | None) -> str:
    """openpyxl's read-only mode over every row of the sheet."""
    import openpyxl

    wb = openpyxl.load_workbook(book, read_only=True)
    count = sum(1 for _ in wb[SHEET].iter_rows(values_only=True))
    wb.close()
    return f"{count} rows"


def openpyxl_edit(book: Path, edits: Path | None) -> str:
    """Full load, the edits as text cells, save: what a naive writer built on openpyxl costs."""
    import openpyxl

    wb = openpyxl.load_workbook(book)
    ws = wb[SHEET]
    cells = _edits(edits)
    for ref, value in cells:
        ws[ref].value = value
        ws[ref].data_type = "s"
    wb.save(book)
    return f"{len(cells)} cells"


def wolfxl_edit(book: Path, edits: Path | None) -> str:
    """wolfxl's modify mode (its patcher: unchanged parts kept), the edits, save."""
    import wolfxl

    wb = wolfxl.load_workbook(book, modify=True)
    ws = wb[SHEET]
    cells = _edits(edits)
    for ref, value in cells:
        ws[ref] = value
    wb.save(book)
    return f"{len(cells)} cells"


def ooxml_patch(book: Path, edits: Path | None) -> str:
    """xlcsr's own patch writer alone (xlcsr.ooxml), the edits, atomic save with backup: no reading rules."""
    from xlcsr.ooxml.package import XlsxPackage

    package = XlsxPackage.open(book)
    sheet = package.sheet(SHEET)
    cells = _edits(edits)
    for ref, value in cells:
        sheet.set_value(ref, value)
    package.save(book)
    return f"{len(cells)} cells"


def _edits(path: Path | None) -> list[tuple[str, str]]:
    if path is None:
        raise SystemExit("this baseline needs the edits file (JSON: [[cell, text], …])")
    return [(ref, value) for ref, value in json.loads(path.read_text("utf-8"))]


BASELINES: dict[str, Callable[[Path, Path | None], str]] = {
    "calamine-read": calamine_read,
    "openpyxl-read": openpyxl_read,
    "openpyxl-edit": openpyxl_edit,
    "wolfxl-edit": wolfxl_edit,
    "ooxml-patch": ooxml_patch,
}


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or argv[0] not in BASELINES:
        print(f"usage: baselines.py {{{','.join(BASELINES)}}} BOOK [EDITS.json]", file=sys.stderr)
        return 2
    print(BASELINES[argv[0]](Path(argv[1]), Path(argv[2]) if len(argv) == 3 else None))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
