"""The lossless patch writer on real files, read back with openpyxl and python-calamine."""

from __future__ import annotations

import random
import re
import shutil
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from xlcsr.domain.errors import SheetMissing, UnsafeEdit, WorkbookUnreadable
from xlcsr.ooxml.cells import excel_serial, split_ref
from xlcsr.ooxml.package import XlsxPackage

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")

HYPERLINK_TEXT = '=HYPERLINK("http://x","y")'


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def calamine_cell(path: Path, sheet: str, ref: str):
    row, col = split_ref(ref)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    return rows[row - 1][col - 1] if row <= len(rows) and col <= len(rows[row - 1]) else None


def cell_snapshot(path: Path) -> dict[tuple[str, str], tuple]:
    wb = openpyxl.load_workbook(path)
    snapshot = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                snapshot[ws.title, c.coordinate] = (
                    c.value, c.number_format, c.fill.fgColor.rgb, c.font.b, c.comment.text if c.comment else None,
                )
    return snapshot


EDITS = {
    ("清单", "B3"): "宁德时代",
    ("清单", "E4"): HYPERLINK_TEXT,
    ("清单", "C5"): date(2026, 11, 3),
    ("清单", "D6"): 42.5,
    ("清单", "A20"): "CSR-2026-0020",
    ("清单", "C20"): datetime(2026, 12, 1, 8, 30),
    ("数据", "A8"): "  前后空格\n第二行 ",
    ("数据", "B2"): 99,
}
FILLS = {("清单", "A2"): "FFFFC7CE", ("清单", "F3"): "FFFFEB9C", ("数据", "C3"): "#C6EFCE"}
NOTES = {"A2": "缺少客户名称", "D4": "截止日期早于接收日期 & <检查>"}
LINKS = {"A2": "'清单'!B3", "A3": "'清单'!A20"}


@pytest.fixture
def edited(pw_rich_xlsx: Path, tmp_path: Path):
    """The rich workbook after a typical xlcsr run, plus what it looked like before."""
    original = tmp_path / "original.xlsx"
    shutil.copy(pw_rich_xlsx, original)
    package = XlsxPackage.open(pw_rich_xlsx)
    for (sheet, ref), value in EDITS.items():
        package.sheet(sheet).set_value(ref, value)
    for (sheet, ref), color in FILLS.items():
        package.sheet(sheet).set_fill(ref, color)
    assert package.sheet("清单").add_notes({"B2": "不应写入"}) is False
    assert package.sheet("数据").add_notes(NOTES) is True
    package.put_sheet("_xlcsr", [["key", "value"], ["next_case_no", 21]], state="veryHidden")
    package.put_sheet(
        "校验结果",
        [["行", "问题"], [3, "客户名称缺失"], [20, "=不是公式"], [None, date(2026, 1, 5)]],
        links=LINKS,
        widths={1: 8, 2: 40},
    )
    backup = package.save(pw_rich_xlsx)
    return {"path": pw_rich_xlsx, "original": original, "backup": backup}


def test_untouched_parts_stay_byte_identical(edited):
    before, after = members(edited["original"]), members(edited["path"])
    package = XlsxPackage.open(edited["original"])
    list_part, data_part = package.sheet("清单").part, package.sheet("数据").part
    allowed = {
        list_part, data_part, "xl/worksheets/_rels/" + data_part.rsplit("/", 1)[1] + ".rels",
        "xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
    }
    changed = {name for name in before if before[name] != after.get(name)}
    assert changed <= allowed
    assert after["xl/sharedStrings.xml"] == before["xl/sharedStrings.xml"]
    with zipfile.ZipFile(edited["path"]) as zf:
        order = zf.namelist()
    assert order[: len(before)] == list(before)
    assert set(order[len(before) :]) == {
        "xl/comments2.xml", "xl/drawings/vmlDrawing2.vml", "xl/worksheets/sheet3.xml", "xl/worksheets/sheet4.xml",
    }


def test_untouched_cells_and_formats_are_kept(edited):
    before, after = cell_snapshot(edited["original"]), cell_snapshot(edited["path"])
    touched = set(EDITS) | set(FILLS) | {("数据", ref) for ref in NOTES}
    for key, value in before.items():
        if key not in touched:
            assert after.get(key, (None, "General", "00000000", False, None)) == value, key
    for key, value in after.items():
        if key not in touched and key[0] in {"清单", "数据"} and key not in before:
            assert value[0] is None, key


def test_edited_values_read_back_in_both_readers(edited):
    path = edited["path"]
    wb = openpyxl.load_workbook(path)
    for (sheet, ref), value in EDITS.items():
        cell = wb[sheet][ref]
        expected = datetime.combine(value, datetime.min.time()) if type(value) is date else value
        assert cell.value == expected, (sheet, ref)
        got = calamine_cell(path, sheet, ref)
        if isinstance(value, datetime):
            assert got == value
        elif isinstance(value, date):
            assert got in (value, datetime.combine(value, datetime.min.time()))
        else:
            assert got == value, (sheet, ref)
    assert wb["清单"]["C5"].is_date and wb["清单"]["C5"].number_format == "yyyy/m/d"
    assert wb["清单"]["C20"].is_date


def test_text_that_looks_like_a_formula_stays_text(edited):
    cell = openpyxl.load_workbook(edited["path"])["清单"]["E4"]
    assert cell.data_type == "s" and cell.value == HYPERLINK_TEXT
    assert calamine_cell(edited["path"], "清单", "E4") == HYPERLINK_TEXT
    sheet_xml = members(edited["path"])[XlsxPackage.open(edited["path"]).sheet("清单").part]
    assert b"<f>HYPERLINK" not in sheet_xml


def test_fills_notes_links_and_states(edited):
    wb = openpyxl.load_workbook(edited["path"])
    assert wb["清单"]["A2"].fill.fgColor.rgb == "FFFFC7CE"
    assert wb["清单"]["F3"].fill.fgColor.rgb == "FFFFEB9C" and wb["清单"]["F3"].value == "=D3*2"
    assert wb["数据"]["C3"].fill.fgColor.rgb == "FFC6EFCE"
    assert wb["数据"]["A2"].comment.text == NOTES["A2"]
    assert wb["数据"]["D4"].comment.text == NOTES["D4"]
    assert wb["清单"]["A2"].comment.text == "原有批注：请勿删除"
    assert wb["清单"]["B2"].comment is None
    assert wb["_xlcsr"].sheet_state == "veryHidden"
    results = wb["校验结果"]
    assert results.sheet_state == "visible"
    assert wb.sheetnames == ["清单", "数据", "图表", "_xlcsr", "校验结果"]
    assert results["A2"].hyperlink.location == "'清单'!B3"
    assert results["A3"].hyperlink.location == "'清单'!A20"
    assert results["A1"].font.b and results["A2"].font.u == "single"
    assert results["B3"].value == "=不是公式" and results["B3"].data_type == "s"
    assert results["B4"].value == datetime(2026, 1, 5) and results["B4"].is_date
    assert results.freeze_panes == "A2"
    assert results.column_dimensions["B"].width == 40
    assert calamine_cell(edited["path"], "校验结果", "B2") == "客户名称缺失"


def test_objects_survive(edited):
    wb = openpyxl.load_workbook(edited["path"])
    data = wb["数据"]
    assert len(data.data_validations.dataValidation) == 1
    assert len(list(data.conditional_formatting)) == 1
    assert set(wb.defined_names) == {"客户列表"} and "本表区域" in data.defined_names
    assert wb.chartsheets[0].title == "图表"
    after = members(edited["path"])
    package = XlsxPackage.open(edited["path"])
    drawing = next(r.part for r in package.rels(package.sheet("数据").part) if r.kind == "drawing")
    assert any(r.kind == "image" and r.part in after for r in package.rels(drawing))
    data_xml = after[package.sheet("数据").part]
    assert data_xml.count(b"<x14:sparkline>") == 5 and b"<x14:dataBar" in data_xml
    assert data_xml.index(b"<drawing ") < data_xml.index(b"<legacyDrawing ") < data_xml.rindex(b"<extLst>")
    vml_blocks = [re.search(rb'data="(\d+)"', v).group(1) for k, v in after.items() if k.endswith(".vml")]
    assert len(vml_blocks) == len(set(vml_blocks)) == 2


def test_edited_rows_are_in_order_and_dimension_grows(edited):
    package = XlsxPackage.open(edited["path"])
    xml = members(edited["path"])[package.sheet("清单").part]
    rows = [int(r) for r in re.findall(rb'<row r="(\d+)"', xml)]
    assert rows == sorted(rows) and 20 in rows
    assert b'<dimension ref="A1:F20"/>' in xml
    row3 = re.search(rb'<row r="3".*?</row>', xml).group(0)
    assert b"spans=" not in row3
    cols = [split_ref(r.decode())[1] for r in re.findall(rb'<c r="([A-Z]+20)"', xml)]
    assert cols == sorted(cols) == [1, 3]


def test_backup_of_the_original_is_kept(edited):
    assert edited["backup"].read_bytes() == edited["original"].read_bytes()


def test_notes_are_ours_and_removable(edited):
    package = XlsxPackage.open(edited["path"])
    parts = package.sheet("数据").notes_parts()
    assert len(parts) == 2 and all(package.exists(p) for p in parts)
    assert package.sheet("清单").notes_parts() == ()
    assert package.sheet("数据").add_notes({"B6": "新增"}) is True
    package.save()
    wb = openpyxl.load_workbook(edited["path"])
    assert wb["数据"]["A2"].comment.text == NOTES["A2"] and wb["数据"]["B6"].comment.text == "新增"

    package = XlsxPackage.open(edited["path"])
    assert package.sheet("数据").remove_notes() is True
    assert package.sheet("清单").remove_notes() is False
    package.save()
    after = members(edited["path"])
    assert not any(name in after for name in parts)
    assert b"comments2" not in after["[Content_Types].xml"] and b"<legacyDrawing" not in after[package.sheet("数据").part]
    wb = openpyxl.load_workbook(edited["path"])
    assert all(c.comment is None for row in wb["数据"].iter_rows() for c in row)
    assert wb["清单"]["A2"].comment.text == "原有批注：请勿删除"


def test_put_sheet_replaces_and_remove_sheet_removes(edited):
    package = XlsxPackage.open(edited["path"])
    part = package.sheet("校验结果").part
    package.put_sheet("校验结果", [["行", "问题"]])
    package.remove_sheet("_xlcsr")
    package.save()
    wb = openpyxl.load_workbook(edited["path"])
    assert wb.sheetnames == ["清单", "数据", "图表", "校验结果"]
    assert wb["校验结果"].max_row == 1
    package = XlsxPackage.open(edited["path"])
    assert package.sheet("校验结果").part == part
    with pytest.raises(UnsafeEdit):
        package.put_sheet("数据", [["x"]])
    with pytest.raises(UnsafeEdit):
        package.remove_sheet("图表")


def test_remove_sheet_shifts_sheet_scoped_names(tmp_path: Path):
    import xlsxwriter

    path = tmp_path / "names.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for name in ("清单", "校验结果", "设置"):
        wb.add_worksheet(name).write("A1", name)
    wb.define_name("'设置'!部门", "='设置'!$A$1")
    wb.define_name("'校验结果'!旧", "='校验结果'!$A$1")
    wb.worksheets()[2].activate()
    wb.close()
    package = XlsxPackage.open(path)
    package.remove_sheet("校验结果")
    package.save()
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["清单", "设置"]
    assert "部门" in book["设置"].defined_names and "旧" not in book["清单"].defined_names
    assert book.active.title == "设置"


@pytest.mark.parametrize(
    "ref, why",
    [("D4", "公式"), ("B1", "合并"), ("D1", "合并"), ("G3", "标题行"), ("J5", "数组公式")],
)
def test_unsafe_value_edits_are_refused(pw_guarded_xlsx: Path, ref: str, why: str):
    before = pw_guarded_xlsx.read_bytes()
    package = XlsxPackage.open(pw_guarded_xlsx)
    sheet = package.sheet("清单")
    with pytest.raises(UnsafeEdit, match=f"清单.*{ref}.*{why}"):
        sheet.set_value(ref, "x")
    assert not package.changed
    assert package.save() is None
    assert pw_guarded_xlsx.read_bytes() == before


def test_safe_cells_next_to_guarded_ones_are_writable(pw_guarded_xlsx: Path):
    package = XlsxPackage.open(pw_guarded_xlsx)
    sheet = package.sheet("清单")
    sheet.set_value("A1", "新标题")
    sheet.set_value("G4", "品质部")
    sheet.set_fill("D4", "FFFF0000")
    sheet.set_fill("G3", "FFFF0000")
    assert sheet.value_kind("D4") == "formula" and sheet.value_kind("A1") == "inlineStr"
    package.sheet("空白").set_value("C3", 7)
    package.sheet("空白").set_value("A1", "first")
    package.save()
    wb = openpyxl.load_workbook(pw_guarded_xlsx)
    assert wb["清单"]["A1"].value == "新标题" and wb["清单"]["G4"].value == "品质部"
    assert wb["清单"]["D4"].value == "=C4*2" and wb["清单"]["D4"].fill.fgColor.rgb == "FFFF0000"
    assert wb["清单"]["G3"].value == "负责人"
    assert [[c.value for c in r] for r in wb["空白"].iter_rows()] == [
        ["first", None, None], [None, None, None], [None, None, 7],
    ]
    assert calamine_cell(pw_guarded_xlsx, "空白", "C3") == 7


def test_clearing_keeps_the_style(pw_rich_xlsx: Path):
    package = XlsxPackage.open(pw_rich_xlsx)
    sheet = package.sheet("清单")
    style = sheet.style_of("C2")
    sheet.set_value("C2", None)
    sheet.set_value("Z99", None)
    package.save()
    cell = openpyxl.load_workbook(pw_rich_xlsx)["清单"]["C2"]
    assert cell.value is None and cell.number_format == "yyyy/m/d"
    assert XlsxPackage.open(pw_rich_xlsx).sheet("清单").style_of("C2") == style


def test_xlsm_keeps_its_vba_project(pw_xlsm: Path):
    before = members(pw_xlsm)
    package = XlsxPackage.open(pw_xlsm)
    package.sheet("清单").set_value("B2", "长城汽车")
    package.sheet("清单").add_notes({"B2": "已更新"})
    package.put_sheet("校验结果", [["行", "问题"]])
    package.save()
    after = members(pw_xlsm)
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    assert b"macroEnabled" in after["[Content_Types].xml"]
    wb = openpyxl.load_workbook(pw_xlsm)
    assert wb["清单"]["B2"].value == "长城汽车"


def test_many_edits_in_a_large_sheet_match_a_plain_model(tmp_path: Path):
    import xlsxwriter

    path = tmp_path / "large.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("清单")
    expected = {}
    for r in range(0, 3000, 3):
        for c in range(5):
            ws.write(r, c, f"r{r}c{c}" if c % 2 else r * 10 + c)
            expected[r + 1, c + 1] = f"r{r}c{c}" if c % 2 else r * 10 + c
    wb.close()
    rng = random.Random(7)
    package = XlsxPackage.open(path)
    sheet = package.sheet("清单")
    for _ in range(400):
        row, col = rng.randint(1, 3100), rng.randint(1, 8)
        value = rng.choice([f"新{row}-{col}", row * 1.5, None])
        sheet.set_value(f"{chr(64 + col)}{row}", value)
        expected[row, col] = value
    package.save()
    book = openpyxl.load_workbook(path, read_only=True)
    got = {(c.row, c.column): c.value for row in book["清单"].iter_rows() for c in row if c.value is not None}
    book.close()
    assert got == {k: v for k, v in expected.items() if v is not None}


def test_prefixed_sheet_xml_and_missing_styles(tmp_path: Path):
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<x:workbook xmlns:x="{main}" xmlns:r="{rel}"><x:sheets>'
            '<x:sheet name="清单" sheetId="1" r:id="rId1"/></x:sheets></x:workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="/xl/worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<x:worksheet xmlns:x="{main}"><x:sheetData>'
            '<x:row r="2"><x:c r="B2"><x:v>1</x:v></x:c></x:row>'
            '<x:row r="5"><x:c r="A5" t="inlineStr"><x:is><x:t>旧</x:t></x:is></x:c></x:row>'
            "</x:sheetData></x:worksheet>"
        ),
    }
    path = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    package = XlsxPackage.open(path)
    sheet = package.sheet("清单")
    sheet.set_value("C3", "新")
    sheet.set_value("A2", date(2026, 1, 2))
    sheet.set_fill("B2", "FFFFFF00")
    package.save()
    xml = members(path)["xl/worksheets/sheet1.xml"]
    assert b'<x:row r="3"><x:c r="C3" t="inlineStr"><x:is><x:t>' in xml and b"xmlns" not in xml.split(b"<x:sheetData>")[1]
    wb = openpyxl.load_workbook(path)
    assert wb["清单"]["C3"].value == "新" and wb["清单"]["A2"].value == datetime(2026, 1, 2)
    assert wb["清单"]["B2"].fill.fgColor.rgb == "FFFFFF00" and wb["清单"]["A5"].value == "旧"


def test_1904_date_system(tmp_path: Path):
    import xlsxwriter

    path = tmp_path / "mac.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"date_1904": True})
    wb.add_worksheet("清单").write("A1", "x")
    wb.close()
    package = XlsxPackage.open(path)
    assert package.date1904
    package.sheet("清单").set_value("B1", date(2026, 11, 3))
    package.save()
    assert openpyxl.load_workbook(path)["清单"]["B1"].value == datetime(2026, 11, 3)
    assert excel_serial(date(2026, 11, 3)) - excel_serial(date(2026, 11, 3), date1904=True) == 1462


def test_excel_serial_numbers():
    assert excel_serial(date(1900, 1, 1)) == 1
    assert excel_serial(date(1900, 3, 1)) == 61
    assert excel_serial(date(2026, 11, 3)) == 46329
    assert excel_serial(datetime(2026, 11, 3, 12)) == 46329.5


def test_control_characters_are_dropped(pw_rich_xlsx: Path):
    package = XlsxPackage.open(pw_rich_xlsx)
    package.sheet("清单").set_value("E2", "a\x00b\x07c\td")
    package.save()
    assert openpyxl.load_workbook(pw_rich_xlsx)["清单"]["E2"].value == "abc\td"


def test_unreadable_and_missing(tmp_path: Path, pw_rich_xlsx: Path):
    with pytest.raises(WorkbookUnreadable, match="找不到"):
        XlsxPackage.open(tmp_path / "nope.xlsx")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(WorkbookUnreadable, match="zip"):
        XlsxPackage.open(bad)
    empty = tmp_path / "empty.xlsx"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(WorkbookUnreadable, match="workbook.xml"):
        XlsxPackage.open(empty)
    package = XlsxPackage.open(pw_rich_xlsx)
    with pytest.raises(SheetMissing, match="设置"):
        package.sheet("设置")
    with pytest.raises(UnsafeEdit):
        package.sheet("图表")
    assert package.has_sheet("清单") and not package.has_sheet("设置")


@pytest.mark.soffice
def test_libreoffice_opens_the_edited_workbook(edited, to_pdf) -> None:
    assert to_pdf(edited["path"]).stat().st_size > 1000


def test_styles_are_reused_across_runs(pw_rich_xlsx: Path):
    package = XlsxPackage.open(pw_rich_xlsx)
    old, new = package.sheet("清单").set_fill("A3", "FFFFC7CE")
    package.save()
    styles_before = members(pw_rich_xlsx)["xl/styles.xml"]
    package = XlsxPackage.open(pw_rich_xlsx)
    assert package.sheet("清单").set_fill("A4", "FFFFC7CE") == (old, new)
    assert package.sheet("清单").set_fill("A3", "FFFFC7CE") == (new, new)
    package.save()
    assert members(pw_rich_xlsx)["xl/styles.xml"] == styles_before


def test_style_book_appends_with_counts():
    from lxml import etree

    from xlcsr.ooxml.styles import StyleBook

    book = StyleBook(StyleBook().to_bytes())
    assert not book.changed
    red = book.add_dxf(fill="FFC7CE", font_color="9C0006", bold=True)
    assert book.add_dxf(fill="#ffc7ce", font_color="9c0006", bold=True) == red == 0
    assert book.add_dxf(fill="FFEB9C") == 1
    dated = book.with_date_format(book.bold(), with_time=True)
    assert book.is_date(dated) and book.number_format(dated) == (164, "yyyy-mm-dd hh:mm")
    link = book.hyperlink()
    root = etree.fromstring(book.to_bytes())
    for section in root:
        if section.get("count") is not None:
            assert int(section.get("count")) == len(section), etree.QName(section).localname
    font = root.find("{*}fonts")[int(root.find("{*}cellXfs")[link].get("fontId"))]
    assert [etree.QName(c).localname for c in font][:3] == ["u", "sz", "color"]
    assert book.changed


def test_sheet_names_match_case_insensitively_like_excel(pw_guarded_xlsx: Path):
    package = XlsxPackage.open(pw_guarded_xlsx)
    package.put_sheet("Results", [["a"]])
    package.put_sheet("RESULTS", [["b"]])
    assert package.sheet("results") is package.sheet("Results")
    package.save()
    wb = openpyxl.load_workbook(pw_guarded_xlsx)
    assert wb.sheetnames == ["清单", "空白", "Results"] and wb["Results"]["A1"].value == "b"


def test_refused_put_sheet_changes_nothing(pw_rich_xlsx: Path):
    package = XlsxPackage.open(pw_rich_xlsx)
    with pytest.raises(UnsafeEdit, match="新表.*A2.*32767"):
        package.put_sheet("新表", [["标题"], ["长" * 40_000]])
    with pytest.raises(UnsafeEdit, match="数据"):
        package.put_sheet("数据", [["x"]])
    with pytest.raises(ValueError):
        package.put_sheet("bad:name", [["x"]])
    assert package.sheet_names() == ["清单", "数据", "图表"]
    assert not package.changed and package.save() is None
