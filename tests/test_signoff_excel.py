"""The sign-off buttons (生成会签表, 收集会签, 打印评审记录表) through the xlwings fakes: the same as the commands."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import openpyxl
from books import row, write_register
from fake_excel import FakeExcel

from xlcsr.app.signoff import collect_signoffs, issue_signoffs
from xlcsr.excel import dispatch
from xlcsr.excel.live_book import REJECTED_COLOR

TODAY = date(2026, 11, 25)
ROWS = [row(案件号="CSR-2026-0001", 处理状态="待处理"),
        row(案件号="CSR-2026-0002", 处理状态="待处理", 责任部门="技术部")]


def twins(tmp_path: Path) -> tuple[Path, FakeExcel, Path]:
    """The same register as a file (for the command line) and open in a fake Excel, each in its own folder."""
    (tmp_path / "file").mkdir()
    (tmp_path / "live").mkdir()
    book = write_register(tmp_path / "file" / "r.xlsx", ROWS)
    live = tmp_path / "live" / "r.xlsx"
    shutil.copy(book, live)
    return book, FakeExcel.from_file(live), live


def fill(folder: Path, answers: dict[str, str], day: date = date(2026, 11, 26)) -> None:
    """Answer every item of every workbook in `folder` as its department would, per case."""
    for path in folder.glob("*.xlsx"):
        wb = openpyxl.load_workbook(path)
        ws = wb["会签"]
        for r in range(1, ws.max_row + 1):
            case = ws.cell(r, 1).value
            if case in answers and ws.cell(r, 11).protection.locked is False:
                ws.cell(r, 11).value = answers[case]
                ws.cell(r, 12).value = "客户未同意放宽" if answers[case] == "不能满足" else None
                ws.cell(r, 13).value = "张三"
                ws.cell(r, 14).value = day
        wb.save(path)


def statuses(excel: FakeExcel) -> list[object]:
    sheet = excel.sheets["清单"]
    return [sheet.values.get((r, 11)) for r in (4, 5)]


def test_signoff_button_writes_the_same_workbooks_as_the_command(tmp_path: Path) -> None:
    book, excel, live = twins(tmp_path)
    command = issue_signoffs(book, out=tmp_path / "file" / "会签", today=TODAY)
    message = dispatch("signoff", book=excel.book(), today=TODAY)
    button_files = sorted(p.name for p in (live.parent / "会签").iterdir())
    assert button_files == sorted(p.name for p in command.written) == ["品质部-20261125.xlsx", "技术部-20261125.xlsx"]
    assert "已生成 2 份会签表" in message and "2 个案件转为评审中" in message
    assert statuses(excel) == ["评审中", "评审中"]
    assert (live.parent / ".xlcsr" / "xlcsr.sqlite").is_file()  # the key lives beside the open workbook
    assert excel.sheets["_xlcsr"].state == "veryHidden"


def test_collect_button_applies_the_picked_files_like_the_command(tmp_path: Path) -> None:
    book, excel, live = twins(tmp_path)
    dispatch("signoff", book=excel.book(), today=TODAY)
    fill(live.parent / "会签", {"CSR-2026-0001": "可满足", "CSR-2026-0002": "不能满足"})
    picked = sorted(str(p) for p in (live.parent / "会签").iterdir())
    xl = excel.book()
    xl.app.api.GetOpenFilename.return_value = picked
    message = dispatch("collect", book=xl, today=date(2026, 11, 27))
    assert "生效 3 项" in message and "2 个案件状态已更新" in message
    assert statuses(excel) == ["处理中", "评审中"]
    log = excel.sheets["会签记录"].values
    assert [log.get((r, 4)) for r in (2, 3, 4)] == ["品质部", "技术部", "技术部"]
    progress = next(c for (r, c), v in excel.sheets["清单"].values.items() if r == 3 and v == "落实情况")
    assert excel.sheets["清单"].values[(5, progress)] == "技术部不能满足"
    assert excel.sheets["清单"].colors[(5, progress)] == REJECTED_COLOR

    issue_signoffs(book, out=tmp_path / "file" / "会签", today=TODAY)
    fill(tmp_path / "file" / "会签", {"CSR-2026-0001": "可满足", "CSR-2026-0002": "不能满足"})
    collect_signoffs(book, [tmp_path / "file" / "会签"], today=date(2026, 11, 27))
    ws = openpyxl.load_workbook(book)["清单"]
    assert [ws.cell(r, 11).value for r in (4, 5)] == statuses(excel)


def test_collect_button_cancelled_collects_nothing(tmp_path: Path) -> None:
    _, excel, live = twins(tmp_path)
    dispatch("signoff", book=excel.book(), today=TODAY)
    xl = excel.book()
    xl.app.api.GetOpenFilename.return_value = False
    message = dispatch("collect", book=xl, today=date(2026, 11, 27))
    assert message == "已取消：没有收集任何文件。"
    assert "会签记录" not in excel.sheets and statuses(excel) == ["评审中", "评审中"]
