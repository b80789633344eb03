"""The write itself, on real registers in tmp_path: through symlinks, past busy files, never over a file
saved meanwhile, never beside a lock file of Excel, WPS or LibreOffice, backups named by the given clock."""

from __future__ import annotations

import errno
import os
import struct
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from books import GOOD_ROW, calamine_rows, row, write_register
from typer.testing import CliRunner

from xlcsr.app import commands
from xlcsr.app.config import Config
from xlcsr.app.nightly import run_once
from xlcsr.cli.app import app
from xlcsr.disk.atomic import backups_of, stamp_of, write_atomically
from xlcsr.domain.errors import WorkbookBusy, WorkbookChanged, WorkbookUnreadable, WriteFailed, XlcsrError
from xlcsr.domain.records import Register
from xlcsr.files.file_book import FileBook
from xlcsr.ooxml.package import XlsxPackage

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 9, 30, 15, 123456)
runner = CliRunner()


def clock() -> datetime:
    return NOW


def register(folder: Path, name: str = "清单.xlsx") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_register(folder / name, [GOOD_ROW, row(客户名称="长城汽车")])


def leftovers(folder: Path) -> list[str]:
    """What a write may leave behind: temp files, and backups."""
    found = [p.name for p in folder.iterdir() if p.name.startswith(".xlcsr-") and p.is_file()]
    backups = folder / ".xlcsr-backup"
    return found + ([p.name for p in backups.iterdir()] if backups.is_dir() else [])


def assign(book: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["assign", str(book), "--today", TODAY.isoformat()])
    return result.exit_code, result.output


# -- 1. a symlinked register is written through the link -------------------------------------------------


def test_a_symlinked_register_stays_a_symlink_and_its_target_gets_the_new_bytes(tmp_path: Path) -> None:
    target = register(tmp_path / "share")
    (tmp_path / "desk").mkdir()
    link = tmp_path / "desk" / "清单.xlsx"
    try:
        link.symlink_to(Path("..") / "share" / "清单.xlsx")
    except OSError:
        pytest.skip("symlinks are not allowed here")
    before = target.read_bytes()
    commands.assign_case_numbers(link, today=TODAY, clock=clock)
    assert link.is_symlink() and os.readlink(link) == str(Path("..") / "share" / "清单.xlsx")
    assert calamine_rows(target)[3][0] == "CSR-2026-0001"
    assert [p.name for p in (tmp_path / "desk").iterdir()] == ["清单.xlsx"]  # no temp file, no backup by the link
    backup = tmp_path / "share" / ".xlcsr-backup" / "清单-20261125-093015-123456.xlsx"
    assert backups_of(link) == backups_of(target) == [backup] and backup.read_bytes() == before
    assert sorted(leftovers(tmp_path / "share")) == [backup.name]


def test_a_lock_file_beside_the_symlink_or_its_target_refuses_the_write(tmp_path: Path) -> None:
    target = register(tmp_path / "share", "real.xlsx")
    link = tmp_path / "清单.xlsx"
    try:
        link.symlink_to(target)
    except OSError:
        pytest.skip("symlinks are not allowed here")
    before = target.read_bytes()
    for lock in (tmp_path / "~$清单.xlsx", tmp_path / "share" / ".~lock.real.xlsx#"):
        lock.write_bytes(b"")
        code, out = assign(link)
        assert code == 2 and out.count("错误 / error:") == 1 and lock.name in out
        lock.unlink()
    assert target.read_bytes() == before and link.is_symlink() and leftovers(tmp_path / "share") == []


# -- 2. a file held by another program -------------------------------------------------------------------


def _sharing_violation() -> PermissionError:
    error = PermissionError(errno.EACCES, "The process cannot access the file because it is being used by another "
                                          "process")
    error.winerror = 32  # type: ignore[attr-defined]  # what Windows says when antivirus or OneDrive holds it
    return error


@pytest.mark.parametrize("windows", [True, False])
def test_a_sharing_violation_at_the_rename_is_one_clear_error_and_exit_two(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, windows: bool) -> None:
    book = register(tmp_path)
    before = book.read_bytes()

    def held(*args: object) -> None:
        raise _sharing_violation() if windows else PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", held)
    code, out = assign(book)
    assert code == 2 and out.count("错误 / error:") == 1 and "Traceback" not in out
    assert "清单.xlsx 正被其他程序占用（如杀毒软件、OneDrive、WPS），请关闭后重试" in " ".join(out.split())
    assert book.read_bytes() == before and leftovers(tmp_path) == []


def test_a_busy_file_is_an_xlcsr_error_and_still_an_os_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.xlam"
    path.write_bytes(b"old")

    def held(*args: object) -> None:
        raise _sharing_violation()

    monkeypatch.setattr(os, "replace", held)
    with pytest.raises(WorkbookBusy, match="a.xlam 正被其他程序占用") as raised:
        write_atomically(path, b"new", backup=False)
    assert isinstance(raised.value, XlcsrError) and isinstance(raised.value, OSError)
    assert path.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_a_full_disk_is_one_message_and_nothing_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "清单.xlsx"
    path.write_bytes(b"old")

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(WriteFailed, match="磁盘空间不足.*nothing was written"):
        write_atomically(path, b"new", now=NOW)
    assert path.read_bytes() == b"old" and leftovers(tmp_path) == []


# -- 3. the file on disk must still be the one read ------------------------------------------------------


class SavedMeanwhile(FileBook):
    """A register someone saves in Excel between the command's read and its write."""

    def __init__(self, path: Path, how: str):
        super().__init__(path, clock=clock)
        self.how = how

    def read(self) -> Register:
        register = super().read()
        if self.how == "touch":
            os.utime(self.path, ns=(self.path.stat().st_atime_ns, self.path.stat().st_mtime_ns + 2_000_000_000))
        else:
            write_register(self.path, [GOOD_ROW, row(客户名称="比亚迪")])
        return register


@pytest.mark.parametrize("how", ["touch", "rewrite"])
def test_a_register_saved_between_read_and_write_is_not_overwritten(tmp_path: Path, how: str) -> None:
    book = register(tmp_path)
    meanwhile = SavedMeanwhile(book, how)
    with pytest.raises(WorkbookChanged, match="在读取后已被修改.*run the command again"):
        commands.assign_case_numbers(meanwhile, today=TODAY)
    others = book.read_bytes()
    assert calamine_rows(book)[3][0] in ("", None)
    if how == "rewrite":
        assert calamine_rows(book)[4][1] == "比亚迪"
    assert book.read_bytes() == others and leftovers(tmp_path) == []


def test_the_stamp_is_taken_at_the_first_read_and_follows_the_books_own_writes(tmp_path: Path) -> None:
    book = register(tmp_path)
    stamp = stamp_of(book)
    file_book = FileBook(book, clock=clock)
    register_ = file_book.read()
    assert file_book.stamp == stamp
    report = commands.validate_workbook(file_book, today=TODAY, mark=True)  # reads again, writes
    assert report.valid and file_book.stamp == stamp_of(book) != stamp
    commands.highlight_workbook(file_book, today=TODAY)  # a second write through the same book
    assert len(backups_of(book)) == 2 and register_.rows


def test_package_save_refuses_when_the_file_is_not_the_one_expected(tmp_path: Path) -> None:
    book = register(tmp_path)
    stamp = stamp_of(book)
    package = XlsxPackage.open(book)
    package.sheet("清单").set_value("A4", "CSR-2026-0009")
    os.utime(book, ns=(stamp.mtime_ns, stamp.mtime_ns + 1))
    before = book.read_bytes()
    with pytest.raises(WorkbookChanged):
        package.save(expect=stamp, now=NOW)
    assert book.read_bytes() == before and leftovers(tmp_path) == []
    book.unlink()
    with pytest.raises(WorkbookChanged):
        package.save(expect=stamp, now=NOW)
    assert not book.exists() and leftovers(tmp_path) == []


# -- 4. lock files of Excel, WPS and LibreOffice -----------------------------------------------------------


@pytest.mark.parametrize(("lock", "program"), [
    ("~$清单.xlsx", "Excel"), (".~lock.清单.xlsx#", "LibreOffice"), (".~清单.xlsx", "WPS"),
])
def test_a_lock_file_of_any_spreadsheet_program_refuses_the_write(tmp_path: Path, lock: str, program: str) -> None:
    book = register(tmp_path)
    (tmp_path / lock).write_bytes(b"")
    before = book.read_bytes()
    code, out = assign(book)
    text = " ".join(out.split())
    assert code == 2 and out.count("错误 / error:") == 1
    assert f"正在 {program} 中打开" in text and lock in text
    assert book.read_bytes() == before and leftovers(tmp_path) == []


def test_excel_drops_two_letters_of_a_longer_name(tmp_path: Path) -> None:
    book = register(tmp_path, "顾客特殊要求清单.xlsx")
    (tmp_path / "~$特殊要求清单.xlsx").write_bytes(b"")
    before = book.read_bytes()
    code, out = assign(book)
    assert code == 2 and "正在 Excel 中打开" in out and book.read_bytes() == before


# -- 5. the time is a parameter ------------------------------------------------------------------------


def test_backups_are_named_by_the_injected_clock(tmp_path: Path) -> None:
    book = register(tmp_path)
    before = book.read_bytes()
    commands.assign_case_numbers(book, today=TODAY, clock=clock)
    assert [p.name for p in backups_of(book)] == ["清单-20261125-093015-123456.xlsx"]
    assert backups_of(book)[0].read_bytes() == before


def test_without_a_clock_a_backup_is_named_by_the_replaced_files_modification_time(tmp_path: Path) -> None:
    book = register(tmp_path)
    saved = datetime(2026, 11, 3, 8, 15, 0, 250000)
    ns = int(saved.replace(microsecond=0).timestamp()) * 10**9 + 250_000_123
    os.utime(book, ns=(ns, ns))
    commands.assign_case_numbers(book, today=TODAY)
    assert [p.name for p in backups_of(book)] == ["清单-20261103-081500-250000.xlsx"]


def test_the_nightly_run_names_backups_by_its_clock(tmp_path: Path) -> None:
    book = write_register(tmp_path / "清单.xlsx", [row(截止日期=date(2026, 11, 10), 处理状态="处理中")])
    config = Config.defaults(tmp_path).model_copy(update={"registers": [book]})
    summary = run_once(config, today=TODAY, clock=clock)
    assert summary.registers[0].steps == ["track", "highlight"]  # two writes in the clock's one instant
    assert [p.name for p in backups_of(book)] == ["清单-20261125-093015-123456.xlsx", "清单-20261125-093015-123456-1.xlsx"]


def test_the_nightly_run_skips_a_busy_register_with_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = write_register(tmp_path / "清单.xlsx", [row(截止日期=date(2026, 11, 10), 处理状态="处理中")])
    before = book.read_bytes()
    config = Config.defaults(tmp_path).model_copy(update={"registers": [book]})

    def held(*args: object) -> None:
        raise _sharing_violation()

    monkeypatch.setattr(os, "replace", held)
    run = run_once(config, today=TODAY, clock=clock).registers[0]
    assert run.steps == [] and run.failures == [] and run.rows == 1
    assert "正被其他程序占用" in run.warnings[0]
    assert book.read_bytes() == before


# -- 6. a damaged source zip never escapes raw ---------------------------------------------------------


def _corrupt_entry(path: Path, name: str) -> None:
    """Flip a byte inside the compressed data of entry `name`: its CRC no longer matches."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    header = info.header_offset
    name_len, extra_len = struct.unpack("<HH", data[header + 26:header + 30])
    start = header + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _raw_entry(path: Path, name: str) -> bytes:
    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    return data[start:start + info.compress_size]


def test_a_crc_error_in_a_part_the_command_does_not_read_never_escapes_raw(tmp_path: Path) -> None:
    book = register(tmp_path)
    _corrupt_entry(book, "docProps/app.xml")
    before = book.read_bytes()
    code, out = assign(book)
    assert "Traceback" not in out and code in (0, 2), out
    if code == 2:  # refused: one message, nothing written
        assert out.count("错误 / error:") == 1 and book.read_bytes() == before and leftovers(tmp_path) == []
    else:  # written: the damaged entry is carried over as it was, not made worse
        assert calamine_rows(book)[3][0] == "CSR-2026-0001"
        assert _raw_entry(book, "docProps/app.xml") == _raw_entry(backups_of(book)[0], "docProps/app.xml")


@pytest.mark.parametrize("raw", [zipfile.BadZipFile("Bad CRC-32 for file 'xl/styles.xml'"),
                                 EOFError("Compressed file ended before the end-of-stream marker was reached")])
def test_package_save_turns_a_damaged_source_entry_into_workbook_unreadable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw: Exception) -> None:
    book = register(tmp_path)
    package = XlsxPackage.open(book)
    package.sheet("清单").set_value("A4", "CSR-2026-0009")

    def damaged(self: XlsxPackage) -> bytes:
        raise raw

    monkeypatch.setattr(XlsxPackage, "to_bytes", damaged)
    before = book.read_bytes()
    with pytest.raises(WorkbookUnreadable, match="清单.xlsx 已损坏.*nothing was written"):
        package.save(now=NOW)
    assert book.read_bytes() == before and leftovers(tmp_path) == []


def test_a_truncated_register_is_one_message_and_exit_two(tmp_path: Path) -> None:
    book = register(tmp_path)
    book.write_bytes(book.read_bytes()[: book.stat().st_size // 2])
    before = book.read_bytes()
    code, out = assign(book)
    assert code == 2 and out.count("错误 / error:") == 1 and "Traceback" not in out
    assert book.read_bytes() == before and leftovers(tmp_path) == []
