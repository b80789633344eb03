"""The ribbon's dialogs are for people: short Chinese, the count, what to look at next; no terminal markup.

Every button runs through the xlwings fakes on the demo register made by `make_register`, and its
message is held to `for_people`. The icons: every `Button.image` is in Microsoft's published
imageMso table kept in `xlcsr/excel/imagemso.txt`.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import ModuleType

import openpyxl
import pytest
from books import real
from fake_excel import FakeExcel

import xlcsr.excel
from xlcsr.app.demo import demo_rows
from xlcsr.domain.settings import DEFAULT_SETTINGS
from xlcsr.domain.vocab import RECORD_DIR
from xlcsr.excel import button_actions, dispatch
from xlcsr.excel.buttons import BUTTONS, Button
from xlcsr.files.new_books import make_register

TODAY = date(2026, 11, 25)
IMAGEMSO = Path(xlcsr.excel.__file__).with_name("imagemso.txt")

MARKUP = {
    "a rich tag": re.compile(r"\[/?[A-Za-z#][^\]\n]*\]"),
    "an ANSI escape": re.compile("\x1b"),
    "an English half": re.compile(r" / [A-Za-z]"),
    "an English sentence": re.compile(r"\b(?!xlcsr\b)[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}"),  # a command is fine
    "a traceback": re.compile(r"Traceback|File \"|Error:"),
    "a command-line option": re.compile(r"(?<![\w-])--[a-z]"),
}


def for_people(message: str, *, count: str, then: str) -> str:
    """`message` as a dialog a person reads: at most 8 lines, Chinese, no markup, the count, the next thing."""
    lines = message.splitlines()
    assert 1 <= len(lines) <= button_actions.MAX_LINES, message
    assert all(line.strip() for line in lines), f"an empty line in {message!r}"
    assert len(re.findall(r"[\u4e00-\u9fff]", message)) >= 8, message
    for what, pattern in MARKUP.items():
        assert not pattern.search(message), f"{what} in {message!r}"
    assert count in message, f"{count!r} not in {message!r}"
    assert then in message, f"{then!r} not in {message!r}"
    return message


# --- the register --------------------------------------------------------------------------------


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The demo register (42 rows, the last six wrong) with real-looking addresses, in a folder of its own."""
    folder = tmp_path / "清单"
    folder.mkdir()
    return make_register(folder / "顾客特殊要求清单.xlsx", real(DEFAULT_SETTINGS), demo_rows(TODAY))


def opened(path: Path) -> FakeExcel:
    return FakeExcel.from_file(path)


def click(excel: FakeExcel, tag: str, *, today: date = TODAY) -> str:
    message = dispatch(tag, book=excel.book(), today=today)
    assert excel.alerts[-1] == message
    return message


# --- the buttons ---------------------------------------------------------------------------------


def test_validate_counts_the_rows_and_sends_the_reader_to_the_result_sheet(demo: Path) -> None:
    excel = opened(demo)
    message = for_people(click(excel, "validate"), count="42 行", then="详情见「校验结果」工作表")
    assert "已在单元格中标红" in message and "个错误" in message
    assert "校验结果" in excel.sheets  # the list is there, not in the dialog


def test_validate_without_errors_says_so_in_one_line(tmp_path: Path) -> None:
    excel = opened(make_register(tmp_path / "r.xlsx", real(DEFAULT_SETTINGS), demo_rows(TODAY)[:36]))
    message = for_people(click(excel, "validate"), count="36 行", then="详情见「校验结果」工作表")
    assert re.fullmatch(r"已校验「清单」36 行：没有错误，\d+ 个提醒；详情见「校验结果」工作表。", message)
    empty = opened(make_register(tmp_path / "empty.xlsx", real(DEFAULT_SETTINGS)))
    assert for_people(click(empty, "validate"), count="0 行", then="未发现问题") == "已校验「清单」0 行：未发现问题。"


def test_validate_writes_a_thousands_separator(tmp_path: Path) -> None:
    rows = [dict(demo_rows(TODAY)[1], case_no="") for _ in range(1234)]
    excel = opened(make_register(tmp_path / "r.xlsx", real(DEFAULT_SETTINGS), rows))
    for_people(click(excel, "validate"), count="1,234 行", then="「清单」")


def test_assign_names_the_numbers_given_the_rows_skipped_and_what_to_do(demo: Path) -> None:
    excel = opened(demo)
    message = for_people(click(excel, "assign"), count="已分配 24 个案件号", then="请保存清单")
    assert "跳过 6 个有问题的行：第 40–45 行。请先点「校验」查看原因。" in message
    again = for_people(click(excel, "assign"), count="跳过 6 个", then="无需分配")
    assert "请保存清单" not in again


def test_highlight_counts_the_rows_and_explains_the_colours(demo: Path) -> None:
    excel = opened(demo)
    click(excel, "assign")
    message = for_people(click(excel, "highlight"), count="42 行", then="图例在表头右侧")
    assert re.search(r"逾期 \d+ 条，即将到期 \d+ 条", message) and "「逾期天数」列按 2026-11-25 计算" in message


def test_remind_asks_in_a_short_question_then_says_where_the_mail_went(demo: Path) -> None:
    excel = opened(demo)
    click(excel, "assign")
    excel.answers = ["ok"]
    message = click(excel, "remind")
    question = excel.alerts[-2]
    for_people(question, count="封提醒", then="现在发送这")
    assert "封提醒（未配置邮件服务器，不会发出）" in question
    named = re.findall(r"^\S+：(?:逾期|将到期|待会签|本部门升级|被驳回) \d+", question, re.M)
    assert len(named) == button_actions.PREVIEW_PEOPLE and re.search(r"^…另有 \d+ 人$", question, re.M)
    written = len(list((demo.parent / "outbox").iterdir()))
    for_people(message, count=f"已写入发件箱 {written} 封", then=str(demo.parent / "outbox"))
    for_people(click(excel, "remind"), count="不会重发", then="今天没有需要发送的提醒")


def test_remind_cancelled_sends_nothing(demo: Path) -> None:
    excel = opened(demo)
    click(excel, "assign")
    excel.answers = ["cancel"]
    assert click(excel, "remind") == "已取消：没有发送任何邮件。"
    assert not (demo.parent / "outbox").exists()


def test_new_register_gives_the_path_and_the_first_thing_to_do(demo: Path) -> None:
    excel = opened(demo)
    message = click(excel, "new_register")
    made = demo.parent / "顾客特殊要求清单-20261125.xlsx"
    for_people(message, count=str(made), then="点「校验」")
    assert excel.opened == [str(made)]


def test_import_counts_the_rows_and_names_the_new_register(demo: Path, tmp_path: Path) -> None:
    old = tmp_path / "旧清单.xlsx"
    old.write_bytes(demo.read_bytes())
    excel = opened(demo)
    book = excel.book()
    book.app.api.GetOpenFilename.return_value = str(old)
    message = dispatch("import", book=book, today=TODAY)
    for_people(message, count="已导入 42 行", then="新清单校验")
    assert "请在新清单中点「校验」标出问题" in message  # the six wrong rows came along
    assert excel.opened and Path(excel.opened[0]).parent == tmp_path


def answer_all(folder: Path, answer: str = "可满足") -> None:
    """Every open item of every sign-off workbook in `folder` answered, as its department would."""
    for path in folder.glob("*.xlsx"):
        wb = openpyxl.load_workbook(path)
        ws = wb["会签"]
        for r in range(1, ws.max_row + 1):
            if ws.cell(r, 11).protection.locked is False and str(ws.cell(r, 1).value or "").startswith("CSR-"):
                ws.cell(r, 11).value = answer
                ws.cell(r, 13).value = "张三"
                ws.cell(r, 14).value = date(2026, 11, 26)
        wb.save(path)


def test_signoff_collect_and_record_say_how_many_and_where(demo: Path) -> None:
    excel = opened(demo)
    click(excel, "assign")
    message = click(excel, "signoff")
    files = sorted((demo.parent / "会签").iterdir())
    for_people(message, count=f"已生成 {len(files)} 份会签表", then="请保存清单，再把会签表发给各部门")
    assert str(demo.parent / "会签") in message
    if len(files) > button_actions.SHOWN:
        assert f"…另有 {len(files) - button_actions.SHOWN} 份" in message

    answer_all(demo.parent / "会签")
    book = excel.book()
    book.app.api.GetOpenFilename.return_value = [str(p) for p in files]
    message = dispatch("collect", book=book, today=date(2026, 11, 27))
    for_people(message, count=f"已读取 {len(files)} 个会签表", then="已写入「会签记录」工作表")
    assert re.search(r"生效 [1-9]\d* 项", message) and "请保存清单" in message

    register = excel.sheets["清单"]
    case = next(v for (r, c), v in sorted(register.values.items()) if c == 1 and r >= 4 and str(v).startswith("CSR-"))
    row = next(r for (r, c), v in register.values.items() if c == 1 and v == case)
    excel.active_sheet, register.active, register.selection = "清单", (row, 1), [(row, 1)]
    message = click(excel, "record", today=date(2026, 11, 27))
    for_people(message, count="已为 1 个案件生成评审记录表", then=str(demo.parent / RECORD_DIR))


def test_collect_lists_only_a_few_problems(demo: Path) -> None:
    excel = opened(demo)
    click(excel, "assign")
    click(excel, "signoff")
    answer_all(demo.parent / "会签", answer="也许")  # not an answer a form allows
    files = sorted((demo.parent / "会签").iterdir())
    book = excel.book()
    book.app.api.GetOpenFilename.return_value = [str(p) for p in files]
    message = for_people(dispatch("collect", book=book, today=date(2026, 11, 27)), count="生效 0 项", then="有误")
    assert "…另有" in message or len(message.splitlines()) <= 2 + button_actions.SHOWN


def test_track_counts_the_rows_and_points_at_the_change_log(demo: Path) -> None:
    excel = opened(demo)
    for_people(click(excel, "track"), count="已建立快照（42 行）", then="「变更记录」")
    for_people(click(excel, "track"), count="已比较 42 行", then="没有改动")
    register = excel.sheets["清单"]
    cell = next((r, c) for (r, c), v in register.values.items() if r == 5 and v == demo_rows(TODAY)[1]["requirement"])
    register.write(cell, "PPAP 第3级提交，另附尺寸报告")
    message = for_people(click(excel, "track"), count="已记入「变更记录」1 条", then="详情见「变更记录」工作表")
    assert "请保存清单" in message


# --- 诊断 -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeCheck:
    name: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass
class FakeReport:
    checks: list[FakeCheck] = field(default_factory=list)
    configs: list[Path | None] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def failures(self) -> list[FakeCheck]:
        return [c for c in self.checks if not c.ok]

    def to_rows(self) -> list[list[str]]:
        return [[c.name, "正常" if c.ok else "有问题", c.detail, c.fix] for c in self.checks]


def fake_doctor(monkeypatch: pytest.MonkeyPatch, report: FakeReport) -> FakeReport:
    """`xlcsr.excel.doctor.run_doctor` answering `report`, and noting the config it was given."""
    module = ModuleType("xlcsr.excel.doctor")

    def run_doctor(*, config: Path | None = None, **_: object) -> FakeReport:
        report.configs.append(config)
        return report

    module.run_doctor = run_doctor  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "xlcsr.excel.doctor", module)
    return report


GOOD = [FakeCheck("Python 版本", True, "Python 3.11.7 / Python 3.11.7"), FakeCheck("xlwings", True, "0.33.1")]
BAD = [FakeCheck(name, False, f"{name}有问题 / {name} is broken", f"运行 xlcsr addin install / run it {n}")
       for n, name in enumerate(["加载项", "加载项信任", "xlcsr.conf", "SMTP 服务器", "夜间任务"])]


def test_doctor_says_all_is_well_with_the_count(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = fake_doctor(monkeypatch, FakeReport(GOOD))
    message = for_people(click(opened(demo), "doctor"), count="已检查 2 项", then="一切正常")
    assert message == "诊断完成：已检查 2 项，一切正常。"
    assert report.configs == [None]  # no xlcsr.toml beside the workbook


def test_doctor_lists_a_few_failures_each_with_its_fix(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (demo.parent / "xlcsr.toml").write_text('registers = ["顾客特殊要求清单.xlsx"]\n', encoding="utf-8")
    report = fake_doctor(monkeypatch, FakeReport([*GOOD, *BAD]))
    message = for_people(click(opened(demo), "doctor"), count="5 项有问题", then="解决办法：运行 xlcsr addin install")
    assert report.configs == [demo.parent / "xlcsr.toml"]
    assert "• 加载项：加载项有问题" in message and "is broken" not in message
    assert "…另有 2 项" in message and "xlcsr doctor" in message


def test_doctor_button_runs_the_real_doctor(demo: Path) -> None:
    from xlcsr.excel.doctor import DoctorReport

    message = click(opened(demo), "doctor")
    for_people(message, count="已检查", then="诊断完成")
    assert isinstance(DoctorReport().ok, bool)


# --- the icons -----------------------------------------------------------------------------------


def built_in_icons() -> set[str]:
    lines = IMAGEMSO.read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_the_kept_imagemso_list_is_microsofts_and_not_trivial() -> None:
    names = built_in_icons()
    head = IMAGEMSO.read_text(encoding="utf-8").splitlines()[:5]
    assert any(line.startswith("#") and "MS-CUSTOMUI" in line for line in head)
    assert any(line.startswith("#") and "https://learn.microsoft.com/" in line for line in head)
    assert len(names) > 900
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) for name in names)
    assert {"HappyFace", "FileSave", "FilePrint", "FileSendAsAttachment", "ReviewTrackChanges"} <= names
    assert not {"NumberingGallery", "ConditionalFormattingMenu"} & names  # Excel has them; the table does not


def test_every_button_icon_is_a_built_in_one() -> None:
    names = built_in_icons()
    assert {b.tag: b.image for b in BUTTONS if b.image not in names} == {}


def test_a_made_up_icon_fails_the_check() -> None:
    names = built_in_icons()
    made_up = Button("x", "虚构", "XlcsrMadeUpIcon", "不存在的图标", "validate_book")
    assert made_up.image not in names
    assert "numbering" not in names and "Numbering" in names  # names are case-sensitive


def test_the_doctor_button_is_in_a_help_group_of_its_own() -> None:
    doctor = next(b for b in BUTTONS if b.tag == "doctor")
    assert (doctor.label, doctor.action, doctor.group) == ("诊断", "doctor_book", "帮助")
    assert [b.tag for b in BUTTONS if b.group == "帮助"] == ["doctor"]
