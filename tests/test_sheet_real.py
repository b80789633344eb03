"""The patch writer on sheets as other programs write them: rows and cells without r, Excel tables and
autofilters beside the columns xlcsr adds, damaged rows. Read back with python-calamine and openpyxl."""

from __future__ import annotations

import json
import re
import shutil
import warnings
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from books import CORPUS, GOOD_ROW, HEADERS, TODAY, calamine_rows, member, needs, replace_member, row, write_register
from lxml import etree
from openpyxl.utils import range_boundaries
from typer.testing import CliRunner

from xlcsr.cli.app import app
from xlcsr.domain.errors import UnsafeEdit, WorkbookUnreadable
from xlcsr.ooxml.package import XlsxPackage

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
runner = CliRunner()


def run(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def row_numbers(sheet_xml: bytes) -> list[int]:
    """The row numbers of a worksheet as SpreadsheetML defines them (a row without r follows the last)."""
    numbers, last = [], 0
    for el in etree.fromstring(sheet_xml).iter(f"{{{MAIN}}}row"):
        last = int(el.get("r")) if el.get("r") else last + 1
        numbers.append(last)
    return numbers


def load(path: Path) -> openpyxl.Workbook:
    """The workbook as openpyxl loads it, failing on any warning but the extensions openpyxl skips."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", ".*extension is not supported.*")
        return openpyxl.load_workbook(path)


def openpyxl_tables(path: Path, sheet: str) -> list[dict[str, object]]:
    """Each table of `sheet` as openpyxl loads it (no warning allowed), with the header cells under it."""
    ws = load(path)[sheet]
    found = []
    for table in ws.tables.values():
        c1, r1, c2, _ = range_boundaries(table.ref)
        found.append({
            "ref": table.ref,
            "filter": table.autoFilter.ref if table.autoFilter is not None else None,
            "names": [c.name for c in table.tableColumns],
            "ids": [c.id for c in table.tableColumns],
            "headers": [ws.cell(r1, c).value for c in range(c1, c2 + 1)],
        })
    return found


def filter_database(path: Path) -> list[str]:
    root = etree.fromstring(member(path, "xl/workbook.xml"))
    return [el.text for el in root.iter(f"{{{MAIN}}}definedName") if el.get("name") == "_xlnm._FilterDatabase"]


def table_register(path: Path, rows: Sequence[Sequence[object]], *, headers: Sequence[str] = HEADERS,
                   table: bool = True, autofilter: bool = False, total_row: bool = False) -> Path:
    """A register whose header row 3 and data rows are an Excel table (or an autofiltered range)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("清单")
    dates = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.merge_range(0, 0, 0, len(headers) - 1, "顾客特殊要求清单")
    last = 2 + len(rows) + (1 if total_row else 0)
    for r, values in enumerate(rows, start=3):
        for c, value in enumerate(values):
            if isinstance(value, date):
                ws.write_datetime(r, c, value, dates)
            elif value not in (None, ""):
                ws.write(r, c, value)
    if table:
        columns = [{"header": h, **({"total_function": "count"} if total_row and i == 0 else {})}
                   for i, h in enumerate(headers)]
        ws.add_table(2, 0, last, len(headers) - 1, {"columns": columns, "total_row": total_row, "name": "登记表"})
    else:
        ws.write_row(2, 0, headers)
    if autofilter:
        ws.autofilter(2, 0, last, len(headers) - 1)
    wb.close()
    return path


# --- rows and cells without r ---------------------------------------------------------------------

NO_R_SHEET = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<x:worksheet xmlns:x="{MAIN}">
   <x:dimension ref="A1:C8"/>
   <x:sheetData>
      <x:row><x:c t="inlineStr"><x:is><x:t>标题</x:t></x:is></x:c></x:row>
      <x:row><x:c t="inlineStr"><x:is><x:t>a2</x:t></x:is></x:c><x:c/><x:c t="inlineStr"><x:is><x:r><x:t>富</x:t></x:r><x:r><x:rPr><x:b/></x:rPr><x:t>文本</x:t></x:r></x:is></x:c></x:row>
      <x:row/>
      <x:row><x:c><x:v>4</x:v></x:c><x:c><x:f>A4*2</x:f><x:v>8</x:v></x:c></x:row>
      <x:row r="7"><x:c r="B7"><x:v>7</x:v></x:c><x:c><x:v>8</x:v></x:c></x:row>
      <x:row><x:c t="inlineStr"><x:is><x:t>尾</x:t></x:is></x:c></x:row>
   </x:sheetData>
   <x:mergeCells count="1"><x:mergeCell ref="A1:C1"/></x:mergeCells>
   <x:pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>
</x:worksheet>
""".encode()


@pytest.fixture
def no_r_xlsx(tmp_path: Path) -> Path:
    """A workbook whose 清单 is written like hand-made XML: x: prefix, indented, rows and cells without r."""
    path = tmp_path / "无行号.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "清单"
    wb.active["A1"] = "placeholder"
    wb.save(path)
    replace_member(path, "xl/worksheets/sheet1.xml", lambda _: NO_R_SHEET)
    return path


def test_rows_and_cells_without_r_are_found_edited_and_inserted(no_r_xlsx: Path):
    package = XlsxPackage.open(no_r_xlsx)
    sheet = package.sheet("清单")
    assert sheet.formula_refs() == {"B4"} and sheet.value_kind("B4") == "formula" and sheet.value_kind("C7") == "n"
    with pytest.raises(UnsafeEdit, match="B4.*公式"):
        sheet.set_value("B4", 1)
    with pytest.raises(UnsafeEdit, match="B1.*合并"):
        sheet.set_value("B1", "x")
    edits = {"B2": "新", "A3": "第三行", "D4": 5, "A5": "插入", "D7": "七", "A8": "尾改", "A10": "末"}
    for ref, value in edits.items():
        sheet.set_value(ref, value)
    package.save()

    xml = member(no_r_xlsx, "xl/worksheets/sheet1.xml")
    assert row_numbers(xml) == [1, 2, 3, 4, 5, 7, 8, 10]  # no second row 3, 7 or 8
    untouched = b'<x:row><x:c t="inlineStr"><x:is><x:t>\xe6\xa0\x87\xe9\xa2\x98</x:t></x:is></x:c></x:row>'
    assert untouched in xml and xml.startswith(NO_R_SHEET.split(b"<x:dimension")[0])
    assert b'<x:dimension ref="A1:D10"/>' in xml and NO_R_SHEET.split(b"</x:sheetData>")[1] in xml
    assert b'<x:row r="3"><x:c r="A3" t="inlineStr">' in xml  # rewritten rows and cells get r, first
    expected = [
        ["标题", None, None, None],
        ["a2", "新", "富文本", None],
        ["第三行", None, None, None],
        [4, 8, None, 5],
        ["插入", None, None, None],
        [None, None, None, None],
        [None, 7, 8, "七"],
        ["尾改", None, None, None],
        [None, None, None, None],
        ["末", None, None, None],
    ]
    ws = load(no_r_xlsx)["清单"]
    assert [[c.value for c in r] for r in ws.iter_rows(max_col=4)] == [
        [("=A4*2" if v == 8 and i == 3 else v) for v in values] for i, values in enumerate(expected)
    ]
    got = calamine_rows(no_r_xlsx)
    assert [[v if v != "" else None for v in r[:4]] for r in got] == expected
    assert XlsxPackage.open(no_r_xlsx).sheet("清单").formula_refs() == {"B4"}


def strip_r(xml: bytes) -> bytes:
    """The same sheet with r left out wherever SpreadsheetML lets it be (the row or column after the last)."""
    root = etree.fromstring(xml)
    last_row = 0
    for row_el in root.iter(f"{{{MAIN}}}row"):
        number = int(row_el.get("r"))
        if number == last_row + 1:
            del row_el.attrib["r"]
        last_row, last_col = number, 0
        for cell in row_el.iter(f"{{{MAIN}}}c"):
            col = range_boundaries(cell.get("r"))[0]
            if col == last_col + 1:
                del cell.attrib["r"]
            last_col = col
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def test_commands_on_a_register_without_r(tmp_path: Path):
    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW, row(客户名称="长城汽车"), row(客户名称="比亚迪")])
    before = calamine_rows(book)
    replace_member(book, "xl/worksheets/sheet1.xml", strip_r)
    xml = member(book, "xl/worksheets/sheet1.xml")
    assert xml.count(b"<row>") == 4 and xml.count(b"<c>") + xml.count(b"<c t=") > 20
    assert calamine_rows(book) == before

    assert run("assign", book, "--today", TODAY)[0] == 0
    assert run("highlight", book, "--today", TODAY)[0] == 0
    numbers = row_numbers(member(book, "xl/worksheets/sheet1.xml"))
    assert numbers == [1, 3, 4, 5, 6]
    ws = load(book)["清单"]
    assert [ws[f"A{r}"].value for r in (4, 5, 6)] == ["CSR-2026-0001", "CSR-2026-0002", "CSR-2026-0003"]
    assert [ws[f"B{r}"].value for r in (4, 5, 6)] == ["吉利汽车", "长城汽车", "比亚迪"]
    assert ws["N3"].value == "逾期天数" and isinstance(ws["N4"].value, int)
    got = calamine_rows(book)
    assert [r[0] for r in got[3:6]] == ["CSR-2026-0001", "CSR-2026-0002", "CSR-2026-0003"]
    assert [r[1:7] for r in got[3:6]] == [r[1:7] for r in before[3:6]]


# --- Excel tables and autofilters grow with the columns xlcsr adds --------------------------------


def test_highlight_column_joins_the_excel_table_and_a_second_run_keeps_it(tmp_path: Path):
    book = table_register(tmp_path / "表格.xlsx", [GOOD_ROW, row(客户名称="长城汽车"), row(客户名称="比亚迪")])
    assert run("highlight", book, "--today", TODAY)[0] == 0
    (table,) = openpyxl_tables(book, "清单")
    assert table["ref"] == table["filter"] == "A3:N6"
    assert table["names"] == [*HEADERS, "逾期天数"] == table["headers"] and table["ids"] == list(range(1, 15))
    assert b'count="14"' in member(book, "xl/tables/table1.xml")
    assert calamine_rows(book)[2][13] == "逾期天数" and calamine_rows(book)[2][15] == "图例"

    assert run("highlight", book, "--today", TODAY)[0] == 0
    (table,) = openpyxl_tables(book, "清单")
    assert table["ref"] == "A3:N6" and table["names"] == [*HEADERS, "逾期天数"] == table["headers"]


def test_assign_columns_join_the_table_one_after_the_other(tmp_path: Path):
    headers = [h for h in HEADERS if h not in ("截止日期", "处理状态")]
    values = [v for h, v in zip(HEADERS, GOOD_ROW, strict=True) if h not in ("截止日期", "处理状态")]
    book = table_register(tmp_path / "缺列.xlsx", [values, values], headers=headers)
    assert run("assign", book, "--today", TODAY)[0] == 0
    (table,) = openpyxl_tables(book, "清单")
    assert table["ref"] == "A3:M5" and table["names"] == table["headers"]
    assert set(table["names"][-2:]) == {"截止日期", "处理状态"}
    ws = load(book)["清单"]
    status = openpyxl.utils.get_column_letter(table["names"].index("处理状态") + 1)
    assert ws["A4"].value == "CSR-2026-0001" and ws[f"{status}4"].value == ws[f"{status}5"].value == "待处理"


def test_a_taken_name_is_numbered_like_excel_and_the_header_says_so(tmp_path: Path):
    book = table_register(tmp_path / "重名.xlsx", [GOOD_ROW])
    package = XlsxPackage.open(book)
    sheet = package.sheet("清单")
    sheet.set_value("N3", "备注")
    sheet.set_value("N4", "x")
    sheet.set_value("O3", "逾期天数")
    package.save()
    (table,) = openpyxl_tables(book, "清单")
    assert table["ref"] == "A3:O4" and table["names"] == table["headers"] == [*HEADERS, "备注2", "逾期天数"]
    assert calamine_rows(book)[2][13] == "备注2"


def test_only_what_borders_a_table_grows_it(tmp_path: Path):
    book = table_register(tmp_path / "不相邻.xlsx", [GOOD_ROW, GOOD_ROW])
    original = member(book, "xl/tables/table1.xml")
    package = XlsxPackage.open(book)
    sheet = package.sheet("清单")
    sheet.set_value("O3", "隔一列")  # column N stays empty between
    sheet.set_value("O4", 1)
    sheet.set_value("A7", "下面隔一行")  # row 6 stays empty between
    sheet.set_value("N8", 3)  # a value with no header in the header row
    package.save()
    assert member(book, "xl/tables/table1.xml") == original
    assert openpyxl_tables(book, "清单")[0]["ref"] == "A3:M5"


def test_a_row_written_under_a_table_joins_it_unless_it_ends_in_totals(tmp_path: Path):
    book = table_register(tmp_path / "行.xlsx", [GOOD_ROW, GOOD_ROW])
    package = XlsxPackage.open(book)
    package.sheet("清单").set_value("B6", "长城汽车")
    package.sheet("清单").set_value("B7", "比亚迪")
    package.save()
    assert openpyxl_tables(book, "清单")[0]["ref"] == "A3:M7"

    totals = table_register(tmp_path / "合计.xlsx", [GOOD_ROW, GOOD_ROW], total_row=True)
    before = member(totals, "xl/tables/table1.xml")
    package = XlsxPackage.open(totals)
    package.sheet("清单").set_value("B7", "长城汽车")
    package.save()
    assert member(totals, "xl/tables/table1.xml") == before


def test_a_header_already_beside_the_table_joins_it_when_xlcsr_writes_its_column(tmp_path: Path):
    """An earlier xlcsr left 逾期天数 outside the table, and Excel made it a shared string: the next
    write into the column takes it into the table, named after that header."""
    book = table_register(tmp_path / "旧.xlsx", [GOOD_ROW, GOOD_ROW])
    index = member(book, "xl/sharedStrings.xml").count(b"<si>")
    replace_member(book, "xl/sharedStrings.xml", lambda x: x.replace(b"</sst>", "<si><t>逾期天数</t></si></sst>".encode()))
    replace_member(book, "xl/worksheets/sheet1.xml", lambda x: re.sub(
        rb'(<row r="3".*?)</row>', rb'\1<c r="N3" t="s"><v>%d</v></c></row>' % index, x, count=1, flags=re.S))
    assert calamine_rows(book)[2][13] == "逾期天数" and openpyxl_tables(book, "清单")[0]["ref"] == "A3:M5"
    package = XlsxPackage.open(book)
    package.sheet("清单").set_value("N4", 12)
    package.save()
    (table,) = openpyxl_tables(book, "清单")
    assert table["ref"] == "A3:N5" and table["names"] == table["headers"] == [*HEADERS, "逾期天数"]


def test_a_table_does_not_grow_into_another(tmp_path: Path):
    import xlsxwriter

    path = tmp_path / "两表.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("清单")
    ws.add_table("A1:B3", {"columns": [{"header": "甲"}, {"header": "乙"}], "name": "左"})
    ws.add_table("C2:D3", {"columns": [{"header": "丙"}, {"header": "丁"}], "name": "右"})
    wb.close()
    package = XlsxPackage.open(path)
    sheet = package.sheet("清单")
    sheet.set_value("C1", "标题")  # right of 左's header, but column C below it belongs to 右
    sheet.set_value("C3", "v")
    sheet.set_value("C4", "w")  # under 右: 右 grows down
    package.save()
    assert sorted(t["ref"] for t in openpyxl_tables(path, "清单")) == ["A1:B3", "C2:D4"]


def test_autofilter_and_its_filter_database_name_grow(tmp_path: Path):
    book = table_register(tmp_path / "筛选.xlsx", [GOOD_ROW, row(客户名称="长城汽车")], table=False, autofilter=True)
    assert filter_database(book) == ["'清单'!$A$3:$M$5"] or filter_database(book) == ["清单!$A$3:$M$5"]
    prefix = filter_database(book)[0].split("!")[0]
    assert run("highlight", book, "--today", TODAY)[0] == 0
    ws = load(book)["清单"]
    assert ws.auto_filter.ref == "A3:N5" and ws["N3"].value == "逾期天数"
    assert filter_database(book) == [f"{prefix}!$A$3:$N$5"]

    package = XlsxPackage.open(book)
    sheet = package.sheet("清单")
    sheet.set_value("B6", "比亚迪")
    assert sheet.auto_filter() == "A3:N6"


# --- damaged rows ---------------------------------------------------------------------------------


@pytest.mark.parametrize("damage, row_no", [
    (lambda xml: xml.replace(b'<c r="B5"', b'<c r="B5" r="B5"', 1), 5),
    (lambda xml: xml.replace(b'<c r="B5"', b'<c y:note="1" r="B5"', 1), 5),
    (lambda xml: xml.replace(b'<row r="6"', b'<row r="4"', 1), 6),
    (lambda xml: xml.replace(b'<c r="B5"', b'<c r="B9"', 1), 5),
], ids=["attribute twice", "undeclared prefix", "rows out of order", "cell of another row"])
def test_a_damaged_row_is_refused_clearly_and_nothing_is_written(tmp_path: Path, damage, row_no: int):
    book = write_register(tmp_path / "坏行.xlsx", [GOOD_ROW, row(客户名称="长城汽车"), row(客户名称="比亚迪")])
    replace_member(book, "xl/worksheets/sheet1.xml", damage)
    before = book.read_bytes()
    package = XlsxPackage.open(book)
    with pytest.raises(WorkbookUnreadable) as caught:
        sheet = package.sheet("清单")
        sheet.set_value("A5", "CSR-2026-0002")
        sheet.set_value("A4", "CSR-2026-0001")
        package.save()
    message = str(caught.value)
    zh, en = message.split(" / ")
    assert "\n" not in message and "坏行.xlsx" in zh and "「清单」" in zh and f"第 {row_no} 行" in zh
    assert "坏行.xlsx" in en and "'清单'" in en and f"row {row_no}" in en
    assert book.read_bytes() == before and not (tmp_path / ".xlcsr-backup").exists()


def test_a_damaged_row_stops_the_command_with_one_line(tmp_path: Path):
    book = write_register(tmp_path / "坏行.xlsx", [GOOD_ROW, row(客户名称="长城汽车")])
    replace_member(book, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b'<c r="B5"', b'<c r="B5" r="B5"', 1))
    before = book.read_bytes()
    for command in ("assign", "highlight"):
        code, out = run(command, book, "--today", TODAY)
        assert code == 2 and "Traceback" not in out and "XMLSyntaxError" not in out
        line = out.strip()
        assert "\n" not in line and "坏行.xlsx" in line and "第 5 行" in line and "row 5" in line and " / " in line
    assert book.read_bytes() == before


# --- the shared corpus ----------------------------------------------------------------------------


def corpus() -> Path:
    needs((CORPUS / "expect.json").is_file(), f"the shared corpus {CORPUS}")
    return CORPUS


TABLES = ["09-excel-tables-hidden.xlsx", "11-excel-inventory-table.xlsx", "39-lo73-plain.xlsx"]
FILTERS = ["13-excel-autofilter-frozen.xlsx", "19-excel-trash-item.xlsx", "51-mac-autofilter.xlsx"]


def register_sheet(path: Path) -> str:
    return json.loads((corpus() / "expect.json").read_text(encoding="utf-8"))[path.name]["sheet"]


@pytest.mark.parametrize("name", TABLES + FILTERS)
def test_corpus_tables_and_filters_take_the_new_column_along(tmp_path: Path, name: str):
    book = tmp_path / name
    shutil.copy(corpus() / name, book)
    assert run("highlight", book, "--today", TODAY)[0] == 1  # planted errors
    sheet = register_sheet(book)
    headers = calamine_rows(book, sheet)[2]
    last = max(i for i, h in enumerate(headers) if h == "逾期天数") + 1
    letter = openpyxl.utils.get_column_letter(last)
    if name in TABLES:
        (table,) = openpyxl_tables(book, sheet)
        assert table["ref"] == table["filter"] == f"A3:{letter}29"
        assert table["names"] == table["headers"] and table["names"][-1] == "逾期天数"
        assert len(set(table["ids"])) == len(table["ids"])
    else:
        ws = load(book)[sheet]
        assert ws.auto_filter.ref == f"A3:{letter}29"
        assert f"!$A$3:${letter}$29" in " ".join(filter_database(book))
    assert run("assign", book, "--today", TODAY)[0] == 1
    assert run("highlight", book, "--today", TODAY)[0] == 1
    assert calamine_rows(book, sheet)[2].count("逾期天数") == 1


def test_corpus_register_without_r_keeps_every_cell_it_did_not_write(tmp_path: Path):
    name = "37-inline-noR-prefixed.xlsx"
    book = tmp_path / name
    shutil.copy(corpus() / name, book)
    before = calamine_rows(book)
    assert run("assign", book, "--today", TODAY)[0] == 1
    assert run("highlight", book, "--today", TODAY)[0] == 1
    after = calamine_rows(book)
    numbers = row_numbers(member(book, "xl/worksheets/sheet1.xml"))
    assert numbers == sorted(set(numbers)) and numbers[-1] == 31
    written = {0, 8, 11}  # 案件号, 截止日期, 处理状态 (assign); highlight writes from column P on
    for r, (old, new) in enumerate(zip(before, after, strict=True), start=1):
        kept = [c for c in range(len(old)) if c not in written or r < 4]
        assert [old[c] for c in kept] == [new[c] for c in kept], r
    assert after[4][0] == "CSR-2026-0003" and after[2][15] == "逾期天数"
    assert XlsxPackage.open(book).sheet("清单").formula_refs() == {"D25", "I27"}


@pytest.mark.soffice
@pytest.mark.parametrize("name", [*TABLES, *FILTERS, "37-inline-noR-prefixed.xlsx"])
def test_libreoffice_opens_the_corpus_after_assign_and_highlight(tmp_path: Path, name: str, to_pdf) -> None:
    book = tmp_path / name
    shutil.copy(corpus() / name, book)
    run("highlight", book, "--today", TODAY)
    run("assign", book, "--today", TODAY)
    assert to_pdf(book).stat().st_size > 1000
