"""Register commands on a large register, against openpyxl in the same run.

    $ python benchmarks/bench_register.py --rows 100000

Prints seconds for: openpyxl load (read-only) of the register (baseline), xlcsr validate, xlcsr assign
(numbering the last 1,000 rows), openpyxl load + save (what a naive writer would cost), as ratios to
the baseline. Machines here are noisy: compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import openpyxl
from big_register import build

from xlcsr.app import commands

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

        base = timed("baseline: openpyxl read-only load", openpyxl_read)
        assign = f"xlcsr assign ({args.unnumbered} rows)"
        figures = {
            "xlcsr validate": timed("xlcsr validate", lambda: commands.validate_workbook(book, today=TODAY)),
            assign: timed(assign, lambda: commands.assign_case_numbers(book, today=TODAY)),
            "openpyxl load + save": timed("openpyxl load + save (full round trip)", openpyxl_round_trip),
        }
        for label, seconds in figures.items():
            print(f"{label:<44}{seconds / base:8.2f} × baseline")


if __name__ == "__main__":
    main()
