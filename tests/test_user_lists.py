"""Day one on the user's own list: its headers, its words for a status, columns it names its own way."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from books import calamine_rows, real
from openpyxl.worksheet.table import Table
from typer.testing import CliRunner

from xlcsr.cli.app import app
from xlcsr.domain.records import CsrRecord
from xlcsr.domain.settings import DEFAULT_SETTINGS
from xlcsr.files.settings_writer import write_settings_sheet
from xlcsr.rules.choices import choice_value
from xlcsr.rules.deadlines import case_timing

TODAY = "2026-11-25"
HAND_KEPT = ["序号", "顾客", "产品名称", "特殊要求", "要求来源", "识别日期", "责任部门", "责任人", "完成情况", "计划完成日期"]
OWN_WORDS = ["顾客", "特殊要求", "识别日期", "责任部门", "跟踪结果", "目标日期"]  # no alias knows the last two


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def write_list(path: Path, headers: list[str], rows: list[list[object]], *, shape: str = "plain",
               settings: bool = True) -> Path:
    """A list kept by hand: a title row, the header in row 2, data below; as a table or with a filter."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "清单"
    ws.append(["CSR 跟踪表"])
    ws.append(headers)
    for row in rows:
        ws.append(row)
    for r in range(3, 3 + len(rows)):
        for c in range(1, len(headers) + 1):
            if isinstance(ws.cell(r, c).value, date):
                ws.cell(r, c).number_format = "yyyy-mm-dd"
    last = f"{openpyxl.utils.get_column_letter(len(headers))}{2 + len(rows)}"
    if shape == "table":
        ws.add_table(Table(displayName="跟踪", ref=f"A2:{last}"))
    elif shape == "filter":
        ws.auto_filter.ref = f"A2:{last}"
    if settings:
        write_settings_sheet(wb.create_sheet("设置"), real(DEFAULT_SETTINGS).model_copy(update={"people": ()}))
    wb.save(path)
    return path


def test_a_hand_kept_list_is_read_right_as_it_is(tmp_path: Path) -> None:
    rows = [[1, "比亚迪", "BMS", "PPAP 3级", "质量协议", date(2026, 10, 8), "品质部", "", "进行中", date(2026, 11, 30)],
            [2, "吉利汽车", "支架", "RoHS 报告", "环保协议", date(2026, 9, 1), "品质部", "", "已完成", date(2026, 9, 20)],
            [3, "长城汽车", "密封条", "包装规范", "技术协议", date(2026, 11, 2), "生产部", "", "未开始", date(2026, 12, 4)]]
    book = write_list(tmp_path / "手工清单.xlsx", HAND_KEPT, rows)
    code, out = run("validate", book, "--json", "--today", TODAY)
    report = json.loads(out)
    assert code == 0 and report["errors"] == [] and [w["code"] for w in report["warnings"]] == []
    code, out = run("assign", book, "--today", TODAY)
    assert code == 0, out
    values = calamine_rows(book)
    header = values[1]
    assert header[:10] == HAND_KEPT and header[10] == "案件号"  # only the number was missing
    assert [r[8] for r in values[2:5]] == ["进行中", "已完成", "未开始"]  # the user's words stay
    assert [r[9] for r in values[2:5]] == [date(2026, 11, 30), date(2026, 9, 20), date(2026, 12, 4)]
    code, _ = run("highlight", book, "--today", TODAY)
    overdue = calamine_rows(book)
    assert overdue[1][11] == "逾期天数" and overdue[3][11] in ("", None)  # the finished row is not overdue


@pytest.mark.parametrize("shape", ["plain", "table", "filter"])
def test_columns_no_alias_knows_are_named_mapped_and_then_used(tmp_path: Path, shape: str) -> None:
    rows = [["比亚迪", "PPAP 3级", date(2026, 10, 8), "品质部", "进行中", date(2026, 11, 30)],
            ["吉利汽车", "RoHS 报告", date(2026, 9, 1), "品质部", "已完成", date(2026, 9, 20)],
            ["长城汽车", "包装规范", date(2026, 11, 2), "生产部", "关闭", date(2026, 11, 10)]]
    book = write_list(tmp_path / "跟踪.xlsx", OWN_WORDS, rows, shape=shape)
    code, out = run("validate", book, "--json", "--today", TODAY)
    warnings = [(w["column"], w["field"], w["code"]) for w in json.loads(out)["warnings"]]
    assert ("E", "status", "unmapped_column") in warnings and ("F", "due", "unmapped_column") in warnings
    message = next(w["message"] for w in json.loads(out)["warnings"] if w["column"] == "F")
    assert message.startswith("F 列「目标日期」看起来是截止日期，但未映射")
    before = book.read_bytes()
    code, out = run("assign", book, "--today", TODAY)
    assert code == 2 and "xlcsr columns" in out and "E 列「跟踪结果」像是「处理状态」" in out
    assert book.read_bytes() == before  # nothing written: no duplicate 处理状态 / 截止日期 columns

    code, out = run("columns", book, "--apply")
    assert code == 0 and "已写入「设置」的【列映射】：跟踪结果 → 处理状态、目标日期 → 截止日期" in out
    code, out = run("validate", book, "--json", "--today", TODAY)
    assert json.loads(out)["warnings"] == [] and json.loads(out)["errors"] == []
    code, out = run("assign", book, "--today", TODAY)
    assert code == 0, out
    values = calamine_rows(book)
    assert values[1] == [*OWN_WORDS, "案件号"]  # only the number was added
    assert [r[4] for r in values[2:5]] == ["进行中", "已完成", "关闭"]
    assert [r[5] for r in values[2:5]] == [date(2026, 11, 30), date(2026, 9, 20), date(2026, 11, 10)]
    assert run("highlight", book, "--today", TODAY)[0] == 0
    values = calamine_rows(book)
    assert [r[7] for r in values[2:5]] == ["", "", ""]  # nothing overdue: 2 is done, 3 is 关闭
    ws = openpyxl.load_workbook(book)["清单"]
    done_rule = next(r for cf in ws.conditional_formatting for r in cf.rules if "已完成" in r.formula[0])
    assert '$E3="关闭"' in done_rule.formula[0]  # grey follows the user's own word
    if shape == "table":
        assert ws.tables["跟踪"].ref.startswith("A2:H")  # 案件号 and 逾期天数 inside the table


def test_value_synonyms_mean_their_value_everywhere() -> None:
    settings = DEFAULT_SETTINGS.model_copy(update={"value_map": {"status": {"搞定": "已完成"}}})
    assert [choice_value(settings, "status", w) for w in ("关闭", "OK", "进行中", "未开始", "作废", "搞定", "哈")] == \
        ["已完成", "已完成", "处理中", "待处理", "已取消", "已完成", None]
    assert choice_value(settings, "priority", "紧急") == "高" and choice_value(settings, "contract_type", "标准") == "常规"
    record = CsrRecord(row=4, customer="吉利", requirement="x", received=date(2026, 9, 1), due=date(2026, 9, 10),
                       status=choice_value(settings, "status", "关闭") or "")
    assert case_timing(record, settings, date(2026, 11, 25)).overdue_days == 0


def test_a_column_mapping_names_both_cells_when_two_columns_claim_one_field(tmp_path: Path) -> None:
    book = write_list(tmp_path / "双.xlsx", OWN_WORDS, [["比亚迪", "x", date(2026, 10, 8), "品质部", "进行中",
                                                        date(2026, 11, 30)]])
    wb = openpyxl.load_workbook(book)
    ws = wb["设置"]
    header_col = next(c for c in range(1, ws.max_column + 1) if ws.cell(2, c).value == "【列映射】")
    ws.cell(4, header_col, "跟踪结果")
    ws.cell(4, header_col + 1, "处理状态")
    ws.cell(5, header_col, "目标日期")
    ws.cell(5, header_col + 1, "状态")
    wb.save(book)
    code, out = run("validate", book)
    letter = openpyxl.utils.get_column_letter(header_col + 1)
    assert code == 2 and f"设置!{letter}5" in out and f"设置!{letter}4" in out and "两列都映射为「处理状态」" in out


def test_assign_after_highlight_adds_its_column_beside_the_data_not_past_the_legend(tmp_path: Path) -> None:
    headers = ["顾客", "特殊要求", "识别日期", "责任部门", "处理状态"]
    book = write_list(tmp_path / "先标记.xlsx", headers, [["比亚迪", "PPAP", date(2026, 10, 8), "品质部", "处理中"]])
    assert run("highlight", book, "--today", TODAY)[0] == 0
    code, out = run("assign", book, "--today", TODAY)  # 逾期天数 holds numbers: not taken for a due date
    assert code == 0, out
    assert calamine_rows(book)[1][:8] == [*headers, "逾期天数", "案件号", "截止日期"]
    assert run("highlight", book, "--today", TODAY)[0] == 0  # the legend moves on, past the new columns
    assert calamine_rows(book)[1] == [*headers, "逾期天数", "案件号", "截止日期", "", "图例", "逾期", "即将到期",
                                      "已完成或已取消"]


def test_a_register_without_settings_takes_its_column_mapping_from_xlcsr_toml(tmp_path: Path) -> None:
    rows = [["比亚迪", "PPAP 3级", date(2026, 10, 8), "品质部", "已完成", date(2026, 11, 30)]]
    book = write_list(tmp_path / "无设置.xlsx", OWN_WORDS, rows, settings=False)
    code, out = run("columns", book, "--apply")
    assert code == 1 and '[columns]\n"跟踪结果" = "处理状态"\n"目标日期" = "截止日期"' in out
    (tmp_path / "xlcsr.toml").write_text('[columns]\n"跟踪结果" = "处理状态"\n"目标日期" = "截止日期"\n', encoding="utf-8")
    code, out = run("validate", book, "--json", "--today", TODAY)
    assert "unmapped_column" not in {w["code"] for w in json.loads(out)["warnings"]}
    assert run("columns", book)[0] == 0
    (tmp_path / "xlcsr.toml").write_text('[columns]\n"跟踪结果" = "心情"\n', encoding="utf-8")
    code, out = run("validate", book)
    assert code == 2 and "columns.跟踪结果" in out and "不是清单的字段" in out
