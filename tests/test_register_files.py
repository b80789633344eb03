"""The register on real files: header detection, assign, validate --mark, lossless and safe writes."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from books import GOOD_ROW, HEADERS, calamine_rows, openpyxl_values, parts, row, write_register, write_rich_register

from xlcsr.app import commands
from xlcsr.domain.errors import HeaderNotFound, WorkbookLocked
from xlcsr.files.reader import read_register
from xlcsr.ooxml.package import XlsxPackage

TODAY = date(2026, 11, 25)
HYPERLINK = '=HYPERLINK("http://x","y")'


def codes(report) -> list[tuple[int | None, str | None, str]]:
    return [(i.row, i.field, str(i.code)) for i in report.errors]


# -- reading ----------------------------------------------------------------------------------

def test_header_below_a_merged_title_with_notes_and_blank_rows(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW, [], row(客户名称="长城汽车")],
                          notes=["编制：王芳", "审核：张伟   批准：周建国"])
    register = read_register(book)
    assert register.header_row == 3
    assert [r.number for r in register.rows] == [4, 6]
    assert register.note_rows == [7, 8]
    assert register.columns["customer"].letter == "B"


@pytest.mark.parametrize("headers", [
    ["编号", "顾客", "零件号", "特殊要求", "分类", "要求日期", "优先级", "完成期限", "相关部门", "处理人",
     "状态", "完成日期", "处理备注"],
    ["Case No.", "Customer", "Product", "Requirement", "Category", "Received", "Priority", "Due",
     "Departments", "Owner", "Status", "Closed", "Remarks"],
    ["案件号", " 客户 名称 ", "产品", "要求内容", "要求类别", "识别日期", "优先级", "期限", "执行部门", "负责人",
     "处理状态", "完成日期", "备注"],
])
def test_aliases_and_english_headers_map_to_the_same_fields(tmp_path: Path, headers: list[str]) -> None:
    register = read_register(write_register(tmp_path / "r.xlsx", [GOOD_ROW], headers=headers))
    assert set(register.columns) == {"case_no", "customer", "product", "requirement", "category", "received",
                                     "priority", "due", "departments", "owner", "status", "closed", "remarks"}
    assert register.rows[0].text("customer") == "吉利汽车"


def test_unknown_columns_are_kept_as_extra(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [[*GOOD_ROW, 1]], headers=[*HEADERS, "序号"])
    assert [c.header for c in read_register(book).extra_columns] == ["序号"]


def test_no_header_is_a_clear_error(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [["a", "b", "c"]], headers=["甲", "乙", "丙"])
    with pytest.raises(HeaderNotFound, match="找不到表头.*客户名称"):
        read_register(book)


def test_every_date_form_in_a_real_file(tmp_path: Path) -> None:
    forms = [date(2026, 11, 3), datetime(2026, 11, 3, 0, 0), 46329, "2026-11-03", "2026/11/3", "2026.11.3",
             "2026年11月3日"]
    book = write_register(tmp_path / "r.xlsx", [row(接收日期=form) for form in forms] + [row(接收日期="11/3/26")])
    report = commands.validate_workbook(book, today=TODAY)
    assert codes(report) == [(11, "received", "bad_date")]


def test_a_workbook_without_settings_uses_the_defaults_and_says_so(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [row(负责人="不认识的人")], settings=False)
    report = commands.validate_workbook(book, today=TODAY)
    assert [(i.row, i.field, str(i.code)) for i in report.errors] == [(4, "owner", "unknown_owner")]  # issue 9
    assert sorted({str(w.code) for w in report.warnings}) == ["default_settings", "placeholder_email"]


# -- assign -----------------------------------------------------------------------------------

def test_assign_numbers_fills_due_and_status_and_is_idempotent(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW, row(接收日期=date(2025, 12, 31), 优先级="低"),
                                                 row(客户名称="")])
    result = commands.assign_case_numbers(book, today=TODAY)
    assert result.assignment.numbered == [(4, "CSR-2026-0001"), (5, "CSR-2025-0001")]
    assert result.skipped == [6]
    for values in (calamine_rows(book), None):
        if values is None:
            ws = openpyxl.load_workbook(book)["清单"]
            values = [[c.value for c in r] for r in ws.iter_rows()]
        assert values[3][0] == "CSR-2026-0001" and values[4][0] == "CSR-2025-0001"
        assert values[3][7] in (date(2026, 11, 10), datetime(2026, 11, 10))  # 高: 5 working days
        assert values[3][10] == "待处理"
        assert values[5][0] in ("", None)
    before = book.read_bytes()
    again = commands.assign_case_numbers(book, today=TODAY)
    assert not again.written and book.read_bytes() == before


def test_a_deleted_last_number_is_never_reused(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW, GOOD_ROW])
    commands.assign_case_numbers(book, today=TODAY)
    package = XlsxPackage.open(book)
    sheet = package.sheet("清单")
    for col in "ABCDEFGHIJKLM":
        sheet.set_value(f"{col}5", None)
    sheet.set_value("B6", "长城汽车")
    sheet.set_value("D6", "新要求")
    sheet.set_value("F6", "2026-11-20")
    package.save()
    result = commands.assign_case_numbers(book, today=TODAY)
    assert result.assignment.numbered == [(6, "CSR-2026-0003")]


def test_assign_adds_a_missing_case_number_column(tmp_path: Path) -> None:
    headers = [h for h in HEADERS if h != "案件号"]
    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW[1:]], headers=headers)
    commands.assign_case_numbers(book, today=TODAY)
    values = calamine_rows(book)
    assert values[2][len(headers)] == "案件号" and values[3][len(headers)] == "CSR-2026-0001"


def test_requirement_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW, row(要求描述=HYPERLINK)])
    commands.assign_case_numbers(book, today=TODAY)
    commands.validate_workbook(book, today=TODAY, mark=True)
    cell = openpyxl.load_workbook(book)["清单"]["D5"]
    assert (cell.value, cell.data_type) == (HYPERLINK, "s")
    assert calamine_rows(book)[4][3] == HYPERLINK


# -- validate --mark --------------------------------------------------------------------------

def fill_of(path: Path, ref: str) -> str | None:
    fill = openpyxl.load_workbook(path)["清单"][ref].fill
    return fill.fgColor.rgb if fill.fill_type == "solid" else None


def test_mark_fills_annotates_lists_and_clears_when_fixed(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW, row(接收日期="明天", 类别="安全")])
    wb = openpyxl.load_workbook(book)
    wb["清单"]["E5"].fill = openpyxl.styles.PatternFill("solid", fgColor="FFFFFF00")  # the user's own
    wb.save(book)

    report = commands.validate_workbook(book, today=TODAY, mark=True)
    assert codes(report) == [(5, "category", "bad_choice"), (5, "received", "bad_date")]  # E5, F5
    assert fill_of(book, "F5") == "FFFFC7CE" and fill_of(book, "E5") == "FFFFC7CE"
    ws = openpyxl.load_workbook(book)["清单"]
    assert "不是有效日期" in ws["F5"].comment.text
    result = openpyxl.load_workbook(book)["校验结果"]
    assert [c.value for c in result[1]] == ["行", "单元格", "字段", "代码", "问题说明", "单元格内容"]
    assert [result.cell(r, 2).value for r in (2, 3)] == ["E5", "F5"]
    assert result["B2"].hyperlink.location == "'清单'!E5"

    package = XlsxPackage.open(book)
    package.sheet("清单").set_value("E5", "产品")
    package.sheet("清单").set_value("F5", "2026-11-04")
    package.save()
    report = commands.validate_workbook(book, today=TODAY, mark=True)
    assert report.valid
    assert fill_of(book, "E5") == "FFFFFF00" and fill_of(book, "F5") is None
    assert openpyxl.load_workbook(book)["清单"]["F5"].comment is None
    assert calamine_rows(book, "校验结果")[1][4] == "未发现问题"


# -- lossless and safe ------------------------------------------------------------------------

RICH_ROWS = [GOOD_ROW, row(客户名称="长城汽车", 要求描述=HYPERLINK), row(接收日期="2026-13-01")]
# parts a command may touch: the register sheet, its state and result sheets, and the package index
TOUCHABLE = {"xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
             "[Content_Types].xml"}


@pytest.mark.parametrize("command", ["assign", "mark"])
def test_every_part_a_command_has_no_business_with_stays_byte_identical(tmp_path: Path, command: str) -> None:
    book = write_rich_register(tmp_path / "rich.xlsx", RICH_ROWS)
    before = parts(book)
    if command == "assign":
        commands.assign_case_numbers(book, today=TODAY)
    else:
        commands.validate_workbook(book, today=TODAY, mark=True)
    after = parts(book)
    assert "xl/sharedStrings.xml" in before
    untouched = {name for name in before if name not in TOUCHABLE}
    assert {name for name in untouched if after.get(name) != before[name]} == set()
    new_sheets = {"assign": ["_xlcsr"], "mark": ["校验结果", "_xlcsr"]}[command]
    assert len(set(after) - set(before)) == len(new_sheets)
    assert all(name.startswith("xl/worksheets/sheet") for name in set(after) - set(before))
    assert openpyxl.load_workbook(book).sheetnames == ["清单", "图表", *new_sheets]
    ws = openpyxl.load_workbook(book)["清单"]
    assert ws["B3"].comment.text.startswith("客户名称按合同")  # the user's note, not a mark
    assert openpyxl.load_workbook(book)["_xlcsr"].sheet_state == "veryHidden"


def test_every_other_cell_and_user_objects_survive(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [[*GOOD_ROW, "自定义"], [*row(客户名称="长城汽车"), "保留"]],
                          headers=[*HEADERS, "内部编号"])
    wb = openpyxl.load_workbook(book)
    ws = wb["清单"]
    ws["N4"].fill = openpyxl.styles.PatternFill("solid", fgColor="FF92D050")
    ws["D4"].comment = openpyxl.comments.Comment("客户邮件 2026-11-03", "王芳")
    dv = openpyxl.worksheet.datavalidation.DataValidation(type="list", formula1='"甲,乙"')
    dv.add("N4:N100")
    ws.add_data_validation(dv)
    other = wb.create_sheet("会议纪要")
    other["A1"] = "2026-11 评审会"
    wb.save(book)
    before = openpyxl_values(book)

    commands.assign_case_numbers(book, today=TODAY)
    commands.validate_workbook(book, today=TODAY, mark=True)
    after = openpyxl_values(book)
    changed = {ref for ref in set(before) | set(after) if before.get(ref) != after.get(ref)}
    assert changed == {"A4", "A5", "H4", "H5", "K4", "K5"}
    wb = openpyxl.load_workbook(book)
    assert wb["清单"]["N4"].fill.fgColor.rgb == "FF92D050"
    assert wb["清单"]["D4"].comment.text == "客户邮件 2026-11-03"
    assert [d.sqref for d in wb["清单"].data_validations.dataValidation] == [dv.sqref]
    assert wb["会议纪要"]["A1"].value == "2026-11 评审会"


def test_xlsm_keeps_its_vba_project_byte_identical(tmp_path: Path) -> None:
    vba = b"\xd0\xcf\x11\xe0" + bytes(range(256)) * 16
    book = write_rich_register(tmp_path / "rich.xlsm", [GOOD_ROW], vba=vba)
    before = parts(book)["xl/vbaProject.bin"]
    commands.assign_case_numbers(book, today=TODAY)
    commands.validate_workbook(book, today=TODAY, mark=True)
    assert parts(book)["xl/vbaProject.bin"] == before
    assert calamine_rows(book)[3][0] == "CSR-2026-0001"


def test_a_workbook_open_in_excel_is_never_written(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW])
    (tmp_path / "~$r.xlsx").write_bytes(b"lock")
    before = book.read_bytes()
    with pytest.raises(WorkbookLocked, match="正在 Excel 中打开"):
        commands.assign_case_numbers(book, today=TODAY)
    assert book.read_bytes() == before


def test_a_crash_while_saving_leaves_the_original_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW])
    before = book.read_bytes()

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        commands.assign_case_numbers(book, today=TODAY)
    assert book.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["r.xlsx"]


def test_marks_on_thousands_of_cells_are_remembered_and_cleared(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [row(类别="安全", 优先级="超高")] * 1500)
    report = commands.validate_workbook(book, today=TODAY, mark=True)
    assert len(report.errors) == 3000
    assert fill_of(book, "E1503") == "FFFFC7CE"
    register = read_register(book)
    assert len(register.state["marks"]["cells"]) == 3000
    package = XlsxPackage.open(book)
    for r in range(4, 1504):
        package.sheet("清单").set_value(f"E{r}", "产品")
        package.sheet("清单").set_value(f"G{r}", "中")
    package.save()
    assert commands.validate_workbook(book, today=TODAY, mark=True).valid
    assert fill_of(book, "E1503") is None and fill_of(book, "G4") is None


@pytest.mark.parametrize("command", ["mark", "highlight"])
def test_a_second_run_that_changes_nothing_writes_nothing(tmp_path: Path, command: str) -> None:
    from xlcsr.disk.atomic import backups_of

    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW, row(类别="安全"), row(截止日期=date(2026, 11, 10))])
    run = {"mark": lambda: commands.validate_workbook(book, today=TODAY, mark=True),
           "highlight": lambda: commands.highlight_workbook(book, today=TODAY)}[command]
    run()
    before, backups = book.read_bytes(), backups_of(book)
    run()
    assert book.read_bytes() == before and backups_of(book) == backups


def test_assign_keeps_a_due_date_formula_that_shows_blank_and_numbers_the_rest(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from xlcsr.cli.app import app

    path = write_register(tmp_path / "r.xlsx", [row(), row(客户名称="长城汽车")])
    wb = openpyxl.load_workbook(path)
    wb["清单"]["H5"] = '=IF(G5="低",F5+20,"")'  # a hand-kept list's formula; 高 → shows blank
    wb.save(path)
    result = CliRunner().invoke(app, ["assign", str(path), "--today", "2026-11-25"])
    assert result.exit_code == 0, result.output
    assert "第 5 行的截止日期是公式" in result.output
    ws = openpyxl.load_workbook(path)["清单"]
    assert ws["H5"].value == '=IF(G5="低",F5+20,"")' and ws["A5"].value == "CSR-2026-0002"
    assert ws["K5"].value == "待处理" and ws["H4"].value is not None and ws["A4"].value == "CSR-2026-0001"


@pytest.mark.parametrize("damage", ["{not json", '{"seq:2026": "many"}'])
def test_damaged_state_stops_the_command_instead_of_forgetting_the_high_water_mark(tmp_path: Path,
                                                                                    damage: str) -> None:
    from typer.testing import CliRunner

    from xlcsr.cli.app import app

    path = write_register(tmp_path / "r.xlsx", [row()])
    commands.assign_case_numbers(path, today=date(2026, 11, 25))
    wb = openpyxl.load_workbook(path)
    state = wb["_xlcsr"]
    key_row = next(r for r in range(1, state.max_row + 1) if state.cell(r, 1).value == "high_water")
    state.cell(key_row, 2).value = damage
    wb.save(path)
    before = path.read_bytes()
    result = CliRunner().invoke(app, ["assign", str(path), "--today", "2026-11-25"])
    assert result.exit_code == 2
    assert f"隐藏工作表 _xlcsr 第 {key_row} 行（high_water）已损坏" in result.output
    assert path.read_bytes() == before


def test_a_theme_fill_comes_back_after_another_program_renumbered_the_styles(tmp_path: Path) -> None:
    from openpyxl.styles.colors import Color

    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW, row(类别="安全")])
    wb = openpyxl.load_workbook(book)
    wb["清单"]["E5"].fill = openpyxl.styles.PatternFill("solid", fgColor=Color(theme=4, tint=0.3999755851924192))
    wb["清单"]["B4"].font = openpyxl.styles.Font(bold=True, color="FF0000FF")  # more styles to renumber
    wb.save(book)
    commands.validate_workbook(book, today=TODAY, mark=True)
    assert fill_of(book, "E5") == "FFFFC7CE"
    wb = openpyxl.load_workbook(book)  # re-saved by another program: openpyxl renumbers every style
    wb["清单"]["E5"].value = "产品"
    wb.save(book)
    assert commands.validate_workbook(book, today=TODAY, mark=True).valid
    fill = openpyxl.load_workbook(book)["清单"]["E5"].fill
    assert (fill.fill_type, fill.fgColor.type, fill.fgColor.theme, round(fill.fgColor.tint, 4)) == ("solid", "theme", 4, 0.4)
