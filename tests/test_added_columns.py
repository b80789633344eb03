"""Columns xlcsr adds (案件号, 截止日期, 处理状态, 逾期天数) look like the sheet's own, in both fronts.

A hand-kept list whose header row lacks them, written by openpyxl (plain, as an Excel table, with an
autofilter): the new header cells take their left neighbour's look, the columns are wide enough for
a case number and a date, dates are dates and case numbers text, tables and filters take the columns
along, the commands say which columns they added. Read back with openpyxl and python-calamine; the
same through the fake Excel. The `<cols>` edits of the patch writer on their own at the end.
"""

from __future__ import annotations

import re
import shutil
import warnings
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from books import calamine_rows, member, parts, replace_member
from fake_excel import FakeExcel
from lxml import etree
from openpyxl.styles import Border, Font, PatternFill, Side
from openpyxl.worksheet.table import Table, TableStyleInfo
from pypdf import PdfReader
from typer.testing import CliRunner

from xlcsr.cli.app import app
from xlcsr.excel import dispatch
from xlcsr.ooxml.package import XlsxPackage
from xlcsr.rules.numbering import column_width

TODAY = "2026-11-25"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET = "xl/worksheets/sheet1.xml"
HEADERS = ["顾客", "产品", "特殊要求", "类别", "识别日期", "优先级", "责任部门", "负责人", "备注"]
ROWS = [
    ["吉利汽车", "GL-SX11", "PPAP 第3级提交", "产品", date(2026, 11, 3), "高", "技术部、品质部", "李强", ""],
    ["长城汽车", "CC-01", "包装按客户标准", "包装", date(2026, 10, 20), "中", "生产部", "李强", "急"],
    ["比亚迪", "BYD-7", "年度审核", "质量体系", date(2026, 9, 1), "低", "品质部", "李强", ""],
]
WIDTHS = [12, 10, 30, 8, 11, 6, 16, 8, 20]
BLUE, GREEN = "FFDDEBF7", "FFE2EFDA"  # the customer's header; the last header (备注), the new ones' neighbour
INK = "FF375623"
ADDED = "已添加列：案件号（J 列）、截止日期（K 列）、处理状态（L 列）"
# parts a command may touch: the register sheet (and its table), styles, the state sheet's entries
TOUCHABLE = {SHEET, "xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
             "xl/tables/table1.xml"}
runner = CliRunner()


def hand_kept(path: Path, kind: str = "plain") -> Path:
    """A list as a quality engineer keeps it: title, styled header row 3, three cases, set widths."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "清单"
    ws["A1"] = "顾客特殊要求清单"
    ws.merge_cells("A1:I1")
    thin = Side(style="thin")
    for c, header in enumerate(HEADERS, start=1):
        cell = ws.cell(3, c, header)
        last = c == len(HEADERS)
        cell.fill = PatternFill("solid", fgColor=GREEN if last else BLUE)
        cell.font = Font(bold=True, color=INK if last else "FF1F3864")
        cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for r, values in enumerate(ROWS, start=4):
        for c, value in enumerate(values, start=1):
            if value != "":
                cell = ws.cell(r, c, value)
                if isinstance(value, date):
                    cell.number_format = "yyyy/m/d"
    for c, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width = width
    if kind == "table":
        table = Table(displayName="清单表", ref="A3:I6")
        table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        ws.add_table(table)
    elif kind == "filter":
        ws.auto_filter.ref = "A3:I6"
    wb.save(path)
    return path


def run(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def load(path: Path) -> openpyxl.Workbook:
    """The workbook as openpyxl loads it, failing on any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return openpyxl.load_workbook(path)


def cols(path: Path) -> list[bytes]:
    """The bytes of each `<col>` of the register sheet, in order."""
    return re.findall(rb"<(?:\w+:)?col\b[^>]*>", member(path, SHEET))


def needed(text: str) -> float:
    """The width Excel needs to show `text` in full: 7 px a character (14 a CJK one) and 5 px padding, in
    characters of the default font's 7 px digits."""
    pixels = sum(14 if ord(ch) >= 0x2E80 else 7 for ch in text) + 5
    return pixels / 7


def width(ws: object, letter: str) -> float:
    return ws.column_dimensions[letter].width  # type: ignore[attr-defined]


def filter_database(path: Path) -> list[str]:
    root = etree.fromstring(member(path, "xl/workbook.xml"))
    return [el.text for el in root.iter(f"{{{MAIN}}}definedName") if el.get("name") == "_xlnm._FilterDatabase"]


# -- the file front -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["plain", "table", "filter"])
def test_assign_adds_columns_that_look_like_the_sheets_own(tmp_path: Path, kind: str) -> None:
    book = hand_kept(tmp_path / f"{kind}.xlsx", kind)
    before_parts, before_cols, before_rows = parts(book), cols(book), calamine_rows(book)

    code, output = run("assign", book, "--today", TODAY)
    assert code == 0, output
    assert ADDED in output

    ws = load(book)["清单"]
    assert [ws.cell(3, c).value for c in range(10, 13)] == ["案件号", "截止日期", "处理状态"]
    for letter in "JKL":  # the left neighbour's look (备注's green), not the customer header's blue
        header = ws[f"{letter}3"]
        assert header.fill.fill_type == "solid" and header.fill.fgColor.rgb == GREEN
        assert header.font.b and header.font.color.rgb == INK
        assert header.border.left.style == header.border.bottom.style == "thin"
    assert width(ws, "J") >= needed("CSR-2026-0001") and width(ws, "K") >= needed("2026-11-25")
    assert width(ws, "L") >= needed("处理状态")  # four CJK characters, two widths each
    assert all(ws.column_dimensions[letter].customWidth for letter in "JKL")
    for r in (4, 5, 6):
        number, due = ws[f"J{r}"], ws[f"K{r}"]
        assert number.data_type == "s" and number.number_format == "@"
        assert due.is_date and due.number_format == "yyyy-mm-dd"
        assert ws[f"L{r}"].value == "待处理"
    got = calamine_rows(book)
    assert [row[9:12] for row in got[3:6]] == [["CSR-2026-0001", date(2026, 11, 10), "待处理"],
                                              ["CSR-2026-0002", date(2026, 11, 3), "待处理"],  # 国庆 off
                                              ["CSR-2026-0003", date(2026, 9, 29), "待处理"]]
    assert [row[:9] for row in got] == [row[:9] for row in before_rows]  # every cell the user wrote

    after_cols = cols(book)
    assert after_cols[:9] == before_cols and len(after_cols) == 12  # the user's widths, byte for byte
    after = parts(book)
    assert {name for name in before_parts if name not in TOUCHABLE and after.get(name) != before_parts[name]} == set()
    if kind == "table":
        (table,) = ws.tables.values()
        assert table.ref == table.autoFilter.ref == "A3:L6"
        assert [c.name for c in table.tableColumns] == [*HEADERS, "案件号", "截止日期", "处理状态"]
    elif kind == "filter":
        assert ws.auto_filter.ref == "A3:L6"
        assert filter_database(book) == ["'清单'!$A$3:$L$6"]
    else:
        assert not ws.tables and ws.auto_filter.ref is None

    assert run("assign", book, "--today", TODAY)[1].count("已添加列") == 0  # nothing added twice
    assert cols(book) == after_cols


def test_highlight_adds_days_overdue_beside_the_new_columns_and_says_so(tmp_path: Path) -> None:
    book = hand_kept(tmp_path / "表格.xlsx", "table")
    assert run("assign", book, "--today", TODAY)[0] == 0
    before = cols(book)
    code, output = run("highlight", book, "--today", TODAY)
    assert code == 0, output
    assert "已添加列：逾期天数（M 列）" in output
    ws = load(book)["清单"]
    assert ws["M3"].value == "逾期天数" and ws["M3"].fill.fgColor.rgb == GREEN and ws["M3"].font.b
    assert width(ws, "M") >= needed("逾期天数") and ws.column_dimensions["M"].customWidth
    assert cols(book)[:12] == before
    (table,) = ws.tables.values()
    assert table.ref == table.autoFilter.ref == "A3:M6" and table.tableColumns[-1].name == "逾期天数"
    assert [ws[f"M{r}"].value for r in (4, 5, 6)] == [11, 16, 37]
    assert "已添加列" not in run("highlight", book, "--today", TODAY)[1]


def test_the_english_output_names_the_added_columns_too(tmp_path: Path) -> None:
    book = hand_kept(tmp_path / "en.xlsx")
    output = run("assign", book, "--today", TODAY, "--lang", "en")[1]
    assert "Added columns: 案件号 (column J), 截止日期 (column K), 处理状态 (column L)" in output
    assert "Added columns: Days overdue (column M)" in run("highlight", book, "--today", TODAY, "--lang", "en")[1]


# A user who set widths over ranges and hid every column right of the list: each new column is cut
# out of the range covering it and shown; the rest of each range keeps its bytes but for min and max.
USER_COLS = (b'<cols><col min="1" max="2" width="12" customWidth="1"/><col min="3" max="3" width="30" customWidth="1"/>'
             b'<col min="4" max="9" width="11" customWidth="1"/><col min="10" max="11" width="4" style="0" customWidth="1"/>'
             b'<col min="12" max="16384" width="9" hidden="1"/></cols>')


def with_user_cols(path: Path) -> Path:
    replace_member(path, SHEET, lambda xml: re.sub(rb"<cols>.*?</cols>", USER_COLS, xml, flags=re.S))
    return path


def test_ranges_over_the_new_columns_are_split_and_hidden_ones_shown(tmp_path: Path, to_pdf) -> None:
    book = with_user_cols(hand_kept(tmp_path / "隐藏.xlsx", "filter"))
    assert run("assign", book, "--today", TODAY)[0] == 0
    assert run("highlight", book, "--today", TODAY)[0] == 0
    assert cols(book) == [
        b'<col min="1" max="2" width="12" customWidth="1"/>', b'<col min="3" max="3" width="30" customWidth="1"/>',
        b'<col min="4" max="9" width="11" customWidth="1"/>',
        b'<col min="10" max="10" width="15" style="0" customWidth="1"/>',
        b'<col min="11" max="11" width="12" style="0" customWidth="1"/>',
        b'<col min="12" max="12" width="12" customWidth="1"/>',
        b'<col min="13" max="13" width="12" customWidth="1"/>',
        b'<col min="14" max="16384" width="9" hidden="1"/>']
    ws = load(book)["清单"]
    assert not any(ws.column_dimensions[letter].hidden for letter in "JKLM")
    assert ws.auto_filter.ref == "A3:M6"
    to_pdf(book)  # LibreOffice opens it


def pdf_text(pdf: Path) -> str:
    """The text LibreOffice laid out on the PDF's pages."""
    return "\n".join(page.extract_text() or "" for page in PdfReader(pdf).pages)


def test_libreoffice_shows_the_dates_and_numbers_of_the_added_columns_in_full(tmp_path: Path, to_pdf) -> None:
    """The issue: 截止日期 showed ### in a column too narrow. A register made narrow on purpose shows
    that the text of the PDF can be read here; ours then has no ### at all."""
    book = hand_kept(tmp_path / "表格.xlsx", "table")
    assert run("assign", book, "--today", TODAY)[0] == 0
    assert run("highlight", book, "--today", TODAY)[0] == 0
    narrow = tmp_path / "窄.xlsx"
    shutil.copy(book, narrow)
    replace_member(narrow, SHEET, lambda xml: re.sub(rb'(min="11" max="11" width=")[^"]+', rb"\g<1>4", xml))
    assert "###" in pdf_text(to_pdf(narrow))  # the check below can see what it looks for
    text = pdf_text(to_pdf(book))
    assert "###" not in text and "CSR-" in text


# -- the Excel front ------------------------------------------------------------------------------


def twins(tmp_path: Path, kind: str = "plain", change: Callable[[Path], Path] = lambda p: p) -> tuple[Path, FakeExcel]:
    """The same list as a file (for the command line) and open in a fake Excel (for the ribbon)."""
    book = change(hand_kept(tmp_path / "file.xlsx", kind))
    live = tmp_path / "live.xlsx"
    shutil.copy(book, live)
    return book, FakeExcel.from_file(live)


def values(excel: FakeExcel) -> dict[tuple[int, int], object]:
    return {cell: v.date() if isinstance(v, datetime) else v for cell, v in excel.sheets["清单"].values.items()}


def file_values(path: Path) -> dict[tuple[int, int], object]:
    ws = openpyxl.load_workbook(path)["清单"]
    return {(c.row, c.column): c.value.date() if isinstance(c.value, datetime) else c.value
            for r in ws.iter_rows() for c in r if c.value not in (None, "")}


def test_the_buttons_add_the_same_columns_with_the_same_look(tmp_path: Path) -> None:
    book, excel = twins(tmp_path)
    sheet = excel.sheets["清单"]
    run("assign", book, "--today", TODAY)
    message = dispatch("assign", book=excel.book(), today=date(2026, 11, 25))
    assert ADDED + "。" in message and excel.alerts == [message]
    got = {cell: v for cell, v in values(excel).items() if cell[1] <= 12}
    assert got == file_values(book)
    green = (0xE2, 0xEF, 0xDA)
    assert all(sheet.colors[(3, c)] == green and (3, c) in sheet.bold for c in (10, 11, 12))
    assert sheet.widths[10] >= needed("CSR-2026-0001") and sheet.widths[11] >= needed("2026-11-25")
    assert sheet.widths[12] >= needed("处理状态")
    assert {sheet.formats[(r, 10)] for r in (4, 5, 6)} == {"@"}
    assert {sheet.formats[(r, 11)] for r in (4, 5, 6)} == {"yyyy-mm-dd"}
    assert sheet.widths[1] == 12 and sheet.widths[9] == 20  # the user's own widths
    assert (excel.calls["copy"], excel.calls["column_width"]) == (3, 6)  # per new column, not per row

    run("highlight", book, "--today", TODAY)
    message = dispatch("highlight", book=excel.book(), today=date(2026, 11, 25))
    assert "\n已添加列：逾期天数（M 列）。" in message
    assert sheet.colors[(3, 13)] == green and sheet.widths[13] >= needed("逾期天数")
    assert [sheet.values[(r, 13)] for r in (4, 5, 6)] == [file_values(book)[(r, 13)] for r in (4, 5, 6)]
    assert "已添加列" not in dispatch("assign", book=excel.book(), today=date(2026, 11, 25))


def test_the_buttons_take_the_new_columns_into_the_excel_table(tmp_path: Path) -> None:
    book, excel = twins(tmp_path, "table")
    (table,) = excel.sheets["清单"].tables
    assert table.ref == "A3:I6"
    dispatch("assign", book=excel.book(), today=date(2026, 11, 25))
    assert table.ref == "A3:L6"
    dispatch("highlight", book=excel.book(), today=date(2026, 11, 25))
    assert table.ref == "A3:M6"
    run("assign", book, "--today", TODAY)
    run("highlight", book, "--today", TODAY)
    assert openpyxl.load_workbook(book)["清单"].tables["清单表"].ref == table.ref  # as the command does


def test_the_button_shows_a_hidden_column_it_adds_and_leaves_a_note_behind(tmp_path: Path) -> None:
    _, excel = twins(tmp_path, change=with_user_cols)
    sheet = excel.sheets["清单"]
    sheet.notes[(3, 9)] = "备注只写客户原话"  # the user's note on the neighbour header stays where it is
    assert 12 in sheet.hidden and sheet.widths[10] == sheet.widths[11] == 4
    dispatch("assign", book=excel.book(), today=date(2026, 11, 25))
    assert not {10, 11, 12} & sheet.hidden and sheet.widths[10] >= needed("CSR-2026-0001")
    assert sheet.notes == {(3, 9): "备注只写客户原话"}
    assert sheet.values[(3, 10)] == "案件号"


def test_the_width_counts_cjk_twice_and_dates_as_they_show() -> None:
    assert column_width("案件号", ["CSR-2026-0001", "CSR-2026-0012"]) >= needed("CSR-2026-0001")
    assert column_width("截止日期", [date(2026, 11, 25), None]) >= needed("2026-11-25")
    assert column_width("截止日期", [datetime(2026, 11, 25, 14, 30)]) >= needed("2026-11-25 14:30")
    assert column_width("备注", ["按客户标准包装，每箱十件"]) >= needed("按客户标准包装，每箱十件")
    assert column_width("逾期天数", [3, None]) >= needed("逾期天数")
    assert column_width("x", []) == 8.5  # never narrower than Excel's default


# -- the patch writer's <cols> edits --------------------------------------------------------------


def bare_sheet(tmp_path: Path, head: bytes, prefix: str = "") -> Path:
    """A workbook whose one sheet is `head` (what stands before sheetData) over one cell."""
    path = tmp_path / "bare.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "清单"
    wb.active["A1"] = "x"
    wb.save(path)
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {xmlns}>'.encode() + head
           + f'<{p}sheetData><{p}row r="1"><{p}c r="A1" t="inlineStr"><{p}is><{p}t>x</{p}t></{p}is></{p}c>'
             f'</{p}row></{p}sheetData></{p}worksheet>'.encode())
    replace_member(path, SHEET, lambda _: xml)
    return path


def widen(path: Path, *columns: tuple[str, float]) -> list[bool]:
    package = XlsxPackage.open(path)
    sheet = package.sheet("清单")
    changed = [sheet.set_column_width(letter, w) for letter, w in columns]
    package.save()
    load(path)  # openpyxl reads it without a warning
    return changed


def test_a_sheet_without_cols_gets_them_after_sheet_format_and_before_sheet_data(tmp_path: Path) -> None:
    book = bare_sheet(tmp_path, b'<dimension ref="A1"/><sheetFormatPr defaultRowHeight="15"/>')
    assert widen(book, ("C", 15), ("B", 12.5)) == [True, True]
    xml = member(book, SHEET)
    assert (b'<sheetFormatPr defaultRowHeight="15"/><cols><col min="2" max="2" width="12.5" customWidth="1"/>'
            b'<col min="3" max="3" width="15" customWidth="1"/></cols><sheetData>') in xml
    assert load(book)["清单"].column_dimensions["C"].width == 15


def test_a_prefixed_sheet_gets_prefixed_cols(tmp_path: Path) -> None:
    book = bare_sheet(tmp_path, b'<x:sheetFormatPr defaultRowHeight="15"/>', prefix="x")
    widen(book, ("D", 14))
    assert b'<x:cols><x:col min="4" max="4" width="14" customWidth="1"/></x:cols><x:sheetData>' in member(book, SHEET)


def test_a_range_is_split_around_the_column_and_a_wide_enough_column_left_alone(tmp_path: Path) -> None:
    head = (b'<sheetFormatPr defaultRowHeight="15"/><cols>'
            b'<col min="2" max="6" width="5" style="0" outlineLevel="1" bestFit="1" customWidth="1"/>'
            b'<col min="8" max="8" width="40" customWidth="1"/></cols>')
    book = bare_sheet(tmp_path, head)
    original = member(book, SHEET)
    assert widen(book, ("H", 20)) == [False]  # already 40 wide
    assert member(book, SHEET) == original
    assert widen(book, ("D", 15), ("G", 10), ("B", 11)) == [True, True, True]
    assert cols(book) == [
        b'<col min="2" max="2" width="11" style="0" outlineLevel="1" customWidth="1"/>',
        b'<col min="3" max="3" width="5" style="0" outlineLevel="1" bestFit="1" customWidth="1"/>',
        b'<col min="4" max="4" width="15" style="0" outlineLevel="1" customWidth="1"/>',
        b'<col min="5" max="6" width="5" style="0" outlineLevel="1" bestFit="1" customWidth="1"/>',
        b'<col min="7" max="7" width="10" customWidth="1"/>',
        b'<col min="8" max="8" width="40" customWidth="1"/>']
    assert XlsxPackage.open(book).sheet("清单").column_width("D") == 15
    assert XlsxPackage.open(book).sheet("清单").column_width("Z") is None


def test_a_column_right_of_every_col_goes_last_also_after_cols_with_end_tags(tmp_path: Path) -> None:
    book = bare_sheet(tmp_path, b'<sheetFormatPr defaultRowHeight="15"/><cols><col min="1" max="1" width="9"></col></cols>')
    widen(book, ("C", 15))
    assert (b'<cols><col min="1" max="1" width="9"></col><col min="3" max="3" width="15" customWidth="1"/></cols>'
            in member(book, SHEET))
