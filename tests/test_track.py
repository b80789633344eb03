"""Change tracking end to end on real workbooks: `track`, machine edits, re-review, the hash chain.

Registers come from `make_register` (清单, header row 3: A 案件号, B 客户名称, D 要求描述, I 接收日期,
K 截止日期, L 责任部门, N 处理状态, O 合同类型, R 版本号; data from row 4) and are edited with openpyxl
as a user would (once re-saved by LibreOffice); 变更记录 is read back with python-calamine and openpyxl;
the verbs run through typer's runner.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from books import calamine_rows, needs, real
from typer.testing import CliRunner

from xlcsr.cli.app import app
from xlcsr.domain.settings import DEFAULT_SETTINGS
from xlcsr.domain.vocab import CHANGELOG_SHEET, SIGNOFF_LOG_SHEET, SIGNOFF_SHEET, STATE_SHEET, STORE_DIR
from xlcsr.files.new_books import make_register

runner = CliRunner()
SETTINGS = real(DEFAULT_SETTINGS)
TODAY = "2026-11-25"

ROWS = [
    dict(case_no="CSR-2026-0001", customer="吉利汽车", product="GL-SX11 传感器支架", requirement="PPAP 第3级提交",
         category="产品", source="技术协议", received=date(2026, 11, 3), due=date(2026, 12, 15),
         departments="技术部、品质部", owner="李强", status="待处理", contract_type="常规"),
    dict(case_no="CSR-2026-0002", customer="比亚迪汽车", requirement="年降 3%，付款月结 90 天", category="商务",
         source="订单合同", received=date(2026, 11, 5), due=date(2026, 12, 20), departments="生产部、技术部",
         owner="刘洋", status="待处理", contract_type="特殊"),
    dict(case_no="CSR-2026-0003", customer="长城汽车", requirement="包装防潮", category="包装",
         received=date(2026, 11, 2), due=date(2026, 12, 2), departments="生产部", owner="刘洋", status="待处理"),
    dict(case_no="CSR-2026-0004", customer="上汽大众", requirement="VDA 6.3 过程审核≥90 分", category="质量体系",
         received=date(2026, 11, 10), due=date(2026, 12, 10), departments="品质部", owner="张伟", status="待处理"),
]


def run(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def logged(book: Path) -> list[tuple[str, str, str, str, str, str]]:
    """(案件号, 字段, 原值, 新值, 版本, 来源) of each 变更记录 row, the same for both readers."""
    by_calamine = [tuple("" if v is None else str(v) for v in row) for row in calamine_rows(book, CHANGELOG_SHEET)[1:]]
    ws = openpyxl.load_workbook(book)[CHANGELOG_SHEET]
    by_openpyxl = [tuple("" if v is None else str(v) for v in row) for row in ws.iter_rows(min_row=2, values_only=True)]
    assert [r[1:] for r in by_calamine] == [r[1:] for r in by_openpyxl]
    return [(r[1], r[2], r[3], r[4], r[5], r[7]) for r in by_calamine]


def edit(book: Path, **values: object) -> None:
    wb = openpyxl.load_workbook(book)
    for ref, value in values.items():
        wb["清单"][ref] = value
    wb.save(book)


def track(book: Path, today: str = TODAY) -> tuple[int, str]:
    return run("track", book, "--today", today)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """A register with its baseline taken."""
    folder = tmp_path / "质量部"
    folder.mkdir()
    path = make_register(folder, SETTINGS, ROWS)
    code, out = track(path)
    assert code == 0 and "已建立快照（4 行）" in out, out
    return path


def test_the_first_track_takes_the_baseline_and_logs_nothing(book: Path) -> None:
    assert logged(book) == []
    wb = openpyxl.load_workbook(book)
    assert wb[CHANGELOG_SHEET].protection.sheet and wb[SIGNOFF_LOG_SHEET].protection.sheet
    state = {row[0]: json.loads(row[1]) for row in calamine_rows(book, STATE_SHEET) if row and row[0]}
    assert len(state["register_id"]) == 32
    assert (book.parent / STORE_DIR / "xlcsr.sqlite").is_file()
    before = book.read_bytes()
    code, out = track(book)
    assert code == 0 and "没有改动" in out and book.read_bytes() == before  # nothing to write: not written


def test_each_kind_of_hand_edit_is_logged_once(book: Path) -> None:
    wb = openpyxl.load_workbook(book)
    ws = wb["清单"]
    ws["D4"] = "PPAP 第4级提交"  # text
    ws["K5"] = datetime(2026, 12, 31)  # a date
    ws["L6"] = "生产部、品质部"  # a department added
    ws["L4"] = "技术部"  # one removed
    ws.insert_rows(6)  # a row in the middle
    for column, value in zip("BDEIN", ("奇瑞汽车", "新增的要求", "产品", datetime(2026, 11, 20), "待处理")):
        ws[f"{column}6"] = value
    wb.save(book)
    code, out = track(book)
    assert code == 0, out
    assert logged(book) == [
        ("CSR-2026-0001", "要求描述", "PPAP 第3级提交", "PPAP 第4级提交", "", "手工"),
        ("CSR-2026-0001", "责任部门", "技术部、品质部", "技术部", "", "手工"),
        ("CSR-2026-0002", "截止日期", "2026-12-20", "2026-12-31", "", "手工"),
        ("", "（新增）", "", "奇瑞汽车 · 新增的要求", "", "手工"),
        ("CSR-2026-0003", "责任部门", "生产部", "生产部、品质部", "", "手工"),
    ]
    code, out = track(book)
    assert code == 0 and "没有改动" in out
    assert len(logged(book)) == 5


def test_a_re_sort_is_no_change(book: Path) -> None:
    wb = openpyxl.load_workbook(book)
    ws = wb["清单"]
    rows = [[c.value for c in ws[r]] for r in range(4, 8)]
    for offset, values in enumerate(reversed(rows)):
        for column, value in enumerate(values, start=1):
            ws.cell(4 + offset, column).value = value
    wb.save(book)
    code, out = track(book)
    assert code == 0 and "没有改动" in out, out
    assert logged(book) == []


def test_a_deleted_case_and_a_renumbering_are_logged_and_flagged(book: Path) -> None:
    wb = openpyxl.load_workbook(book)
    ws = wb["清单"]
    ws["A7"] = "CSR-2026-0009"
    ws.delete_rows(5)
    wb.save(book)
    code, out = track(book)
    assert code == 1, out
    assert logged(book) == [
        ("CSR-2026-0002", "（删除）", "CSR-2026-0002 · 比亚迪汽车 · 年降 3%，付款月结 90 天", "", "", "手工"),
        ("CSR-2026-0009", "案件号（重新编号）", "CSR-2026-0004", "CSR-2026-0009", "", "手工"),
    ]
    assert "案件「CSR-2026-0002」已从清单中删除" in out and "案件号由「CSR-2026-0004」改为「CSR-2026-0009」" in out


@pytest.mark.soffice
def test_an_edit_saved_by_libreoffice_is_logged_once(book: Path, tmp_path: Path) -> None:
    needs(shutil.which("soffice") is not None, "LibreOffice (soffice)")
    edit(book, D7="VDA 6.3 过程审核≥92 分")
    saved = tmp_path / "lo"
    command = ["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--convert-to",
               "xlsx", "--outdir", str(saved), str(book)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    shutil.copyfile(saved / book.name, book)
    code, out = track(book)
    assert code == 0, out
    assert logged(book) == [("CSR-2026-0004", "要求描述", "VDA 6.3 过程审核≥90 分", "VDA 6.3 过程审核≥92 分", "", "手工")]
    code, out = track(book)
    assert code == 0 and "没有改动" in out


def test_assign_logs_its_own_edits_after_the_hand_edits(book: Path) -> None:
    wb = openpyxl.load_workbook(book)
    ws = wb["清单"]
    ws["D5"] = "年降 2%"
    for column, value in zip("BDEIL", ("奇瑞汽车", "未编号的要求", "产品", datetime(2026, 11, 20), "技术部")):
        ws[f"{column}8"] = value
    wb.save(book)
    code, out = run("assign", book, "--today", TODAY)
    assert code == 0, out
    rows = logged(book)
    assert rows[:2] == [("CSR-2026-0002", "要求描述", "年降 3%，付款月结 90 天", "年降 2%", "", "手工"),
                        ("", "（新增）", "", "奇瑞汽车 · 未编号的要求", "", "手工")]
    assert ("CSR-2026-0005", "案件号", "", "CSR-2026-0005", "", "xlcsr assign") in rows[2:]
    assert {r[5] for r in rows[2:]} == {"xlcsr assign"} and len(rows) >= 4
    code, out = track(book)
    assert code == 0 and "没有改动" in out, out


# --- re-review of only what a change voids ---------------------------------------------------------------


def fill_all(out: Path) -> None:
    """Answer every item of every sign-off workbook: 可满足 (批准 for 总经理), as a user would."""
    for path in sorted(out.iterdir()):
        wb = openpyxl.load_workbook(path)
        ws = wb[SIGNOFF_SHEET]
        for r in range(6, ws.max_row + 1):
            if str(ws.cell(r, 1).value or "").startswith("CSR-"):
                answer = "批准" if path.name.startswith("总经理") else "可满足"
                for column, value in zip("KMN", (answer, "王五", datetime(2026, 11, 26))):
                    ws[f"{column}{r}"] = value
        wb.save(path)


def items(out: Path) -> dict[str, list[str]]:
    """Per department, the cases its workbook asks to review or approve (not the rollout confirmations)."""
    found: dict[str, list[str]] = {}
    for path in sorted(out.iterdir()):
        section, cases = "", []
        for row in calamine_rows(path, SIGNOFF_SHEET)[3:]:
            if row[0] and not row[1] and "、" in str(row[0]):
                section = str(row[0]).split("、", 1)[1]
            elif str(row[0]).startswith("CSR-") and "落实" not in section:
                cases.append(str(row[0]))
        if cases:
            found[path.name.split("-")[0]] = cases
    return found


@pytest.fixture
def approved(book: Path) -> Path:
    """Every case signed off by all its departments (and 总经理 for 0002): 处理中."""
    out = book.parent / "会签"
    code, output = run("signoff", book, "--out", out, "--today", TODAY)
    assert code == 0, output
    fill_all(out)
    code, output = run("collect", book, out, "--today", "2026-11-27")
    assert code == 0, output
    statuses = [row[13] for row in calamine_rows(book)[3:7]]
    assert statuses == ["处理中"] * 4
    sources = {row[5] for row in logged(book)}
    assert sources == {"xlcsr signoff", "xlcsr collect"}  # 待处理 → 评审中 → 处理中, each by its command
    return book


def reissue(book: Path, stamp: str) -> dict[str, list[str]]:
    out = book.parent / f"会签-{stamp}"
    code, output = run("signoff", book, "--out", out, "--today", stamp)
    assert code == 0, output
    return items(out)


def stale_rows(book: Path) -> list[tuple[str, str]]:
    return [(str(r[0]), str(r[3])) for r in calamine_rows(book, SIGNOFF_LOG_SHEET)[1:] if r[11] == "已失效"]


def test_a_requirement_change_reopens_every_named_department(approved: Path) -> None:
    answers = len(calamine_rows(approved, SIGNOFF_LOG_SHEET))
    edit(approved, D4="PPAP 第4级提交，含全尺寸报告")
    code, out = track(approved, "2026-11-30")
    assert code == 0, out
    assert logged(approved)[-3:] == [
        ("CSR-2026-0001", "要求描述", "PPAP 第3级提交", "PPAP 第4级提交，含全尺寸报告", "2", "手工"),
        ("CSR-2026-0001", "版本号", "", "2", "2", "xlcsr track"),
        ("CSR-2026-0001", "处理状态", "处理中", "评审中", "2", "xlcsr track"),
    ]
    assert "CSR-2026-0001：需重新会签：技术部、品质部" in out
    assert sorted(stale_rows(approved)) == [("CSR-2026-0001", "品质部"), ("CSR-2026-0001", "技术部")]
    assert len(calamine_rows(approved, SIGNOFF_LOG_SHEET)) == answers  # marked, never deleted
    row = calamine_rows(approved)[3]
    assert (row[13], row[17]) == ("评审中", 2)
    assert reissue(approved, "2026-11-30") == {"品质部": ["CSR-2026-0001"], "技术部": ["CSR-2026-0001"]}


def test_a_requirement_change_on_a_row_that_no_longer_validates_reopens_every_answer(approved: Path) -> None:
    """The fingerprints cannot be compared on a row that does not read (an unknown department here): the
    revision is bumped, every answer of the case is voided and the case goes back to 评审中 all the same."""
    edit(approved, D4="PPAP 第4级提交，含全尺寸报告", L4="技术部、质检科")
    code, out = track(approved, "2026-11-30")
    assert code == 0, out
    assert logged(approved)[-4:] == [
        ("CSR-2026-0001", "要求描述", "PPAP 第3级提交", "PPAP 第4级提交，含全尺寸报告", "2", "手工"),
        ("CSR-2026-0001", "责任部门", "技术部、品质部", "技术部、质检科", "2", "手工"),
        ("CSR-2026-0001", "版本号", "", "2", "2", "xlcsr track"),
        ("CSR-2026-0001", "处理状态", "处理中", "评审中", "2", "xlcsr track"),
    ]
    assert "CSR-2026-0001：需重新会签：技术部、品质部" in out
    assert sorted(stale_rows(approved)) == [("CSR-2026-0001", "品质部"), ("CSR-2026-0001", "技术部")]
    row = calamine_rows(approved)[3]
    assert (row[13], row[17]) == ("评审中", 2)


def test_a_due_date_change_reopens_only_the_date_sensitive_and_the_general_manager(approved: Path) -> None:
    edit(approved, K5=datetime(2027, 1, 15))
    code, out = track(approved, "2026-11-30")
    assert code == 0, out
    assert sorted(stale_rows(approved)) == [("CSR-2026-0002", "总经理"), ("CSR-2026-0002", "生产部")]
    assert reissue(approved, "2026-11-30") == {"总经理": ["CSR-2026-0002"], "生产部": ["CSR-2026-0002"]}


def test_an_added_department_reviews_alone_and_a_removed_one_keeps_its_history(approved: Path) -> None:
    edit(approved, L4="技术部、采购部", L6="生产部")
    code, out = track(approved, "2026-11-30")
    assert code == 0, out
    assert stale_rows(approved) == []
    assert "CSR-2026-0001：需重新会签：采购部" in out
    assert reissue(approved, "2026-11-30") == {"采购部": ["CSR-2026-0001"]}
    departments = [str(r[3]) for r in calamine_rows(approved, SIGNOFF_LOG_SHEET)[1:] if r[0] == "CSR-2026-0001"]
    assert "品质部" in departments  # no longer asked, its answer kept


# --- tamper evidence ---------------------------------------------------------------------------------------


@pytest.fixture
def with_log(book: Path) -> Path:
    edit(book, D4="PPAP 第4级", D5="年降 2%", D6="包装防潮防锈")
    assert track(book)[0] == 0
    assert len(logged(book)) == 3
    return book


def tamper(book: Path, change) -> None:  # noqa: ANN001 - a function of the sheet
    wb = openpyxl.load_workbook(book)
    change(wb[CHANGELOG_SHEET])
    wb.save(book)


def swap(ws) -> None:  # noqa: ANN001
    second, third = [c.value for c in ws[3]], [c.value for c in ws[4]]
    for column, (a, b) in enumerate(zip(second, third), start=1):
        ws.cell(3, column).value, ws.cell(4, column).value = b, a


@pytest.mark.parametrize(("change", "row", "said"), [
    (lambda ws: ws.cell(3, 5, "年降 5%"), 3, "被修改"),
    (lambda ws: ws.delete_rows(3), 3, "被删除"),
    (swap, 3, "顺序被调换"),
])
def test_an_edited_deleted_or_swapped_log_row_is_named(with_log: Path, change, row: int, said: str) -> None:  # noqa: ANN001
    tamper(with_log, change)
    code, out = run("validate", with_log, "--json", "--today", TODAY)
    found = [i for i in json.loads(out)["warnings"] if i["code"] == "log_tampered"]
    assert len(found) == 1 and f"第 {row} 行" in found[0]["message"] and said in found[0]["message"], found
    code, out = track(with_log)
    assert code == 1 and f"第 {row} 行" in out and said in out
    code, out = track(with_log)
    assert code == 1 and f"第 {row} 行" in out and said in out  # history is never rewritten: it stays flagged


def test_an_intact_log_is_not_flagged(with_log: Path) -> None:
    code, out = run("validate", with_log, "--json", "--today", TODAY)
    assert "log_tampered" not in out


def test_nothing_is_stored_when_the_save_fails(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from xlcsr.domain.errors import WorkbookChanged
    from xlcsr.files import file_book

    edit(book, D4="PPAP 第4级")
    before = book.read_bytes()

    def refuse(self, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202
        raise WorkbookChanged("changed")

    monkeypatch.setattr(file_book.FileBook, "_save", refuse)
    code, _ = track(book)
    assert code == 2 and book.read_bytes() == before
    monkeypatch.undo()
    code, out = track(book)
    assert code == 0 and logged(book) == [("CSR-2026-0001", "要求描述", "PPAP 第3级提交", "PPAP 第4级", "", "手工")]



# --- backups and restore -----------------------------------------------------------------------------------


def sheet_parts(book: Path) -> dict[str, str]:
    """Sheet name → its part in the zip."""
    import zipfile

    from lxml import etree

    with zipfile.ZipFile(book) as z:
        workbook = etree.fromstring(z.read("xl/workbook.xml"))
        rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): "xl/" + r.get("Target").lstrip("/").removeprefix("xl/") for r in rels}
    rid = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    return {s.get("name"): targets[s.get(rid)] for s in workbook.iter("{*}sheet")}


def test_restore_brings_back_the_backup_and_is_itself_undone(book: Path) -> None:
    from books import parts

    edit(book, D4="PPAP 第4级")
    assert track(book)[0] == 0
    code, out = run("restore", book, "--list")
    assert code == 0 and "xlcsr track" in out, out
    first = sorted((book.parent / ".xlcsr-backup").iterdir())[-1]  # the file before the edit was logged
    edited = book.read_bytes()
    stamp = first.stem.split("-", 1)[1]
    code, out = run("restore", book, "--at", stamp, "--today", TODAY)
    assert code == 0 and "已从备份" in out, out
    own = {sheet_parts(book)[CHANGELOG_SHEET], sheet_parts(book)[STATE_SHEET], "xl/styles.xml", "xl/workbook.xml"}
    restored, backup = parts(book), parts(first)
    assert {n for n in restored | backup if restored.get(n) != backup.get(n)} <= own  # styles: the log's time format
    assert sheet_parts(book) == sheet_parts(first)
    assert calamine_rows(book)[3][3] == "PPAP 第4级"  # the backup was taken after the edit, before track's own write
    rows = logged(book)
    assert rows[0] == ("CSR-2026-0001", "要求描述", "PPAP 第3级提交", "PPAP 第4级", "", "手工")
    assert rows[1][1] == "（恢复备份）" and rows[1][3] == first.name and rows[1][5] == "xlcsr restore"
    code, out = track(book)
    assert code == 0 and "没有改动" in out, out  # the snapshot followed the restore; the chain holds
    code, out = run("restore", book, "--list")
    assert "xlcsr restore" in out
    undo = sorted((book.parent / ".xlcsr-backup").iterdir())[-1]
    assert parts(undo) == parts_of_bytes(edited)


def parts_of_bytes(data: bytes) -> dict[str, bytes]:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_a_mapping_written_by_columns_is_logged_once_and_its_values_are_no_edits(tmp_path: Path) -> None:
    from test_user_lists import OWN_WORDS, write_list

    rows = [["比亚迪", "PPAP 3级", datetime(2026, 10, 8), "品质部", "进行中", datetime(2026, 11, 30)],
            ["吉利汽车", "RoHS 报告", datetime(2026, 9, 1), "品质部", "已完成", datetime(2026, 9, 20)]]
    book = write_list(tmp_path / "跟踪.xlsx", OWN_WORDS, rows)
    assert track(book)[0] == 0
    wb = openpyxl.load_workbook(book)
    wb["清单"]["B3"] = "PPAP 4级"  # a hand edit before the mapping
    wb.save(book)
    code, out = run("columns", book, "--apply")
    assert code == 0, out
    assert logged(book) == [("", "要求描述", "PPAP 3级", "PPAP 4级", "", "手工"),
                            ("", "（列映射）", "", "跟踪结果 → 处理状态", "", "xlcsr columns"),
                            ("", "（列映射）", "", "目标日期 → 截止日期", "", "xlcsr columns")]
    code, out = track(book)
    assert code == 0 and "没有改动" in out, out  # the mapped columns' values are not taken for edits
