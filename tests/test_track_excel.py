"""The button 记录变更 through the xlwings fakes: the same change log as `xlcsr track`, written in blocks.

Registers come from `make_register` (清单, header row 3: A 案件号, B 客户名称, D 要求描述, E 类别, I 接收日期,
K 截止日期, L 责任部门, N 处理状态, R 版本号; data from row 4) and are opened in a `FakeExcel`; a user's
typing is `SheetData.write`. The fake refuses writes to a protected sheet as Excel does, so a log row
that arrives at all was written while its sheet was unprotected.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from fake_excel import FakeExcel, SheetData
from test_track import ROWS, SETTINGS, fill_all, logged, run

from xlcsr.domain.vocab import CHANGELOG_SHEET, SIGNOFF_LOG_SHEET, STATE_SHEET, STORE_DIR
from xlcsr.excel import button_actions, dispatch
from xlcsr.files.new_books import make_register

TODAY = date(2026, 11, 25)
PROTECT = ("Protect", {"Password": None, "DrawingObjects": True, "Contents": True, "Scenarios": True})
UNPROTECT = ("Unprotect", {"Password": None})
REQUIREMENT, DUE, DEPARTMENTS, STATUS, REVISION = 4, 11, 12, 14, 18  # 清单's columns D, K, L, N, R


def opened(tmp_path: Path, rows: list[dict[str, object]] = ROWS, folder: str = "质量部") -> FakeExcel:
    """A new register saved in `folder`, open in Excel."""
    (tmp_path / folder).mkdir()
    return FakeExcel.from_file(make_register(tmp_path / folder, SETTINGS, rows))


def click(excel: FakeExcel, today: date = TODAY) -> str:
    return button_actions.track_book(excel.book(), today=today)


def log_rows(excel: FakeExcel) -> list[tuple[str, ...]]:
    """变更记录 below its header as texts: (时间, 案件号, 字段, 原值, 新值, 版本, 修改人, 来源)."""
    sheet = excel.sheets[CHANGELOG_SHEET]
    last = sheet.bounds()[2]
    return [tuple("" if sheet.values.get((r, c)) is None else str(sheet.values[(r, c)]) for c in range(1, 9))
            for r in range(2, last + 1)]


def state(excel: FakeExcel) -> dict[str, object]:
    sheet = excel.sheets[STATE_SHEET]
    return {sheet.values[(r, 1)]: sheet.values.get((r, 2)) for (r, c) in sheet.values if c == 1}


def snapshot(excel: FakeExcel) -> dict[str, dict]:
    """Every sheet's cells, to show that nothing was written."""
    return {name: dict(sheet.values) for name, sheet in excel.sheets.items()}


# --- 1. the first click ------------------------------------------------------------------------------------


def test_the_first_click_takes_the_snapshot_and_protects_both_logs(tmp_path: Path) -> None:
    excel = opened(tmp_path)
    assert STATE_SHEET not in excel.sheets
    message = click(excel)
    assert "已建立快照（4 行）" in message
    assert log_rows(excel) == []
    register_id = str(state(excel)["register_id"]).strip('"')
    assert len(register_id) == 32 and int(register_id, 16) >= 0
    assert excel.sheets[STATE_SHEET].state == "veryHidden"  # as the other buttons and the file writer leave it
    assert (Path(excel.fullname).parent / STORE_DIR / "xlcsr.sqlite").is_file()  # beside the open workbook
    for name in (CHANGELOG_SHEET, SIGNOFF_LOG_SHEET):
        sheet = excel.sheets[name]
        assert sheet.protected and sheet.protection_log == [PROTECT], name
    assert not excel.sheets["清单"].protection_log  # the register itself is the user's to edit


def test_a_log_sheet_left_unprotected_is_protected_by_the_first_click(tmp_path: Path) -> None:
    excel = opened(tmp_path)
    excel.sheets[CHANGELOG_SHEET].protected = False  # a register the user unprotected before tracking began
    click(excel)
    assert excel.sheets[CHANGELOG_SHEET].protected


# --- 2. a typed edit, then nothing ---------------------------------------------------------------------------


def test_a_typed_edit_is_one_row_at_the_bottom_of_the_log_then_nothing(tmp_path: Path) -> None:
    excel = opened(tmp_path)
    excel.properties["Last Author"] = "王芳"  # who saved the workbook last, as Excel's properties say
    click(excel)
    log = excel.sheets[CHANGELOG_SHEET]
    log.protection_log.clear()
    excel.sheets["清单"].write((4, REQUIREMENT), "PPAP 第4级提交")  # typed in D4
    message = click(excel)
    assert "已记入「变更记录」1 条" in message
    (row,) = log_rows(excel)
    assert row[1:] == ("CSR-2026-0001", "要求描述", "PPAP 第3级提交", "PPAP 第4级提交", "", "王芳", "手工")
    assert isinstance(log.values[(2, 1)], datetime)  # 时间 a date-time Excel can sort and format
    assert log.bounds()[2] == 2  # at the bottom: right under the header
    assert log.protection_log == [UNPROTECT, PROTECT] and log.protected  # opened for the write only
    assert excel.sheets[SIGNOFF_LOG_SHEET].protection_log == [PROTECT]  # only from the first click
    assert excel.sheets["清单"].values.get((4, REVISION)) is None  # not signed off: no revision to bump

    excel.sheets["清单"].write((5, REQUIREMENT), "年降 2%")
    click(excel)
    assert [r[1:5] for r in log_rows(excel)] == [("CSR-2026-0001", "要求描述", "PPAP 第3级提交", "PPAP 第4级提交"),
                                                 ("CSR-2026-0002", "要求描述", "年降 3%，付款月结 90 天", "年降 2%")]

    before, excel.calls = snapshot(excel), type(excel.calls)()
    log.protection_log.clear()
    message = click(excel)
    assert "没有改动" in message
    assert snapshot(excel) == before and log.protection_log == []
    assert not {name for name in excel.calls if name in ("range", "api.Protect", "api.Unprotect", "sheets.add")}


def test_without_a_last_author_the_user_running_xlcsr_is_named(tmp_path: Path) -> None:
    from xlcsr.app.change_log import current_user

    excel = opened(tmp_path)
    assert "Last Author" not in excel.properties  # Excel raises for a property it has no value of
    click(excel)
    excel.sheets["清单"].write((6, REQUIREMENT), "包装防潮防锈")
    click(excel)
    assert [r[6] for r in log_rows(excel)] == [current_user()]


def test_a_log_protected_with_a_password_is_refused_and_nothing_is_lost(tmp_path: Path) -> None:
    excel = opened(tmp_path)
    click(excel)
    log = excel.sheets[CHANGELOG_SHEET]
    log.password = "秘密"  # the user re-protected it with a password
    excel.sheets["清单"].write((4, REQUIREMENT), "PPAP 第4级提交")
    before = snapshot(excel)
    message = dispatch("track", book=excel.book(), today=TODAY)
    assert message.startswith("无法记录变更：") and "「变更记录」设有密码保护" in message
    assert snapshot(excel) == before
    log.password = None  # unprotected by its owner: the edit is still there to log
    click(excel)
    assert [r[1:4] for r in log_rows(excel)] == [("CSR-2026-0001", "要求描述", "PPAP 第3级提交")]


# --- 3. one core, two fronts ---------------------------------------------------------------------------------


def twins(tmp_path: Path) -> tuple[Path, FakeExcel]:
    """The same new register as a file (for the command line) and open in Excel, each tracked once."""
    excel = opened(tmp_path, folder="live")
    (tmp_path / "file").mkdir()
    book = tmp_path / "file" / Path(excel.fullname).name
    shutil.copy(excel.fullname, book)
    assert run("track", book, "--today", TODAY)[0] == 0
    click(excel)
    return book, excel


def both_fronts(book: Path, excel: FakeExcel, cells: dict[tuple[int, int], object]) -> tuple[list, list, str]:
    """`cells` typed in the file (saved) and in Excel, then tracked by each: (案件号, 字段, 原值, 新值, 版本, 来源)."""
    wb = openpyxl.load_workbook(book)
    for (r, c), value in cells.items():
        wb["清单"].cell(r, c).value = value
        excel.sheets["清单"].write((r, c), value)
    wb.save(book)
    code, out = run("track", book, "--today", TODAY)
    assert code == 0, out
    message = click(excel)
    return logged(book), [(r[1], r[2], r[3], r[4], r[5], r[7]) for r in log_rows(excel)], message


def test_the_button_logs_the_same_rows_as_the_command(tmp_path: Path) -> None:
    book, excel = twins(tmp_path)
    typed = {(4, REQUIREMENT): "PPAP 第4级提交", (6, DEPARTMENTS): "生产部、品质部", (4, DEPARTMENTS): "技术部",
             (8, 2): "奇瑞汽车", (8, 4): "新增的要求", (8, 5): "产品", (8, 9): datetime(2026, 11, 20), (8, 14): "待处理"}
    by_command, by_button, message = both_fronts(book, excel, typed)
    assert by_button == by_command == [
        ("CSR-2026-0001", "要求描述", "PPAP 第3级提交", "PPAP 第4级提交", "", "手工"),
        ("CSR-2026-0001", "责任部门", "技术部、品质部", "技术部", "", "手工"),
        ("CSR-2026-0003", "责任部门", "生产部", "生产部、品质部", "", "手工"),
        ("", "（新增）", "", "奇瑞汽车 · 新增的要求", "", "手工"),
    ]
    assert "已记入「变更记录」4 条" in message


def test_a_date_typed_in_excel_is_logged_as_the_command_logs_it(tmp_path: Path) -> None:
    book, excel = twins(tmp_path)
    by_command, by_button, _ = both_fronts(book, excel, {(5, DUE): datetime(2026, 12, 31)})
    assert by_command == [("CSR-2026-0002", "截止日期", "2026-12-20", "2026-12-31", "", "手工")]
    assert by_button == by_command  # today: ('CSR-2026-0002', '截止日期', '2026-12-20T00:00:00', '2026-12-31T00:00:00', …)


def test_a_register_tracked_by_the_command_then_opened_in_excel_logs_only_the_edit(tmp_path: Path) -> None:
    folder = tmp_path / "质量部"
    folder.mkdir()
    book = make_register(folder, SETTINGS, ROWS)
    assert run("track", book, "--today", TODAY)[0] == 0
    excel = FakeExcel.from_file(book)  # the same file, its store beside it
    excel.sheets["清单"].write((4, REQUIREMENT), "PPAP 第4级提交")
    click(excel)
    assert [r[1:5] for r in log_rows(excel)] == [("CSR-2026-0001", "要求描述", "PPAP 第3级提交", "PPAP 第4级提交")]


def signed_off(tmp_path: Path) -> FakeExcel:
    """Every case signed off through the command line (处理中), then the register opened in Excel."""
    folder = tmp_path / "质量部"
    folder.mkdir()
    book = make_register(folder, SETTINGS, ROWS)
    assert run("track", book, "--today", TODAY)[0] == 0
    assert run("signoff", book, "--out", folder / "会签", "--today", TODAY)[0] == 0
    fill_all(folder / "会签")
    assert run("collect", book, folder / "会签", "--today", "2026-11-27")[0] == 0
    return FakeExcel.from_file(book)


def test_a_signed_off_case_edited_in_excel_is_re_opened_like_the_command_does(tmp_path: Path) -> None:
    excel = signed_off(tmp_path)
    sheet = excel.sheets["清单"]
    assert [sheet.values[(r, STATUS)] for r in range(4, 8)] == ["处理中"] * 4
    sheet.write((4, REQUIREMENT), "PPAP 第4级提交，含全尺寸报告")
    message = click(excel, date(2026, 11, 30))
    assert "CSR-2026-0001：需重新会签：技术部、品质部" in message
    assert [(r[1], r[2], r[3], r[4], r[5], r[7]) for r in log_rows(excel)][-3:] == [
        ("CSR-2026-0001", "要求描述", "PPAP 第3级提交", "PPAP 第4级提交，含全尺寸报告", "2", "手工"),
        ("CSR-2026-0001", "版本号", "", "2", "2", "xlcsr track"),
        ("CSR-2026-0001", "处理状态", "处理中", "评审中", "2", "xlcsr track"),
    ]
    assert (sheet.values[(4, STATUS)], sheet.values[(4, REVISION)]) == ("评审中", 2)
    signoff_log = excel.sheets[SIGNOFF_LOG_SHEET]
    stale = sorted(signoff_log.values[(r, 4)] for (r, c), v in signoff_log.values.items() if c == 12 and v == "已失效")
    assert stale == ["品质部", "技术部"]


def test_the_signoff_log_is_protected_again_after_answers_are_voided(tmp_path: Path) -> None:
    excel = signed_off(tmp_path)
    excel.sheets["清单"].write((4, REQUIREMENT), "PPAP 第4级提交，含全尺寸报告")
    click(excel, date(2026, 11, 30))
    signoff_log = excel.sheets[SIGNOFF_LOG_SHEET]
    assert "已失效" in signoff_log.values.values()
    assert signoff_log.protection_log == [UNPROTECT, PROTECT]  # today: [UNPROTECT], and the sheet open to edits
    assert signoff_log.protected


@pytest.mark.parametrize("locked", [CHANGELOG_SHEET, SIGNOFF_LOG_SHEET])
def test_a_refused_log_leaves_a_signed_off_register_as_it_was(tmp_path: Path, locked: str) -> None:
    excel = signed_off(tmp_path)
    excel.sheets[locked].password = "秘密"
    excel.sheets["清单"].write((4, REQUIREMENT), "PPAP 第4级提交，含全尺寸报告")
    before = snapshot(excel)
    message = dispatch("track", book=excel.book(), today=date(2026, 11, 30))
    assert message.startswith("无法记录变更：") and f"「{locked}」设有密码保护" in message
    assert snapshot(excel) == before  # today: 清单's R4 = 2 and N4 = 评审中 (and 变更记录's rows) already written


# --- 4. calls in blocks ------------------------------------------------------------------------------------


def big_register(tmp_path: Path, size: int) -> FakeExcel:
    rows = [dict(ROWS[n % 4], case_no=f"CSR-2026-{n + 1:04d}", requirement=f"要求 {n + 1}") for n in range(size)]
    return opened(tmp_path, rows, folder=f"r{size}")


def edit_ten(excel: FakeExcel) -> None:
    for n in range(10):  # ten rows far apart: no two edits in one run of cells
        excel.sheets["清单"].write((4 + n * 37, REQUIREMENT), f"改过的要求 {n}")


def test_a_click_on_a_thousand_rows_with_ten_edits_is_a_few_dozen_calls(tmp_path: Path) -> None:
    small, large = big_register(tmp_path, 400), big_register(tmp_path, 1000)
    for excel in (small, large):
        click(excel)
        edit_ten(excel)
        excel.calls.clear()
        assert "已记入「变更记录」10 条" in click(excel)
        assert len(log_rows(excel)) == 10
    # Measured: 64 calls, whatever the size. The read is 设置, 清单, 变更记录, 会签记录 and _xlcsr
    # (a used_range, options and value each, with row/column to place it, plus one formula read of
    # 清单: ~30 with the sheets[] look-ups), Date1904 and Last Author; Excel kept as the user had it
    # (book.app, then screen updating, events and calculation each read, set and given back: 10, see
    # test_polite_excel), and the write: 变更记录's header and its ten rows as two range writes,
    # Unprotect and Protect. A per-cell write would be 80 more (10 rows × 8 cells), a per-row one 10 more.
    assert small.calls == large.calls
    assert large.calls["range"] == 2 and large.calls["api.Unprotect"] == large.calls["api.Protect"] == 1
    assert large.total_calls < 70, large.calls


def test_a_click_with_nothing_changed_only_reads(tmp_path: Path) -> None:
    excel = big_register(tmp_path, 1000)
    click(excel)
    excel.calls.clear()
    assert "没有改动" in click(excel)
    assert excel.calls["value"] == 5  # one bulk read of each of the five sheets, no write
    assert excel.total_calls < 50, excel.calls


def test_the_fake_refuses_a_write_to_a_protected_sheet() -> None:
    from fake_excel import FakeComError

    excel = FakeExcel()
    excel.sheets["s"] = SheetData("s")
    sheet = excel.book().sheets["s"]
    sheet.api.Protect(Contents=True)
    with pytest.raises(FakeComError):
        sheet.range("A1").value = "x"
    sheet.api.Unprotect()
    sheet.range("A1").value = "x"
    sheet.api.Protect(Password="p")
    with pytest.raises(FakeComError):
        sheet.api.Unprotect()
    assert excel.sheets["s"].values == {(1, 1): "x"} and excel.calls["api.Protect"] == 2


def test_a_ribbon_write_that_fails_logs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from xlcsr.app import commands
    from xlcsr.excel.live_book import LiveBook

    excel = opened(tmp_path)
    click(excel)  # the baseline
    excel.sheets["清单"].write((4, 4), "PPAP 第4级提交")  # a hand edit for the change log
    excel.sheets["清单"].write((5, 1), None)  # a case number for assign to give
    before = log_rows(excel)

    def refused(self: LiveBook, state: dict[str, object]) -> None:
        raise RuntimeError("Excel refused to write _xlcsr")

    monkeypatch.setattr(LiveBook, "_write_state", refused)
    with pytest.raises(RuntimeError):
        commands.assign_case_numbers(LiveBook(excel.book()), today=TODAY)
    assert log_rows(excel) == before  # the change log of a write that failed is not written
    monkeypatch.undo()
    click(excel)  # the store kept no snapshot of the failed write: the hand edit is still found, as a hand edit
    assert [r[2:5] + r[7:] for r in log_rows(excel)[len(before):] if r[2] == "要求描述"] == [
        ("要求描述", "PPAP 第3级提交", "PPAP 第4级提交", "手工")]
