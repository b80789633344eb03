"""Time a 1,000-cell patch of a 100,000-row register against openpyxl load + save.

    $ python benchmarks/bench_patch.py            # 100,000 rows × 18 columns
    $ python benchmarks/bench_patch.py --rows 20000
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import openpyxl
from big_register import COLUMNS, build

from xlcsr.ooxml.package import XlsxPackage


def patch(path: Path, rows: int, edits: int) -> float:
    rng = random.Random(1)
    started = time.perf_counter()
    package = XlsxPackage.open(path)
    sheet = package.sheet("清单")
    for i in range(edits):
        row = rng.randint(2, rows + 1)
        if i % 3 == 0:
            sheet.set_value(f"N{row}", "已完成")
            sheet.set_value(f"P{row}", date(2026, 11, 3))
        elif i % 3 == 1:
            sheet.set_fill(f"K{row}", "FFFFC7CE")
        else:
            sheet.set_value(f"Q{row}", f"xlcsr 备注 {i}")
    package.save(path)
    return time.perf_counter() - started


def openpyxl_round_trip(path: Path) -> float:
    started = time.perf_counter()
    wb = openpyxl.load_workbook(path)
    wb.save(path)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--edits", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "register.xlsx"
        started = time.perf_counter()
        build(source, args.rows)
        print(f"built {args.rows:,} rows × {COLUMNS} columns in {time.perf_counter() - started:.1f} s "
              f"({source.stat().st_size / 1e6:.1f} MB)")
        ours, theirs = Path(folder) / "ours.xlsx", Path(folder) / "theirs.xlsx"
        shutil.copy(source, ours)
        shutil.copy(source, theirs)
        baseline = openpyxl_round_trip(theirs)
        print(f"openpyxl load + save:       {baseline:6.2f} s")
        patched = patch(ours, args.rows, args.edits)
        print(f"xlcsr patch of {args.edits:,} edits:  {patched:6.2f} s")
        print(f"ratio openpyxl / xlcsr:     {baseline / patched:6.1f}×")


if __name__ == "__main__":
    main()
