"""The ribbon buttons through xlwings fakes over a real in-memory table: same results as the files."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from books import GOOD_ROW, calamine_rows, row, write_register
from fake_excel import FakeExcel

from xlcsr.app import commands
from xlcsr.excel import button_actions, dispatch
from xlcsr.excel.buttons import BUTTONS
from xlcsr.excel.live_book import MARK_COLOR
from xlcsr.files.new_books import make_register
from xlcsr.rules.marks import ERROR_FILL

TODAY = date(2026, 11, 25)
MIXED = [GOOD_ROW, row(客户名称="", 接收日期="明天"), row(类别="安全", 优先级="低"),
         row(客户名称="长城汽车", 要求描述='=HYPERLINK("http://x","y")'), row(接收日期=date(2025, 12, 30))]


def twins(tmp_path: Path, rows: list[list[object]]) -> tuple[Path, FakeExcel]:
    """The same register as a file (for the command line) and open in a fake Excel (for the ribbon)."""
    book = write_register(tmp_path / "file.xlsx", rows)
    live = tmp_path / "live.xlsx"
    shutil.copy(book, live)
    return book, FakeExcel.from_file(live)


def register_values(excel: FakeExcel) -> dict[tuple[int, int], object]:
    return {cell: _plain(v) for cell, v in excel.sheets["清单"].values.items()}


def file_values(path: Path, sheet: str = "清单") -> dict[tuple[int, int], object]:
    ws = openpyxl.load_workbook(path)[sheet]
    return {(c.row, c.column): _plain(c.value) for r in ws.iter_rows() for c in r if c.value not in (None, "")}


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def file_marked(path: Path) -> set[tuple[int, int]]:
    ws = openpyxl.load_workbook(path)["清单"]
    return {(c.row, c.column) for r in ws.iter_rows() for c in r
            if c.fill.fill_type == "solid" and c.fill.fgColor.rgb == ERROR_FILL}


def test_every_button_has_an_action_and_every_action_a_button() -> None:
    actions_defined = {name for name in vars(button_actions) if not name.startswith("_") and callable(
        getattr(button_actions, name)) and getattr(button_actions, name).__module__ == button_actions.__name__}
    assert {b.action for b in BUTTONS} == actions_defined


def test_assign_button_gives_the_same_register_as_the_command(tmp_path: Path) -> None:
    book, excel = twins(tmp_path, MIXED)
    commands.assign_case_numbers(book, today=TODAY)
    message = dispatch("assign", book=excel.book(), today=TODAY)
    assert register_values(excel) == file_values(book)
    assert "已分配 2 个案件号" in message and "跳过 3 个有问题的行" in message
    assert excel.alerts == [message]
    assert excel.sheets["_xlcsr"].state == "veryHidden"  # as the file writer leaves it: Unhide does not list it


def test_validate_button_marks_the_same_cells_and_lists_the_same_problems(tmp_path: Path) -> None:
    book, excel = twins(tmp_path, MIXED)
    commands.validate_workbook(book, today=TODAY, mark=True)
    message = dispatch("validate", book=excel.book(), today=TODAY)
    sheet = excel.sheets["清单"]
    assert {cell for cell, color in sheet.colors.items() if color == MARK_COLOR} == file_marked(book)
    assert set(sheet.notes) == {cell for cell in file_marked(book)}
    result = excel.sheets["校验结果"]
    assert {cell: _plain(v) for cell, v in result.values.items()} == file_values(book, "校验结果")
    assert result.formulas[(2, 2)] == "=HYPERLINK(\"#'清单'!B5\",\"B5\")"
    assert result.values[(5, 6)] == '=HYPERLINK("http://x","y")'  # the user's text, not a formula
    assert (5, 6) not in result.formulas
    assert "3 行有问题，4 个错误" in message


def test_new_register_button_writes_the_template_beside_the_book_and_opens_it(tmp_path: Path) -> None:
    excel = FakeExcel("r.xlsx", str(tmp_path / "r.xlsx"))
    (tmp_path / "r.xlsx").write_bytes(b"")
    message = dispatch("new_register", book=excel.book(), today=TODAY)
    made = tmp_path / "顾客特殊要求清单-20261125.xlsx"
    assert excel.opened == [str(made)] and str(made) in message
    reference = make_register(tmp_path / "reference.xlsx")
    assert calamine_rows(made) == calamine_rows(reference)
    dispatch("new_register", book=excel.book(), today=TODAY)
    assert excel.opened[-1] == str(tmp_path / "顾客特殊要求清单-20261125-2.xlsx")


def test_a_fixed_cell_gets_its_own_colour_back(tmp_path: Path) -> None:
    _, excel = twins(tmp_path, [GOOD_ROW, row(类别="安全")])
    excel.sheets["清单"].colors[(5, 5)] = (255, 255, 0)  # the user's yellow
    dispatch("validate", book=excel.book(), today=TODAY)
    assert excel.sheets["清单"].colors[(5, 5)] == MARK_COLOR and (5, 5) in excel.sheets["清单"].notes
    excel.sheets["清单"].write((5, 5), "产品")
    message = dispatch("validate", book=excel.book(), today=TODAY)
    assert excel.sheets["清单"].colors[(5, 5)] == (255, 255, 0)
    assert (5, 5) not in excel.sheets["清单"].notes and "未发现问题" in message


def test_marks_made_in_excel_are_cleared_by_the_command_after_saving(tmp_path: Path) -> None:
    book, excel = twins(tmp_path, [GOOD_ROW, row(类别="安全")])
    dispatch("validate", book=excel.book(), today=TODAY)
    state = excel.sheets["_xlcsr"]
    marks = next(v for (r, c), v in state.values.items() if c == 2 and state.values.get((r, 1)) == "marks")
    wb = openpyxl.load_workbook(book)  # "save" what Excel shows: the fill and xlcsr's state
    wb["清单"]["E5"].fill = openpyxl.styles.PatternFill("solid", fgColor=ERROR_FILL)
    wb["清单"]["E5"].value = "产品"
    wb.create_sheet("_xlcsr").append(["marks", marks])
    wb["_xlcsr"].sheet_state = "veryHidden"
    wb.save(book)
    assert commands.validate_workbook(book, today=TODAY, mark=True).valid
    assert file_marked(book) == set()


def test_a_register_without_a_header_gets_a_message_and_no_write(tmp_path: Path) -> None:
    _, excel = twins(tmp_path, [["x", "y"]])
    excel.sheets["清单"].values[(3, 2)] = "乱码"
    excel.sheets["清单"].values[(3, 4)] = "无关"
    before = {name: dict(sheet.values) for name, sheet in excel.sheets.items()}
    message = dispatch("assign", book=excel.book(), today=TODAY)
    assert message.startswith("无法分配案件号：") and "找不到表头" in message
    assert {name: dict(sheet.values) for name, sheet in excel.sheets.items()} == before


def test_an_unknown_tag_is_reported() -> None:
    excel = FakeExcel()
    assert "未知按钮" in dispatch("nope", book=excel.book(), today=TODAY)


def bad_rows_register(tmp_path: Path, size: int) -> FakeExcel:
    rows = [list(GOOD_ROW) for _ in range(size)]
    for n in range(10):
        rows[n * 7 + 3] = row(类别="安全")
    return FakeExcel.from_file(write_register(tmp_path / f"r{size}.xlsx", rows))


@pytest.mark.parametrize("tag", ["validate", "assign"])
def test_xlwings_calls_do_not_grow_with_the_number_of_rows(tmp_path: Path, tag: str) -> None:
    small, large = bad_rows_register(tmp_path, 100), bad_rows_register(tmp_path, 5000)
    for excel in (small, large):
        excel.calls.clear()
        dispatch(tag, book=excel.book(), today=TODAY)
    assert small.calls == large.calls
    assert large.total_calls < 250


def test_reading_the_register_is_one_bulk_read_per_sheet(tmp_path: Path) -> None:
    excel = bad_rows_register(tmp_path, 5000)
    from xlcsr.excel.live_book import LiveBook

    LiveBook(excel.book()).read()
    assert excel.calls["value"] == 2  # 清单 and 设置: one bulk read each
    assert excel.calls["formula"] == 1


OVERDUE = row(截止日期=date(2026, 11, 10), 负责人="李强", 处理状态="处理中")


def test_remind_button_previews_then_sends_on_confirmation(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW, OVERDUE])
    excel = FakeExcel.from_file(book)
    excel.answers = ["cancel"]
    message = dispatch("remind", book=excel.book(), today=TODAY)
    assert "李强：逾期 2\n" in excel.alerts[0]  # SLA due dates count
    assert "周建国：本部门升级 2" in excel.alerts[0]  # the manager's one summary
    assert "现在发送这 2 封提醒吗" in excel.alerts[0]
    assert message == "已取消：没有发送任何邮件。"
    assert not (tmp_path / "outbox").exists()

    excel.answers = ["ok"]
    message = dispatch("remind", book=excel.book(), today=TODAY)
    assert "已写入发件箱 2 封" in message  # an outbox file is not "sent" (issue 10)
    assert [p.suffix for p in (tmp_path / "outbox").iterdir()] == [".eml", ".eml"]
    assert "今天没有需要发送的提醒" in dispatch("remind", book=excel.book(), today=TODAY)


def test_marks_made_by_the_command_are_cleared_by_the_button_with_the_users_colour_back(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW, row(类别="安全")])
    wb = openpyxl.load_workbook(book)
    wb["清单"]["E5"].fill = openpyxl.styles.PatternFill("solid", fgColor="FFFFFF00")  # the user's yellow
    wb.save(book)
    commands.validate_workbook(book, today=TODAY, mark=True)
    assert file_marked(book) == {(5, 5)}
    excel = FakeExcel.from_file(book)  # the marked file opened in Excel
    excel.sheets["清单"].write((5, 5), "产品")
    assert "未发现问题" in dispatch("validate", book=excel.book(), today=TODAY)
    assert excel.sheets["清单"].colors[(5, 5)] == (255, 255, 0) and (5, 5) not in excel.sheets["清单"].notes


def test_a_theme_fill_is_given_back_through_the_object_model() -> None:
    from types import SimpleNamespace

    from xlcsr.excel.live_book import _restore_fill

    interior = SimpleNamespace(ThemeColor=None, TintAndShade=None)
    cell = SimpleNamespace(color=MARK_COLOR, api=SimpleNamespace(Interior=interior))
    _restore_fill(cell, {"pattern": "solid", "fg": {"theme": 0, "tint": -0.15}, "bg": None})
    assert (interior.ThemeColor, interior.TintAndShade) == (2, -0.15)  # theme 0 is Excel's "Background 1"
    _restore_fill(cell, {"pattern": "solid", "fg": {"theme": 5}, "bg": None})
    assert interior.ThemeColor == 6 and cell.color == MARK_COLOR
    bare = SimpleNamespace(color=MARK_COLOR)
    _restore_fill(bare, {"pattern": "solid", "fg": {"theme": 4}, "bg": None})
    assert bare.color is None
    _restore_fill(bare, {"pattern": "solid", "fg": {"rgb": "FF00FF00"}, "bg": None})
    assert bare.color == (0, 255, 0)
