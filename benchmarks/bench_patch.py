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
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import xlsxwriter

from xlcsr.xlsx.package import XlsxPackage

COLUMNS = 18
HEADERS = [
    "案件号", "客户名称", "产品/项目", "要求描述", "类别", "来源", "来源文件及版本", "对应条款", "接收日期",
    "优先级", "截止日期", "责任部门", "负责人", "处理状态", "合同类型", "完成日期", "备注", "版本号",
]


def build(path: Path, rows: int) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("清单")
    ws.write_row(0, 0, HEADERS)
    start = date(2024, 1, 1)
    for r in range(1, rows + 1):
        ws.write_string(r, 0, f"CSR-{r:06d}")
        ws.write_string(r, 1, ["吉利", "长城汽车", "比亚迪", "上汽"][r % 4])
        ws.write_string(r, 2, f"P-{r % 500:04d}")
        ws.write_string(r, 3, f"要求描述 {r}：包装需防潮，每箱不超过 {r % 40 + 10} 件")
        ws.write_string(r, 4, ["产品", "包装", "交付", "追溯"][r % 4])
        ws.write_string(r, 5, "技术协议")
        ws.write_string(r, 6, f"TA-{r % 900:03d} V{r % 5}")
        ws.write_string(r, 7, "8.2.3.1")
        ws.write_datetime(r, 8, start + timedelta(days=r % 700), date_fmt)
        ws.write_string(r, 9, "中")
        ws.write_datetime(r, 10, start + timedelta(days=r % 700 + 10), date_fmt)
        ws.write_string(r, 11, "技术部、品质部")
        ws.write_string(r, 12, ["张伟", "李娜", "王芳"][r % 3])
        ws.write_string(r, 13, "处理中")
        ws.write_string(r, 14, "常规")
        ws.write_blank(r, 15, None, date_fmt)
        ws.write_string(r, 16, "")
        ws.write_number(r, 17, r % 3 + 1)
    wb.close()


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
