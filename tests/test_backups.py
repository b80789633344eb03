"""Backups kept by time (every write of the last days, then one a day), listed with the command that made
them, found by a stamp; `xlcsr restore BOOK --list` through the runner. Real files in a temp folder."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xlcsr.app.backups import find_backup, list_backups
from xlcsr.app.config import load_config, retention_for
from xlcsr.cli.app import app
from xlcsr.disk.atomic import Retention, backup_stamp, backups_of, expired, write_atomically
from xlcsr.domain.errors import BadConfig, XlcsrError
from xlcsr.domain.vocab import BACKUP_DIR, CONFIG_FILE
from xlcsr.files.change_store import ChangeStore

NOW = datetime(2026, 12, 2, 4, 5, 0)
WIDE = {"COLUMNS": "200", "TERM": "dumb", "NO_COLOR": "1"}
runner = CliRunner()


def spread(book: Path, days: int = 120) -> list[datetime]:
    """Backups of `book` at 00:00, 06:00, 12:00 and 18:00 of each of the last `days` days (all before NOW),
    their file times all set to a year ago: only the names tell their age."""
    folder = book.parent / BACKUP_DIR
    folder.mkdir(exist_ok=True)
    start = datetime(NOW.year, NOW.month, NOW.day) - timedelta(days=days)
    stamps = [start + timedelta(hours=6 * i) for i in range(4 * days + 1)]
    old = (NOW - timedelta(days=365)).timestamp()
    for stamp in stamps:
        path = folder / f"{book.stem}-{stamp:%Y%m%d-%H%M%S-%f}{book.suffix}"
        path.write_bytes(stamp.isoformat().encode())
        os.utime(path, (old, old))
    return stamps


def kept_stamps(book: Path) -> list[datetime]:
    return [backup_stamp(p) for p in backups_of(book)]


def test_the_stamp_in_a_backup_name() -> None:
    assert backup_stamp(Path("清单-20261103-081500-250000.xlsx")) == datetime(2026, 11, 3, 8, 15, 0, 250000)
    assert backup_stamp(Path("清单-2026-20261103-081500-250000-2.xlsm")) == datetime(2026, 11, 3, 8, 15, 0, 250000)
    assert backup_stamp(Path("清单.xlsx")) is None
    assert backup_stamp(Path("清单-20261399-081500-250000.xlsx")) is None  # no such day
    assert backup_stamp(Path("清单-20261103-081500-250000.xlsx.bak")) is None


def test_a_write_keeps_the_last_week_then_one_a_day_for_90_days(tmp_path: Path) -> None:
    book = tmp_path / "清单.xlsx"
    book.write_bytes(b"current")
    stamps = spread(book)
    write_atomically(book, b"new", now=NOW)  # the default policy
    week, quarter = NOW - timedelta(days=7), NOW - timedelta(days=90)
    expected = [s for s in stamps if s >= week or (s >= quarter and s.hour == 18)] + [NOW]
    assert kept_stamps(book) == expected
    # by hand: 25 Nov 06:00 … 2 Dec 00:00 (3 + 6 × 4 + 1), one a day 3 Sep … 24 Nov (83), the new one
    assert len(expected) == 3 + 24 + 1 + 83 + 1
    assert min(expected) == datetime(2026, 9, 3, 18) and (book.parent / BACKUP_DIR / "清单-20261202-040500-000000.xlsx"
                                                          ).read_bytes() == b"current"


def test_the_policy_is_configurable_and_a_count_still_keeps_the_newest(tmp_path: Path) -> None:
    book = tmp_path / "清单.xlsx"
    book.write_bytes(b"current")
    stamps = spread(book, days=20)
    write_atomically(book, b"new", now=NOW, keep=Retention(recent_days=1, daily_days=10))
    expected = [s for s in stamps if s >= NOW - timedelta(days=1) or (s >= NOW - timedelta(days=10) and s.hour == 18)]
    assert kept_stamps(book) == [*expected, NOW] and len(expected) == 4 + 9
    write_atomically(book, b"newer", now=NOW + timedelta(seconds=1), keep=3)
    assert kept_stamps(book) == [expected[-1], NOW, NOW + timedelta(seconds=1)]


def test_expired_measures_age_from_the_write_and_keeps_future_stamps(tmp_path: Path) -> None:
    names = [tmp_path / f"b-{s:%Y%m%d-%H%M%S-%f}.xlsx" for s in
             (NOW - timedelta(days=200), NOW - timedelta(days=8, hours=1), NOW - timedelta(days=8), NOW + timedelta(days=1))]
    assert expired(names, Retention(), NOW) == [names[0], names[1]]
    assert expired(names, Retention(), NOW - timedelta(days=300)) == []
    assert expired(names, 0, NOW) == [] and expired(names, 1, NOW) == names[:3]


def test_every_write_of_the_week_stays_not_only_ten(tmp_path: Path) -> None:
    book = tmp_path / "清单.xlsx"
    for i in range(14):
        write_atomically(book, f"v{i}".encode(), now=NOW + timedelta(minutes=i))
    assert [p.read_bytes() for p in backups_of(book)] == [f"v{i}".encode() for i in range(13)]


def test_retention_comes_from_the_xlcsr_toml_beside_the_register(tmp_path: Path) -> None:
    assert retention_for(tmp_path) == Retention(7, 90)
    (tmp_path / CONFIG_FILE).write_text('registers = ["清单.xlsx"]\n[backups]\nrecent_days = 14\ndaily_days = 365\n',
                                        encoding="utf-8")
    assert retention_for(tmp_path) == Retention(14, 365) == load_config(cwd=tmp_path).backups
    (tmp_path / CONFIG_FILE).write_text("[backups]\ndaily_days = 30\n", encoding="utf-8")
    assert retention_for(tmp_path) == Retention(7, 30)


@pytest.mark.parametrize(("table", "words"), [
    ("recent_days = -1", "recent_days"), ("daily_days = \"90\"", "daily_days"), ("recent_days = true", "recent_days"),
    ("recent_days = 30\ndaily_days = 10", "recent_days（30）"), ("weeks = 4", "未知的设置项 [backups] weeks"),
])
def test_bad_backups_settings_are_refused_in_one_line(tmp_path: Path, table: str, words: str) -> None:
    (tmp_path / CONFIG_FILE).write_text(f"[backups]\n{table}\n", encoding="utf-8")
    for read in (lambda: retention_for(tmp_path), lambda: load_config(cwd=tmp_path)):
        with pytest.raises(BadConfig) as error:
            read()
        assert words in str(error.value) and "\n" not in str(error.value) and "xlcsr.toml: " in str(error.value)


def three_backups(tmp_path: Path) -> Path:
    book = tmp_path / "清单.xlsx"
    book.write_bytes(b"v0")
    firsts = [write_atomically(book, b"v1", now=NOW), write_atomically(book, b"v2", now=NOW + timedelta(hours=1))]
    same = write_atomically(book, b"v3", now=NOW + timedelta(hours=1))  # the same instant: "-1"
    with ChangeStore.beside(book) as store:
        store.record_backup(firsts[0], "xlcsr assign", NOW)
        store.record_backup(same, "xlcsr restore", NOW + timedelta(hours=1))
    return book


def test_list_backups_newest_first_with_their_commands(tmp_path: Path) -> None:
    book = three_backups(tmp_path)
    found = list_backups(book)
    assert [(b.stamp, b.command, b.path.read_bytes(), b.size) for b in found] == [
        ("20261202-050500-000000-1", "xlcsr restore", b"v2", 2),
        ("20261202-050500-000000", "", b"v1", 2),
        ("20261202-040500-000000", "xlcsr assign", b"v0", 2)]
    assert found[0].at == found[1].at == NOW + timedelta(hours=1)
    assert found[2].to_row() == ["2026-12-02 04:05:00", "xlcsr assign", "2 B", "清单-20261202-040500-000000.xlsx"]
    assert list_backups(tmp_path / "其他.xlsx") == []


def test_find_backup_by_a_unique_start_of_its_stamp(tmp_path: Path) -> None:
    book = three_backups(tmp_path)
    assert find_backup(book, "20261202-0405").path.read_bytes() == b"v0"
    assert find_backup(book, "2026-12-02 04:05").path.read_bytes() == b"v0"
    assert find_backup(book, "20261202-050500-000000").path.read_bytes() == b"v1"  # the whole stamp beats "-1"
    assert find_backup(book, "20261202-050500-000000-1").path.read_bytes() == b"v2"
    assert find_backup(book, "清单-20261202-040500-000000.xlsx").command == "xlcsr assign"
    with pytest.raises(XlcsrError) as several:
        find_backup(book, "20261202")
    assert "3 个备份" in str(several.value) and "3 backups" in str(several.value) and "\n" not in str(several.value)
    for stamp in ("20261203", "", "昨天"):
        with pytest.raises(XlcsrError) as none:
            find_backup(book, stamp)
        assert "没有" in str(none.value) and "no backup" in str(none.value)


def run(*args: object) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args], env=WIDE)
    return result.exit_code, result.stdout, result.stderr


def test_restore_list_shows_time_command_size_and_file(tmp_path: Path) -> None:
    book = three_backups(tmp_path)
    code, out, _ = run("restore", book, "--list")
    assert code == 0
    lines = [line for line in out.splitlines() if "清单-2026" in line]
    assert len(lines) == 3 and "xlcsr restore" in lines[0] and "xlcsr assign" in lines[2]
    assert "2026-12-02 05:05:00" in lines[0] and "2 B" in lines[0] and "清单-20261202-050500-000000-1.xlsx" in lines[0]
    assert all(word in out for word in ("时间", "命令", "大小", "文件"))
    assert "共 3 个备份" in out and "--at 20261202-050500-000000-1" in out
    code, out, _ = run("restore", book, "--list", "--lang", "en")
    assert code == 0 and "Command" in out and "3 backup(s)" in out


def test_restore_without_backups_or_with_a_bad_choice(tmp_path: Path) -> None:
    book = tmp_path / "清单.xlsx"
    code, out, _ = run("restore", book, "--list")
    assert code == 0 and "没有备份" in out
    for args in ((), ("--list", "--at", "2026")):
        code, _, err = run("restore", book, *args)
        assert code == 2 and "--list 或 --at" in err.splitlines()[0]
    code, _, err = run("restore", three_backups(tmp_path), "--at", "20261202")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "3 个备份" in err
