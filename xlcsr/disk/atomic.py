"""Write a workbook safely: refuse when Excel holds it open, write a temp file, keep a backup, rename.

    backup = write_atomically(Path("清单.xlsx"), new_bytes)
    # WorkbookLocked if ~$清单.xlsx exists; else the old file is now .xlcsr-backup/清单-20261103-080000-000000.xlsx
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from xlcsr.domain.errors import WorkbookLocked

BACKUP_DIR = ".xlcsr-backup"
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
    path: Path, data: bytes, *, keep: int = 10, now: datetime | None = None
) -> Path | None:
    """Replace `path` with `data` via a temp file; back the old file up first. Returns the backup."""
    path = Path(path)
    check_unlocked(path)
    tmp = tempfile.NamedTemporaryFile(dir=path.parent, delete=False, prefix=".xlcsr-", suffix=path.suffix)
    try:
        with tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        backup = None
        if path.exists():
            shutil.copymode(path, tmp.name)
            backup = _backup(path, keep=keep, now=now or datetime.now())
        os.replace(tmp.name, path)
    except BaseException:
        Path(tmp.name).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return backup


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
