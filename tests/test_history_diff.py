"""`xlcsr history` and `xlcsr diff` on real registers edited with openpyxl as a user would."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from books import HEADERS, calamine_rows, row, write_register
from typer.testing import CliRunner

from xlcsr.app.audit import case_history, diff_registers
from xlcsr.cli.app import app
from xlcsr.domain.changes import Action, Change
from xlcsr.domain.signoff import Entry, EntryState, Kind
from xlcsr.domain.vocab import CHANGELOG_SHEET, MANUAL_SOURCE, SIGNOFF_LOG_SHEET, UNDER_REVIEW
from xlcsr.workbook.changelog import change_row, changelog_header
from xlcsr.workbook.signoff_log import entry_row, log_header

runner = CliRunner()
GREEN, RED, YELLOW = "00C6EFCE", "00FFC7CE", "00FFEB9C"


def run(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def sheet_values(path: Path, sheet: str) -> list[list[object]]:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


# ---------------------------------------------------------------- diff

OLD_ROWS = [
    row(案件号="CSR-2026-0001", 客户名称="吉利汽车", 要求描述="PPAP 第3级提交", 截止日期=date(2026, 11, 17)),
    row(案件号="CSR-2026-0002", 客户名称="比亚迪", 要求描述="包装按 BYD-PK-03", 截止日期=date(2026, 11, 17)),
    row(案件号="CSR-2026-0003", 客户名称="长安汽车", 要求描述="批次追溯到炉号", 责任部门="技术部"),
    row(案件号="CSR-2026-0004", 客户名称="奇瑞汽车", 要求描述="ELV 禁用物质声明", 截止日期=date(2026, 11, 20)),
    row(案件号="CSR-2026-0005", 客户名称="上汽通用", 要求描述="CMM 全尺寸每年一次"),
]
FIRST = 4  # the first data row under write_register's title and header
COLUMN = {h: i + 1 for i, h in enumerate(HEADERS)}


@pytest.fixture
def registers(tmp_path: Path) -> tuple[Path, Path]:
    """A register, and a copy a user edited in Excel: one change of each kind."""
    old = write_register(tmp_path / "旧.xlsx", OLD_ROWS)
    new = tmp_path / "新.xlsx"
    wb = openpyxl.load_workbook(old)
    ws = wb["清单"]
    ws.cell(FIRST, COLUMN["要求描述"], "PPAP 第4级提交")
    ws.cell(FIRST + 1, COLUMN["截止日期"], date(2026, 12, 1)).number_format = "yyyy-mm-dd"
    ws.cell(FIRST + 2, COLUMN["责任部门"], "技术部、生产部")
    ws.cell(FIRST + 4, COLUMN["案件号"], "CSR-2026-0009")
    ws.delete_rows(FIRST + 3)  # CSR-2026-0004
    ws.insert_rows(FIRST + 2)  # a new row between 0002 and 0003
    for header, value in {"客户名称": "东风日产", "要求描述": "出货检验报告随货", "接收日期": date(2026, 11, 10),
                          "责任部门": "品质部"}.items():
        cell = ws.cell(FIRST + 2, COLUMN[header], value)
        if isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"
    wb.save(new)
    return old, new


def test_diff_finds_exactly_the_edits_made_by_hand(registers: tuple[Path, Path]) -> None:
    diff = diff_registers(*registers)
    assert [(d.action, (d.old or d.new).case_no, d.field, d.before, d.after) for d in diff.deltas] == [
        (Action.EDIT, "CSR-2026-0001", "requirement", "PPAP 第3级提交", "PPAP 第4级提交"),
        (Action.EDIT, "CSR-2026-0002", "due", "2026-11-17", "2026-12-01"),
        (Action.ADDED, "", "", "", "东风日产 · 出货检验报告随货"),
        (Action.EDIT, "CSR-2026-0003", "departments", "技术部", "技术部、生产部"),
        (Action.REMOVED, "CSR-2026-0004", "", "CSR-2026-0004 · 奇瑞汽车 · ELV 禁用物质声明", ""),
        (Action.RENUMBERED, "CSR-2026-0005", "case_no", "CSR-2026-0005", "CSR-2026-0009"),
    ]
    assert tuple(diff.counts) == (1, 1, 1, 3, 3) and not diff.unchanged
    assert diff.renumbered == [("CSR-2026-0005", "CSR-2026-0009")]
    assert diff.headers() == ["", "案件号", "客户名称", "要求描述", "截止日期", "责任部门", "行"]
    assert diff.to_rows() == [
        ["→", "CSR-2026-0001", "", "PPAP 第3级提交 → PPAP 第4级提交", "", "", 4],
        ["→", "CSR-2026-0002", "", "", "2026-11-17 → 2026-12-01", "", 5],
        ["+++", "", "东风日产", "出货检验报告随货", "", "品质部", 6],
        ["→", "CSR-2026-0003", "", "", "", "技术部 → 技术部、生产部", 7],
        ["---", "CSR-2026-0004", "奇瑞汽车", "ELV 禁用物质声明", "2026-11-20", "技术部、品质部", 7],
        ["编号", "CSR-2026-0005 → CSR-2026-0009", "", "", "", "", 8],
    ]


def test_diff_command_exits_one_and_writes_the_coloured_workbook(registers: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "差异.xlsx"
    code, text = run("diff", *registers, "--out", out)
    assert code == 1
    assert "新增 1 行，删除 1 行，重新编号 1 个，3 行中修改了 3 个单元格" in text and "+++" in text and "---" in text
    ws = openpyxl.load_workbook(out).active
    assert ws.freeze_panes == "A3"
    assert [c.value for c in ws[2]] == [None, *[h for h in HEADERS]]  # the register's fields, in FIELDS order
    legend = {c.value: c.fill.fgColor.rgb for c in ws[1] if c.value and c.fill.fill_type == "solid"}
    assert legend == {"+++ 新增的行": GREEN, "--- 删除的行": RED, "→ 修改的单元格：原值 → 新值，批注为原值": YELLOW,
                      "编号 案件号被改动": YELLOW}
    marks = [ws.cell(r, 1).value for r in range(3, ws.max_row + 1)]
    assert marks == ["→", "→", "+++", "→", "---", "编号"]

    def looks(r: int) -> dict[str, tuple[str | None, str | None]]:
        """Header → (fill, note) of each coloured cell of sheet row r."""
        return {ws.cell(2, c).value or "": (ws.cell(r, c).fill.fgColor.rgb,
                                            ws.cell(r, c).comment.text if ws.cell(r, c).comment else None)
                for c in range(1, ws.max_column + 1) if ws.cell(r, c).fill.fill_type == "solid"}

    assert looks(3) == {"要求描述": (YELLOW, "原值：PPAP 第3级提交")}
    assert looks(4) == {"截止日期": (YELLOW, "原值：2026-11-17")}
    assert set(looks(5)) == {"", *HEADERS} and {fill for fill, _ in looks(5).values()} == {GREEN}
    assert looks(6) == {"责任部门": (YELLOW, "原值：技术部")}
    assert {fill for fill, _ in looks(7).values()} == {RED}
    assert looks(8) == {"案件号": (YELLOW, "原值：CSR-2026-0005")}
    values = sheet_values(out, "差异")
    by_header = [dict(zip(values[1], r)) for r in values[2:]]
    assert by_header[0]["要求描述"] == "PPAP 第3级提交 → PPAP 第4级提交"
    assert by_header[0]["接收日期"] == date(2026, 11, 3)  # an unchanged date stays a date
    assert by_header[1]["截止日期"] == "2026-11-17 → 2026-12-01"
    assert by_header[2]["客户名称"] == "东风日产" and by_header[2]["案件号"] == ""
    assert by_header[4]["案件号"] == "CSR-2026-0004" and by_header[4]["要求描述"] == "ELV 禁用物质声明"
    assert by_header[5]["案件号"] == "CSR-2026-0005 → CSR-2026-0009"
    assert len(values) == 2 + 6  # every row of NEW and the removed one


def test_a_re_sort_is_no_difference(tmp_path: Path) -> None:
    old = write_register(tmp_path / "旧.xlsx", OLD_ROWS)
    wb = openpyxl.load_workbook(old)
    ws = wb["清单"]
    data = [[(c.value, c.number_format) for c in r]
            for r in ws.iter_rows(min_row=FIRST, max_row=FIRST + len(OLD_ROWS) - 1)]
    data.sort(key=lambda r: r[COLUMN["客户名称"] - 1][0], reverse=True)
    for r, cells in enumerate(data, start=FIRST):
        for c, (value, number_format) in enumerate(cells, start=1):
            cell = ws.cell(r, c)
            cell.value, cell.number_format = value, number_format
    new = tmp_path / "排序.xlsx"
    wb.save(new)
    assert calamine_rows(new)[FIRST - 1][0] != "CSR-2026-0001"  # it was re-sorted
    diff = diff_registers(old, new)
    assert diff.unchanged and diff.to_rows() == [] and tuple(diff.counts) == (0, 0, 0, 0, 0)
    code, text = run("diff", old, new)
    assert code == 0 and "没有差异" in text


def test_diff_of_a_file_with_itself(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", OLD_ROWS)
    code, text = run("diff", book, book, "--lang", "en")
    assert code == 0 and "No differences" in text
    out = tmp_path / "same.xlsx"
    code, _ = run("diff", book, book, "--out", out)
    assert code == 0
    values = sheet_values(out, "差异")
    assert len(values) == 2 + len(OLD_ROWS) and {r[0] for r in values[2:]} == {""}


def test_diff_cannot_run_exits_two_and_never_overwrites(registers: tuple[Path, Path], tmp_path: Path) -> None:
    code, text = run("diff", registers[0], tmp_path / "没有.xlsx")
    assert code == 2 and text.count("错误 / error:") == 1
    taken = tmp_path / "taken.xlsx"
    taken.write_bytes(b"mine")
    code, text = run("diff", *registers, "--out", taken)
    assert code == 2 and "已存在" in text and taken.read_bytes() == b"mine"


# ---------------------------------------------------------------- history

AT = datetime(2026, 11, 3, 9, 0)
CHANGES = [
    Change(AT, "CSR-2026-0002", "", "", "CSR-2026-0002 · 吉利汽车 · PPAP 第3级提交", 1, "王芳", MANUAL_SOURCE,
           Action.ADDED),
    Change(datetime(2026, 11, 4, 10, 0), "CSR-2026-0001", "requirement", "甲", "乙", 2, "张伟", MANUAL_SOURCE),
    Change(datetime(2026, 11, 4, 11, 0), "CSR-2026-0002", "requirement", "PPAP 第3级提交", "PPAP 第4级提交", 2,
           "王芳", MANUAL_SOURCE),
    Change(datetime(2026, 11, 5, 8, 30), "CSR-2026-0007", "case_no", "CSR-2026-0002", "CSR-2026-0007", 2, "李强",
           MANUAL_SOURCE, Action.RENUMBERED),
    Change(datetime(2026, 11, 6, 14, 0), "CSR-2026-0007", "due", "2026-11-17", "2026-11-24", 2, "xlcsr",
           "xlcsr collect"),
    Change(datetime(2026, 11, 9, 9, 0), "CSR-2026-0004", "", "CSR-2026-0004 · 奇瑞汽车 · ELV 禁用物质声明", "",
           None, "张伟", MANUAL_SOURCE, Action.REMOVED),
]


def entry(case: str, department: str, kind: Kind, answer: str, at: datetime, *, note: str = "", reviewer: str = "李强",
          revision: int = 2, state: EntryState = EntryState.APPLIED) -> Entry:
    return Entry(case, revision, "3f2a9c", department, kind, answer, note, reviewer, at.date(),
                 f"{department}-2026-11-03.xlsx", at, state)


ENTRIES = [
    entry("CSR-2026-0002", "技术部", Kind.REVIEW, "可满足", datetime(2026, 11, 4, 16, 0), revision=1,
          state=EntryState.STALE),
    entry("CSR-2026-0001", "品质部", Kind.REVIEW, "可满足", datetime(2026, 11, 4, 17, 0), reviewer="王芳"),
    entry("CSR-2026-0007", "技术部", Kind.REVIEW, "有条件满足", datetime(2026, 11, 7, 9, 0), note="需增加检具"),
    entry("CSR-2026-0007", "总经理", Kind.APPROVAL, "批准", datetime(2026, 11, 8, 10, 0), reviewer="周建国"),
    entry("CSR-2026-0007", "技术部", Kind.ROLLOUT, "已落实", datetime(2026, 11, 20, 15, 0), note="控制计划 CP-12 B版"),
]


@pytest.fixture
def logged(tmp_path: Path) -> Path:
    """A register whose 变更记录 and 会签记录 hold hand-made rows; CSR-2026-0007 was CSR-2026-0002."""
    book = write_register(tmp_path / "清单.xlsx", [
        [*row(案件号="CSR-2026-0001", 客户名称="比亚迪"), "1"],
        [*row(案件号="CSR-2026-0007", 要求描述="PPAP 第4级提交", 截止日期=date(2026, 11, 24),
              处理状态=UNDER_REVIEW), "2"],
    ], headers=[*HEADERS, "版本号"])
    wb = openpyxl.load_workbook(book)
    log = wb.create_sheet(CHANGELOG_SHEET)
    log.append(changelog_header())
    for change in CHANGES:
        log.append(change_row(change))
    answers = wb.create_sheet(SIGNOFF_LOG_SHEET)
    answers.append(log_header())
    for e in ENTRIES:
        answers.append(entry_row(e))
    wb.save(book)
    return book


EXPECTED = [
    [date(2026, 11, 3), "接收", "", "", "CSR-2026-0007 · 吉利汽车 · PPAP 第4级提交", "", "", ""],
    [AT, "新增", "", "", "CSR-2026-0002 · 吉利汽车 · PPAP 第3级提交", 1, "王芳", "手工"],
    [datetime(2026, 11, 4, 11, 0), "修改", "要求描述", "PPAP 第3级提交", "PPAP 第4级提交", 2, "王芳", "手工"],
    [datetime(2026, 11, 4, 16, 0), "评审（已失效）", "技术部", "", "可满足", 1, "李强（2026-11-04）",
     "技术部-2026-11-03.xlsx"],
    [datetime(2026, 11, 5, 8, 30), "重新编号", "案件号", "CSR-2026-0002", "CSR-2026-0007", 2, "李强", "手工"],
    [datetime(2026, 11, 6, 14, 0), "修改", "截止日期", "2026-11-17", "2026-11-24", 2, "xlcsr", "xlcsr collect"],
    [datetime(2026, 11, 7, 9, 0), "评审", "技术部", "", "有条件满足：需增加检具", 2, "李强（2026-11-07）",
     "技术部-2026-11-03.xlsx"],
    [datetime(2026, 11, 8, 10, 0), "批准", "总经理", "", "批准", 2, "周建国（2026-11-08）", "总经理-2026-11-03.xlsx"],
    [datetime(2026, 11, 20, 15, 0), "落实", "技术部", "", "已落实：控制计划 CP-12 B版", 2, "李强（2026-11-20）",
     "技术部-2026-11-03.xlsx"],
    ["", "现状", "处理状态", "", UNDER_REVIEW, 2, "", "清单.xlsx 第 5 行"],
]


def test_history_lists_the_cases_events_in_time_order(logged: Path) -> None:
    history = case_history(logged, "CSR-2026-0007")
    assert history.to_rows() == EXPECTED
    assert history.former_numbers == ["CSR-2026-0002"] and history.in_register
    assert (history.received, history.changes, history.signoffs, history.stale) == (date(2026, 11, 3), 4, 4, 1)
    assert history.summary() == ("CSR-2026-0007：2026-11-03 接收，4 处变更，4 条会签（1 条已失效），"
                                 "曾用编号 CSR-2026-0002；现为评审中，版本 2")
    assert case_history(logged, " csr-2026-0002 ").to_rows() == EXPECTED  # its former number, as typed


def test_history_command_prints_and_writes_the_workbook(logged: Path, tmp_path: Path) -> None:
    out = tmp_path / "履历.xlsx"
    code, text = run("history", logged, "CSR-2026-0007", "--out", out)
    assert code == 0 and "曾用编号 CSR-2026-0002" in text and "已写入" in text
    ws = openpyxl.load_workbook(out).active
    assert ws.freeze_panes == "A2" and ws.max_row == 1 + len(EXPECTED)
    assert [c.value for c in ws[1]] == ["时间", "事件", "字段", "原值", "新值", "版本", "人员", "来源/文件"]
    assert ws["A2"].number_format == "yyyy-mm-dd" and ws["A3"].number_format == "yyyy-mm-dd hh:mm"
    assert all(ws.column_dimensions[letter].width >= 6 for letter in "ABCDEFGH")
    values = sheet_values(out, ws.title)
    assert values[1][0] == date(2026, 11, 3) and values[2][0] == AT
    assert [r[1:] for r in values[1:]] == [[*r[1:5], r[5] if r[5] == "" else float(r[5]), *r[6:]] for r in EXPECTED]


def test_a_case_deleted_from_the_register_keeps_its_history(logged: Path) -> None:
    history = case_history(logged, "CSR-2026-0004")
    assert not history.in_register
    assert [r[1] for r in history.to_rows()] == ["删除", "现状"]
    assert history.to_rows()[-1][4] == "已不在清单中"
    code, text = run("history", logged, "CSR-2026-0004", "--lang", "en")
    assert code == 0 and "no longer in 清单.xlsx" in text


def test_an_unknown_case_exits_two_with_one_line(logged: Path, tmp_path: Path) -> None:
    code, text = run("history", logged, "CSR-2026-0099", "--out", tmp_path / "h.xlsx")
    assert code == 2
    assert text.count("\n") == 1 and "CSR-2026-0099" in text and "清单.xlsx" in text
    assert not (tmp_path / "h.xlsx").exists()


def test_history_of_a_register_without_logs(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [row(案件号="CSR-2026-0001")])
    history = case_history(book, "CSR-2026-0001")
    assert [r[1] for r in history.to_rows()] == ["接收", "现状"] and history.changes == 0
    shutil.copy(book, tmp_path / "copy.xlsx")
    code, _ = run("history", tmp_path / "copy.xlsx", "CSR-2026-0002")
    assert code == 2
