"""xlcsr highlight: live colour rules, the legend and the 逾期天数 column, on real files and in Excel."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from books import GOOD_ROW, HEADERS, calamine_rows, openpyxl_values, parts, row, write_register, write_rich_register
from fake_excel import FakeExcel, shift_rows
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from typer.testing import CliRunner

from xlcsr.app import commands
from xlcsr.cli.app import app
from xlcsr.excel import dispatch
from xlcsr.excel.live_book import LiveBook
from xlcsr.files.reader import read_register
from xlcsr.rules.highlight import LOOKS, plan_highlight, rule_signature
from xlcsr.rules.validate import validate_register
from xlcsr.workbook.settings_sheet import date_list_refs

TODAY = date(2026, 11, 25)  # a Wednesday
ROWS = [
    row(截止日期=date(2026, 11, 20)),  # 4: due last Friday → 3 working days overdue
    row(截止日期=date(2026, 11, 27)),  # 5: due Friday → due soon
    row(截止日期=date(2026, 11, 20), 处理状态="已完成", 完成日期=date(2026, 11, 10)),  # 6: closed
    row(优先级="低"),  # 7: due by SLA on 2026-12-01 → neither
    row(客户名称="", 截止日期=date(2026, 11, 1)),  # 8: invalid, skipped
    GOOD_ROW,  # 9: due by SLA (高, 5 days) on 2026-11-10 → 11 working days overdue
]
DONE = 'OR($K4="已完成",$K4="已取消",$K4="Done",$K4="Cancelled")'
OVERDUE = "IF(ISNUMBER($H4),$H4<TODAY(),N($N4)>0)"
SOON = ('AND(ISNUMBER($H4),$H4>=TODAY(),NETWORKDAYS(TODAY()+1,$H4,xlcsr_节假日)'
        '+COUNTIFS(xlcsr_调休上班日,">"&TODAY(),xlcsr_调休上班日,"<="&$H4)<=3)')
USER_FILL = "FF00B0F0"


def rules(path: Path, sheet: str = "清单") -> list[tuple[str, str, int, str | None, bool]]:
    """(sqref, formula or type, priority, fill, stopIfTrue) of every rule, by priority."""
    ws = openpyxl.load_workbook(path)[sheet]
    found = []
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            fill = rule.dxf.fill.bgColor.rgb if rule.dxf is not None and rule.dxf.fill is not None else None
            found.append((str(cf.sqref), rule.formula[0] if rule.formula else rule.type, rule.priority,
                          fill, bool(rule.stopIfTrue)))
    return sorted(found, key=lambda r: r[2])


def ours(found: list[tuple[str, str, int, str | None, bool]]) -> list[tuple[str, str, str | None, bool]]:
    xlcsr_fills = {look.fill for look in LOOKS.values()}
    return [(sqref, formula, fill, stop) for sqref, formula, _, fill, stop in found if fill in xlcsr_fills]


def with_user_rule(path: Path) -> Path:
    wb = openpyxl.load_workbook(path)
    rule = FormulaRule(formula=['$G4="高"'], fill=PatternFill("solid", bgColor=USER_FILL))
    wb["清单"].conditional_formatting.add("G4:G200", rule)
    wb.save(path)
    return path


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return write_register(tmp_path / "r.xlsx", ROWS)


# -- the plan (no files written) ----------------------------------------------------------------

def test_without_sign_off_data_there_is_no_review_rule(book: Path) -> None:
    register = read_register(book)
    _, records = validate_register(register, today=TODAY)
    plan = plan_highlight(register, records, TODAY)
    assert [r.key for r in plan.rules] == ["done", "overdue", "due_soon"]
    assert (plan.overdue, plan.due_soon, plan.review_late) == (2, 1, 0)
    assert "评审逾期" not in [text for text, _ in plan.legend.values()]


class Waiting:
    """Sign-off data: the cases still waiting on a department."""

    def __init__(self, cases: dict[str, tuple[str, ...]]):
        self.cases = cases

    def unsigned(self, case_no: str) -> tuple[str, ...]:
        return self.cases.get(case_no, ())


def test_sign_off_data_adds_a_purple_rule_over_the_rows_still_waiting(tmp_path: Path) -> None:
    rows = [row(案件号=f"CSR-2026-{n:04d}", 接收日期=date(2026, 10, 9), 截止日期=date(2026, 12, 31))
            for n in range(1, 6)]
    book = write_register(tmp_path / "r.xlsx", rows)
    review = Waiting({"CSR-2026-0001": ("技术部",), "CSR-2026-0003": ("品质部",), "CSR-2026-0004": ("品质部",)})
    result = commands.highlight_workbook(book, today=TODAY, review=review)
    purple = [r for r in result.plan.rules if r.key == "review_late"]
    assert [(r.sqref, r.formula) for r in purple] == [(
        "A4:N4 A6:N7",
        'AND(ISNUMBER($F4),NETWORKDAYS($F4+1,TODAY(),xlcsr_节假日)'
        '+COUNTIFS(xlcsr_调休上班日,">"&$F4,xlcsr_调休上班日,"<="&TODAY())>10)')]
    assert result.plan.review_late == 3
    assert ("A4:N4 A6:N7", purple[0].formula, LOOKS["review_late"].fill, False) in ours(rules(book))
    assert calamine_rows(book)[2][-2:] == ["评审逾期", "已完成或已取消"]


def test_the_date_lists_are_found_wherever_the_user_moved_them() -> None:
    rows = [["设置"], [], ["", "", "【调休上班日】"], ["", "", "日期", "说明"], ["", "", date(2026, 10, 10)],
            [], ["", "", "备注：以国务院通知为准"], [], ["【节假日】"], ["日期"], [date(2026, 10, 1)]]
    assert date_list_refs(rows) == {"xlcsr_节假日": "设置!$A$11:$A$200", "xlcsr_调休上班日": "设置!$C$5:$C$6"}


def test_a_signature_survives_excel_moving_the_rule() -> None:
    moved = "=" + shift_rows(SOON, 7).replace("$H", "$I")
    assert rule_signature(moved) == rule_signature(SOON) != rule_signature(OVERDUE)
    assert rule_signature(SOON.replace("<=3", "<=5")) != rule_signature(SOON)


# -- the file front -----------------------------------------------------------------------------

def test_rules_have_the_right_formulas_colours_and_range(book: Path) -> None:
    result = commands.highlight_workbook(book, today=TODAY)
    assert (result.overdue, result.due_soon, result.skipped) == (2, 1, [8])
    area = "A4:N1009"  # every register column and the new 逾期天数 (N), 1000 rows below the last
    assert rules(book) == [
        (area, DONE, 1, LOOKS["done"].fill, True),
        (area, OVERDUE, 2, LOOKS["overdue"].fill, False),
        (area, SOON, 3, LOOKS["due_soon"].fill, False),
    ]
    wb = openpyxl.load_workbook(book)
    assert wb.defined_names["xlcsr_节假日"].attr_text == "设置!$R$4:$R$200"
    assert wb.defined_names["xlcsr_调休上班日"].attr_text == "设置!$U$4:$U$200"


def test_the_days_overdue_column_for_a_fixed_today(book: Path) -> None:
    commands.highlight_workbook(book, today=TODAY)
    rows = calamine_rows(book)
    assert rows[2][13] == "逾期天数"
    assert [r[13] for r in rows[3:9]] == [3, "", "", "", "", 11]
    commands.highlight_workbook(book, today=date(2026, 11, 30))  # the nightly refresh
    assert [r[13] for r in calamine_rows(book)[3:9]] == [6, 1, "", "", "", 14]


def test_days_overdue_count_a_make_up_saturday(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [row(接收日期=date(2026, 9, 28), 截止日期=date(2026, 10, 9))])
    commands.highlight_workbook(book, today=date(2026, 10, 12))  # Saturday 10-10 is a 调休 working day
    assert calamine_rows(book)[3][13] == 2


def test_the_legend_stands_beside_the_header(book: Path) -> None:
    commands.highlight_workbook(book, today=TODAY)
    ws = openpyxl.load_workbook(book)["清单"]
    assert [ws.cell(3, c).value for c in range(15, 20)] == [None, "图例", "逾期", "即将到期", "已完成或已取消"]
    assert [ws.cell(3, c).fill.fgColor.rgb for c in range(17, 20)] == [
        LOOKS["overdue"].fill, LOOKS["due_soon"].fill, LOOKS["done"].fill]
    assert ws["P3"].font.b


def test_rerunning_keeps_one_set_of_rules_one_column_and_one_legend(book: Path) -> None:
    commands.highlight_workbook(book, today=TODAY)
    first = calamine_rows(book)
    for _ in range(2):
        commands.highlight_workbook(book, today=TODAY)
    assert len(rules(book)) == 3
    assert calamine_rows(book) == first
    assert openpyxl.load_workbook(book)["清单"].max_column == 19


def test_the_legend_moves_without_leftovers_when_the_user_adds_a_column(book: Path) -> None:
    commands.highlight_workbook(book, today=TODAY)
    wb = openpyxl.load_workbook(book)
    wb["清单"]["O3"] = "跟进人"  # typed into the gap beside 逾期天数
    wb.save(book)
    commands.highlight_workbook(book, today=TODAY)
    ws = openpyxl.load_workbook(book)["清单"]
    assert [ws.cell(3, c).value for c in range(14, 21)] == [
        "逾期天数", "跟进人", None, "图例", "逾期", "即将到期", "已完成或已取消"]
    assert ws["P3"].fill.fill_type is None and not ws["P3"].font.b
    assert ws["R3"].fill.fgColor.rgb == LOOKS["overdue"].fill and len(rules(book)) == 3
    assert rules(book)[0][0] == "A4:O1009"


def test_without_due_and_status_columns_red_comes_from_the_days_overdue(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [["吉利汽车", "PPAP", date(2026, 11, 3), "高"]],
                          headers=["客户名称", "要求描述", "接收日期", "优先级"])
    result = commands.highlight_workbook(book, today=TODAY)
    assert [(r.key, r.formula) for r in result.plan.rules] == [("overdue", "N($E4)>0")]
    assert calamine_rows(book)[3][4] == 11


def test_a_users_rule_stays_unchanged_after_two_runs(book: Path) -> None:
    with_user_rule(book)
    user = rules(book)
    for _ in range(2):
        commands.highlight_workbook(book, today=TODAY)
    found = rules(book)
    assert found[0] == user[0] == ("G4:G200", '$G4="高"', 1, USER_FILL, False)
    assert [(f, p) for _, f, p, _, _ in found[1:]] == [(DONE, 2), (OVERDUE, 3), (SOON, 4)]


def test_rules_excel_moved_or_split_are_still_replaced(book: Path) -> None:
    commands.highlight_workbook(book, today=TODAY)
    wb = openpyxl.load_workbook(book)
    ws = wb["清单"]
    split = openpyxl.formatting.formatting.ConditionalFormattingList()
    for cf in ws.conditional_formatting:  # as Excel leaves them after rows were inserted at row 10
        for rule in cf.rules:
            split.add("A4:N9", rule)
            moved = FormulaRule(formula=[shift_rows(rule.formula[0], 8)], stopIfTrue=rule.stopIfTrue)
            moved.dxf = rule.dxf
            split.add("A12:N1011", moved)
    ws.conditional_formatting = split
    wb.save(book)
    with_user_rule(book)
    assert len(rules(book)) == 7
    commands.highlight_workbook(book, today=TODAY)
    assert [f for _, f, _, _, _ in rules(book)] == ['$G4="高"', DONE, OVERDUE, SOON]


def test_rules_survive_an_openpyxl_save_and_reload(book: Path) -> None:
    commands.highlight_workbook(book, today=TODAY)
    before = rules(book)
    openpyxl.load_workbook(book).save(book)
    assert rules(book) == before


def test_rules_survive_libreoffice(book: Path, to_pdf, tmp_path: Path) -> None:
    with_user_rule(book)
    commands.highlight_workbook(book, today=TODAY)
    assert to_pdf(book).stat().st_size > 0
    out = tmp_path / "lo-xlsx"
    command = ["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
               "--convert-to", "xlsx", "--outdir", str(out), str(book)]
    subprocess.run(command, capture_output=True, timeout=180, check=True)
    found = rules(out / book.name)
    assert [(f, fill) for _, f, _, fill, _ in found] == [
        ('$G4="高"', USER_FILL), (DONE, LOOKS["done"].fill), (OVERDUE, LOOKS["overdue"].fill),
        (SOON, LOOKS["due_soon"].fill)]


def test_every_other_cell_is_unchanged(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [[*values, "自定义"] for values in ROWS], headers=[*HEADERS, "内部编号"])
    before = openpyxl_values(book)
    commands.highlight_workbook(book, today=TODAY)
    after = openpyxl_values(book)
    changed = {ref for ref in set(before) | set(after) if before.get(ref) != after.get(ref)}
    assert changed == {"O3", "O4", "O9", "Q3", "R3", "S3", "T3"}  # 逾期天数 after 内部编号, legend after a gap


RICH_ROWS = [GOOD_ROW, row(截止日期=date(2026, 11, 27)), row(接收日期="2026-13-01")]
TOUCHABLE = {"xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
             "[Content_Types].xml"}
CT_WORKSHEET_TAIL = ["sheetCalcPr", "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
                     "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
                     "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter",
                     "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags",
                     "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects",
                     "controls", "webPublishItems", "tableParts", "extLst"]


def sheet_tail(path: Path) -> str:
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    return xml[xml.index("</sheetData>"):]


def test_every_part_highlight_has_no_business_with_stays_byte_identical(tmp_path: Path) -> None:
    book = write_rich_register(tmp_path / "rich.xlsx", RICH_ROWS)
    before, tail = parts(book), sheet_tail(book)
    commands.highlight_workbook(book, today=TODAY)
    commands.highlight_workbook(book, today=TODAY)
    after = parts(book)
    assert {name for name in before if name not in TOUCHABLE and after.get(name) != before[name]} == set()
    assert len(set(after) - set(before)) == 1  # the state sheet _xlcsr
    assert openpyxl.load_workbook(book).sheetnames == ["清单", "图表", "_xlcsr"]
    new_tail = sheet_tail(book)
    for kept in ("<mergeCells", "<dataValidations", "<extLst>"):  # title, lists, sparklines and data bar
        start = tail.index(kept)
        block = tail[start:tail.index("</" + kept[1:].rstrip(">") + ">", start)]
        assert block in new_tail
    order = [m for m in re.findall(r"<(?:\w+:)?(\w+)[\s>/]", new_tail) if m in CT_WORKSHEET_TAIL]
    assert order == sorted(order, key=CT_WORKSHEET_TAIL.index)
    found = rules(book)
    assert found[0][1] == "dataBar"
    assert [f for _, f, _, _, _ in found[1:]] == [  # no 设置: NETWORKDAYS without the date lists
        DONE, "IF(ISNUMBER($H4),$H4<TODAY(),N($P4)>0)", "AND(ISNUMBER($H4),$H4>=TODAY(),NETWORKDAYS(TODAY()+1,$H4)<=3)"]


# -- the Excel front ----------------------------------------------------------------------------

def twins(tmp_path: Path, rows: list[list[object]]) -> tuple[Path, FakeExcel]:
    book = write_register(tmp_path / "file.xlsx", rows)
    with_user_rule(book)
    live = tmp_path / "live.xlsx"
    shutil.copy(book, live)
    return book, FakeExcel.from_file(live)


def test_the_button_gives_the_same_column_legend_and_rules_as_the_command(tmp_path: Path) -> None:
    book, excel = twins(tmp_path, ROWS)
    excel.sheets["清单"].active = (20, 5)  # wherever the user's cursor is
    commands.highlight_workbook(book, today=TODAY)
    message = dispatch("highlight", book=excel.book(), today=TODAY)
    assert "逾期 2 条，即将到期 1 条" in message and "第 8 行" in message
    sheet = excel.sheets["清单"]
    shown = {cell: v for cell, v in sheet.values.items() if cell[1] >= 14}
    assert shown == {(r + 1, c + 1): v for r, values in enumerate(calamine_rows(book)) for c, v in enumerate(values)
                     if c >= 13 and v != ""}
    assert [(r.sqref, r.formula, r.stop_if_true) for r in sheet.rules] == [
        (sqref, formula, stop) for sqref, formula, _, _, stop in rules(book)[1:]] + [("G4:G200", '$G4="高"', False)]
    assert sheet.active == (20, 5) and sheet.colors[(3, 17)] == (255, 153, 153)
    assert excel.names["xlcsr_节假日"] == "=设置!$R$4:$R$200"
    dispatch("highlight", book=excel.book(), today=TODAY)
    assert len(sheet.rules) == 4 and sheet.rules[-1].formula == '$G4="高"'


def test_review_rules_in_excel_are_anchored_at_their_own_rows(tmp_path: Path) -> None:
    rows = [row(案件号=f"CSR-2026-{n:04d}", 接收日期=date(2026, 10, 9)) for n in range(1, 80)]
    excel = FakeExcel.from_file(write_register(tmp_path / "r.xlsx", rows))
    review = Waiting({f"CSR-2026-{n:04d}": ("技术部",) for n in range(1, 80, 2)})  # every other row: 40 areas
    result = commands.highlight_workbook(LiveBook(excel.book()), today=TODAY, review=review)
    purple = [r for r in excel.sheets["清单"].rules if r.fill == (0xE4, 0xC8, 0xF5)]
    assert len(purple) > 1
    formula = next(r.formula for r in result.plan.rules if r.key == "review_late")
    assert all(r.formula == shift_rows(formula, r.top - 4) for r in purple)
    assert sum(len(r.sqref.split()) for r in purple) == 40


def bigger(tmp_path: Path, size: int) -> FakeExcel:
    rows = [ROWS[n % len(ROWS)] for n in range(size)]
    return FakeExcel.from_file(write_register(tmp_path / f"r{size}.xlsx", rows))


def test_xlwings_calls_do_not_grow_with_the_number_of_rows(tmp_path: Path) -> None:
    small, large = bigger(tmp_path, 100), bigger(tmp_path, 5000)
    for excel in (small, large):
        for _ in range(2):  # the second run also finds and deletes the first run's rules
            excel.calls.clear()
            dispatch("highlight", book=excel.book(), today=TODAY)
    assert small.calls == large.calls
    assert large.total_calls < 120


# -- the command line ---------------------------------------------------------------------------

runner = CliRunner()


def test_the_command_prints_counts_and_exits_1_when_rows_were_skipped(book: Path) -> None:
    result = runner.invoke(app, ["highlight", str(book), "--today", "2026-11-25"])
    assert result.exit_code == 1, result.output
    assert "逾期 2 条，即将到期 1 条" in result.output and "跳过 1 个有问题的行：8" in result.output


def test_the_command_exits_0_on_a_clean_register_and_speaks_english(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [ROWS[0], ROWS[1]])
    result = runner.invoke(app, ["highlight", str(book), "--today", "2026-11-25", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "overdue 1, due soon 1" in result.output
    assert calamine_rows(book)[2][13:] == ["Days overdue", "", "Legend", "Overdue", "Due soon", "Done or cancelled"]


def test_the_command_exits_2_and_writes_nothing_when_the_book_is_open_in_excel(book: Path) -> None:
    (book.parent / f"~${book.name}").write_bytes(b"lock")
    before = book.read_bytes()
    result = runner.invoke(app, ["highlight", str(book), "--today", "2026-11-25"])
    assert result.exit_code == 2 and "Excel" in result.output
    assert book.read_bytes() == before


def test_the_command_has_help_with_an_example() -> None:
    result = runner.invoke(app, ["highlight", "--help"])
    assert result.exit_code == 0 and "Example: xlcsr highlight 顾客特殊要求清单.xlsx" in result.output
