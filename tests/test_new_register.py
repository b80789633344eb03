"""A new register written in one stream (`new_books.DataRows`): every cell styled as openpyxl styles it cell
by cell, text as shared strings, the sheet as calamine reads it back known without reading it; an import of
a list beyond the template's 1,000 formatted rows that validate, assign and highlight then read and edit.
"""

from __future__ import annotations

import csv
import re
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from typer.testing import CliRunner

from xlcsr.app.import_legacy import Row, import_legacy, map_value, plan_import
from xlcsr.cli.app import app
from xlcsr.domain.fields import FIELDS
from xlcsr.domain.settings import DEFAULT_SETTINGS
from xlcsr.domain.vocab import DATE_FORMAT, DATETIME_FORMAT
from xlcsr.files.legacy import open_legacy
from xlcsr.files.new_books import LAST_DATA_ROW, make_register, new_register
from xlcsr.files.reader import FileSource, read_register
from xlcsr.rules.validate import validate_register
from xlcsr.workbook.locate import find_register

TODAY = "2026-11-25"
COL = {f.key: openpyxl.utils.get_column_letter(i) for i, f in enumerate(FIELDS, start=1)}
EXTRA = [openpyxl.utils.get_column_letter(len(FIELDS) + i) for i in (1, 2)]  # 甲, 乙
ROWS = 1100  # beyond the 1,000 formatted rows (4–1003)


def records(n: int) -> tuple[list[dict[str, object]], list[list[object]]]:
    """`n` rows: dates, date text kept as written, numbers, text that looks like a formula or a number."""
    rows, extras = [], []
    for i in range(n):
        rows.append({"customer": f"客户{i % 7}", "requirement": f"要求 {i} & <说明>", "product": ["007", "=SUM(A1)", 815][i % 3],
                     "received": date(2026, 11, 3) if i % 2 else "下周", "remarks": " 前后有空格 " if i % 5 == 0 else None,
                     "revision": i % 3 or None})
        extras.append([datetime(2026, 11, 3, 8, 30) if i % 2 else datetime(2026, 11, 3), "行\r\n二" if i % 4 else None])
    return rows, extras


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows, extras = records(ROWS)
    return make_register(tmp_path_factory.mktemp("big") / "new.xlsx", rows=rows, extra_headers=["甲", "乙"],
                         extra_rows=extras)


def test_every_data_cell_is_bordered_and_formatted_as_its_column_and_row_say(big: Path) -> None:
    ws = openpyxl.load_workbook(big)["清单"]
    assert ws.max_row == 3 + ROWS and ws.max_column == len(FIELDS) + 2
    for r in (4, 500, LAST_DATA_ROW, LAST_DATA_ROW + 1, 3 + ROWS):
        assert all(ws.cell(r, c).border.left.style == "thin" for c in range(1, len(FIELDS) + 3)), r
    for r in (4, 5, LAST_DATA_ROW):  # the data area: date columns dated (text too), long text wrapped
        assert {ws[f"{COL[k]}{r}"].number_format for k in ("received", "due", "closed")} == {DATE_FORMAT}
        assert ws[f"{COL['requirement']}{r}"].alignment.wrap_text and ws[f"{COL['remarks']}{r}"].alignment.wrap_text
    below = LAST_DATA_ROW + 2  # an odd row: a date
    assert ws[f"{COL['received']}{below}"].number_format == DATE_FORMAT and ws[f"{COL['received']}{below}"].is_date
    assert ws[f"{COL['received']}{below + 1}"].number_format == "General"  # 下周, kept as text
    assert ws[f"{COL['due']}{below}"].number_format == "General" and not ws[f"{COL['requirement']}{below}"].alignment.wrap_text
    assert ws[f"{EXTRA[0]}{below}"].number_format == DATETIME_FORMAT  # a time of day
    assert ws[f"{EXTRA[0]}{below + 1}"].number_format == DATE_FORMAT  # midnight
    assert ws[f"{EXTRA[0]}{below}"].value == datetime(2026, 11, 3, 8, 30)


def test_text_stays_text_and_is_shared_once(big: Path) -> None:
    ws = openpyxl.load_workbook(big)["清单"]
    product = [ws[f"{COL['product']}{r}"] for r in (4, 5, 6)]
    assert [(c.value, c.data_type) for c in product] == [("007", "s"), ("=SUM(A1)", "s"), (815, "n")]
    assert ws[f"{COL['remarks']}4"].value == " 前后有空格 " and ws[f"{EXTRA[1]}5"].value == "行\r\n二"
    assert ws[f"{COL['requirement']}4"].value == "要求 0 & <说明>"
    with zipfile.ZipFile(big) as package:
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
        shared = package.read("xl/sharedStrings.xml").decode()
        assert "sharedStrings.xml" in package.read("xl/_rels/workbook.xml.rels").decode()
        assert "/xl/sharedStrings.xml" in package.read("[Content_Types].xml").decode()
    assert 'inlineStr' not in sheet[sheet.index('<row r="4"'):]  # the title and header rows are openpyxl's
    assert shared.count("<t>客户3</t>") == 1 and '<dimension ref="A1:T1103"/>' in sheet
    rows = python_calamine.CalamineWorkbook.from_path(str(big)).get_sheet_by_name("清单").to_python()
    assert len(rows) == 3 + ROWS and rows[3][1] == "客户0" and rows[4][len(FIELDS) + 1] == "行\r\n二"


def test_the_rows_below_the_data_keep_the_templates_formats(tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(make_register(tmp_path / "few.xlsx", rows=records(5)[0]))["清单"]
    empty = LAST_DATA_ROW
    assert ws[f"{COL['received']}{empty}"].number_format == DATE_FORMAT
    assert ws[f"{COL['requirement']}{empty}"].alignment.wrap_text
    assert ws[f"{COL['received']}{empty}"].border.left.style is None and (1, empty) not in ws._cells


@pytest.mark.parametrize("odd", [None, datetime(2026, 1, 2, 3, 4), time(8, 30), True, date(1900, 1, 5), "长" * 40000],
                         ids=["plain", "datetime", "time", "bool", "1900", "long-text"])
def test_the_new_register_is_what_a_reader_reads_back(tmp_path: Path, odd: object) -> None:
    rows, extras = records(40)
    extras = [[date(2026, 11, 3), text] for _, text in extras]
    rows[7]["remarks"] = 12345678901234567  # as many digits as a cell keeps
    if odd is not None:
        extras[3][1] = odd
    path = tmp_path / "new.xlsx"
    written = new_register(path, DEFAULT_SETTINGS, rows, extra_headers=["甲", "乙"], extra_rows=extras)
    read = FileSource(path).values("清单")
    assert written.values("清单") == read
    assert (written._cells is None) == (odd is not None)  # not certain: 清单 is read from the file after all
    ours, theirs = find_register(written), read_register(path)
    assert [(r.number, r.texts) for r in ours.rows] == [(r.number, r.texts) for r in theirs.rows]
    today = date(2026, 11, 25)
    assert validate_register(ours, today=today)[0] == validate_register(theirs, today=today)[0]


def test_a_list_beyond_the_formatted_rows_imports_into_a_register_the_other_commands_edit(tmp_path: Path) -> None:
    source = tmp_path / "旧清单.csv"
    with source.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["客户", "特殊要求", "识别日期", "状态", "优先级", "客户代码"])
        for i in range(ROWS):
            writer.writerow([f"客户{i % 9}", f"要求 {i}", f"2026-{i % 12 + 1:02d}-03", ["进行中", "已完成", "暂缓"][i % 3],
                             ["High", "低"][i % 2], f"{i:05d}"])
    out = tmp_path / "new.xlsx"
    runner = CliRunner()
    done = runner.invoke(app, ["import", str(source), "--out", str(out), "--today", TODAY])
    assert done.exit_code == 1, done.output  # 暂缓 is no status
    assert f"{ROWS} 行" in done.output and f"{ROWS // 3} 行" in done.output
    validated = runner.invoke(app, ["validate", str(out), "--json", "--today", TODAY])
    assert validated.exit_code == 1 and f'"rows": {ROWS}' in validated.output
    for command in ("assign", "highlight"):
        edited = runner.invoke(app, [command, str(out), "--today", TODAY])
        assert edited.exit_code in (0, 1), (command, edited.output)
    ws = openpyxl.load_workbook(out)["清单"]
    assert ws["A4"].value and re.fullmatch(r"CSR-2026-\d{4}", ws["A4"].value)  # assign numbered the rows
    assert ws["S3"].value == "客户代码" and ws["S4"].value == "00000" and ws["S4"].data_type == "s"


def test_an_xlsx_list_is_read_once() -> None:
    xlsx = Path(__file__).resolve().parents[1] / "workbooks" / "顾客特殊要求清单.xlsx"
    source = open_legacy(xlsx)
    assert source.values("清单") is source.values("清单") and source.merged("清单") == source.merged("清单")
    assert list(source.rows("清单")) == source.values("清单")


def test_each_word_is_mapped_once_but_true_one_and_one_point_o_stay_apart() -> None:
    rows = [["客户", "特殊要求", "接收日期", "状态", "版本号"],
            *[["A", "B", "2026-11-03", v, v] for v in (True, 1, 1.0, "1", "进行中", "进行中")]]

    class Values:
        label = "mem.xlsx"

        def sheet_names(self) -> list[str]:
            return ["Sheet1"]

        def values(self, sheet: str) -> list[list[object]]:
            return rows

        def formulas(self, sheet: str) -> set[str]:
            return set()

        def date1904(self) -> bool:
            return False


        def modified_by(self) -> str:

            return ""

    plan = plan_import(find_register(Values()), rows)
    assert [(r["status"], r["revision"]) for r in plan.rows] == [
        (map_value("status", v, DEFAULT_SETTINGS)[0], map_value("revision", v, DEFAULT_SETTINGS)[0])
        for v in (True, 1, 1.0, "1", "进行中", "进行中")]
    assert [type(r["status"]) for r in plan.rows[:3]] == [bool, int, float]
    assert plan.translated[("status", "进行中", "处理中")] == 2 and len(plan.problems) == 4


def test_the_plans_rows_are_packed_once_written_and_read_as_before(tmp_path: Path) -> None:
    source = tmp_path / "旧清单.csv"
    source.write_text("客户,特殊要求,识别日期,状态\n比亚迪,PPAP,2026-11-03,进行中\n吉利汽车,包装,,\n", encoding="utf-8")
    result = import_legacy(source, tmp_path / "new.xlsx", today=date(2026, 11, 25))
    assert result.plan.rows == [
        {"customer": "比亚迪", "requirement": "PPAP", "received": date(2026, 11, 3), "status": "处理中"},
        {"customer": "吉利汽车", "requirement": "包装", "received": None, "status": None}]
    row = result.plan.rows[0]
    assert isinstance(row, Row) and row["status"] == "处理中" and row.get("owner") is None and len(row) == 4
    with pytest.raises(KeyError):
        row["owner"]
