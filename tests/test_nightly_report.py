"""What the nightly run tells the administrator, over real files through `xlcsr run`: every register by
its path from the config's folder, its invalid rows, mails and skipped steps in the UTF-8 JSON-lines log
and on the console with one summary line; `--dry-run` changes no byte; no config or no registers exit 2."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest
from books import GOOD_ROW, row, write_register
from typer.testing import CliRunner

from xlcsr.cli.app import app

OVERDUE = row(截止日期=date(2026, 11, 10), 负责人="李强", 处理状态="处理中")
LATE_ZHANG = row(客户名称="长城汽车", 截止日期=date(2026, 11, 12), 负责人="张伟", 处理状态="处理中")
INVALID = row(客户名称="", 接收日期="不是日期")  # no customer, no date: an error row, never reminded
FIRST_DATA_ROW = 4  # title, blank line, header


@pytest.fixture(autouse=True)
def no_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("XLCSR_SMTP_"):
            monkeypatch.delenv(name)


def two_plants(tmp_path: Path) -> Path:
    """一厂/清单.xlsx (clean) and 二厂/清单.xlsx (one overdue case, then 7 invalid rows)."""
    for plant in ("一厂", "二厂"):
        (tmp_path / plant).mkdir()
    write_register(tmp_path / "一厂" / "清单.xlsx", [GOOD_ROW, OVERDUE])
    write_register(tmp_path / "二厂" / "清单.xlsx", [LATE_ZHANG, *[INVALID] * 7])
    config = tmp_path / "xlcsr.toml"
    config.write_text('registers = ["一厂/清单.xlsx", "二厂/清单.xlsx"]\n', encoding="utf-8")
    return config


def run(*args: str) -> object:
    return CliRunner().invoke(app, ["run", *args])


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under `folder`."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def last_line(output: str) -> str:
    return [line for line in output.splitlines() if line.strip()][-1]


def test_the_log_names_each_register_by_its_folder_with_its_invalid_rows(tmp_path: Path) -> None:
    config = two_plants(tmp_path)
    result = run("--once", "--today", "2026-11-25", "--config", str(config))
    assert result.exit_code == 1, result.output  # 7 invalid rows: done, with problems

    text = (tmp_path / "xlcsr-run.log").read_text(encoding="utf-8")
    assert "一厂/清单.xlsx" in text and "\\u" not in text  # UTF-8, not escaped
    [line] = text.splitlines()
    logged = json.loads(line)
    assert logged["today"] == "2026-11-25"
    first, second = logged["registers"]
    assert (first["register"], second["register"]) == ("一厂/清单.xlsx", "二厂/清单.xlsx")
    assert (first["rows"], second["rows"]) == (2, 8)
    assert first["invalid_rows"] == {"count": 0}
    invalid = list(range(FIRST_DATA_ROW + 1, FIRST_DATA_ROW + 8))
    assert second["invalid_rows"]["count"] == 7
    assert second["invalid_rows"]["first"] == invalid[:5]
    assert second["invalid_rows"]["see"] == f"xlcsr validate {tmp_path / '二厂' / '清单.xlsx'}"
    assert any("无效 7 行" in w and "xlcsr validate" in w for w in second["warnings"])
    assert first["warnings"] == []
    assert (first["steps"], second["steps"], first["skipped"]) == (["track", "highlight"], ["track", "highlight"], [])
    # without SMTP the digests are written to the outbox: 李强 (一厂), 张伟 (二厂), and their manager's one
    # summary listing the escalated cases of both
    assert [(r["mails_written"], r["mails_sent"], r["mails_failed"]) for r in (first, second)] == [(2, 0, 0),
                                                                                                 (2, 0, 0)]
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3

    out = result.output
    assert "一厂/清单.xlsx：2 行，无效 0 行" in out and "二厂/清单.xlsx：8 行，无效 7 行" in out
    assert "无效 7 行（第 5、6、7、8、9… 行），这些案件不会提醒" in out and "xlcsr validate" in out
    summary = last_line(out)
    assert "一厂/清单.xlsx：2 行，无效 0 行，步骤 track、highlight，邮件已写入发件箱 2 封" in out
    assert summary.startswith("运行完成：2 个清单，10 行，无效 7 行，邮件已发送 0 封，已写入发件箱 3 封，失败 0 封")
    assert " / run done: 2 registers, 10 rows, 7 invalid, 0 mails sent, 3 written to the outbox, 0 failed" in summary


def test_a_skipped_step_is_logged_with_why(tmp_path: Path) -> None:
    config = two_plants(tmp_path)
    (tmp_path / "一厂" / "~$清单.xlsx").write_bytes(b"")  # open in Excel
    result = run("--once", "--today", "2026-11-25", "--config", str(config))
    assert result.exit_code == 1, result.output
    first, second = json.loads((tmp_path / "xlcsr-run.log").read_text(encoding="utf-8"))["registers"]
    assert first["steps"] == [] and [s["step"] for s in first["skipped"]] == ["highlight"]
    assert first["skipped"][0]["why"] and first["rows"] == 2 and first["mails_written"] == 2
    assert second["skipped"] == []
    assert "已跳过标记逾期" in result.output
    assert "跳过步骤 1 个" in last_line(result.output)


@pytest.mark.parametrize("earlier_run", [False, True])
def test_a_dry_run_changes_no_byte_and_prints_the_plan(tmp_path: Path, earlier_run: bool) -> None:
    config = two_plants(tmp_path)
    if earlier_run:  # the state folder, the sent log, the outbox and the log exist
        assert run("--once", "--today", "2026-11-24", "--config", str(config)).exit_code == 1
        assert (tmp_path / "outbox").is_dir() and (tmp_path / ".xlcsr-state").is_dir()
    before = tree(tmp_path)
    result = run("--once", "--dry-run", "--today", "2026-11-25", "--config", str(config))
    assert result.exit_code == 1, result.output
    assert tree(tmp_path) == before  # registers, outbox, state folder, log: same bytes, same listing
    out = result.output
    assert "预览 2026-11-25" in out
    assert "一厂/清单.xlsx：2 行，无效 0 行，将执行 track、highlight，将发送邮件 2 封" in out
    assert "二厂/清单.xlsx：8 行，无效 7 行，将执行 track、highlight，将发送邮件 2 封" in out
    assert last_line(out).startswith("预览（未写入、未发送）：2 个清单，10 行，无效 7 行，将发送邮件 3 封")


def test_dry_run_alone_runs_once(tmp_path: Path) -> None:
    config = two_plants(tmp_path)
    before = tree(tmp_path)
    result = run("--dry-run", "--config", str(config))
    assert result.exit_code == 1, result.output
    assert tree(tmp_path) == before


def one_line_error(result: object) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]  # type: ignore[attr-defined]
    assert len(lines) == 1, result.output  # type: ignore[attr-defined]
    return lines[0]


def test_no_xlcsr_toml_here_says_so_and_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("--once")
    assert result.exit_code == 2
    line = one_line_error(result)
    assert "此处没有 xlcsr.toml" in line and str(tmp_path / "xlcsr.toml") in line
    assert line.index("此处没有") < line.index("no xlcsr.toml here")
    assert "registers" not in line


def test_a_named_config_that_does_not_exist(tmp_path: Path) -> None:
    result = run("--once", "--config", str(tmp_path / "nope.toml"))
    assert result.exit_code == 2
    assert "找不到配置文件" in one_line_error(result) and "nope.toml" in result.output


def test_a_config_without_registers(tmp_path: Path) -> None:
    config = tmp_path / "xlcsr.toml"
    config.write_text('time = "02:00"\n', encoding="utf-8")
    result = run("--once", "--config", str(config))
    assert result.exit_code == 2
    line = one_line_error(result)
    assert "中没有 registers" in line and str(config) in line and "lists no registers" in line


def test_smtp_variables_alone_do_not_blame_a_missing_xlcsr_toml(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XLCSR_SMTP_HOST", "smtp.csrplant.cn")  # and no XLCSR_SMTP_FROM
    result = run("--once")
    assert result.exit_code == 2
    line = one_line_error(result)
    assert "XLCSR_SMTP_FROM" in line and "xlcsr.toml" not in line


def test_a_bad_today(tmp_path: Path) -> None:
    result = run("--once", "--today", "25.11.2026", "--config", str(two_plants(tmp_path)))
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output
    assert not (tmp_path / "xlcsr-run.log").exists()
