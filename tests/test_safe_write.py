"""Safe saving: lock files, atomic replace, backups."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from xlcsr.disk.atomic import backups_of, check_unlocked, lock_files, write_atomically
from xlcsr.domain.errors import WorkbookLocked, WriteFailed, XlcsrError
from xlcsr.ooxml.package import XlsxPackage

T0 = datetime(2026, 11, 3, 8, 0, 0)


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".xlcsr-") and p.is_file()]


def test_lock_file_names(tmp_path: Path):
    assert [p.name for p in lock_files(tmp_path / "顾客特殊要求清单.xlsx")] == [
        "~$顾客特殊要求清单.xlsx", "~$特殊要求清单.xlsx", ".~lock.顾客特殊要求清单.xlsx#", ".~顾客特殊要求清单.xlsx",
    ]
    assert [p.name for p in lock_files(tmp_path / "清单.xlsx")] == ["~$清单.xlsx", ".~lock.清单.xlsx#", ".~清单.xlsx"]


@pytest.mark.parametrize("lock", ["~$register.xlsx", "~$gister.xlsx"])
def test_locked_workbook_is_not_written(tmp_path: Path, lock: str):
    path = tmp_path / "register.xlsx"
    path.write_bytes(b"old")
    (tmp_path / lock).write_bytes(b"")
    with pytest.raises(WorkbookLocked, match="register.xlsx.*Excel"):
        write_atomically(path, b"new", now=T0)
    assert path.read_bytes() == b"old"
    assert leftovers(tmp_path) == [] and not (tmp_path / ".xlcsr-backup").exists()


def test_package_save_refuses_a_locked_workbook(pw_rich_xlsx: Path):
    before = pw_rich_xlsx.read_bytes()
    (pw_rich_xlsx.parent / ("~$" + pw_rich_xlsx.name)).write_bytes(b"")
    package = XlsxPackage.open(pw_rich_xlsx)
    package.sheet("清单").set_value("B2", "x")
    with pytest.raises(WorkbookLocked):
        package.save()
    assert pw_rich_xlsx.read_bytes() == before


def test_write_replaces_and_backs_up(tmp_path: Path):
    path = tmp_path / "register.xlsx"
    assert write_atomically(path, b"first", now=T0) is None
    backup = write_atomically(path, b"second", now=T0 + timedelta(seconds=1))
    assert path.read_bytes() == b"second"
    assert backup == tmp_path / ".xlcsr-backup" / "register-20261103-080001-000000.xlsx"
    assert backup.read_bytes() == b"first"
    assert leftovers(tmp_path) == []


def test_file_mode_is_kept(tmp_path: Path):
    path = tmp_path / "register.xlsx"
    path.write_bytes(b"old")
    os.chmod(path, 0o644)
    write_atomically(path, b"new", now=T0)
    assert path.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("broken", ["replace", "fsync"])
def test_crash_mid_save_leaves_the_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str):
    path = tmp_path / "register.xlsx"
    path.write_bytes(b"original")

    def boom(*args, **kwargs):
        raise OSError("disk gone")

    monkeypatch.setattr(os, broken, boom)
    with pytest.raises(WriteFailed, match="disk gone") as raised:
        write_atomically(path, b"new", now=T0)
    assert isinstance(raised.value, XlcsrError) and isinstance(raised.value, OSError)
    assert path.read_bytes() == b"original"
    assert leftovers(tmp_path) == [] and not (tmp_path / ".xlcsr-backup").exists()


def test_a_backup_needs_a_time(tmp_path: Path):
    path = tmp_path / "register.xlsx"
    path.write_bytes(b"old")
    with pytest.raises(TypeError, match="now="):
        write_atomically(path, b"new")
    assert path.read_bytes() == b"old" and leftovers(tmp_path) == []
    assert write_atomically(tmp_path / "fresh.xlsx", b"new") is None


def test_a_count_keeps_only_the_newest_backups(tmp_path: Path):
    path = tmp_path / "register.xlsx"
    other = tmp_path / "register-old.xlsx"
    write_atomically(other, b"o", now=T0)
    write_atomically(other, b"p", now=T0)
    for i in range(14):
        write_atomically(path, f"v{i}".encode(), now=T0 + timedelta(minutes=i), keep=10)
    kept = backups_of(path)
    assert len(kept) == 10
    assert [p.read_bytes() for p in kept] == [f"v{i}".encode() for i in range(3, 13)]
    assert len(backups_of(other)) == 1


def test_same_instant_backups_do_not_overwrite(tmp_path: Path):
    path = tmp_path / "register.xlsx"
    for i in range(3):
        write_atomically(path, f"v{i}".encode(), now=T0)
    assert [p.read_bytes() for p in backups_of(path)] == [b"v0", b"v1"]


def test_check_unlocked_passes_without_lock(tmp_path: Path):
    check_unlocked(tmp_path / "register.xlsx")


def test_a_new_file_gets_the_plain_open_mode_without_touching_the_umask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    umask = os.umask(0o027)
    try:
        def no_umask(_mask: int) -> int:
            raise AssertionError("the process umask was changed")

        monkeypatch.setattr(os, "umask", no_umask)
        path = tmp_path / "new" / "message.eml"
        assert write_atomically(path, b"data", backup=False) is None
        assert path.read_bytes() == b"data" and path.stat().st_mode & 0o777 == 0o640
        write_atomically(path, b"again", backup=False)
        assert path.read_bytes() == b"again" and not (path.parent / ".xlcsr-backup").exists()
        assert [p.name for p in path.parent.iterdir()] == ["message.eml"]
    finally:
        monkeypatch.undo()
        os.umask(umask)
