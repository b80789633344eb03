"""xlcsr import: a messy old list saved as GBK and UTF-8-BOM CSV, .xlsx (openpyxl), and .xls and .ods
(LibreOffice) becomes a new register that keeps every row and every value, read back cell by cell
with python-calamine and openpyxl; what does not map is kept as written and reported at its cell.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from books import needs
from fake_excel import FakeExcel
from typer.testing import CliRunner

from xlcsr.app.import_legacy import fill_merged, import_legacy, map_value, plan_import
from xlcsr.cli.app import app
from xlcsr.domain.errors import LegacyUnreadable
from xlcsr.domain.fields import FIELDS
from xlcsr.domain.issues import Code
from xlcsr.domain.settings import DEFAULT_SETTINGS
from xlcsr.excel import dispatch
from xlcsr.files.legacy import decode_text, open_legacy, parse_delimited
from xlcsr.workbook.locate import find_register

TODAY = "2026-11-25"
SHEET = "2026年CSR"
HEADERS = ["序号", "客户", "客户代码", "零件号", "特殊要求内容", "类别", "识别日期", "优先级", "计划完成日期",
           "责任部门", "责任人", "状态", "完成日期", "备注"]
TITLE = "某某汽车零部件有限公司　顾客特殊要求一览表"
# the old list from row 1: a merged title, a blank row, the header, rows with a blank one between, a signature line
DATA = [
    [1, "吉利汽车", "007", "GL-SX11", "PPAP 第3级提交", "产品", "2026年11月3日", "高", None, "技术部、品质部", "李强",
     "进行中", None, None],
    None,
    [2, "比亚迪", "012", "0815", "包装按比亚迪标准 BYD-PK-2", "包装", "下周", "中", date(2026, 12, 20), "生产部", "刘洋",
     "未开始", None, "客户邮件 11/2"],
    [3, "长城汽车", "007", "CC-9", "追溯：每件激光打码", "追溯", date(2026, 11, 5), "低", None, "品质部", "张伟", "已完成",
     date(2026, 11, 20), None],
    [4, "奇瑞汽车", "100", "QR-1", "年度质量协议评审", "质量体系", "2026/10/30", "High", "2026-11-30", "品质部", "张伟",
     "暂缓", None, "紧急"],
    None,
    ["编制：王芳", None, "审核：李强", None, "批准：周建国"],
]
HEADER_ROW = 3
SOURCE_ROWS = [4, 6, 7, 8]  # the data rows of the old list
# what the new register holds, by template header (then the kept columns), for each data row
EXPECTED = [
    {"客户名称": "吉利汽车", "产品/项目": "GL-SX11", "要求描述": "PPAP 第3级提交", "类别": "产品",
     "接收日期": date(2026, 11, 3), "优先级": "高", "责任部门": "技术部、品质部", "负责人": "李强", "处理状态": "处理中",
     "序号": 1, "客户代码": "007"},
    {"客户名称": "比亚迪", "产品/项目": "0815", "要求描述": "包装按比亚迪标准 BYD-PK-2", "类别": "包装", "接收日期": "下周",
     "优先级": "中", "截止日期": date(2026, 12, 20), "责任部门": "生产部", "负责人": "刘洋", "处理状态": "待处理",
     "备注": "客户邮件 11/2", "序号": 2, "客户代码": "012"},
    {"客户名称": "长城汽车", "产品/项目": "CC-9", "要求描述": "追溯：每件激光打码", "类别": "追溯",
     "接收日期": date(2026, 11, 5), "优先级": "低", "责任部门": "品质部", "负责人": "张伟", "处理状态": "已完成",
     "完成日期": date(2026, 11, 20), "序号": 3, "客户代码": "007"},
    {"客户名称": "奇瑞汽车", "产品/项目": "QR-1", "要求描述": "年度质量协议评审", "类别": "质量体系",
     "接收日期": date(2026, 10, 30), "优先级": "高", "截止日期": date(2026, 11, 30), "责任部门": "品质部", "负责人": "张伟",
     "处理状态": "暂缓", "备注": "紧急", "序号": 4, "客户代码": "100"},
]
NEW_HEADERS = [f.header for f in FIELDS] + ["序号", "客户代码"]
# the planted problems: (old list cell, new register cell, field, code)
PLANTED = [("G6", "I5", "received", "bad_date"), ("L8", "N7", "status", "bad_choice")]

runner = CliRunner()


def run(*args: object) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


# --- the old list in every format ---------------------------------------------------------------


def legacy_rows(as_text: bool) -> list[list[object]]:
    """The old list's cells from A1; as a CSV holds them (all text) when `as_text`."""
    rows: list[list[object]] = [[TITLE], [], HEADERS, *[row or [] for row in DATA]]
    if not as_text:
        return rows
    return [["" if v is None else v.isoformat() if isinstance(v, date) else str(v) for v in row] for row in rows]


def write_csv(path: Path, encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as file:
        csv.writer(file).writerows(legacy_rows(as_text=True))
    return path


def write_xlsx(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    for r, row in enumerate(legacy_rows(as_text=False), start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                cell = ws.cell(r, c, value)
                if isinstance(value, date):
                    cell.number_format = "yyyy/m/d"
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    wb.save(path)
    return path


def convert(source: Path, kind: str, folder: Path) -> Path:
    """`source` saved as .xls or .ods by LibreOffice."""
    needs(shutil.which("soffice") is not None, "LibreOffice (soffice)")
    out = folder / kind
    out.mkdir(exist_ok=True)
    command = ["soffice", "--headless", f"-env:UserInstallation={(folder / 'lo').as_uri()}",
               "--convert-to", kind, "--outdir", str(out), str(source)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    made = out / f"{source.stem}.{kind}"
    assert result.returncode == 0 and made.exists(), result.stderr
    return made


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same old list in every format (LibreOffice's conversions made once, on first need)."""
    folder = tmp_path_factory.mktemp("legacy")
    xlsx = write_xlsx(folder / "旧清单.xlsx")
    made: dict[str, Path] = {"gbk.csv": write_csv(folder / "旧清单-gbk.csv", "gbk"),
                             "utf8-bom.csv": write_csv(folder / "旧清单-bom.csv", "utf-8-sig"), "xlsx": xlsx}
    return _Lazy(made, lambda kind: convert(xlsx, kind, folder))


class _Lazy(dict):
    def __init__(self, made: dict[str, Path], make):  # noqa: ANN001
        super().__init__(made)
        self.make = make

    def __missing__(self, kind: str) -> Path:
        self[kind] = self.make(kind)
        return self[kind]


def plain(value: object) -> object:
    """A cell value read back, comparable across readers: dates as dates, whole floats as int, blanks as None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None if value == "" else value


def read_back(book: Path) -> tuple[list[list[object]], openpyxl.worksheet.worksheet.Worksheet]:
    rows = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name("清单").to_python()
    return [[plain(v) for v in row] for row in rows], openpyxl.load_workbook(book)["清单"]


FORMATS = ["gbk.csv", "utf8-bom.csv", "xlsx", "xls", "ods"]
SHEET_OF = {"gbk.csv": "旧清单-gbk", "utf8-bom.csv": "旧清单-bom", "xlsx": SHEET, "xls": SHEET, "ods": SHEET}
ENCODING = {"gbk.csv": "GBK", "utf8-bom.csv": "UTF-8 (BOM)"}


@pytest.mark.parametrize("kind", FORMATS)
def test_every_row_and_value_of_the_old_list_lands_in_the_new_register(legacy: dict[str, Path], kind: str,
                                                                        tmp_path: Path) -> None:
    source, out = legacy[kind], tmp_path / "顾客特殊要求清单.xlsx"
    code, stdout, stderr = run("import", source, "--out", out, "--today", TODAY)
    assert code == 1, stderr  # the planted problems could not be mapped
    rows, ws = read_back(out)
    assert rows[2] == NEW_HEADERS
    text = kind.endswith(".csv")  # a CSV's values are all text: 序号 stays "1"
    for r, expected in enumerate(EXPECTED, start=4):
        want = {h: (str(v) if text and h == "序号" else v) for h, v in expected.items()}
        got = {h: v for h, v in zip(NEW_HEADERS, rows[r - 1]) if v is not None}
        assert got == want, (kind, r)
        by_openpyxl = {h: plain(ws.cell(r, c).value) for c, h in enumerate(NEW_HEADERS, start=1)
                       if ws.cell(r, c).value is not None}
        assert by_openpyxl == want, (kind, r)
        code_cell = ws.cell(r, NEW_HEADERS.index("客户代码") + 1)
        assert code_cell.data_type == "s" and code_cell.value == expected["客户代码"]  # 007 stays text
    assert len(rows) == 3 + len(EXPECTED)  # no blank rows, no signature line
    assert ws.cell(5, NEW_HEADERS.index("接收日期") + 1).data_type == "s"  # 下周 kept as text
    assert ws.cell(4, NEW_HEADERS.index("接收日期") + 1).is_date  # 2026年11月3日 a real date
    # the report: each planted problem at its old cell, Chinese first
    name = source.name
    for old, new, _, _ in PLANTED:
        assert f"{name}「{SHEET_OF[kind]}」{old} → 「清单」{new}" in stdout, stdout
    assert "「下周」不是有效日期" in stdout and "「暂缓」不在可选值中" in stdout
    assert "处理状态：进行中 → 处理中（1 行）" in stdout and "优先级：High → 高（1 行）" in stdout
    assert "保留 2 个自定义列（在模板列之后）：序号、客户代码" in stdout
    if kind in ENCODING:
        assert f"编码 {ENCODING[kind]}" in stdout
    # validate of the new register finds the planted problems, and only them
    code, stdout, _ = run("validate", out, "--json", "--today", TODAY)
    report = json.loads(stdout)
    assert code == 1 and report["rows"] == len(EXPECTED)
    assert sorted((e["column"] + str(e["row"]), e["field"], e["code"]) for e in report["errors"]) == sorted(
        (new, key, what) for _, new, key, what in PLANTED)
    assert {w["code"] for w in report["warnings"]} <= {"placeholder_email"}  # the template's example addresses


def test_the_plan_reports_each_value_that_did_not_map_at_the_old_lists_cell(legacy: dict[str, Path],
                                                                          tmp_path: Path) -> None:
    result = import_legacy(legacy["xlsx"], tmp_path / "new.xlsx", today=date(2026, 11, 25))
    assert [(i.cell, i.field, str(i.code), i.value) for i in result.problems] == [
        ("G6", "received", "bad_date", "下周"), ("L8", "status", "bad_choice", "暂缓")]
    assert result.plan.sources == SOURCE_ROWS and result.header_row == HEADER_ROW and result.sheet == SHEET
    assert [row[:2] for row in result.to_rows()] == [[f"旧清单.xlsx「{SHEET}」G6", "I5"],
                                                       [f"旧清单.xlsx「{SHEET}」L8", "N7"]]
    assert result.problem_rows == [6, 8] and not result.ok
    assert result.validation.rows == 4


def test_a_clean_old_list_exits_0(tmp_path: Path) -> None:
    rows = [HEADERS, [1, "吉利汽车", "007", "GL-1", "PPAP", "产品", "2026-11-03", "高", "", "技术部", "李强", "进行中",
                      "", ""]]
    source = tmp_path / "clean.csv"
    with source.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows([[str(v) for v in row] for row in rows])
    code, stdout, _ = run("import", source, "--out", tmp_path / "new.xlsx", "--today", TODAY)
    assert code == 0, stdout
    assert "编码 UTF-8" in stdout and "已写入" in stdout


# --- refusals: exit 2, one line, nothing written -------------------------------------------------


def test_an_existing_output_is_never_overwritten(legacy: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "顾客特殊要求清单.xlsx"
    out.write_bytes(b"the user's own file")
    code, stdout, stderr = run("import", legacy["gbk.csv"], "--out", out, "--today", TODAY)
    assert code == 2 and stdout == ""
    assert len(stderr.splitlines()) == 1 and "已存在" in stderr and " / " in stderr
    assert out.read_bytes() == b"the user's own file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_an_output_folder_gets_the_registers_name_and_is_refused_when_it_holds_one(legacy: dict[str, Path],
                                                                                 tmp_path: Path) -> None:
    code, _, _ = run("import", legacy["gbk.csv"], "--out", tmp_path, "--today", TODAY)
    assert code == 1 and (tmp_path / "顾客特殊要求清单.xlsx").exists()
    before = (tmp_path / "顾客特殊要求清单.xlsx").read_bytes()
    code, _, stderr = run("import", legacy["gbk.csv"], "--out", tmp_path, "--today", TODAY)
    assert code == 2 and len(stderr.splitlines()) == 1
    assert (tmp_path / "顾客特殊要求清单.xlsx").read_bytes() == before


def test_a_csv_in_an_unknown_encoding_is_refused_in_one_line(tmp_path: Path) -> None:
    source = tmp_path / "kunden.csv"
    source.write_bytes("Kunde,Anforderung,Eingang\nMüller GmbH,Prüfbericht für Öl,2026-11-03\n".encode("cp1252"))
    out = tmp_path / "new.xlsx"
    code, stdout, stderr = run("import", source, "--out", out, "--today", TODAY)
    assert code == 2 and stdout == "" and not out.exists()
    assert len(stderr.splitlines()) == 1
    assert "既不是 UTF-8 也不是 GB18030/GBK" in stderr and "neither UTF-8 nor GB18030/GBK" in stderr
    message = stderr.removeprefix("错误 / error: ")
    assert message.index("编码") < message.index(" / ") < message.index("neither")  # Chinese first


@pytest.mark.parametrize("content, words", [
    ("客户,要求\n比亚迪,PPAP\n".encode("utf-16"), "UTF-16"),
    (b"", "0"),
    (b"\x00\x01\x02binary", "既不是工作簿也不是文本文件"),
    ("<html><table><tr><td>客户</td></tr></table></html>".encode(), "网页（HTML）"),  # an ERP's "Excel export"
], ids=["utf-16", "empty", "binary", "web-page"])
def test_other_unreadable_files_are_refused_in_one_line(tmp_path: Path, content: bytes, words: str) -> None:
    source = tmp_path / "old.csv"
    source.write_bytes(content)
    code, stdout, stderr = run("import", source, "--out", tmp_path / "new.xlsx", "--today", TODAY)
    assert code == 2 and stdout == "" and len(stderr.splitlines()) == 1 and words in stderr, stderr
    assert not (tmp_path / "new.xlsx").exists()


def test_a_missing_file_and_a_list_without_a_header_are_refused(tmp_path: Path) -> None:
    code, _, stderr = run("import", tmp_path / "nowhere.xls", "--out", tmp_path / "new.xlsx")
    assert code == 2 and len(stderr.splitlines()) == 1 and "找不到" in stderr
    (tmp_path / "notes.csv").write_text("会议纪要\n下周再议\n", encoding="utf-8")
    code, _, stderr = run("import", tmp_path / "notes.csv", "--out", tmp_path / "new.xlsx")
    assert code == 2 and len(stderr.splitlines()) == 1 and "找不到表头" in stderr
    assert not (tmp_path / "new.xlsx").exists()


def test_the_output_must_be_an_xlsx(legacy: dict[str, Path], tmp_path: Path) -> None:
    code, _, stderr = run("import", legacy["gbk.csv"], "--out", tmp_path / "new.xlsm")
    assert code == 2 and ".xlsx" in stderr and not (tmp_path / "new.xlsm").exists()


def test_the_reader_points_an_xls_to_import(legacy: dict[str, Path]) -> None:
    code, _, stderr = run("validate", legacy["xls"], "--today", TODAY)
    assert code == 2 and len(stderr.splitlines()) == 1
    assert "xlcsr import 旧清单.xls --out 新清单.xlsx" in stderr and "save it as .xlsx" in stderr


def test_help_ends_in_the_example() -> None:
    code, stdout, _ = run("import", "--help")
    assert code == 0 and "Example: xlcsr import 旧清单.xls --out 顾客特殊要求清单.xlsx" in stdout


# --- merged cells, headerless columns, rows outside the register ---------------------------------


def merged_list(path: Path) -> Path:
    """A list whose customer cell spans two rows, with a column of values but no header."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["客户", "特殊要求", "接收日期", "状态", None],
                ["比亚迪", "PPAP", "2026-11-03", "待处理", "A-1"],
                [None, "包装", "2026-11-04", "待处理", None],
                ["吉利汽车", "追溯", "2026-11-05", "待处理", "B-2"],
                [None, None, None, None, "C-3"]):  # only in a column no field maps: not a register row
        ws.append(row)
    ws.merge_cells("A2:A3")
    wb.save(path)
    return path


@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods"])
def test_a_merged_cell_gives_every_row_it_spans_its_value(tmp_path: Path, kind: str) -> None:
    source = merged_list(tmp_path / "merged.xlsx")
    if kind != "xlsx":
        source = convert(source, kind, tmp_path)
    result = import_legacy(source, tmp_path / "new.xlsx", today=date(2026, 11, 25))
    assert [row["customer"] for row in result.plan.rows] == ["比亚迪", "比亚迪", "吉利汽车"]
    assert result.plan.filled == 1 and result.plan.skipped == [5]
    assert result.plan.extra_headers == ["E列"] and result.plan.extras == [["A-1"], [None], ["B-2"]]
    rows, _ = read_back(tmp_path / "new.xlsx")
    assert rows[2][-1] == "E列" and [r[1] for r in rows[3:]] == ["比亚迪", "比亚迪", "吉利汽车"]
    assert result.ok and result.validation.valid


def test_other_sheets_with_values_are_named_and_can_be_chosen(tmp_path: Path) -> None:
    source = merged_list(tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(source)
    wb.create_sheet("Sheet2")  # Excel's empty sheets are not worth a word
    wb.create_sheet("2025年").append(["客户", "特殊要求", "接收日期"])
    wb["2025年"].append(["上汽", "EMC 试验", "2025-03-01"])
    wb.save(source)
    code, stdout, _ = run("import", source, "--out", tmp_path / "a.xlsx", "--today", TODAY)
    assert code == 0 and "其他工作表未导入：「2025年」（可用 --sheet 指定）" in stdout
    code, stdout, _ = run("import", source, "--out", tmp_path / "b.xlsx", "--sheet", "2025年", "--today", TODAY)
    assert code == 0 and "已写入" in stdout
    rows, _ = read_back(tmp_path / "b.xlsx")
    assert rows[3][1:4] == ["上汽", None, "EMC 试验"] and rows[3][8] == date(2025, 3, 1)
    code, _, stderr = run("import", source, "--out", tmp_path / "c.xlsx", "--sheet", "没有", "--today", TODAY)
    assert code == 2 and len(stderr.splitlines()) == 1 and not (tmp_path / "c.xlsx").exists()


# --- the rules over values, without files ----------------------------------------------------------


class Values:
    """An old list in memory as a `SheetSource`."""

    label = "mem.xlsx"

    def __init__(self, rows: list[list[object]]):
        self.rows = rows

    def sheet_names(self) -> list[str]:
        return ["Sheet1"]

    def values(self, sheet: str) -> list[list[object]]:
        return self.rows

    def formulas(self, sheet: str) -> set[str]:
        return set()

    def date1904(self) -> bool:
        return False


    def modified_by(self) -> str:

        return ""


def test_values_map_to_the_templates_fields() -> None:
    settings = DEFAULT_SETTINGS
    assert map_value("received", "2026年11月3日", settings) == (date(2026, 11, 3), None)
    assert map_value("received", 46329.0, settings) == (date(2026, 11, 3), None)
    assert map_value("received", "下周", settings) == ("下周", (Code.BAD_DATE, ""))
    assert map_value("status", "进行中", settings) == ("处理中", None)
    assert map_value("status", "进行中", settings, lang="en") == ("In progress", None)
    assert map_value("priority", "High", settings) == ("高", None)
    value, (code, detail) = map_value("status", "暂缓", settings)
    assert value == "暂缓" and code is Code.BAD_CHOICE and "待处理" in detail
    assert map_value("product", "007", settings) == ("007", None)  # text stays text
    assert map_value("product", 815.0, settings) == (815, None)  # a number stays a number
    assert map_value("customer", "  ", settings) == (None, None)
    assert map_value("received", 20261103.0, settings) == ("20261103", (Code.BAD_DATE, ""))  # kept as text
    assert map_value("case_no", "CSR-2026-0001", settings) == ("CSR-2026-0001", None)
    assert map_value("case_no", 12.0, settings) == (12, (Code.BAD_CASE_NO, "CSR-YYYY-NNNN"))  # an old 编号


def test_the_plan_over_values() -> None:
    rows = [["顾客特殊要求清单"], [], ["客户", "特殊要求", "日期", "客户代码", "状态"],
            ["比亚迪", "PPAP\x0b3级", "2026-11-03", "007", "关闭"], ["", "", "", "", ""],
            ["批准：周建国", "", "", "", ""]]
    register = find_register(Values(rows))
    plan = plan_import(register, rows)
    assert plan.rows == [{"customer": "比亚迪", "requirement": "PPAP3级", "received": date(2026, 11, 3),
                          "status": "已完成"}]
    assert plan.extras == [["007"]] and plan.extra_headers == ["客户代码"] and plan.sources == [4]
    assert plan.cleaned == 1 and plan.problems == [] and plan.skipped == []
    assert dict(plan.translated) == {("status", "关闭", "已完成"): 1}


def test_merged_cells_fill_down_their_first_column_only() -> None:
    rows = [["h"], ["a", "b", "c"], ["", "", ""], ["", "", ""]]
    grid = fill_merged(rows, [((1, 0), (3, 1)), ((0, 0), (2, 0))], below=0)
    assert [r[:2] for r in grid.rows[1:]] == [["a", "b"], ["a", ""], ["a", ""]]
    assert grid.filled == {(2, 0), (3, 0)} and rows[2][0] == ""  # the input is left alone


# --- reading text ---------------------------------------------------------------------------------


def test_encodings_are_detected_and_named() -> None:
    text = "客户,要求\n比亚迪,PPAP 第3级\n"
    assert decode_text(text.encode("utf-8"), "a.csv") == (text, "UTF-8")
    assert decode_text(b"\xef\xbb\xbf" + text.encode("utf-8"), "a.csv") == (text, "UTF-8 (BOM)")
    assert decode_text(text.encode("gbk"), "a.csv") == (text, "GBK")
    rare = text * 3 + "€𠀀\n"  # beyond GBK: GB18030
    assert decode_text(rare.encode("gb18030"), "a.csv") == (rare, "GB18030")
    for foreign in ("Müller,Prüfung für Öl\n".encode("cp1252"), "客戶,要求說明\n".encode("big5")):
        with pytest.raises(LegacyUnreadable, match="既不是 UTF-8 也不是 GB18030/GBK"):
            decode_text(foreign, "a.csv")


def test_delimiters_sep_lines_and_excel_text() -> None:
    assert parse_delimited("a;b;c\n1;2;3\n") == (";", [["a", "b", "c"], ["1", "2", "3"]])
    assert parse_delimited("a\tb\tc\n") == ("\t", [["a", "b", "c"]])
    assert parse_delimited("sep=|\na|b,c\n") == ("|", [["a", "b,c"]])
    assert parse_delimited('客户,代码,说明\n比亚迪,="007","多行\n文字"\n') == (
        ",", [["客户", "代码", "说明"], ["比亚迪", "007", "多行\n文字"]])


def test_a_file_is_known_by_its_bytes_not_its_name(legacy: dict[str, Path], tmp_path: Path) -> None:
    renamed = tmp_path / "really-gbk-text.xls"
    shutil.copy(legacy["gbk.csv"], renamed)
    source = open_legacy(renamed)
    assert (source.kind, source.encoding) == ("csv", "GBK")
    xls_as_xlsx = tmp_path / "really-xls.xlsx"
    shutil.copy(legacy["xls"], xls_as_xlsx)
    assert open_legacy(xls_as_xlsx).kind == "xls"


# --- the ribbon button --------------------------------------------------------------------------


def test_the_import_button_imports_the_chosen_file_beside_it_and_opens_it(legacy: dict[str, Path],
                                                                        tmp_path: Path) -> None:
    chosen = tmp_path / "旧清单.csv"
    shutil.copy(legacy["gbk.csv"], chosen)
    excel = FakeExcel("r.xlsx", str(tmp_path / "r.xlsx"))
    book = excel.book()
    book.app.api.GetOpenFilename.return_value = str(chosen)
    message = dispatch("import", book=book, today=date(2026, 11, 25))
    made = tmp_path / "顾客特殊要求清单-导入-20261125.xlsx"
    assert excel.opened == [str(made)] and made.exists()
    assert "G6" in message and "下周" in message and made.name in message and "同一文件夹" in message
    book.app.api.GetOpenFilename.return_value = False  # the user pressed Cancel
    assert "已取消" in dispatch("import", book=book, today=date(2026, 11, 25))
    assert excel.opened == [str(made)]
