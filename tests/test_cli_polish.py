"""The command line's own polish: --version, --lang zh|en, help without Python type names, and
argument errors in Chinese first (exit code 2)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import xlcsr
from xlcsr.cli.app import app

runner = CliRunner()
WIDE = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1"}
# typer's own type labels (<path>, <bool>, <list[Path]>, <str>) and click's (PATH, TEXT, INTEGER)
TYPE_NAMES = re.compile(r"<[A-Za-z_\[\]|, ]+>|\b(PATH|TEXT|INTEGER|BOOLEAN|FILENAME)\b")


def run(*args: object) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args], env=WIDE)
    return result.exit_code, result.stdout, result.stderr


def every_command_path(group: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every registered verb, the groups added with add_typer (`addin`) and their verbs included."""
    paths = [prefix]
    for command in group.registered_commands:
        paths.append((*prefix, command.name or command.callback.__name__))
    for sub in group.registered_groups:
        paths.extend(every_command_path(sub.typer_instance, (*prefix, sub.name)))
    return paths


COMMANDS = every_command_path(app)


# --- --version ----------------------------------------------------------------------------------

def test_version_prints_the_package_version() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out == f"xlcsr {xlcsr.__version__}\n" == "xlcsr 0.1.0\n"


def test_python_m_xlcsr_version() -> None:
    done = subprocess.run([sys.executable, "-m", "xlcsr", "--version"], capture_output=True, text=True,
                          env={**os.environ, **WIDE}, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout == "xlcsr 0.1.0\n", done.stderr


# --- --lang zh|en -------------------------------------------------------------------------------

@pytest.mark.parametrize("verb", ["validate", "remind", "highlight"])
def test_a_language_other_than_zh_or_en_is_refused_chinese_first(verb: str, tmp_path: Path) -> None:
    book = tmp_path / "清单.xlsx"  # never opened: the option is refused before the verb runs
    code, out, err = run(verb, book, "--lang", "fr", "--today", "2026-11-25")
    assert code == 2 and out == "" and not book.exists()
    first = err.splitlines()[0]
    assert first.startswith("错误：--lang 的值无效：只能是 zh 或 en：fr / Error: "), err
    assert "expected zh or en" in first and first.index("错误") < first.index("Error")


def test_every_lang_option_is_the_shared_one() -> None:
    """Every verb with --lang takes exactly zh|en (one option type in cli/options.py)."""
    seen = 0
    for path in COMMANDS[1:]:
        code, out, _ = run(*path, "--help")
        assert code == 0, path
        for line in out.splitlines():
            if "--lang" in line:
                assert "zh|en" in line, (path, line)
                seen += 1
    assert seen >= 8  # validate assign highlight init demo remind columns import


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_zh_and_en_are_still_accepted(lang: str, tmp_path: Path) -> None:
    code, _, err = run("init", tmp_path / "csr", "--lang", lang)
    assert code == 0, err


# --- help without type names --------------------------------------------------------------------

@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "xlcsr")
def test_help_names_values_not_python_types(path: tuple[str, ...]) -> None:
    code, out, err = run(*path, "--help")
    assert code == 0, err
    assert not TYPE_NAMES.search(out), (path, TYPE_NAMES.search(out))
    usage = next(line for line in out.splitlines() if "Usage:" in line)
    assert "{" not in usage and "[OPTIONS]" in usage, usage  # typer writes `{book}`
    assert "显示帮助后退出 / Show this message and exit." in out


def test_help_shows_the_metavars() -> None:
    usages = {" ".join(p): run(*p, "--help")[1] for p in COMMANDS[1:]}
    assert "Usage: xlcsr validate [OPTIONS] BOOK" in usages["validate"]
    assert "Usage: xlcsr init [OPTIONS] DIR" in usages["init"]
    assert "Usage: xlcsr demo [OPTIONS] [DIR]" in usages["demo"]
    assert "Usage: xlcsr remind [OPTIONS] [BOOK]..." in usages["remind"]
    assert "Usage: xlcsr import [OPTIONS] FILE" in usages["import"]
    assert re.search(r"--today\s+YYYY-MM-DD", usages["highlight"])
    assert re.search(r"--config\s+FILE", usages["remind"]) and re.search(r"--outbox\s+DIR", usages["remind"])
    assert re.search(r"--config\s+FILE", usages["run"])
    assert re.search(r"--out\s+BOOK", usages["import"]) and re.search(r"--out\s+FILE", usages["addin build"])
    assert re.search(r"--xlam\s+FILE", usages["addin install"])
    assert re.search(r"--json\s+以 JSON", usages["validate"])  # a flag shows no value at all
    top = run("--help")[1]
    assert "Usage: xlcsr [OPTIONS] COMMAND [ARGS]..." in top and re.search(r"--version\s+显示版本", top)


# --- argument errors: Chinese first, exit 2 -----------------------------------------------------

def test_a_missing_argument_is_reported_chinese_first() -> None:
    code, out, err = run("validate")
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0] == "错误：缺少参数 BOOK / Error: Missing argument 'BOOK'."
    assert lines[1].startswith("用法 / Usage: xlcsr validate [OPTIONS] BOOK") and "--help" in lines[1]
    assert len(lines) == 2 and "╭" not in err  # no English-only rich panel


def test_a_missing_option_is_reported_chinese_first(tmp_path: Path) -> None:
    code, _, err = run("import", tmp_path / "旧清单.csv")
    assert code == 2 and err.startswith("错误：缺少选项 --out / Error: Missing option '--out'.")


@pytest.mark.parametrize("path", [("validate", "x.xlsx"), ("remind",), ("addin", "build")])
def test_an_unknown_option_is_reported_chinese_first(path: tuple[str, ...]) -> None:
    code, out, err = run(*path, "--bogus")
    assert code == 2 and out == ""
    assert err.splitlines()[0].startswith("错误：没有这个选项 --bogus"), err
    assert "/ Error: No such option: --bogus" in err.splitlines()[0]


def test_a_near_miss_option_is_suggested() -> None:
    _, _, err = run("validate", "x.xlsx", "--jsn")
    assert err.startswith("错误：没有这个选项 --jsn（是否想用 --json？） / Error: No such option: --jsn")


def test_other_usage_errors_are_chinese_first_too() -> None:
    cases = {
        ("validate", "a.xlsx", "b.xlsx"): "错误：多余的参数：b.xlsx / Error: Got unexpected extra argument",
        ("nosuch",): "错误：没有这个命令：nosuch / Error: No such command 'nosuch'.",
        ("import", "a.xls", "--out"): "错误：选项 --out 需要一个值 / Error: Option '--out' requires an argument.",
        ("validate", "a.xlsx", "--today", "2026-13-01"):
            "错误：--today 的值无效：日期应为 YYYY-MM-DD：2026-13-01 / Error: Invalid value for '--today': "
            "expected YYYY-MM-DD",
    }
    for args, start in cases.items():
        code, _, err = run(*args)
        assert code == 2 and err.startswith(start), (args, err)


def test_a_bare_group_still_shows_its_help() -> None:
    code, out, err = run("addin")
    assert code == 2 and "Usage: xlcsr addin [OPTIONS] COMMAND [ARGS]..." in out and err == ""


def test_the_exit_code_of_a_verb_is_kept(tmp_path: Path) -> None:
    code, _, err = run("validate", tmp_path / "nowhere.xlsx")  # an XlcsrError: one line, exit 2
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("错误 / error:")
    code, _, _ = run("init", tmp_path / "csr")
    assert code == 0
    code, _, _ = run("init", tmp_path / "csr")  # the templates exist: kept, exit 1
    assert code == 1
