"""Register commands on a large register, against openpyxl in the same run.

    $ python benchmarks/bench_register.py --rows 100000

Prints seconds for: openpyxl load (read-only) of the register (baseline), a raw python-calamine read,
xlcsr validate, xlcsr columns, xlcsr assign (numbering the last 1,000 rows), xlcsr import (the register
read as an old list into a new one), openpyxl load + save (what a naive writer would cost), as ratios
to the baseline. Machines here are noisy: compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import openpyxl
import python_calamine
from big_register import build

from xlcsr.app import commands
from xlcsr.app.import_legacy import import_legacy

TODAY = date(2026, 11, 25)


def timed(label: str, action) -> float:
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    print(f"{label:<44}{seconds:8.2f} s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--unnumbered", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        book = Path(folder) / "清单.xlsx"
        build(book, args.rows, args.unnumbered)
        print(f"register: {args.rows} rows, {book.stat().st_size / 1e6:.1f} MB")

        def openpyxl_read() -> None:
            wb = openpyxl.load_workbook(book, read_only=True)
            sum(1 for _ in wb["清单"].iter_rows(values_only=True))
            wb.close()

        def openpyxl_round_trip() -> None:
            openpyxl.load_workbook(book).save(Path(folder) / "copy.xlsx")

        def calamine_read() -> None:
            python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name("清单").to_python()

        base = timed("baseline: openpyxl read-only load", openpyxl_read)
        assign = f"xlcsr assign ({args.unnumbered} rows)"
        imported = Path(folder) / "imported.xlsx"
        figures = {
            "python-calamine read": timed("python-calamine read", calamine_read),
            "xlcsr validate": timed("xlcsr validate", lambda: commands.validate_workbook(book, today=TODAY)),
            "xlcsr columns": timed("xlcsr columns", lambda: commands.understand_columns(book)),
            assign: timed(assign, lambda: commands.assign_case_numbers(book, today=TODAY)),
            "xlcsr import": timed("xlcsr import", lambda: import_legacy(book, imported, today=TODAY)),
            "openpyxl load + save": timed("openpyxl load + save (full round trip)", openpyxl_round_trip),
        }
        for label, seconds in figures.items():
            print(f"{label:<44}{seconds / base:8.2f} × baseline")


if __name__ == "__main__":
    main()
