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
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import xlsxwriter

from xlcsr import actions
from xlcsr.settings import DEFAULT_SETTINGS
from xlcsr.settings_sheet import write_settings_sheet

HEADERS = ["案件号", "客户名称", "产品/项目", "要求描述", "类别", "来源", "来源文件及版本", "对应条款", "接收日期",
           "优先级", "截止日期", "责任部门", "负责人", "处理状态", "合同类型", "完成日期", "备注", "版本号"]
TODAY = date(2026, 11, 25)


def build(path: Path, rows: int, unnumbered: int) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("清单")
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, HEADERS)
    for r in range(1, rows + 1):
        received = date(2026, 1, 1) + timedelta(days=r % 300)
        number = "" if r > rows - unnumbered else f"CSR-2026-{r:06d}"
        ws.write_row(r, 0, [number, f"客户{r % 50}", f"P-{r}", f"要求描述 {r}：按客户规范执行", "产品", "技术协议",
                            "TA-01 A版", "8.3.3.3"])
        ws.write_datetime(r, 8, received, day)
        ws.write_row(r, 9, ["中"])
        ws.write_datetime(r, 10, received + timedelta(days=14), day)
        ws.write_row(r, 11, ["技术部、品质部", "李强", "处理中", "常规"])
    # 设置 through openpyxl would need a second writer; keep the defaults-free path realistic instead:
    wb.close()
    settings_book = openpyxl.load_workbook(path, read_only=False) if rows <= 5000 else None
    if settings_book is not None:
        write_settings_sheet(settings_book.create_sheet("设置"), DEFAULT_SETTINGS)
        settings_book.save(path)


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
        figures = {
            "xlcsr validate": timed("xlcsr validate", lambda: actions.validate_workbook(book, today=TODAY)),
            f"xlcsr assign ({args.unnumbered} rows)":
                timed(f"xlcsr assign ({args.unnumbered} rows)", lambda: actions.assign_case_numbers(book, today=TODAY)),
            "openpyxl load + save": timed("openpyxl load + save (full round trip)", openpyxl_round_trip),
        }
        for label, seconds in figures.items():
            print(f"{label:<44}{seconds / base:8.2f} × baseline")


if __name__ == "__main__":
    main()
