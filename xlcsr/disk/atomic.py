"""The one way xlcsr writes a file: refuse when Excel holds it open, write a temp file beside it, rename.

    backup = write_atomically(Path("清单.xlsx"), new_bytes)
    # WorkbookLocked if ~$清单.xlsx exists; else the old file is now .xlcsr-backup/清单-20261103-080000-000000.xlsx
    write_atomically(Path("outbox/20261125-a.eml"), message, backup=False)

Registers, new workbooks, the add-in and outbox messages all go through `write_atomically`. A new
file gets the mode a plain open() would give it (the process umask is never touched); a replaced
file keeps its mode.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from datetime import datetime
from pathlib import Path

from xlcsr.domain.errors import WorkbookLocked
from xlcsr.domain.vocab import BACKUP_DIR

_STAMP = "%Y%m%d-%H%M%S-%f"


def lock_files(path: Path) -> list[Path]:
    """Where Excel puts its `~$` lock file for `path` (it drops two letters of longer names)."""
    name = path.name
    candidates = [path.with_name("~$" + name)]
    if len(name) > 2:
        candidates.append(path.with_name("~$" + name[2:]))
    return candidates


def check_unlocked(path: Path) -> None:
    """Raise WorkbookLocked when a `~$` lock file stands beside `path`."""
    path = Path(path)
    for lock in lock_files(path):
        if lock.exists():
            raise WorkbookLocked(
                f"工作簿 {path.name} 正在 Excel 中打开（存在锁文件 {lock.name}），请先关闭后再试"
                f" / Workbook {path.name} is open in Excel (lock file {lock.name}); close it and retry"
            )


def write_atomically(
    path: Path, data: bytes, *, backup: bool = True, keep: int = 10, now: datetime | None = None
) -> Path | None:
    """Replace (or create) `path` with `data` via a temp file; with `backup`, keep the old file first.

    Returns the backup made, if any. On any failure the original stays as it was and no temp file is left.
    """
    path = Path(path)
    check_unlocked(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_beside(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        saved = None
        if path.exists():
            shutil.copymode(path, tmp)
            if backup:
                saved = _backup(path, keep=keep, now=now or datetime.now())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return saved


def _temp_beside(path: Path) -> Path:
    return path.with_name(f".xlcsr-{secrets.token_hex(6)}{path.suffix}")


def backups_of(path: Path) -> list[Path]:
    """The backups kept for `path`, oldest first."""
    path = Path(path)
    folder = path.parent / BACKUP_DIR
    if not folder.is_dir():
        return []
    pattern = re.compile(re.escape(path.stem) + r"-(\d{8}-\d{6}-\d{6})(?:-(\d+))?" + re.escape(path.suffix))
    found = []
    for candidate in folder.iterdir():
        m = pattern.fullmatch(candidate.name)
        if m:
            found.append(((m.group(1), int(m.group(2) or 0)), candidate))
    return [candidate for _, candidate in sorted(found)]


def _backup(path: Path, *, keep: int, now: datetime) -> Path:
    folder = path.parent / BACKUP_DIR
    folder.mkdir(exist_ok=True)
    target = folder / f"{path.stem}-{now.strftime(_STAMP)}{path.suffix}"
    n = 1
    while target.exists():
        target = folder / f"{path.stem}-{now.strftime(_STAMP)}-{n}{path.suffix}"
        n += 1
    shutil.copy2(path, target)
    for old in backups_of(path)[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
    return target


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
