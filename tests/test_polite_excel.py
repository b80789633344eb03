"""A button leaves Excel as the user had it, and `_xlcsr` very hidden, through the xlwings fakes.

The fake keeps Excel's application state (screen updating, events, calculation, status bar), each
sheet's selection and Excel's three sheet states, and records what the user would have seen: a
Worksheet_Change for each value written while events were on (`change_events`), a recalculation for
each written while calculation was automatic (`recalculations`), every status bar text (`status`).
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import date
from pathlib import Path
from typing import Any

import fake_excel
import openpyxl
import pytest
from books import GOOD_ROW, row, write_register
from fake_excel import FakeComError, FakeExcel, SheetData, cells_of
from test_track import ROWS, SETTINGS

from xlcsr.app import commands
from xlcsr.domain.vocab import STATE_SHEET
from xlcsr.excel import button_actions, dispatch, live_book
from xlcsr.excel.live_book import LONG_WRITE, PROGRESS_STEPS, LiveBook
from xlcsr.files.new_books import make_register

TODAY = date(2026, 11, 25)
MIXED = [GOOD_ROW, row(客户名称="", 接收日期="明天"), row(类别="安全", 优先级="低"), row(接收日期=date(2025, 12, 30))]
USERS_CELLS = "B5:C7"
SETTINGS_CELLS = "D10"


def register(tmp_path: Path, rows: list[list[object]] = MIXED, name: str = "r.xlsx") -> FakeExcel:
    tmp_path.mkdir(parents=True, exist_ok=True)
    return FakeExcel.from_file(write_register(tmp_path / name, rows))


def tracked(tmp_path: Path) -> FakeExcel:
    """A register made by `make_register` (its logs protected), open in Excel and tracked once."""
    folder = tmp_path / "质量部"
    folder.mkdir(parents=True)
    excel = FakeExcel.from_file(make_register(folder, SETTINGS, ROWS))
    button_actions.track_book(excel.book(), today=TODAY)
    return excel


def user_at(excel: FakeExcel, sheet: str, address: str) -> None:
    """The user's active sheet and selected cells."""
    excel.active_sheet = sheet
    data = excel.sheets[sheet]
    data.selection = cells_of(address)
    data.active = data.selection[0]


def as_found(excel: FakeExcel) -> dict[str, object]:
    """What the user sees of Excel besides the cells."""
    sheet = excel.active_sheet or next(iter(excel.sheets))
    return {"screen_updating": excel.screen_updating, "enable_events": excel.enable_events,
            "calculation": excel.calculation, "status_bar": excel.status_bar, "sheet": sheet,
            "selection": excel.sheets[sheet].selection or [excel.sheets[sheet].active]}


USERS = {  # how the user had Excel: the usual, and one who runs big workbooks with calculation manual
    "usual": {},
    "manual, events off": {"calculation": "manual", "enable_events": False},
    "semiautomatic, no screen updating": {"calculation": "semiautomatic", "screen_updating": False},
}


def set_up(excel: FakeExcel, user: dict[str, object]) -> None:
    for name, value in user.items():
        setattr(excel, name, value)


def fail_when_adding(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Excel refuses to add the sheet `name` (after the write has added others and coloured cells)."""
    add = FakeExcel._add_sheet

    def refuse(self: FakeExcel, sheet: str, before: Any = None, after: Any = None) -> Any:
        if sheet == name:
            raise FakeComError(f"Method 'Add' of object 'Sheets' failed ({sheet})")
        return add(self, sheet, before, after)

    monkeypatch.setattr(FakeExcel, "_add_sheet", refuse)


# --- 1. an action that fails midway ---------------------------------------------------------------------


@pytest.mark.parametrize("user", USERS.values(), ids=USERS)
def test_an_action_that_raises_midway_gives_everything_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             user: dict[str, object]) -> None:
    excel = long_register(tmp_path)
    set_up(excel, user)
    excel.status_bar = "用户宏的进度"  # the user's own text on the status bar
    user_at(excel, "设置", SETTINGS_CELLS)
    before = as_found(excel)
    fail_when_adding(monkeypatch, STATE_SHEET)  # after the register's blocks, with the progress shown
    with pytest.raises(FakeComError):
        button_actions.assign_book(excel.book(), today=TODAY)
    assert excel.sheets["清单"].values.get((4, 1)) == "CSR-2026-0001"  # it had written, then failed
    assert any(str(text).startswith("xlcsr：写入第") for text in excel.status)  # progress was shown
    assert as_found(excel) == before


def test_a_highlight_that_raises_after_selecting_a_rules_cell_gives_the_selection_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    excel = register(tmp_path)
    user_at(excel, "设置", SETTINGS_CELLS)
    before = as_found(excel)
    fail_when_adding(monkeypatch, STATE_SHEET)
    message = dispatch("highlight", book=excel.book(), today=TODAY)
    assert message.startswith("无法标记逾期：出现意外错误（FakeComError") and "诊断" in message  # a sentence
    assert excel.sheets["清单"].rules  # the rules were added, 清单 activated and its cells selected
    assert as_found(excel) == before


def test_a_setting_excel_refuses_to_give_back_does_not_stop_the_others(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    excel = register(tmp_path)
    user_at(excel, "清单", USERS_CELLS)
    before = as_found(excel)
    set_app = FakeExcel._set_app

    def refuse_events_on(self: FakeExcel, name: str, value: object) -> None:
        if name == "enable_events" and value:
            raise FakeComError("Unable to set the EnableEvents property of the Application class")
        set_app(self, name, value)

    monkeypatch.setattr(FakeExcel, "_set_app", refuse_events_on)
    with pytest.raises(FakeComError, match="EnableEvents"):  # a successful write: the refusal is told
        button_actions.validate_book(excel.book(), today=TODAY)
    assert as_found(excel) == {**before, "enable_events": False}  # everything else given back

    excel.enable_events = True  # the user turns them on again
    excel.sheets["清单"].protected = True  # now the write fails too: its own error is the one raised
    with pytest.raises(FakeComError, match="protected sheet") as raised:
        button_actions.validate_book(excel.book(), today=TODAY)
    assert any("EnableEvents" in note for note in raised.value.__notes__)
    assert as_found(excel) == {**before, "enable_events": False}


# --- 2. a normal click ----------------------------------------------------------------------------------


def click_on(tmp_path: Path, tag: str) -> FakeExcel:
    """A register for the button `tag`, clicked once already (its sheets made)."""
    if tag == "track":
        excel = tracked(tmp_path)
        excel.sheets["清单"].write((4, 4), "PPAP 第4级提交")  # typed in D4: one row for 变更记录
        return excel
    return register(tmp_path)


@pytest.mark.parametrize("tag", ["validate", "assign", "highlight", "track"])
@pytest.mark.parametrize("user", USERS.values(), ids=USERS)
@pytest.mark.parametrize("where", [("清单", USERS_CELLS), ("设置", SETTINGS_CELLS)], ids=["on 清单", "on 设置"])
def test_a_click_leaves_excel_as_found(tmp_path: Path, tag: str, user: dict[str, object],
                                       where: tuple[str, str]) -> None:
    excel = click_on(tmp_path, tag)
    set_up(excel, user)
    user_at(excel, *where)
    before = as_found(excel)
    excel.change_events.clear()
    excel.recalculations = 0
    message = dispatch(tag, book=excel.book(), today=TODAY)
    assert not message.startswith("无法"), message
    assert as_found(excel) == before
    assert excel.change_events == [] and excel.recalculations == 0  # no Worksheet_Change, no recalculation per block


def test_a_user_with_a_chart_selected_gets_the_active_sheet_back(tmp_path: Path) -> None:
    excel = register(tmp_path)
    user_at(excel, "设置", SETTINGS_CELLS)
    excel.shape_selected = True  # book.selection is None
    dispatch("validate", book=excel.book(), today=TODAY)  # adds 校验结果 and _xlcsr: each activated when added
    assert excel.active_sheet == "设置"


def test_a_user_looking_at_an_unhidden_state_sheet_is_left_on_its_neighbour(tmp_path: Path) -> None:
    excel = register(tmp_path)
    dispatch("assign", book=excel.book(), today=TODAY)
    excel.sheets[STATE_SHEET].state = "visible"  # an _xlcsr the old ribbon merely hid, unhidden by the user
    user_at(excel, STATE_SHEET, "A1")
    message = dispatch("validate", book=excel.book(), today=TODAY)
    assert not message.startswith("无法"), message
    assert excel.sheets[STATE_SHEET].state == "veryHidden"
    assert excel.active_sheet != STATE_SHEET and excel.sheets[excel.active_sheet].state == "visible"
    assert excel.enable_events and excel.calculation == "automatic" and excel.screen_updating


# --- 3. progress on the status bar ----------------------------------------------------------------------


def long_register(tmp_path: Path, size: int = 3000, bad: int = 30) -> FakeExcel:
    """`size` rows, `bad` of them with a problem, evenly apart: assign writes 3 × (bad + 1) runs."""
    rows = [list(GOOD_ROW) for _ in range(size)]
    for n in range(bad):
        rows[n * (size // bad) + 50] = row(类别="安全")
    return register(tmp_path, rows, name=f"r{size}.xlsx")


def test_a_long_write_shows_its_progress_then_gives_the_status_bar_back(tmp_path: Path) -> None:
    excel = long_register(tmp_path)
    message = dispatch("assign", book=excel.book(), today=TODAY)
    assert "已分配 2970 个案件号" in message
    blocks = 3 * 31  # case numbers, due dates and statuses, each in 31 runs between the 30 problem rows
    assert blocks >= LONG_WRITE
    progress = [text for text in excel.status if str(text).startswith("xlcsr：写入第")]
    assert progress[-1] == f"xlcsr：写入第 {blocks}/{blocks} 块…"
    assert f"xlcsr：写入第 10/{blocks} 块…" in progress
    assert len(progress) <= PROGRESS_STEPS + 1  # cheap: about every tenth block, not every block
    assert excel.status == ["xlcsr：分配案件号…", *progress, "xlcsr：分配案件号…", False]  # dispatch's, then Excel's


def test_a_short_write_leaves_the_status_bar_alone(tmp_path: Path) -> None:
    excel = register(tmp_path)
    dispatch("assign", book=excel.book(), today=TODAY)
    assert excel.status == ["xlcsr：分配案件号…", False]


# --- 4. _xlcsr very hidden ------------------------------------------------------------------------------


def signoff_register(tmp_path: Path) -> FakeExcel:
    (tmp_path / "live").mkdir()
    rows = [row(案件号="CSR-2026-0001", 处理状态="待处理"), row(案件号="CSR-2026-0002", 处理状态="待处理", 责任部门="技术部")]
    return FakeExcel.from_file(write_register(tmp_path / "live" / "r.xlsx", rows))


@pytest.mark.parametrize("tag", ["assign", "validate", "highlight", "signoff", "track"])
def test_every_button_leaves_the_state_sheet_very_hidden(tmp_path: Path, tag: str) -> None:
    if tag == "track":
        (tmp_path / "质量部").mkdir()
        excel = FakeExcel.from_file(make_register(tmp_path / "质量部", SETTINGS, ROWS))
    else:
        excel = signoff_register(tmp_path) if tag == "signoff" else register(tmp_path)
    assert STATE_SHEET not in excel.sheets
    message = dispatch(tag, book=excel.book(), today=TODAY)
    assert not message.startswith("无法"), message
    assert excel.sheets[STATE_SHEET].state == "veryHidden"  # Format ▸ Unhide does not list it
    assert excel.book().sheets[STATE_SHEET].api.Visible == 2  # xlSheetVeryHidden, as Excel's object model says


def test_a_state_sheet_the_old_ribbon_merely_hid_becomes_very_hidden(tmp_path: Path) -> None:
    excel = register(tmp_path)
    dispatch("assign", book=excel.book(), today=TODAY)
    excel.sheets[STATE_SHEET].state = "hidden"  # as `sheet.visible = False` left it
    dispatch("validate", book=excel.book(), today=TODAY)
    assert excel.sheets[STATE_SHEET].state == "veryHidden"


def test_both_fronts_agree_on_a_very_hidden_state_sheet(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", MIXED)
    commands.assign_case_numbers(book, today=TODAY)  # the file writer's _xlcsr
    assert openpyxl.load_workbook(book)[STATE_SHEET].sheet_state == "veryHidden"
    excel = FakeExcel.from_file(book)  # the same file opened in Excel
    assert excel.sheets[STATE_SHEET].state == "veryHidden"
    excel.calls.clear()
    dispatch("validate", book=excel.book(), today=TODAY)
    assert excel.sheets[STATE_SHEET].state == "veryHidden"
    assert excel.calls["api.Visible"] == 1  # read, found very hidden, left alone


def test_where_the_object_model_is_not_com_the_state_sheet_is_hidden(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def no_visible(self: object) -> int:
        raise AttributeError("Unknown property, element or command: 'Visible'")  # appscript, Excel for Mac

    monkeypatch.setattr(fake_excel._SheetApi, "Visible", property(no_visible))
    excel = register(tmp_path)
    dispatch("assign", book=excel.book(), today=TODAY)
    assert excel.sheets[STATE_SHEET].state == "hidden"


def test_the_fake_keeps_excels_three_sheet_states() -> None:
    excel = FakeExcel()
    for name in ("a", "b", "c"):
        excel.sheets[name] = SheetData(name)
    book = excel.book()
    excel.active_sheet = "b"
    book.sheets["b"].api.Visible = 2
    assert excel.sheets["b"].state == "veryHidden" and excel.active_sheet == "c"  # Excel activates the next one
    assert book.sheets["b"].visible is False and book.sheets["b"].api.Visible == 2
    book.sheets["c"].visible = False
    assert excel.sheets["c"].state == "hidden" and excel.active_sheet == "a" and book.sheets["c"].api.Visible == 0
    with pytest.raises(FakeComError):
        book.sheets["a"].api.Visible = 0  # the last visible sheet
    with pytest.raises(FakeComError):
        book.sheets["b"].activate()  # a hidden sheet
    book.sheets["b"].api.Visible = -1
    assert excel.sheets["b"].state == "visible"
    book.sheets.add("d")
    assert excel.active_sheet == "d"


# --- 5. what it costs -----------------------------------------------------------------------------------


class _Careless:
    """`_quiet` without the care: the same click, none of the calls kept Excel as found."""

    def __init__(self, book: Any, *, blocks: int = 0):
        self.blocks = blocks

    def __enter__(self) -> _Careless:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def advance(self) -> None: ...

    def keep_selection(self) -> None: ...


def calls_of(excel: FakeExcel, tag: str, monkeypatch: pytest.MonkeyPatch, *, careless: bool) -> int:
    with monkeypatch.context() as patch:
        if careless:
            patch.setattr(live_book, "_quiet", _Careless)
        excel.calls.clear()
        dispatch(tag, book=excel.book(), today=TODAY)
        return excel.total_calls


SETTINGS_CALLS = 10  # book.app, then screen updating, events and calculation: each read, set and given back
SELECTION_CALLS = 4  # read, and given back: its sheet, activate, select (only when a write moves it)


@pytest.mark.parametrize("tag", ["validate", "assign", "highlight", "track"])
def test_keeping_excel_as_found_costs_a_handful_of_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         tag: str) -> None:
    """The old `_quiet` took 3 calls (book.app, screen updating off and on) and highlight 4 more for the
    selection; now 10 for the settings, and 4 for the selection where a write adds, hides or activates a
    sheet: a click grows by 7, or by 11 when it adds 校验结果 or _xlcsr (its first)."""
    first, second = [], []
    for careless in (False, True):
        excel = tracked(tmp_path / str(careless)) if tag == "track" else register(tmp_path / str(careless))
        first.append(calls_of(excel, tag, monkeypatch, careless=careless))  # adds 校验结果 / _xlcsr
        if tag == "track":
            excel.sheets["清单"].write((4, 4), "PPAP 第4级提交")
        elif tag == "assign":
            excel.sheets["清单"].write((7, 1), None)  # a case number to give again
        second.append(calls_of(excel, tag, monkeypatch, careless=careless))
    moves = tag == "highlight"  # activates 清单 to select each rule's cell
    assert first[0] - first[1] <= SETTINGS_CALLS + SELECTION_CALLS, first
    assert second[0] - second[1] == SETTINGS_CALLS + (SELECTION_CALLS if moves else 0), second


@pytest.mark.parametrize("outer", [False, True], ids=["each write", "one quietly around both"])
def test_two_writes_inside_one_quietly_keep_excel_once(tmp_path: Path, outer: bool) -> None:
    excel = tracked(tmp_path)
    excel.sheets["清单"].write((4, 4), "PPAP 第4级提交")  # a hand edit for the change log
    excel.sheets["清单"].write((5, 1), None)  # and a case number for assign: two writes in one click
    live = LiveBook(excel.book())
    excel.calls.clear()
    with live.quietly() if outer else nullcontext():
        commands.assign_case_numbers(live, today=TODAY)
    assert excel.sheets["清单"].values[(5, 1)] == "CSR-2026-0005"
    # the change log is written inside assign's own write, after it: Excel's settings kept once either way
    assert excel.calls["enable_events"] == excel.calls["calculation"] == excel.calls["screen_updating"] == 3
    assert excel.enable_events and excel.calculation == "automatic" and excel.screen_updating
