"""Register workbooks for tests, written by openpyxl or xlsxwriter the way users' files come."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import python_calamine

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"  # other projects' files: read, never copied
TODAY = "2026-11-25"  # the corpus registers' planted future date lies after it

HEADERS = ["案件号", "客户名称", "产品/项目", "要求描述", "类别", "接收日期", "优先级", "截止日期",
           "责任部门", "负责人", "处理状态", "完成日期", "备注"]
GOOD_ROW = ["", "吉利汽车", "GL-SX11", "PPAP 第3级提交", "产品", date(2026, 11, 3), "高", None,
            "技术部、品质部", "李强", "", None, ""]


# The default people have example.com addresses, which are never sent to (tests/test_recipients.py);
# test registers give them real-looking ones, as a register whose 设置 was filled in.
REAL_DOMAIN = "csrplant.cn"
ZHANG, LI, WANG, ZHOU = (f"zhang.wei@{REAL_DOMAIN}", f"li.qiang@{REAL_DOMAIN}", f"wang.fang@{REAL_DOMAIN}",
                         f"zhou.jianguo@{REAL_DOMAIN}")


def real(settings):  # noqa: ANN001, ANN201 - a Settings, imported late like the rest of xlcsr here
    """`settings` with every example.com address moved to REAL_DOMAIN."""
    def move(address: str) -> str:
        return address.replace("@example.com", f"@{REAL_DOMAIN}")

    return settings.model_copy(update={
        "people": tuple(p.model_copy(update={"email": move(p.email)}) for p in settings.people),
        "departments": tuple(d.model_copy(update={"email": move(d.email), "manager_email": move(d.manager_email)})
                             for d in settings.departments)})


def row(**changes: object) -> list[object]:
    """GOOD_ROW with some columns changed, named by header."""
    values = list(GOOD_ROW)
    for header, value in changes.items():
        values[HEADERS.index(header)] = value
    return values


def write_register(path: Path, rows: Sequence[Sequence[object]], *, headers: Sequence[str] = HEADERS,
                   title: bool = True, settings: bool = True, notes: Sequence[str] = ()) -> Path:
    """A register as a user would make it in Excel: merged title, header, data, signature line."""
    from xlcsr.domain.settings import DEFAULT_SETTINGS
    from xlcsr.files.settings_writer import write_settings_sheet

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "清单"
    if title:
        ws.append(["顾客特殊要求清单"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        ws.append([])
    ws.append(list(headers))
    first = ws.max_row + 1
    for r, values in enumerate(rows, start=first):
        for c, value in enumerate(values, start=1):
            if value in (None, ""):
                continue
            cell = ws.cell(r, c, value)
            if isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # the user typed text, not a formula
    for r, note in enumerate(notes, start=first + len(rows)):
        ws.cell(r, 1, note)
    if settings:
        write_settings_sheet(wb.create_sheet("设置"), real(DEFAULT_SETTINGS))
    wb.save(path)
    return path


def png() -> bytes:
    """A small valid PNG, made without Pillow."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes([200, 30, 30]) * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def write_rich_register(path: Path, rows: Sequence[Sequence[object]], *, vba: bytes | None = None) -> Path:
    """A register written by xlsxwriter with everything openpyxl would lose.

    清单: merged title, logo, a 编制/审核/批准 text box, a form button, a comment, a sparkline and a
    data bar in a user column, data validation; a chart sheet; workbook and sheet-scoped names.
    """
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    day = wb.add_format({"num_format": "yyyy/m/d"})
    ws = wb.add_worksheet("清单")
    width = len(HEADERS) + 2
    ws.merge_range(0, 0, 0, width - 1, "顾客特殊要求清单", bold)
    ws.write_row(2, 0, [*HEADERS, "趋势", "评分"], bold)
    for r, values in enumerate(rows, start=3):
        for c, value in enumerate(values):
            if isinstance(value, date):
                ws.write_datetime(r, c, value, day)
            elif value not in (None, ""):
                ws.write(r, c, value) if not str(value).startswith("=") else ws.write_string(r, c, value)
        ws.write_number(r, width - 1, r * 3)
        ws.add_sparkline(r, width - 2, {"range": f"'清单'!{_col(width - 1)}{r + 1}:{_col(width - 1)}{r + 1}"})
    last = 3 + len(rows)
    ws.conditional_format(3, width - 1, last, width - 1, {"type": "data_bar"})
    ws.data_validation(3, 6, 200, 6, {"validate": "list", "source": ["高", "中", "低"]})
    ws.insert_image("P1", "logo.png", {"image_data": io.BytesIO(png()), "x_scale": 4, "y_scale": 4})
    ws.insert_textbox(last + 2, 0, "编制：王芳    审核：张伟    批准：周建国", {"width": 420, "height": 30})
    ws.insert_button(last + 2, 8, {"macro": "xlcsr_validate", "caption": "校验"})
    ws.write_comment("B3", "客户名称按合同全称填写")
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": f"='清单'!${_col(width - 1)}$4:${_col(width - 1)}${last}"})
    wb.add_chartsheet("图表").set_chart(chart)
    wb.define_name("客户列表", f"='清单'!$B$4:$B${last}")
    wb.define_name("'清单'!评分区", f"='清单'!${_col(width - 1)}$4:${_col(width - 1)}${last}")
    if vba is not None:
        wb.add_vba_project(io.BytesIO(vba), is_stream=True)
    wb.close()
    return path


def _col(index: int) -> str:
    return chr(65 + index)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def calamine_rows(path: Path, sheet: str = "清单") -> list[list[object]]:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def openpyxl_values(path: Path, sheet: str = "清单") -> dict[str, object]:
    ws = openpyxl.load_workbook(path)[sheet]
    return {c.coordinate: c.value for r in ws.iter_rows() for c in r if c.value is not None}


def needs(present: bool, what: str) -> None:
    """Skip a test whose tool or data is missing here; in CI, which must have it, fail instead."""
    if not present:
        if os.environ.get("CI"):
            pytest.fail(f"{what} must be present in CI (.ci/run installs the tools)")
        pytest.skip(f"{what} is not here")


def member(path: Path, name: str) -> bytes:
    """One zip part of a workbook, inflated."""
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


def replace_member(path: Path, name: str, change: Callable[[bytes], bytes]) -> None:
    """Rewrite one part of a workbook, as another program saving it would."""
    with zipfile.ZipFile(path) as zf:
        entries = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, change(data) if info.filename == name else data)
