"""A large register for the benchmarks: 18 columns, written by xlsxwriter in constant memory."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import xlsxwriter

COLUMNS = 18
HEADERS = [
    "案件号", "客户名称", "产品/项目", "要求描述", "类别", "来源", "来源文件及版本", "对应条款", "接收日期",
    "优先级", "截止日期", "责任部门", "负责人", "处理状态", "合同类型", "完成日期", "备注", "版本号",
]


def build(path: Path, rows: int, unnumbered: int = 0) -> None:
    """`rows` requirements; the last `unnumbered` of them without a case number."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("清单")
    ws.write_row(0, 0, HEADERS)
    start = date(2024, 1, 1)
    for r in range(1, rows + 1):
        if r <= rows - unnumbered:
            ws.write_string(r, 0, f"CSR-{start.year + (r % 700 + 0) // 366}-{r:06d}")
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
