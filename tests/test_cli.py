"""The command line: exit codes, JSON shape, messages, help; through typer's runner on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from books import GOOD_ROW, calamine_rows, row, write_register
from typer.testing import CliRunner

from xlcsr.cli.app import app

runner = CliRunner()


def run(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def test_validate_json_lists_errors_with_excel_row_and_column(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW, row(客户名称="", 接收日期="2026-02-30")])
    code, out = run("validate", book, "--json", "--today", "2026-11-25")
    assert code == 1
    data = json.loads(out)
    assert data["rows"] == 2 and data["warnings"] == []
    assert [(e["row"], e["column"], e["field"], e["code"]) for e in data["errors"]] == [
        (5, "B", "customer", "missing"), (5, "F", "received", "bad_date")]
    assert data["errors"][0]["message"] == "客户名称不能为空"


def test_a_long_issue_list_is_a_line_per_issue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond TABLE_LIMIT issues, no table (measuring it takes seconds): each issue on its own line, its
    row on every line (found by searching), the message in one line."""
    from xlcsr.cli import render

    book = write_register(tmp_path / "r.xlsx", [row(客户名称=""), GOOD_ROW, row(处理状态="不知道", 接收日期="2026-02-30")])
    monkeypatch.setattr(render, "TABLE_LIMIT", 2)
    code, out = run("validate", book, "--today", "2026-11-25")
    lines = out.splitlines()
    assert code == 1 and lines[0].split("\t") == ["行", "单元格", "字段", "级别", "问题"]
    assert [line.split("\t")[:4] for line in lines[1:4]] == [
        ["4", "B4", "客户名称", "错误"], ["6", "F6", "接收日期", "错误"], ["6", "K6", "处理状态", "错误"]]
    assert lines[1].split("\t")[4] == "客户名称不能为空" and "共 3 行" in lines[4]
    monkeypatch.setattr(render, "TABLE_LIMIT", 3)
    assert "\t" not in run("validate", book, "--today", "2026-11-25")[1]  # up to the limit, the table


def test_validate_clean_register_exits_zero_and_english_on_request(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW])
    code, out = run("validate", book, "--lang", "en", "--today", "2026-11-25")
    assert code == 0 and "no problems found" in out


def test_validate_warns_about_a_received_date_after_today(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW])
    code, out = run("validate", book, "--json", "--today", "2026-11-01")
    assert code == 0
    assert [w["code"] for w in json.loads(out)["warnings"]] == ["future_date"]


def test_validate_mark_writes_the_result_sheet(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [row(类别="安全")])
    code, out = run("validate", book, "--mark", "--today", "2026-11-25")
    assert code == 1 and "校验结果" in out
    assert calamine_rows(book, "校验结果")[1][1] == "E4"


def test_assign_exits_one_when_rows_were_skipped(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW, row(客户名称="")])
    code, out = run("assign", book, "--today", "2026-11-25")
    assert code == 1
    assert "CSR-2026-0001" in out and "跳过 1 个有问题的行：5" in out
    code, out = run("assign", book, "--today", "2026-11-25")
    assert code == 1 and "无需分配" in out


@pytest.mark.parametrize("setup", ["missing", "no_header", "locked", "not_xlsx"])
def test_cannot_run_is_exit_two_with_one_message_and_nothing_written(tmp_path: Path, setup: str) -> None:
    book = tmp_path / "r.xlsx"
    if setup == "no_header":
        write_register(book, [["甲", "乙"]], headers=["x", "y"])
    elif setup == "locked":
        write_register(book, [GOOD_ROW])
        (tmp_path / "~$r.xlsx").write_bytes(b"")
    elif setup == "not_xlsx":
        book.write_text("客户名称,要求描述\n", encoding="utf-8")
    before = book.read_bytes() if book.exists() else None
    code, out = run("assign", book)
    assert code == 2
    assert out.count("错误 / error:") == 1
    assert {"missing": "找不到工作簿", "no_header": "找不到表头", "locked": "正在 Excel 中打开",
            "not_xlsx": "不是"}[setup] in out
    assert (book.read_bytes() if book.exists() else None) == before


def test_a_bad_today_is_a_usage_error(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW])
    code, out = run("validate", book, "--today", "2026-13-01")
    assert code == 2 and "YYYY-MM-DD" in out


def test_init_writes_both_templates_and_keeps_existing_files(tmp_path: Path) -> None:
    code, _ = run("init", tmp_path)
    assert code == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["顾客特殊要求清单.xlsx", "顾客特殊要求评审记录表.xlsx"]
    register = tmp_path / "顾客特殊要求清单.xlsx"
    before = register.read_bytes()
    code, out = run("init", tmp_path)
    assert code == 1 and "未覆盖" in out and register.read_bytes() == before
    code, _ = run("validate", register, "--today", "2026-11-25")
    assert code == 0


def test_demo_builds_validates_and_numbers(tmp_path: Path) -> None:
    code, out = run("demo", tmp_path / "demo", "--today", "2026-11-25")
    assert code == 0
    assert "42 条要求" in out and "已分配 24 个案件号" in out
    values = calamine_rows(tmp_path / "demo" / "顾客特殊要求清单.xlsx")
    numbers = [r[0] for r in values[3:45] if r[0]]
    # 12 typed in, 24 assigned, and one wrong row reusing a number (a deliberate duplicate)
    assert len(numbers) == 12 + 24 + 1 and len(set(numbers)) == len(numbers) - 1
    result = calamine_rows(tmp_path / "demo" / "顾客特殊要求清单.xlsx", "校验结果")
    errors = [r for r in result[1:] if r[3] not in ("placeholder_email", "review_late")]  # warned, not errors
    assert len(errors) == 9  # the duplicate is an error on its later use only
    late = [r for r in result[1:] if r[3] == "review_late"]  # open cases received over 10 working days ago
    assert late and all(r[2] == "接收日期" and "待会签" in r[4] for r in late)


def test_every_command_has_help_ending_in_an_example() -> None:
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        doc = command.callback.__doc__ or ""
        assert doc.strip().splitlines()[-1].strip().startswith("Example: xlcsr "), name
        code, out = run(name, "--help")
        assert code == 0 and "Example" in out, name


@pytest.mark.soffice
def test_the_marked_demo_register_opens_in_libreoffice(tmp_path: Path, to_pdf) -> None:  # noqa: ANN001
    code, _ = run("demo", tmp_path / "demo", "--today", "2026-11-25")
    assert code == 0
    assert to_pdf(tmp_path / "demo" / "顾客特殊要求清单.xlsx").stat().st_size > 10_000
