"""Sign-off (会签) end to end on real workbooks: signoff, fill as a user would, collect, statuses, 会签记录.

Registers come from `make_register`; the sign-off workbooks are filled with openpyxl (and once re-saved
by LibreOffice); every result is read back with python-calamine and with openpyxl; the verbs run through
typer's runner. One register is issued once per module and copied, with its `.xlcsr/` store, per test.

The register (清单, header row 3): A 案件号 … I 接收日期, K 截止日期, L 责任部门, N 处理状态, O 合同类型,
P 完成日期, Q 备注, R 版本号; xlcsr adds S 落实情况 when it first collects.
"""

from __future__ import annotations

import email
import json
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from books import calamine_rows, needs, real
from typer.testing import CliRunner

from xlcsr.app.signoff import collect_signoffs
from xlcsr.cli.app import app
from xlcsr.domain.records import column_letter
from xlcsr.domain.settings import DEFAULT_SETTINGS
from xlcsr.domain.vocab import REGISTER_FILE, SEAL_SHEET, SIGNOFF_LOG_SHEET, SIGNOFF_SHEET, STATE_SHEET, STORE_DIR
from xlcsr.files.new_books import make_register

runner = CliRunner()
SETTINGS = real(DEFAULT_SETTINGS)  # heads with addresses mail can go to
ISSUED, ANSWERED, COLLECTED = "2026-11-25", datetime(2026, 11, 26), "2026-11-27"
STAMP = "20261125"

ROWS = [
    dict(case_no="CSR-2026-0001", customer="吉利汽车", product="GL-SX11 传感器支架",
         requirement="PPAP 第3级提交，含全尺寸报告", category="产品", source="技术协议", source_ref="TA-2026-07 B版",
         received=date(2026, 11, 3), due=date(2026, 12, 15), departments="技术部、品质部", owner="李强",
         status="待处理", contract_type="常规"),
    dict(case_no="CSR-2026-0002", customer="比亚迪汽车", product="BYD-EV-0455 控制器", requirement="年降 3%，付款月结 90 天",
         category="商务", source="订单合同", source_ref="PO-2026-0881", received=date(2026, 11, 5), due=date(2026, 12, 20),
         departments="生产部、技术部", owner="刘洋", status="待处理", contract_type="特殊"),
    dict(case_no="CSR-2026-0003", customer="长城汽车", requirement="包装防潮", category="包装", received=date(2026, 11, 2),
         due=date(2026, 12, 2), departments="生产部", owner="刘洋", status="处理中"),  # reviewed on paper
    dict(case_no="CSR-2026-0004", customer="上汽大众", requirement="VDA 6.3 过程审核≥90 分", category="质量体系",
         received=date(2026, 11, 10), due=date(2026, 12, 10), departments="品质部", owner="张伟", status="评审中",
         contract_type="常规"),
    dict(case_no="CSR-2026-0005", customer="长城汽车", requirement="年度型式试验", category="产品",
         received=date(2026, 10, 12), due=date(2026, 11, 12), departments="品质部", owner="张伟", status="已完成",
         closed=date(2026, 11, 10)),
    dict(customer="吉利汽车", requirement="未编号的新要求", category="产品", received=date(2026, 11, 20),
         departments="技术部", owner="李强", status="待处理"),  # not numbered yet: not issued
]
ROW = {"CSR-2026-0001": 4, "CSR-2026-0002": 5, "CSR-2026-0003": 6, "CSR-2026-0004": 7, "CSR-2026-0005": 8}
ISSUED_ITEMS = {"技术部": ["CSR-2026-0001", "CSR-2026-0002"], "品质部": ["CSR-2026-0001", "CSR-2026-0004"],
                "生产部": ["CSR-2026-0002"], "总经理": ["CSR-2026-0002"]}
YES = {  # every department satisfied, 总经理 approves: the answers a user types into the yellow cells
    "技术部": {"CSR-2026-0001": ("可满足", None, "李强", ANSWERED),
            "CSR-2026-0002": ("有条件满足", "需外委盐雾试验", "李强", ANSWERED)},
    "品质部": {"CSR-2026-0001": ("可满足", None, "张伟", ANSWERED), "CSR-2026-0004": ("可满足", None, "张伟", ANSWERED)},
    "生产部": {"CSR-2026-0002": ("可满足", None, "刘洋", "2026/11/26")},  # a date typed as text
    "总经理": {"CSR-2026-0002": ("批准", None, "周建国", ANSWERED)},
}


def run(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def flat(text: str) -> str:
    """Text without spaces, rich's line breaks and table borders."""
    return re.sub(r"[\s│┃]+", "", text)


def says(out: str, text: str) -> bool:
    """Whether the terminal output says `text`, however rich wrapped it."""
    return flat(text) in flat(out)


# --- the register, read by both readers --------------------------------------------------------------


def norm(value: object) -> object:
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass
class Cells:
    """Every non-empty cell of a sheet as python-calamine and as openpyxl read it."""

    calamine: dict[str, object]
    openpyxl: dict[str, object]

    def changed(self, after: Cells) -> dict[str, object]:
        """The cells that differ (None for an emptied one), the same for both readers."""
        found = []
        for before, now in ((self.calamine, after.calamine), (self.openpyxl, after.openpyxl)):
            found.append({ref: now.get(ref) for ref in before.keys() | now.keys() if before.get(ref) != now.get(ref)})
        assert found[0] == found[1]
        return found[0]


def cells(book: Path, sheet: str = "清单") -> Cells:
    rows = calamine_rows(book, sheet)
    by_calamine = {f"{column_letter(c)}{r}": norm(v) for r, row in enumerate(rows, start=1)
                   for c, v in enumerate(row) if v not in ("", None)}
    ws = openpyxl.load_workbook(book)[sheet]
    by_openpyxl = {c.coordinate: norm(c.value) for row in ws.iter_rows() for c in row if c.value not in ("", None)}
    return Cells(by_calamine, by_openpyxl)


def log(book: Path) -> list[tuple[object, ...]]:
    """The rows of 会签记录 below its header (the same for both readers); collected-at left out."""
    by_calamine = [tuple(norm(v) for v in row) for row in calamine_rows(book, SIGNOFF_LOG_SHEET)[1:]]
    ws = openpyxl.load_workbook(book)[SIGNOFF_LOG_SHEET]
    by_openpyxl = [tuple(norm(v) for v in row) for row in ws.iter_rows(min_row=2, values_only=True)]
    assert by_calamine == [tuple("" if v is None else v for v in row) for row in by_openpyxl]
    return [row[:10] + row[11:] for row in by_calamine]


def entry(case: str, department: str, answer: str, note: str, reviewer: str, file: str, *,
          kind: str = "评审") -> tuple[object, ...]:
    """A 会签记录 row as `log` gives it, its fingerprint "*" (any): revision 1, answered on ANSWERED, 有效."""
    return (case, 1, "*", department, kind, answer, note, reviewer, ANSWERED.date(), file, "有效")


def matches(rows: list[tuple[object, ...]], expected: list[tuple[object, ...]]) -> bool:
    """`rows` are `expected`, a fingerprint of "*" standing for any 16 hex digits."""
    return len(rows) == len(expected) and all(
        (re.fullmatch(r"[0-9a-f]{16}", str(r[2])) if e[2] == "*" else r[2] == e[2]) and r[:2] + r[3:] == e[:2] + e[3:]
        for r, e in zip(rows, expected))


def state(book: Path) -> dict[str, object]:
    rows = calamine_rows(book, STATE_SHEET)
    return {row[0]: json.loads(row[1]) for row in rows if row and row[0]}


def edit(book: Path, sheet: str, **values: object) -> None:
    """Change cells with openpyxl, as a user saving the workbook would."""
    wb = openpyxl.load_workbook(book)
    for ref, value in values.items():
        wb[sheet][ref] = value
    wb.save(book)


# --- the sign-off workbooks ----------------------------------------------------------------------------


def items(book: Path) -> list[tuple[str, str]]:
    """(case, section) of every item of a sign-off workbook, in sheet order."""
    section, found = "", []
    for row in calamine_rows(book, SIGNOFF_SHEET)[3:]:
        if row[0] and not row[1] and "、" in str(row[0]):
            section = str(row[0]).split("、", 1)[1]
        elif str(row[0]).startswith("CSR-"):
            found.append((row[0], section))
    return found


def fill(book: Path, answers: dict[str, tuple[object, ...]]) -> None:
    """Type answer, 说明, reviewer and date into the yellow cells of each case's row, as a user would."""
    wb = openpyxl.load_workbook(book)
    ws = wb[SIGNOFF_SHEET]
    rows = {ws.cell(r, 1).value: r for r in range(6, ws.max_row + 1)}
    for case, values in answers.items():
        for column, value in zip("KLMN", values):
            ws[f"{column}{rows[case]}"] = value
    wb.save(book)


@dataclass
class Flow:
    """A copy of the issued register in its folder (with `.xlcsr/`), and its sign-off workbooks in 会签/."""

    folder: Path
    book: Path = field(init=False)
    out: Path = field(init=False)

    def __post_init__(self) -> None:
        self.book, self.out = self.folder / REGISTER_FILE, self.folder / "会签"

    def sheet(self, department: str, out: Path | None = None, stamp: str = STAMP) -> Path:
        return (out or self.out) / f"{department}-{stamp}.xlsx"

    def fill(self, answers: dict[str, dict[str, tuple[object, ...]]], out: Path | None = None,
             stamp: str = STAMP) -> None:
        for department, given in answers.items():
            fill(self.sheet(department, out, stamp), given)

    def collect(self, *sources: Path, today: str = COLLECTED) -> tuple[int, str]:
        return run("collect", self.book, *(sources or (self.out,)), "--today", today)


def build(folder: Path, rows: list[dict[str, object]] = ROWS) -> Path:
    folder.mkdir(parents=True)
    return make_register(folder, SETTINGS, rows)


@pytest.fixture(scope="module")
def fresh_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fresh") / "质量部"
    build(folder)
    return folder


@pytest.fixture(scope="module")
def issued_folder(fresh_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("issued") / "质量部"
    shutil.copytree(fresh_folder, folder)
    code, out = run("signoff", folder / REGISTER_FILE, "--out", folder / "会签", "--today", ISSUED)
    assert code == 0, out
    return folder


@pytest.fixture
def fresh(fresh_folder: Path, tmp_path: Path) -> Flow:
    """The register before any sign-off was issued."""
    shutil.copytree(fresh_folder, tmp_path / "质量部")
    return Flow(tmp_path / "质量部")


@pytest.fixture
def flow(issued_folder: Path, tmp_path: Path) -> Flow:
    """The register just after `signoff --today 2026-11-25`, its four workbooks blank."""
    shutil.copytree(issued_folder, tmp_path / "质量部")
    return Flow(tmp_path / "质量部")


# --- issuing -------------------------------------------------------------------------------------------


def test_each_department_gets_exactly_its_outstanding_items(fresh: Flow) -> None:
    before = cells(fresh.book)
    code, out = run("signoff", fresh.book, "--out", fresh.out, "--today", ISSUED)
    assert code == 0, out
    assert sorted(p.name for p in fresh.out.iterdir()) == sorted(f"{d}-{STAMP}.xlsx" for d in ISSUED_ITEMS)
    section = {"总经理": "批准（特殊合同）"}
    for department, cases in ISSUED_ITEMS.items():
        assert items(fresh.sheet(department)) == [(case, section.get(department, "评审")) for case in cases]
    # 待处理 → 评审中; the case already 评审中, the paper-reviewed, closed and unnumbered rows stay as they were
    assert before.changed(cells(fresh.book)) == {"N4": "评审中", "N5": "评审中"}
    assert "2 个案件转为评审中" in out and says(out, f"技术部-{STAMP}.xlsx：2 项")
    wb = openpyxl.load_workbook(fresh.sheet("总经理"))
    ws = wb[SIGNOFF_SHEET]
    assert ws["K5"].value == "批准意见" and ws["M5"].value == "批准人"
    assert [dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"] == ['"批准,不批准"']
    assert ws.protection.sheet and {c.coordinate for row in ws.iter_rows() for c in row
                                    if not c.protection.locked} == {"K6", "L6", "M6", "N6"}
    assert wb[SEAL_SHEET].sheet_state == "veryHidden"
    register = openpyxl.load_workbook(fresh.book)
    assert register[STATE_SHEET].sheet_state == "veryHidden" and register[SIGNOFF_LOG_SHEET].max_row == 1
    issued = state(fresh.book)["signoff"]["issued"]
    assert {case: sorted(by) for case, by in issued.items()} == {
        "CSR-2026-0001": ["品质部", "技术部"], "CSR-2026-0002": ["总经理", "技术部", "生产部"], "CSR-2026-0004": ["品质部"]}
    assert {day for by in issued.values() for day, _ in by.values()} == {ISSUED}
    assert (fresh.folder / STORE_DIR).is_dir()


def test_the_general_manager_only_signs_special_contracts(fresh: Flow) -> None:
    edit(fresh.book, "清单", O5="常规", O4="特殊")
    code, out = run("signoff", fresh.book, "--out", fresh.out, "--today", ISSUED)
    assert code == 0, out
    assert items(fresh.sheet("总经理")) == [("CSR-2026-0001", "批准（特殊合同）")]
    assert [case for case, _ in items(fresh.sheet("技术部"))] == ["CSR-2026-0001", "CSR-2026-0002"]


def test_department_limits_the_run_to_one(fresh: Flow) -> None:
    before = cells(fresh.book)
    code, out = run("signoff", fresh.book, "--out", fresh.out, "--department", "品质部", "--today", ISSUED)
    assert code == 0, out
    assert [p.name for p in fresh.out.iterdir()] == [f"品质部-{STAMP}.xlsx"]
    assert [case for case, _ in items(fresh.sheet("品质部"))] == ISSUED_ITEMS["品质部"]
    assert before.changed(cells(fresh.book)) == {"N4": "评审中"}  # 0002 was not issued to anyone: still 待处理
    assert list(state(fresh.book)["signoff"]["issued"]) == ["CSR-2026-0001", "CSR-2026-0004"]
    code, out = run("signoff", fresh.book, "--out", fresh.out, "--department", "研发部", "--today", ISSUED)
    assert code == 2 and "研发部" in out
    assert [p.name for p in fresh.out.iterdir()] == [f"品质部-{STAMP}.xlsx"]


def test_an_existing_output_file_is_never_overwritten(flow: Flow) -> None:
    sheets = {p: p.read_bytes() for p in flow.out.iterdir()}
    register = flow.book.read_bytes()
    code, out = run("signoff", flow.book, "--out", flow.out, "--today", ISSUED)
    assert code == 2 and "已存在" in out and "未覆盖" in out
    assert {p: p.read_bytes() for p in flow.out.iterdir()} == sheets and flow.book.read_bytes() == register


def test_an_output_folder_that_cannot_be_made_is_a_message(fresh: Flow) -> None:
    register = fresh.book.read_bytes()
    code, out = run("signoff", fresh.book, "--out", fresh.book / "会签", "--today", ISSUED)  # under a file
    assert code == 2 and out.count("错误 / error:") == 1 and "无法创建输出文件夹" in out
    assert fresh.book.read_bytes() == register and not (fresh.folder / STORE_DIR).exists()


def test_rerunning_issues_only_what_is_outstanding_and_keeps_the_answers(flow: Flow) -> None:
    flow.fill({"技术部": YES["技术部"], "品质部": {"CSR-2026-0001": YES["品质部"]["CSR-2026-0001"]}})
    code, out = flow.collect()
    assert code == 0, out
    answered = log(flow.book)
    assert len(answered) == 3
    before = cells(flow.book)
    again = flow.folder / "会签2"
    code, out = run("signoff", flow.book, "--out", again, "--today", COLLECTED)
    assert code == 0, out
    assert sorted(p.name for p in again.iterdir()) == ["品质部-20261127.xlsx", "总经理-20261127.xlsx",
                                                       "技术部-20261127.xlsx", "生产部-20261127.xlsx"]
    # 技术部 reviewed both: only the rollout of 0001, approved meanwhile, is asked of it
    assert items(again / "技术部-20261127.xlsx") == [("CSR-2026-0001", "落实确认")]
    assert items(again / "品质部-20261127.xlsx") == [("CSR-2026-0004", "评审"), ("CSR-2026-0001", "落实确认")]
    assert log(flow.book) == answered and before.changed(cells(flow.book)) == {}
    issued = state(flow.book)["signoff"]["issued"]  # still waiting since the first issue
    assert issued["CSR-2026-0004"]["品质部"][0] == ISSUED and issued["CSR-2026-0002"]["生产部"][0] == ISSUED
    flow.fill({d: YES[d] for d in ("生产部", "总经理")}, again, "20261127")
    flow.fill({"品质部": {"CSR-2026-0004": YES["品质部"]["CSR-2026-0004"]}}, again, "20261127")
    code, out = flow.collect(again)
    assert code == 0, out
    assert log(flow.book)[:3] == answered and len(log(flow.book)) == 6
    register = cells(flow.book).calamine
    assert [register[f"N{ROW[case]}"] for case in ("CSR-2026-0001", "CSR-2026-0002", "CSR-2026-0004")] == ["处理中"] * 3


# --- the round trip ------------------------------------------------------------------------------------


def round_trip_log(name: str = "{}-20261125.xlsx") -> list[tuple[object, ...]]:
    """The 会签记录 rows of YES, in file-name order (品质部, 总经理, 技术部, 生产部)."""
    return [entry("CSR-2026-0001", "品质部", "可满足", "", "张伟", name.format("品质部")),
            entry("CSR-2026-0004", "品质部", "可满足", "", "张伟", name.format("品质部")),
            entry("CSR-2026-0002", "总经理", "批准", "", "周建国", name.format("总经理"), kind="批准"),
            entry("CSR-2026-0001", "技术部", "可满足", "", "李强", name.format("技术部")),
            entry("CSR-2026-0002", "技术部", "有条件满足", "需外委盐雾试验", "李强", name.format("技术部")),
            entry("CSR-2026-0002", "生产部", "可满足", "", "刘洋", name.format("生产部"))]


ROUND_TRIP = {"N4": "处理中", "N5": "处理中", "N7": "处理中", "S3": "落实情况",
              "S4": "0/2 已落实", "S5": "0/2 已落实", "S7": "0/1 已落实"}


def test_a_full_round_trip_moves_the_statuses_and_appends_the_log(flow: Flow) -> None:
    flow.fill(YES)
    before = cells(flow.book)
    at = datetime(2026, 11, 27, 9, 30, 5)
    result = collect_signoffs(flow.book, [flow.out], today=date(2026, 11, 27), clock=lambda: at)
    assert result.clean and len(result.applied) == 6 and result.written
    assert before.changed(cells(flow.book)) == ROUND_TRIP
    rows = log(flow.book)
    assert matches(rows, round_trip_log())
    sealed = {(case, department): print_ for case, by in state(flow.book)["signoff"]["issued"].items()
              for department, (_, print_) in by.items()}
    assert [row[2] for row in rows] == [sealed[row[0], row[3]] for row in rows]  # the fingerprint answered for
    ws = openpyxl.load_workbook(flow.book)[SIGNOFF_LOG_SHEET]
    assert [c.value for c in ws[1]][:3] == ["案件号", "版本号", "指纹"]
    assert {ws.cell(r, 11).value for r in range(2, 8)} == {at}  # collected at
    assert calamine_rows(flow.book, SIGNOFF_LOG_SHEET)[1][10] == at
    code, out = run("validate", flow.book, "--json", "--today", COLLECTED)
    assert code == 0 and [w["code"] for w in json.loads(out)["warnings"]] == []


def test_the_cli_round_trip_exits_zero_and_reports_the_moves(flow: Flow) -> None:
    flow.fill(YES)
    code, out = flow.collect()
    assert code == 0, out
    assert "4 个文件：生效 6 项，已失效 0 项，有误 0 项" in out and "3 个案件状态更新：处理中" in out
    assert matches(log(flow.book), round_trip_log())


@pytest.mark.soffice
def test_a_round_trip_through_libreoffice(flow: Flow, tmp_path: Path) -> None:
    needs(shutil.which("soffice") is not None, "LibreOffice (soffice)")
    flow.fill(YES)
    saved = tmp_path / "lo-saved"
    command = ["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--convert-to",
               "xlsx", "--outdir", str(saved), *map(str, sorted(flow.out.iterdir()))]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in saved.iterdir()) == sorted(p.name for p in flow.out.iterdir())
    before = cells(flow.book)
    code, out = flow.collect(saved)
    assert code == 0, out
    assert before.changed(cells(flow.book)) == ROUND_TRIP
    assert matches(log(flow.book), round_trip_log())


# --- what is refused, and nothing half-applied ---------------------------------------------------------


@pytest.mark.parametrize(("answer", "cell", "said"), [
    (("有条件满足", None, "李强", ANSWERED), "L7", "须填写说明"),
    (("同意", None, "李强", ANSWERED), "K7", "「同意」无效"),
    (("可满足", None, None, ANSWERED), "M7", "未填写评审人"),
    (("可满足", None, "李强", datetime(2026, 11, 28)), "N7", "晚于今天"),
    (("可满足", None, "李强", "下周一"), "N7", "不是有效日期"),
])
def test_an_incomplete_or_wrong_item_is_reported_by_cell_and_not_applied(
        flow: Flow, answer: tuple[object, ...], cell: str, said: str) -> None:
    flow.fill({"技术部": {"CSR-2026-0001": YES["技术部"]["CSR-2026-0001"], "CSR-2026-0002": answer}})
    before = cells(flow.book)
    code, out = flow.collect(flow.sheet("技术部"))
    assert code == 1
    assert says(out, f"技术部-{STAMP}.xlsx[会签]{cell}：CSR-2026-0002") and says(out, said)
    assert matches(log(flow.book), [entry("CSR-2026-0001", "技术部", "可满足", "", "李强", f"技术部-{STAMP}.xlsx")])
    # the good item of the same file is applied; of the bad one nothing, not even its 落实情况
    assert before.changed(cells(flow.book)) == {"S3": "落实情况", "S4": "待会签：品质部"}


def test_a_cannot_meet_keeps_the_case_under_review_flagged_red(flow: Flow) -> None:
    flow.fill({"技术部": {"CSR-2026-0001": ("不能满足", "全尺寸报告须外委，周期不够", "李强", ANSWERED)},
               "品质部": {"CSR-2026-0001": YES["品质部"]["CSR-2026-0001"]}})
    before = cells(flow.book)
    code, out = flow.collect()
    assert code == 0, out
    assert before.changed(cells(flow.book)) == {"S3": "落实情况", "S4": "技术部不能满足"}  # N4 stays 评审中
    register = openpyxl.load_workbook(flow.book)["清单"]
    assert register["S4"].fill.fgColor.rgb == "FFFF9999" and register["N4"].value == "评审中"
    code, out = run("validate", flow.book, "--json", "--today", COLLECTED)
    warned = [(w["row"], w["code"], w["value"]) for w in json.loads(out)["warnings"]]
    assert (4, "review_rejected", "技术部不能满足（全尺寸报告须外委，周期不够）") in warned
    code, out = run("signoff", flow.book, "--out", flow.folder / "again", "--today", COLLECTED)
    assert code == 0 and "CSR-2026-0001" not in str([items(p) for p in (flow.folder / "again").iterdir()])


def test_a_new_revision_is_reviewed_again_and_supersedes_the_rejection(flow: Flow) -> None:
    flow.fill({"技术部": {"CSR-2026-0001": ("不能满足", "周期不够", "李强", ANSWERED)},
               "品质部": {"CSR-2026-0001": YES["品质部"]["CSR-2026-0001"]}})
    assert flow.collect()[0] == 0
    edit(flow.book, "清单", D4="PPAP 第3级提交，全尺寸报告可在量产后 30 天内补交", R4=2)
    again = flow.folder / "会签2"
    code, out = run("signoff", flow.book, "--out", again, "--today", COLLECTED)
    assert code == 0, out
    for department in ("技术部", "品质部"):
        assert ("CSR-2026-0001", "评审") in items(again / f"{department}-20261127.xlsx")
    assert calamine_rows(again / "技术部-20261127.xlsx", SIGNOFF_SHEET)[5][9] == 2  # the new revision
    flow.fill({d: {"CSR-2026-0001": YES[d]["CSR-2026-0001"]} for d in ("技术部", "品质部")}, again, "20261127")
    code, out = flow.collect(again)
    assert code == 0, out
    register = cells(flow.book).calamine
    assert register["N4"] == "处理中" and register["S4"] == "0/2 已落实"
    assert openpyxl.load_workbook(flow.book)["清单"]["S4"].fill.fgColor.rgb != "FFFF9999"  # no longer red
    rows = log(flow.book)
    assert [(r[0], r[3], r[5], r[1]) for r in rows] == [
        ("CSR-2026-0001", "品质部", "可满足", 1), ("CSR-2026-0001", "技术部", "不能满足", 1),  # kept as history
        ("CSR-2026-0001", "品质部", "可满足", 2), ("CSR-2026-0001", "技术部", "可满足", 2)]
    code, out = run("validate", flow.book, "--json", "--today", COLLECTED)
    assert "review_rejected" not in [w["code"] for w in json.loads(out)["warnings"]]


def test_a_refused_approval_keeps_a_special_contract_under_review(flow: Flow) -> None:
    flow.fill({"技术部": {"CSR-2026-0002": YES["技术部"]["CSR-2026-0002"]}, "生产部": YES["生产部"],
               "总经理": {"CSR-2026-0002": ("不批准", "年降幅度超出授权", "周建国", ANSWERED)}})
    before = cells(flow.book)
    code, out = flow.collect()
    assert code == 0, out
    assert before.changed(cells(flow.book)) == {"S3": "落实情况", "S5": "总经理不批准"}
    assert openpyxl.load_workbook(flow.book)["清单"]["S5"].fill.fgColor.rgb == "FFFF9999"
    code, out = run("validate", flow.book, "--json", "--today", COLLECTED)
    assert (5, "review_rejected") in [(w["row"], w["code"]) for w in json.loads(out)["warnings"]]


def test_a_refusal_without_a_note_is_not_taken(flow: Flow) -> None:
    flow.fill({"总经理": {"CSR-2026-0002": ("不批准", None, "周建国", ANSWERED)}})
    before, register = cells(flow.book), flow.book.read_bytes()
    code, out = flow.collect()
    assert code == 1 and says(out, f"总经理-{STAMP}.xlsx[会签]L6：CSR-2026-0002") and "须填写说明" in out
    assert log(flow.book) == [] and before.changed(cells(flow.book)) == {} and flow.book.read_bytes() == register


def test_a_case_no_longer_in_the_register(flow: Flow) -> None:
    edit(flow.book, "清单", A7="CSR-2026-0040")  # renumbered by hand after the sheet went out
    flow.fill({"品质部": YES["品质部"]})
    before = cells(flow.book)
    code, out = flow.collect(flow.sheet("品质部"))
    assert code == 1 and says(out, f"品质部-{STAMP}.xlsx[会签]A7：CSR-2026-0004") and "不是本清单的案件" in out
    assert matches(log(flow.book), [entry("CSR-2026-0001", "品质部", "可满足", "", "张伟", f"品质部-{STAMP}.xlsx")])
    assert before.changed(cells(flow.book)) == {"S3": "落实情况", "S4": "待会签：技术部"}


def refused(flow: Flow, *sources: Path, book: Path | None = None) -> str:
    """Collect `sources`: the files are refused whole, exit 1, the register not written at all."""
    book = book or flow.book
    register = book.read_bytes()
    code, out = run("collect", book, *sources, "--today", COLLECTED)
    assert code == 1, out
    assert book.read_bytes() == register
    return " ".join(out.split())


def test_a_renamed_copy_for_another_department(flow: Flow) -> None:
    flow.fill({"技术部": YES["技术部"]})
    copy = flow.folder / "品质部的" / f"品质部-{STAMP}.xlsx"
    copy.parent.mkdir()
    shutil.copy(flow.sheet("技术部"), copy)
    out = refused(flow, copy)
    assert f"品质部-{STAMP}.xlsx 的文件名是「品质部」的，但这份会签表是签发给「技术部」的" in out


def test_an_edited_locked_cell(flow: Flow) -> None:
    flow.fill({"技术部": YES["技术部"]})
    wb = openpyxl.load_workbook(flow.sheet("技术部"))
    wb[SIGNOFF_SHEET].protection.sheet = False  # what a user who knows the trick does
    wb[SIGNOFF_SHEET]["D7"] = "年降 1%，付款月结 60 天"
    wb.save(flow.sheet("技术部"))
    out = refused(flow, flow.sheet("技术部"))
    assert f"技术部-{STAMP}.xlsx 的锁定单元格 会签!D7 已被改动" in out and "年降 1%" in out


def test_a_file_issued_for_another_register(flow: Flow, tmp_path: Path) -> None:
    other = build(tmp_path / "另一个", ROWS[:1])
    code, _ = run("signoff", other, "--out", tmp_path / "另一个" / "会签", "--today", ISSUED)
    assert code == 0
    foreign = tmp_path / "另一个" / "会签" / f"技术部-{STAMP}.xlsx"
    fill(foreign, {"CSR-2026-0001": YES["技术部"]["CSR-2026-0001"]})
    assert "不是为本清单签发的会签表" in refused(flow, foreign)
    never = build(tmp_path / "新清单", ROWS[:1])
    assert "本清单尚未签发过会签表" in refused(flow, foreign, book=never)


def test_a_register_copied_without_its_store_says_the_key_is_not_here(flow: Flow, tmp_path: Path) -> None:
    flow.fill({"技术部": YES["技术部"]})
    elsewhere = tmp_path / "U盘"
    elsewhere.mkdir()
    copy = Path(shutil.copy(flow.book, elsewhere / REGISTER_FILE))
    out = refused(flow, flow.sheet("技术部"), book=copy)
    assert "封签密钥不在清单旁的 .xlcsr 文件夹中" in out and "xlcsr signoff" in out
    assert not any(word in out.lower() for word in ("伪造", "forged", "校验失败", "does not verify", "altered"))
    assert flow.collect(flow.sheet("技术部"))[0] == 0  # beside its store the same file is fine


def test_a_refused_file_does_not_stop_the_good_ones(flow: Flow) -> None:
    flow.fill(YES)
    shutil.copy(flow.sheet("技术部"), flow.out / f"生产部-{STAMP} (2).xlsx")
    code, out = flow.collect()
    assert code == 1 and "renamed copy" in out
    assert matches(log(flow.book), round_trip_log())


def test_a_stale_answer_is_recorded_but_not_applied(flow: Flow) -> None:
    edit(flow.book, "清单", D4="PPAP 第3级提交，含全尺寸报告及 IMDS")  # changed after the sheets went out
    flow.fill(YES)
    before = cells(flow.book)
    code, out = flow.collect()
    assert code == 1 and "已失效 2 项" in out
    rows = log(flow.book)
    stale = [(r[0], r[3], r[-1]) for r in rows if r[0] == "CSR-2026-0001"]
    assert stale == [("CSR-2026-0001", "品质部", "已失效"), ("CSR-2026-0001", "技术部", "已失效")]
    assert before.changed(cells(flow.book)) == {"N5": "处理中", "N7": "处理中", "S3": "落实情况",
                                               "S5": "0/2 已落实", "S7": "0/1 已落实"}  # 0001 stays 评审中
    again = flow.folder / "会签2"
    code, _ = run("signoff", flow.book, "--out", again, "--today", COLLECTED)
    assert code == 0
    assert {p.name: items(p) for p in again.iterdir()} == {  # the stale review again; the others' rollout
        "技术部-20261127.xlsx": [("CSR-2026-0001", "评审"), ("CSR-2026-0002", "落实确认")],
        "品质部-20261127.xlsx": [("CSR-2026-0001", "评审"), ("CSR-2026-0004", "落实确认")],
        "生产部-20261127.xlsx": [("CSR-2026-0002", "落实确认")]}


def test_a_changed_due_date_leaves_the_technical_answer_valid(flow: Flow) -> None:
    edit(flow.book, "清单", K5=datetime(2026, 12, 10))
    flow.fill(YES)
    before = cells(flow.book)
    code, out = flow.collect()
    assert code == 1
    rows = {(r[0], r[3]): r[-1] for r in log(flow.book) if r[0] == "CSR-2026-0002"}
    assert rows == {("CSR-2026-0002", "技术部"): "有效", ("CSR-2026-0002", "生产部"): "已失效",
                    ("CSR-2026-0002", "总经理"): "已失效"}
    changed = before.changed(cells(flow.book))
    assert changed["S5"] == "待会签：生产部、总经理" and "N5" not in changed
    again = flow.folder / "会签2"
    assert run("signoff", flow.book, "--out", again, "--today", COLLECTED)[0] == 0
    assert {p.name: items(p) for p in again.iterdir()} == {  # the stale ones again; the others' rollout
        "总经理-20261127.xlsx": [("CSR-2026-0002", "批准（特殊合同）")],
        "生产部-20261127.xlsx": [("CSR-2026-0002", "评审")],
        "技术部-20261127.xlsx": [("CSR-2026-0001", "落实确认")],
        "品质部-20261127.xlsx": [("CSR-2026-0001", "落实确认"), ("CSR-2026-0004", "落实确认")]}


def test_a_stale_answer_counts_again_once_the_register_reads_as_answered(flow: Flow) -> None:
    edit(flow.book, "清单", K5=datetime(2026, 12, 10))  # moved, and moved back after collection
    flow.fill(YES)
    assert flow.collect()[0] == 1
    edit(flow.book, "清单", K5=datetime(2026, 12, 20))
    code, out = flow.collect(flow.sheet("生产部"), flow.sheet("总经理"))
    assert code == 0, out
    rows = [(r[0], r[3], r[-1]) for r in log(flow.book) if r[3] in ("生产部", "总经理")]
    assert rows == [("CSR-2026-0002", "总经理", "已失效"), ("CSR-2026-0002", "生产部", "已失效"),
                    ("CSR-2026-0002", "生产部", "有效"), ("CSR-2026-0002", "总经理", "有效")]
    assert cells(flow.book).calamine["N5"] == "处理中"
    code, out = flow.collect()
    assert code == 0 and "生效 0 项" in out


def test_the_same_file_twice_in_one_run_counts_once(flow: Flow) -> None:
    flow.fill({"技术部": YES["技术部"]})
    code, out = flow.collect(flow.sheet("技术部"), flow.out)
    assert code == 0 and "已收集过 2 项" in out
    assert len(log(flow.book)) == 2


def test_a_register_without_a_signoff_log_gets_one(tmp_path: Path) -> None:
    from books import row, write_register

    book = write_register(tmp_path / "清单.xlsx", [row(案件号="CSR-2026-0001", 处理状态="待处理")])
    assert SIGNOFF_LOG_SHEET not in openpyxl.load_workbook(book).sheetnames
    code, out = run("signoff", book, "--out", tmp_path / "会签", "--today", ISSUED)
    assert code == 0, out
    for department, reviewer in (("技术部", "李强"), ("品质部", "张伟")):
        fill(tmp_path / "会签" / f"{department}-{STAMP}.xlsx", {"CSR-2026-0001": ("可满足", None, reviewer, ANSWERED)})
        code, out = run("collect", book, tmp_path / "会签" / f"{department}-{STAMP}.xlsx", "--today", COLLECTED)
        assert code == 0, out
    assert [(r[0], r[3], r[5]) for r in log(book)] == [("CSR-2026-0001", "技术部", "可满足"),
                                                       ("CSR-2026-0001", "品质部", "可满足")]
    assert calamine_rows(book, SIGNOFF_LOG_SHEET)[0][:4] == ["案件号", "版本号", "指纹", "部门"]
    status = calamine_rows(book)[2].index("处理状态")
    assert calamine_rows(book)[3][status] == "处理中"


def test_a_file_collected_twice_adds_nothing(flow: Flow) -> None:
    flow.fill(YES)
    assert flow.collect()[0] == 0
    register, rows = flow.book.read_bytes(), log(flow.book)
    code, out = flow.collect(today="2026-11-30")
    assert code == 0 and "已收集过 6 项" in out and "生效 0 项" in out
    assert flow.book.read_bytes() == register and log(flow.book) == rows


# --- the review clock, the purple rule, the department heads' digest -----------------------------------


def test_review_late_counts_working_days_over_the_national_holiday(tmp_path: Path) -> None:
    book = build(tmp_path / "国庆", [
        dict(case_no="CSR-2026-0101", customer="吉利汽车", requirement="PPAP 第3级提交", category="产品",
             received=date(2026, 9, 29), departments="技术部", owner="李强", status="待处理"),
        dict(case_no="CSR-2026-0102", customer="吉利汽车", requirement="包装防潮", category="包装",
             received=date(2026, 9, 29), departments="生产部", owner="刘洋", status="处理中")])

    def late(today: str) -> list[tuple[int, str]]:
        code, out = run("validate", book, "--json", "--today", today)
        return [(w["row"], w["value"]) for w in json.loads(out)["warnings"] if w["code"] == "review_late"]

    # after 09-29: 09-30, 10-08, 10-09, 10-10 (调休 Saturday), 10-12 … 10-16, 10-19 = 10 working days
    assert late("2026-10-19") == []  # by weekdays alone it would be 14
    assert late("2026-10-20") == [(4, "技术部")]  # the 处理中 case waits on nobody


def test_the_purple_rule_lights_only_rows_waiting_on_a_signoff(flow: Flow) -> None:
    flow.fill({"技术部": YES["技术部"], "品质部": YES["品质部"]})  # 0001 and 0004 fully signed, 0002 waits
    assert flow.collect()[0] == 0
    code, out = run("highlight", flow.book, "--today", COLLECTED)
    assert code == 0, out
    ws = openpyxl.load_workbook(flow.book)["清单"]
    purple = [str(cf.sqref) for cf in ws.conditional_formatting for rule in cf.rules
              if rule.dxf is not None and rule.dxf.fill is not None and rule.dxf.fill.bgColor.rgb == "FFE4C8F5"]
    assert len(purple) == 1 and {int(r) for r in re.findall(r"[A-Z]+(\d+)", purple[0])} == {5}


@dataclass
class Inbox:
    received: list[EmailMessage] = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802 - aiosmtpd's hook
        self.received.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def text(self, address: str) -> str:
        found = [m for m in self.received if m["To"].addresses[0].addr_spec == address]
        assert len(found) == 1, address
        return found[0].get_body(("plain",)).get_content()


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    for name in ("HOST", "PORT", "USER", "PASSWORD", "FROM", "STARTTLS", "SSL"):
        monkeypatch.delenv(f"XLCSR_SMTP_{name}", raising=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Inbox(port=port)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("XLCSR_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("XLCSR_SMTP_PORT", str(port))
    monkeypatch.setenv("XLCSR_SMTP_FROM", "csr@csrplant.cn")
    monkeypatch.chdir(tmp_path)  # no xlcsr.toml here
    yield handler
    controller.stop()


def waiting(text: str) -> dict[str, str]:
    """The 待本部门会签 section of a digest's text: case → '待会签：…｜已等待 n 个工作日'."""
    section = text.split("【待本部门会签】", 1)[1].split("【", 1)[0] if "【待本部门会签】" in text else ""
    found = re.findall(r"^\d+\. (CSR-\d{4}-\d{4})｜截止 [\d-]+｜(待会签：[^｜]+｜[^｜]+)｜", section, re.M)
    return dict(found)


def test_department_heads_get_the_signoffs_waiting_on_them(flow: Flow, inbox: Inbox) -> None:
    code, out = run("remind", flow.book, "--today", "2026-11-30")  # Monday: 3 working days since the 25th
    assert code == 0 and says(out, "已发送 4 封"), out  # the four heads a sign-off waits on; 王芳 nothing
    li, zhang, liu, zhou = (f"{n}@csrplant.cn" for n in ("li.qiang", "zhang.wei", "liu.yang", "zhou.jianguo"))
    assert waiting(inbox.text(li)) == {"CSR-2026-0001": "待会签：技术部、品质部｜已等待 3 个工作日",
                                       "CSR-2026-0002": "待会签：生产部、技术部、总经理｜已等待 3 个工作日"}
    assert waiting(inbox.text(zhang)) == {"CSR-2026-0001": "待会签：技术部、品质部｜已等待 3 个工作日",
                                          "CSR-2026-0004": "待会签：品质部｜已等待 3 个工作日"}
    assert list(waiting(inbox.text(liu))) == ["CSR-2026-0002"]
    assert list(waiting(inbox.text(zhou))) == ["CSR-2026-0002"]
    flow.fill({"技术部": YES["技术部"]})
    assert flow.collect(today="2026-11-30")[0] == 0
    inbox.received.clear()
    run("remind", flow.book, "--today", "2026-12-01")
    assert waiting(inbox.text(zhang)) == {"CSR-2026-0001": "待会签：品质部｜已等待 4 个工作日",
                                          "CSR-2026-0004": "待会签：品质部｜已等待 4 个工作日"}
    assert not any(m["To"].addresses[0].addr_spec == li and "【待本部门会签】" in m.get_body(("plain",)).get_content()
                   for m in inbox.received)


# --- rollout (落实确认) ----------------------------------------------------------------------------------


def approved(flow: Flow) -> None:
    flow.fill(YES)
    code, out = flow.collect()
    assert code == 0, out


def test_rollout_confirmations_close_the_case_with_the_last_date(flow: Flow) -> None:
    approved(flow)
    rollout = flow.folder / "落实"
    before = cells(flow.book)
    code, out = run("signoff", flow.book, "--out", rollout, "--today", "2026-11-30")
    assert code == 0, out
    assert sorted(p.name for p in rollout.iterdir()) == ["品质部-20261130.xlsx", "技术部-20261130.xlsx",
                                                         "生产部-20261130.xlsx"]  # named departments, no 总经理
    assert items(rollout / "技术部-20261130.xlsx") == [("CSR-2026-0001", "落实确认"), ("CSR-2026-0002", "落实确认")]
    assert items(rollout / "品质部-20261130.xlsx") == [("CSR-2026-0001", "落实确认"), ("CSR-2026-0004", "落实确认")]
    assert openpyxl.load_workbook(rollout / "技术部-20261130.xlsx")[SIGNOFF_SHEET]["K5"].value == "落实结果"
    assert before.changed(cells(flow.book)) == {}  # issuing a rollout moves no status
    flow.fill({"技术部": {"CSR-2026-0001": ("已落实", "CP-GL-SX11 控制计划 C版", "李强", datetime(2026, 12, 1)),
                        "CSR-2026-0002": ("已落实", "WI-BYD-03 作业指导书 B版", "李强", datetime(2026, 12, 1))},
               "品质部": {"CSR-2026-0001": ("已落实", "QI-017 检验规范 B版", "张伟", datetime(2026, 12, 2)),
                        "CSR-2026-0004": ("已落实", None, "张伟", datetime(2026, 12, 2))}}, rollout, "20261130")
    code, out = flow.collect(rollout, today="2026-12-02")
    assert code == 1 and says(out, "品质部-20261130.xlsx[会签]L7：CSR-2026-0004")  # the document is required
    assert before.changed(cells(flow.book)) == {"N4": "已完成", "P4": date(2026, 12, 2), "S4": "2/2 已落实",
                                               "S5": "1/2 已落实"}
    rows = log(flow.book)
    assert matches(rows[:6], round_trip_log())  # the review stays, the confirmations below it
    assert [(r[0], r[3], r[4], r[5], r[6], r[8]) for r in rows[6:]] == [
        ("CSR-2026-0001", "品质部", "落实", "已落实", "QI-017 检验规范 B版", date(2026, 12, 2)),
        ("CSR-2026-0001", "技术部", "落实", "已落实", "CP-GL-SX11 控制计划 C版", date(2026, 12, 1)),
        ("CSR-2026-0002", "技术部", "落实", "已落实", "WI-BYD-03 作业指导书 B版", date(2026, 12, 1))]
    code, out = run("validate", flow.book, "--json", "--today", "2026-12-02")
    assert code == 0 and json.loads(out)["warnings"] == []


@pytest.mark.parametrize(("remarks", "warned"), [(None, True), ("客户书面取消该要求（邮件 2026-11-30）", False)])
def test_a_case_closed_by_hand_before_its_rollout(flow: Flow, remarks: str | None, warned: bool) -> None:
    approved(flow)
    edit(flow.book, "清单", N4="已完成", P4=datetime(2026, 11, 30), Q4=remarks)
    code, out = run("validate", flow.book, "--json", "--today", "2026-11-30")
    assert code == 0
    found = [(w["row"], w["value"]) for w in json.loads(out)["warnings"] if w["code"] == "closed_without_rollout"]
    assert found == ([(4, "技术部、品质部")] if warned else [])


# --- the verbs -----------------------------------------------------------------------------------------


def test_signoff_exits_one_when_an_open_case_names_no_department(fresh: Flow) -> None:
    edit(fresh.book, "清单", L4=None)
    code, out = run("signoff", fresh.book, "--out", fresh.out, "--today", ISSUED)
    assert code == 1 and says(out, "未指定责任部门，未签发：CSR-2026-0001")
    assert "CSR-2026-0001" not in str([items(p) for p in fresh.out.iterdir()])


def test_nothing_outstanding_is_exit_zero_and_writes_nothing(flow: Flow) -> None:
    approved(flow)
    edit(flow.book, "清单", N4="已取消", N5="已取消", N7="已取消")
    register = flow.book.read_bytes()
    code, out = run("signoff", flow.book, "--out", flow.folder / "无", "--today", "2026-11-30")
    assert code == 0 and "没有待会签的项目" in out
    assert not (flow.folder / "无").exists() and flow.book.read_bytes() == register


@pytest.mark.parametrize("verb", [("signoff", "--out", "x"), ("collect", "x")])
def test_a_missing_register_is_exit_two(tmp_path: Path, verb: tuple[str, ...]) -> None:
    code, out = run(verb[0], tmp_path / "无.xlsx", *verb[1:])
    assert code == 2 and out.count("错误 / error:") == 1 and "找不到工作簿" in out


@pytest.mark.parametrize("verb", ["signoff", "collect"])
def test_the_help_ends_in_an_example(verb: str) -> None:
    code, out = run(verb, "--help")
    assert code == 0
    described = out.split("╭", 1)[0]  # the text above the panels of arguments and options
    assert [line for line in described.splitlines() if line.strip()][-1].strip().startswith(f"Example: xlcsr {verb} ")
