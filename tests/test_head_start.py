"""The register named on the command line, read from the process's first moment (files/head_start.py,
cli/launch.py): the same register as an ordinary read, never a file saved since, errors said as ever."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from books import TODAY, row, write_register
from typer.testing import CliRunner

from xlcsr.cli.app import app
from xlcsr.cli.launch import read_ahead
from xlcsr.domain.errors import WorkbookUnreadable
from xlcsr.files import head_start
from xlcsr.files.reader import FileSource, read_register
from xlcsr.workbook.locate import find_register


@pytest.fixture(autouse=True)
def _nothing_left_started():
    yield
    head_start._started.clear()


def register(path: Path, customer: str = "吉利汽车") -> Path:
    return write_register(path, [row(客户名称=customer), row(客户名称=customer, 处理状态="不知道")])


def test_the_early_read_is_the_register_an_ordinary_read_gives(tmp_path: Path) -> None:
    book = register(tmp_path / "清单.xlsx")
    head_start.start(book)
    source = FileSource(book)
    assert source._early is not None  # taken: the sheet was parsed in the thread
    early, ordinary = find_register(source), read_register(book)
    assert [r.texts for r in early.rows] == [r.texts for r in ordinary.rows]
    assert (early.settings, early.columns, early.header_row) == (ordinary.settings, ordinary.columns, ordinary.header_row)
    assert head_start.take(book) is None  # handed over once


def test_a_file_saved_after_the_early_read_began_is_read_afresh(tmp_path: Path) -> None:
    book = register(tmp_path / "清单.xlsx")
    head_start.start(book)
    head_start._started[book.absolute()].result()  # the early read is done: it holds the old file
    register(tmp_path / "next.xlsx", customer="比亚迪汽车").replace(book)
    source = FileSource(book)
    assert source._early is None
    assert {r.texts["customer"] for r in find_register(source).rows} == {"比亚迪汽车"}


def test_a_damaged_file_read_early_is_refused_as_ever(tmp_path: Path) -> None:
    book = tmp_path / "清单.xlsx"
    with zipfile.ZipFile(book, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(WorkbookUnreadable) as ordinary:
        FileSource(book)
    head_start.start(book)
    with pytest.raises(WorkbookUnreadable) as early:
        FileSource(book)
    assert str(early.value) == str(ordinary.value)


def test_a_named_sheet_is_the_one_parsed_early(tmp_path: Path) -> None:
    book = register(tmp_path / "清单.xlsx")
    head_start.start(book, "设置")
    source = FileSource(book)
    assert source._early is not None and source._early.sheet_name == "设置"
    assert source.values("设置") == FileSource(book).values("设置")


@pytest.mark.parametrize(("args", "picked"), [
    (["validate", "{book}", "--today", TODAY], "{book}"),
    (["validate", "--json", "{book}"], "{book}"),
    (["diff", "--out", "{other}", "{book}", "{other}"], "{book}"),
    (["remind", "--dry-run", "{book}"], "{book}"),
    (["validate", "{book}", "--help"], None),
    (["init", "{book}"], None),  # not a verb that reads a register
    (["restore", "{book}", "--list"], None),  # reads its backups, not its rows
    (["validate", "{missing}"], None),
    (["validate", "{folder}"], None),
    ([], None),
])
def test_the_launcher_reads_ahead_the_register_a_reading_verb_names(tmp_path: Path, args: list[str],
                                                                     picked: str | None) -> None:
    names = {"book": register(tmp_path / "清单.xlsx"), "other": register(tmp_path / "其他.xlsx"),
             "missing": tmp_path / "无.xlsx", "folder": tmp_path}
    filled = [arg.format(**names) for arg in args]
    expected = Path(picked.format(**names)) if picked else None
    assert read_ahead(filled) == expected
    assert set(head_start._started) == ({expected.absolute()} if expected else set())


def test_the_sheet_option_is_the_sheet_read_ahead(tmp_path: Path) -> None:
    book = register(tmp_path / "清单.xlsx")
    assert read_ahead(["validate", str(book), "--sheet", "设置"]) == book
    assert head_start._started[book.absolute()].likely_sheet == "设置"


def test_python_m_xlcsr_says_what_the_command_line_says(tmp_path: Path) -> None:
    book = register(tmp_path / "清单.xlsx")
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    done = subprocess.run([sys.executable, "-m", "xlcsr", "validate", str(book), "--json", "--today", TODAY],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    inside = CliRunner().invoke(app, ["validate", str(book), "--json", "--today", TODAY], env=env)
    assert done.returncode == inside.exit_code == 1
    assert json.loads(done.stdout) == json.loads(inside.stdout)
    assert [e["code"] for e in json.loads(done.stdout)["errors"]] == ["bad_choice"]
