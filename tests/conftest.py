"""Shared pytest fixtures: LibreOffice conversion, and the patch writer's workbooks (pw_*)."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from books import needs, png


@pytest.fixture
def to_pdf(tmp_path: Path) -> Callable[[Path], Path]:
    """Convert a workbook to PDF with LibreOffice headless; skipped without soffice, except in CI."""
    needs(shutil.which("soffice") is not None, "LibreOffice (soffice)")

    def convert(book: Path) -> Path:
        out = tmp_path / "pdf"
        command = ["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                   "--convert-to", "pdf", "--outdir", str(out), str(book)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr
        pdf = out / (book.stem + ".pdf")
        assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF"), result.stdout + result.stderr
        return pdf

    return convert


@pytest.fixture
def pw_png() -> bytes:
    """A small valid PNG (a red square), made without Pillow."""
    return png()


@pytest.fixture
def pw_rich_xlsx(tmp_path: Path) -> Path:
    """An xlsxwriter workbook with everything openpyxl would lose.

    清单: shared strings, dates, a formula, a text box, a form button and a comment.
    数据: a logo image, a sparkline, a data-bar rule and a data validation (no comments).
    图表: a chart sheet. Workbook and sheet-scoped defined names.
    """
    import xlsxwriter

    path = tmp_path / "顾客特殊要求清单.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    date_fmt = wb.add_format({"num_format": "yyyy/m/d"})
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7"})
    ws = wb.add_worksheet("清单")
    ws.write_row(0, 0, ["案件号", "客户名称", "接收日期", "数量", "要求描述", "合计"], bold)
    customers = ["吉利", "长城汽车", "比亚迪", "上汽", "吉利"]
    for i, customer in enumerate(customers, start=1):
        ws.write_string(i, 0, f"CSR-2026-{i:04d}")
        ws.write_string(i, 1, customer)
        ws.write_datetime(i, 2, date(2026, 3, i), date_fmt)
        ws.write_number(i, 3, i * 10)
        ws.write_string(i, 4, f"要求 {i}")
        ws.write_formula(i, 5, f"=D{i + 1}*2", None, i * 20)
    ws.insert_textbox("H2", "本表由市场部维护", {"width": 200, "height": 60})
    ws.insert_button("H8", {"macro": "run_check", "caption": "校验"})
    ws.write_comment("A2", "原有批注：请勿删除")
    ws.set_column("A:E", 14)

    data = wb.add_worksheet("数据")
    data.write_row(0, 0, ["月份", "一月", "二月", "三月", "四月", "趋势"], bold)
    for r in range(1, 6):
        data.write_string(r, 0, f"项目{r}")
        data.write_row(r, 1, [r * 3, r * 5, r * 2, r * 7])
        data.add_sparkline(r, 5, {"range": f"'数据'!B{r + 1}:E{r + 1}"})
    data.conditional_format("B2:B6", {"type": "data_bar", "data_bar_2010": True})
    data.data_validation("G2:G20", {"validate": "list", "source": ["高", "中", "低"]})
    data.insert_image("I2", "logo.png", {"image_data": io.BytesIO(png())})

    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": "='数据'!$B$2:$B$6", "categories": "='数据'!$A$2:$A$6"})
    wb.add_chartsheet("图表").set_chart(chart)
    wb.define_name("客户列表", "='清单'!$B$2:$B$6")
    wb.define_name("'数据'!本表区域", "='数据'!$A$1:$E$6")
    wb.close()
    return path


@pytest.fixture
def pw_guarded_xlsx(tmp_path: Path) -> Path:
    """A workbook whose cells the writer must refuse: formula, merged range, table header, empty sheet."""
    import xlsxwriter

    path = tmp_path / "guarded.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("清单")
    ws.merge_range("A1:D1", "顾客特殊要求清单")
    ws.write_row(2, 0, ["案件号", "客户名称", "数量", "合计"])
    ws.write_row(3, 0, ["CSR-1", "吉利", 3])
    ws.write_formula("D4", "=C4*2", None, 6)
    ws.add_table("F3:H6", {"columns": [{"header": "部门"}, {"header": "负责人"}, {"header": "结果"}]})
    ws.write_array_formula("J4:J5", "{=C4:C5*2}")
    wb.add_worksheet("空白")
    wb.close()
    return path


@pytest.fixture
def pw_xlsm(tmp_path: Path) -> Path:
    """A macro workbook whose xl/vbaProject.bin holds arbitrary bytes (byte identity is the point)."""
    import xlsxwriter

    path = tmp_path / "宏工作簿.xlsm"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("清单")
    ws.write_row(0, 0, ["案件号", "客户名称"])
    ws.write_row(1, 0, ["CSR-1", "吉利"])
    wb.add_vba_project(io.BytesIO(b"\xd0\xcf\x11\xe0fake-vba-project" + bytes(range(256)) * 8), is_stream=True)
    wb.close()
    return path
