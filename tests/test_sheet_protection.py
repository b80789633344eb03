"""Sheet protection through the patch writer (`SheetPatch.protect`, `put_sheet(protect=True)`), on real files.

Protected sheets are a deterrent (issue 13: 变更记录 and 会签记录): Excel's Protect Sheet without a
password, the element at its schema place, every other part as it was.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from books import calamine_rows, needs, parts, replace_member
from lxml import etree
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from xlcsr.ooxml.package import XlsxPackage

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")

T_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
S_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
ADDED = b'<sheetProtection sheet="1" objects="1" scenarios="1"/>'
# CT_Worksheet's children in the order the schema gives them (ECMA-376 Part 1, 18.3.1.99)
WORKSHEET_ORDER = [
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
    "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
    "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
    "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
    "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
    "tableParts", "extLst",
]
ROWS = [["时间", "案件号", "优先级", "旧值", "新值"],
        [date(2026, 11, 3), "CSR-2026-0001", "高", "技术部", "品质部"],
        [date(2026, 11, 4), "CSR-2026-0002", "中", "", "已完成"],
        [date(2026, 11, 5), "CSR-2026-0003", "低", "李强", "王芳"]]


# --- workbooks ---------------------------------------------------------------------------------


def openpyxl_book(path: Path) -> Path:
    """变更记录 with an autofilter, a merged range, a conditional format, a validation and a link; 清单 beside it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "变更记录"
    for values in ROWS:
        ws.append(values)
    ws.auto_filter.ref = "A1:E4"
    ws["G1"] = "说明"
    ws.merge_cells("G1:H1")
    ws.conditional_formatting.add("A2:E4", FormulaRule(formula=['$C2="高"'], fill=PatternFill("solid", "FFFFC7CE")))
    validation = DataValidation(type="list", formula1='"高,中,低"')
    validation.add("C2:C100")
    ws.add_data_validation(validation)
    ws["E2"].hyperlink = "https://example.com/CSR-2026-0001"
    wb.create_sheet("清单").append(["案件号", "客户名称"])
    wb.save(path)
    return path


def xlsxwriter_book(path: Path) -> Path:
    """会签记录 as xlsxwriter writes it: autofilter, merged title, data bar (extLst), validation, link, note."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    day = wb.add_format({"num_format": "yyyy/m/d"})
    ws = wb.add_worksheet("会签记录")
    ws.merge_range("A1:E1", "会签记录")
    ws.write_row(1, 0, ["日期", "案件号", "部门", "结论", "分数"])
    for r, (when, case, dept, answer, score) in enumerate(
            [(date(2026, 11, 3), "CSR-1", "技术部", "同意", 3), (date(2026, 11, 4), "CSR-2", "品质部", "不同意", 5)],
            start=2):
        ws.write_datetime(r, 0, when, day)
        ws.write_row(r, 1, [case, dept, answer, score])
    ws.autofilter("A2:E4")
    ws.conditional_format("E3:E4", {"type": "data_bar", "data_bar_2010": True})
    ws.data_validation("D3:D100", {"validate": "list", "source": ["同意", "不同意"]})
    ws.write_url("G2", "https://example.com/signoff", string="说明")
    ws.write_comment("B2", "案件号见清单")
    wb.add_worksheet("清单").write_row(0, 0, ["案件号", "客户名称"])
    wb.close()
    return path


PREFIXED_SHEET = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<x:worksheet xmlns:x="{T_MAIN}">
  <x:dimension ref="A1:B3"/>
  <x:sheetData>
    <x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>案件号</x:t></x:is></x:c><x:c r="B1" t="inlineStr"><x:is><x:t>变更</x:t></x:is></x:c></x:row>
    <x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>CSR-1</x:t></x:is></x:c><x:c r="B2"><x:v>2</x:v></x:c></x:row>
  </x:sheetData>
  <x:sheetCalcPr fullCalcOnLoad="1"/>
  <x:autoFilter ref="A1:B2"/>
  <x:mergeCells count="1"><x:mergeCell ref="C1:D1"/></x:mergeCells>
  <x:pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>
</x:worksheet>
"""


def prefixed_book(path: Path) -> Path:
    """An openpyxl workbook whose 变更记录 is hand-made XML: x: prefix, indented, a sheetCalcPr."""
    wb = openpyxl.Workbook()
    wb.active.title = "变更记录"
    wb.active["A1"] = "placeholder"
    wb.save(path)
    replace_member(path, "xl/worksheets/sheet1.xml", lambda _: PREFIXED_SHEET.encode())
    return path


def strict_book(path: Path) -> Path:
    """A Strict Open XML workbook of one sheet, 变更记录, with a merged range."""
    rel = "http://purl.oclc.org/ooxml/officeDocument/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    ct = "http://schemas.openxmlformats.org/package/2006/content-types"
    members = {
        "[Content_Types].xml": f'<Types xmlns="{ct}"><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{S_MAIN}" xmlns:r="{rel}" conformance="strict"><sheets>'
        '<sheet name="变更记录" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
        f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{S_MAIN}" xmlns:r="{rel}"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>案件号</t></is></c></row></sheetData>'
        '<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells></worksheet>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return path


# --- checks --------------------------------------------------------------------------------------


def sheet_part(path: Path, name: str) -> str:
    return XlsxPackage.open(path).sheet(name).part


def assert_schema_order(xml: bytes) -> list[str]:
    """The worksheet's children, asserted to come in CT_Worksheet's order; returns their names."""
    names = [etree.QName(child).localname for child in etree.fromstring(xml) if isinstance(child.tag, str)]
    assert all(name in WORKSHEET_ORDER for name in names), names
    places = [WORKSHEET_ORDER.index(name) for name in names]
    assert places == sorted(places), names
    repeated = {name for name in names if names.count(name) > 1}
    assert repeated <= {"conditionalFormatting"}, names  # the one element here the schema lets repeat
    return names


def assert_only_sheet_changed(before: Path, after: Path, part: str) -> None:
    """Every zip entry but `part` byte-identical: same stored data (CRC, size, method) and content."""
    old, new = parts(before), parts(after)
    assert old.keys() == new.keys()
    assert [n for n in old if old[n] != new[n]] == [part]
    with zipfile.ZipFile(before) as a, zipfile.ZipFile(after) as b:
        stored = {i.filename: (i.CRC, i.compress_size, i.compress_type) for i in a.infolist()}
        assert all(stored[i.filename] == (i.CRC, i.compress_size, i.compress_type)
                   for i in b.infolist() if i.filename != part)


def all_values(path: Path) -> dict[str, list[list[object]]]:
    return {name: calamine_rows(path, name) for name in openpyxl.load_workbook(path).sheetnames}


def protect_copy(source: Path, target: Path, sheet: str) -> XlsxPackage:
    shutil.copy(source, target)
    package = XlsxPackage.open(target)
    patch = package.sheet(sheet)
    assert not patch.protected
    assert patch.protect() is True
    assert patch.protected and patch.changed
    package.save()
    return package


# --- protect() on sheets other programs wrote ----------------------------------------------------


@pytest.mark.parametrize(("make", "sheet"), [(openpyxl_book, "变更记录"), (xlsxwriter_book, "会签记录")])
def test_protect_adds_excels_element_at_its_place_and_changes_nothing_else(tmp_path: Path, make, sheet: str) -> None:
    before = make(tmp_path / "before.xlsx")
    after = tmp_path / "after.xlsx"
    protect_copy(before, after, sheet)
    part = sheet_part(before, sheet)

    ws = openpyxl.load_workbook(after)[sheet]
    assert ws.protection.sheet is True and ws.protection.password is None
    assert ws.protection.objects is True and ws.protection.scenarios is True
    assert ws.protection.autoFilter is True and ws.protection.sort is True  # True: users may not
    assert ws.protection.selectLockedCells is False and ws.protection.selectUnlockedCells is False
    assert all_values(after) == all_values(before)
    assert_only_sheet_changed(before, after, part)

    xml = parts(after)[part]
    assert xml.replace(ADDED, b"", 1) == parts(before)[part]  # only the element was added
    names = assert_schema_order(xml)
    assert names[names.index("sheetData") + 1] == "sheetProtection"
    assert {"autoFilter", "mergeCells", "conditionalFormatting", "dataValidations", "hyperlinks"} <= set(names)


def test_prefixed_sheet_gets_a_prefixed_element_after_sheet_calc_pr(tmp_path: Path) -> None:
    before = prefixed_book(tmp_path / "before.xlsx")
    after = tmp_path / "after.xlsx"
    protect_copy(before, after, "变更记录")
    xml = parts(after)["xl/worksheets/sheet1.xml"]
    assert b'<x:sheetCalcPr fullCalcOnLoad="1"/><x:sheetProtection sheet="1" objects="1" scenarios="1"/>' in xml
    assert xml.replace(ADDED.replace(b"<", b"<x:"), b"", 1) == PREFIXED_SHEET.encode()
    assert assert_schema_order(xml)[1:5] == ["sheetData", "sheetCalcPr", "sheetProtection", "autoFilter"]
    assert openpyxl.load_workbook(after)["变更记录"].protection.sheet is True
    assert calamine_rows(after, "变更记录") == calamine_rows(before, "变更记录")


def test_strict_sheet_is_protected_in_strict_namespace(tmp_path: Path) -> None:
    before = strict_book(tmp_path / "before.xlsx")
    after = tmp_path / "after.xlsx"
    protect_copy(before, after, "变更记录")
    root = etree.fromstring(parts(after)["xl/worksheets/sheet1.xml"])
    protection = root.find(f"{{{S_MAIN}}}sheetProtection")
    assert protection is not None and protection.get("sheet") == "1"
    assert assert_schema_order(parts(after)["xl/worksheets/sheet1.xml"]) == ["sheetData", "sheetProtection",
                                                                             "mergeCells"]
    assert calamine_rows(after, "变更记录") == [["案件号"]]
    assert_only_sheet_changed(before, after, "xl/worksheets/sheet1.xml")


def test_protect_after_a_conditional_format_keeps_both(tmp_path: Path) -> None:
    from xlcsr.ooxml.conditional import CfRule

    path = openpyxl_book(tmp_path / "book.xlsx")
    package = XlsxPackage.open(path)
    patch = package.sheet("变更记录")
    patch.add_conditional([CfRule("A2:E4", '$C2="低"', fill="FFFFEB9C")])
    patch.protect()
    patch.set_value("B5", "CSR-2026-0004")
    package.save()
    ws = openpyxl.load_workbook(path)["变更记录"]
    assert ws.protection.sheet is True and ws["B5"].value == "CSR-2026-0004"
    formulas = [f for rng in ws.conditional_formatting for rule in rng.rules for f in rule.formula]
    assert formulas == ['$C2="高"', '$C2="低"']
    assert_schema_order(parts(path)["xl/worksheets/sheet1.xml"])


# --- a sheet already protected -------------------------------------------------------------------


def password_book(path: Path, *, on: bool = True) -> Path:
    """会签记录 protected with a password by openpyxl; with `on` False, its protection says sheet="0"."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "会签记录"
    for values in ROWS:
        ws.append(values)
    ws.merge_cells("G1:H1")
    ws.protection.password = "部门经理"
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # what the user allowed stays allowed
    wb.save(path)
    if not on:
        replace_member(path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b'sheet="1"', b'sheet="0"', 1))
    return path


def test_a_protected_sheet_keeps_its_password_and_nothing_is_written(tmp_path: Path) -> None:
    path = password_book(tmp_path / "book.xlsx")
    hashed = openpyxl.load_workbook(path)["会签记录"].protection.password
    assert hashed
    before = path.read_bytes()
    package = XlsxPackage.open(path)
    patch = package.sheet("会签记录")
    assert patch.protected
    assert patch.protect() is False
    assert not patch.changed and not package.changed
    assert package.save() is None and path.read_bytes() == before
    assert openpyxl.load_workbook(path)["会签记录"].protection.password == hashed


def test_protection_turned_off_is_turned_on_keeping_its_password_and_options(tmp_path: Path) -> None:
    before = password_book(tmp_path / "before.xlsx", on=False)
    after = tmp_path / "after.xlsx"
    protect_copy(before, after, "会签记录")
    # openpyxl calls any protection with a password on; Excel goes by sheet=
    old, new = openpyxl.load_workbook(before)["会签记录"].protection, openpyxl.load_workbook(after)["会签记录"].protection
    assert new.password == old.password and new.password and new.formatColumns is False
    was, now = (parts(book)["xl/worksheets/sheet1.xml"] for book in (before, after))
    assert b'sheet="0"' in was and now == was.replace(b'sheet="0"', b'sheet="1"', 1)
    assert XlsxPackage.open(after).sheet("会签记录").protected
    assert_only_sheet_changed(before, after, "xl/worksheets/sheet1.xml")


def test_values_written_into_a_protected_sheet_land(tmp_path: Path) -> None:
    path = password_book(tmp_path / "book.xlsx")
    hashed = openpyxl.load_workbook(path)["会签记录"].protection.password
    package = XlsxPackage.open(path)
    patch = package.sheet("会签记录")
    patch.set_value("B5", "CSR-2026-0004")
    patch.set_value("A5", date(2026, 11, 6))
    assert patch.protect() is False and patch.changed
    package.save()
    ws = openpyxl.load_workbook(path)["会签记录"]
    assert ws.protection.sheet is True and ws.protection.password == hashed
    assert ws["B5"].value == "CSR-2026-0004" and ws["A5"].value.date() == date(2026, 11, 6)
    assert calamine_rows(path, "会签记录")[4][:2] == [date(2026, 11, 6), "CSR-2026-0004"]


# --- sheets xlcsr writes whole -------------------------------------------------------------------


def test_put_sheet_protects_a_new_sheet_when_asked(tmp_path: Path) -> None:
    path = openpyxl_book(tmp_path / "book.xlsx")
    package = XlsxPackage.open(path)
    package.put_sheet("会签记录", ROWS, protect=True, links={"B2": "'变更记录'!B2"})
    package.put_sheet("校验结果", [["行", "问题"]])
    package.save()

    wb = openpyxl.load_workbook(path)
    assert wb["会签记录"].protection.sheet is True and wb["会签记录"].protection.password is None
    assert wb["校验结果"].protection.sheet is False
    assert calamine_rows(path, "会签记录") == [[v if v is not None else "" for v in r] for r in ROWS]
    reopened = XlsxPackage.open(path)
    assert reopened.sheet("会签记录").protected and not reopened.sheet("校验结果").protected
    names = assert_schema_order(reopened.read(reopened.sheet("会签记录").part))
    assert names[names.index("sheetData") + 1 :] == ["sheetProtection", "hyperlinks", "pageMargins"]

    reopened.put_sheet("会签记录", ROWS, protect=True, links={"B2": "'变更记录'!B2"})
    assert reopened.save() is None  # the same content, protected the same: nothing to write
    reopened.put_sheet("会签记录", ROWS, links={"B2": "'变更记录'!B2"})
    reopened.save()
    assert openpyxl.load_workbook(path)["会签记录"].protection.sheet is False


# --- LibreOffice ---------------------------------------------------------------------------------


@pytest.mark.soffice
def test_libreoffice_opens_the_protected_sheets_and_keeps_them_protected(tmp_path: Path) -> None:
    needs(shutil.which("soffice") is not None, "LibreOffice (soffice)")
    books = {}
    for make, sheet in [(openpyxl_book, "变更记录"), (xlsxwriter_book, "会签记录"), (prefixed_book, "变更记录")]:
        source = make(tmp_path / f"{make.__name__}-source.xlsx")
        protect_copy(source, tmp_path / f"{make.__name__}.xlsx", sheet)
        books[tmp_path / f"{make.__name__}.xlsx"] = sheet
    owned = openpyxl_book(tmp_path / "owned.xlsx")
    package = XlsxPackage.open(owned)
    package.put_sheet("会签记录", ROWS, protect=True)
    package.save()
    books[owned] = "会签记录"

    out = tmp_path / "lo-out"
    command = ["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
               "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), *map(str, books)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    for book, sheet in books.items():
        converted = out / book.name
        assert converted.is_file(), result.stdout + result.stderr
        assert b"LibreOffice" in parts(converted)["docProps/app.xml"]
        assert openpyxl.load_workbook(converted)[sheet].protection.sheet is True, book.name
        assert calamine_rows(converted, sheet)[1][1] == calamine_rows(book, sheet)[1][1], book.name
