"""The one way xlcsr writes a file: refuse when a program holds it open, write a temp file beside it, rename.

    stamp = stamp_of(Path("清单.xlsx"))                 # when the command reads the register
    backup = write_atomically(Path("清单.xlsx"), new_bytes, now=clock(), expect=stamp)
    # WorkbookLocked if ~$清单.xlsx (Excel, WPS), .~lock.清单.xlsx# (LibreOffice) or .~清单.xlsx (WPS) exists;
    # WorkbookChanged if the file is no longer the one read; else the old file is now
    # .xlcsr-backup/清单-20261103-080000-000000.xlsx
    write_atomically(Path("outbox/20261125-a.eml"), message, backup=False)
    write_atomically(book, data, now=clock(), keep=Retention(recent_days=14, daily_days=365))

Backups are kept by time (`Retention`, the default): every one of the last 7 days, then the newest of each
calendar day up to 90 days, measured from the write's own `now` and the stamp in each backup's name
(never file times); `keep=10` keeps the newest ten instead.

Registers, new workbooks, the add-in and outbox messages all go through `write_atomically`. A new
file gets the mode a plain open() would give it (the process umask is never touched); a replaced
file keeps its mode. A symlink is written through: its target is replaced in the target's folder
(and backed up there), the link stays a link. Every failure is an `XlcsrError` with one message
(`WorkbookBusy` and `WriteFailed` are OSErrors too), and leaves no temp file and no new backup.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from xlcsr.domain.errors import WorkbookBusy, WorkbookChanged, WorkbookLocked, WorkbookUnreadable, WriteFailed
from xlcsr.domain.vocab import BACKUP_DIR

_STAMP = "%Y%m%d-%H%M%S-%f"
_STAMP_IN_NAME = re.compile(r".*-(\d{8}-\d{6}-\d{6})(?:-\d+)?(?:\.[^.]*)?")  # the last stamp in a name

# The program a lock file tells of: its name in Chinese text (with a note), and in English.
_EXCEL = ("Excel", "也可能是 WPS；", "Excel or WPS")
_WPS = ("WPS", "", "WPS")
_LIBREOFFICE = ("LibreOffice", "", "LibreOffice")

# Windows: access denied (a handle open without delete sharing), sharing violation, lock violation.
_BUSY_WINERRORS = {5, 32, 33}
_BUSY_ERRNOS = {errno.EBUSY, errno.ETXTBSY}


class Retention(NamedTuple):
    """Which backups stay: every one of the last `recent_days`, then the newest per day up to `daily_days`."""

    recent_days: int = 7
    daily_days: int = 90


DEFAULT_RETENTION = Retention()


class FileStamp(NamedTuple):
    """What tells one saved version of a file from the next: size, modification time, file id."""

    size: int
    mtime_ns: int
    inode: int

    @property
    def modified(self) -> datetime:
        """The modification time, local, to the microsecond."""
        seconds, nanos = divmod(self.mtime_ns, 10**9)
        return datetime.fromtimestamp(seconds).replace(microsecond=nanos // 1000)


def stamp_of(path: Path) -> FileStamp | None:
    """The stamp of the file at `path` (through a symlink); None when there is no file."""
    path = Path(path)
    try:
        return _stamp(path)
    except OSError as exc:
        raise WorkbookUnreadable(f"无法读取 {path.name}（{_reason(exc)[0]}）/ cannot read {path.name} "
                                 f"({_reason(exc)[1]})") from exc


def _stamp(path: Path) -> FileStamp | None:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return FileStamp(st.st_size, st.st_mtime_ns, st.st_ino)


def target_of(path: Path) -> Path:
    """The file a write to `path` replaces: `path` itself, or the file a symlink at `path` points to."""
    path = Path(path)
    return Path(os.path.realpath(path)) if os.path.islink(path) else path


def lock_files(path: Path) -> list[Path]:
    """Where Excel, WPS and LibreOffice put their lock files for `path` (beside a symlink and its target)."""
    return [lock for lock, _ in _locks(Path(path))]


def _locks(path: Path) -> list[tuple[Path, tuple[str, str, str]]]:
    found: dict[Path, tuple[str, str, str]] = {}
    for where in dict.fromkeys((path, target_of(path))):
        for name, program in _lock_names(where):
            found.setdefault(where.with_name(name), program)
    return list(found.items())


def _lock_names(path: Path) -> list[tuple[str, tuple[str, str, str]]]:
    """The lock files a spreadsheet program keeps beside the workbook `path` while it has it open.

    Excel (and WPS) write ~$ and the name, dropping the first two letters of a longer one
    (顾客特殊要求清单.xlsx → ~$特殊要求清单.xlsx); LibreOffice writes .~lock.<name>#; some WPS versions .~<name>.
    """
    name = path.name
    names = [("~$" + name, _EXCEL)]
    if len(path.stem) > 2:
        names.append(("~$" + name[2:], _EXCEL))
    names += [(f".~lock.{name}#", _LIBREOFFICE), (".~" + name, _WPS)]
    return names


def check_unlocked(path: Path) -> None:
    """Raise WorkbookLocked when a lock file of Excel, WPS or LibreOffice stands beside `path`."""
    path = Path(path)
    for lock, (zh, note, en) in _locks(path):
        if os.path.lexists(lock):
            raise WorkbookLocked(
                f"工作簿 {path.name} 正在 {zh} 中打开（{note}锁文件 {lock.name}），请先关闭后再试；"
                f"若程序已关闭，请删除该锁文件"
                f" / Workbook {path.name} is open in {en} (lock file {lock.name}); close it and retry, or delete the "
                f"lock file if the program is closed"
            )


def check_unchanged(path: Path, expect: tuple[int, int, int] | None) -> None:
    """Raise WorkbookChanged when the file at `path` is no longer the one stamped `expect` (None: no check)."""
    if expect is None:
        return
    path = Path(path)
    try:
        current = _stamp(path)
    except OSError as exc:
        raise _failure(path, exc) from exc
    if current != tuple(expect):
        raise WorkbookChanged(
            f"工作簿 {path.name} 在读取后已被修改（可能有人在 Excel 中保存了它），未写入任何内容；请重新运行命令"
            f" / Workbook {path.name} changed on disk since it was read; nothing was written: run the command again"
        )


def write_atomically(
    path: Path, data: bytes, *, backup: bool = True, keep: Retention | int = DEFAULT_RETENTION,
    now: datetime | None = None, expect: tuple[int, int, int] | None = None,
) -> Path | None:
    """Replace (or create) `path` with `data` via a temp file; with `backup`, keep the old file first.

    `now` names the backup (it is required when there is a file to back up); `expect` is the stamp of the
    file as the command read it (`stamp_of`): when the file on disk is another by now, WorkbookChanged.
    `keep` prunes the backups after a write: a `Retention` (by time, from `now`) or a count (the newest N).
    Returns the backup made, if any. On any failure the original stays as it was, no temp file and no new
    backup is left, and the error is an XlcsrError.
    """
    link = Path(path)
    path = target_of(link)
    if backup and now is None and os.path.lexists(path):
        raise TypeError("write_atomically: a backup is named by `now`; pass now=")
    check_unlocked(link)
    check_unchanged(link, expect)
    tmp: Path | None = None
    saved: Path | None = None
    made_folder = False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = _temp_beside(path)
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        tmp = candidate
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if os.path.exists(path):
            shutil.copymode(path, tmp)
            if backup:
                if now is None:  # the file appeared while this one was written
                    raise TypeError("write_atomically: a backup is named by `now`; pass now=")
                saved, made_folder = _backup(path, now=now)
        check_unlocked(link)
        check_unchanged(link, expect)
        os.replace(tmp, path)
    except BaseException as exc:
        _discard(tmp, saved, saved.parent if made_folder and saved is not None else None)
        if isinstance(exc, OSError) and not isinstance(exc, (WorkbookBusy, WriteFailed)):
            raise _failure(link, exc) from exc
        raise
    if saved is not None and now is not None:
        _prune(path, keep, now)
    _fsync_dir(path.parent)
    return saved


def _temp_beside(path: Path) -> Path:
    return path.with_name(f".xlcsr-{secrets.token_hex(6)}{path.suffix}")


def backups_of(path: Path) -> list[Path]:
    """The backups kept for `path` (for a symlink: of its target), oldest first."""
    path = target_of(Path(path))
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


def _backup(path: Path, *, now: datetime) -> tuple[Path, bool]:
    """Copy `path` into the backup folder; returns the copy and whether the folder was made for it."""
    folder = path.parent / BACKUP_DIR
    made = not folder.is_dir()
    folder.mkdir(exist_ok=True)
    target = folder / f"{path.stem}-{now.strftime(_STAMP)}{path.suffix}"
    n = 1
    while target.exists():
        target = folder / f"{path.stem}-{now.strftime(_STAMP)}-{n}{path.suffix}"
        n += 1
    try:
        shutil.copy2(path, target)
    except BaseException:
        _discard(None, target, folder if made else None)
        raise
    return target, made


def backup_stamp(path: Path) -> datetime | None:
    """The time in a backup's name (清单-20261103-081500-250000.xlsx → 2026-11-03 08:15:00.25); None without one."""
    m = _STAMP_IN_NAME.fullmatch(Path(path).name)
    if m is None:
        return None
    try:
        return datetime.strptime(m.group(1), _STAMP)
    except ValueError:
        return None


def expired(backups: list[Path], keep: Retention | int, now: datetime) -> list[Path]:
    """The backups (oldest first, as `backups_of` gives them) that `keep` lets go as of `now`."""
    if not isinstance(keep, Retention):
        return backups[:-keep] if keep > 0 else []
    now = now.replace(tzinfo=None)
    stamped = [(backup, stamp) for backup in backups if (stamp := backup_stamp(backup)) is not None]
    newest_of_day = {stamp.date(): backup for backup, stamp in stamped}  # oldest first: the last one wins
    recent, daily = timedelta(days=keep.recent_days), timedelta(days=keep.daily_days)
    return [backup for backup, stamp in stamped
            if now - stamp > recent and not (now - stamp <= daily and newest_of_day[stamp.date()] == backup)]


def _prune(path: Path, keep: Retention | int, now: datetime) -> None:
    """Drop the backups of `path` that `keep` lets go; the file is written, so this never fails."""
    for old in expired(backups_of(path), keep, now):
        try:
            old.unlink(missing_ok=True)
        except OSError:
            pass


def _discard(tmp: Path | None, backup: Path | None, folder: Path | None) -> None:
    """Remove what a failed write made: the temp file, the new backup, the backup folder made for it."""
    for leftover in (tmp, backup):
        if leftover is not None:
            try:
                leftover.unlink(missing_ok=True)
            except OSError:
                pass
    if folder is not None:
        try:
            folder.rmdir()
        except OSError:
            pass


def _failure(path: Path, exc: OSError) -> WorkbookBusy | WriteFailed:
    """The one-line error for an OSError while writing `path`."""
    name = path.name
    winerror = getattr(exc, "winerror", None)
    if isinstance(exc, PermissionError) or winerror in _BUSY_WINERRORS or exc.errno in _BUSY_ERRNOS:
        posix_denied = isinstance(exc, PermissionError) and winerror is None and os.name != "nt"
        zh = f"（也可能是没有写入文件夹 {path.parent} 的权限）" if posix_denied else ""
        en = f" (or the folder {path.parent} may not be written)" if posix_denied else ""
        return WorkbookBusy(
            f"{name} 正被其他程序占用（如杀毒软件、OneDrive、WPS），请关闭后重试{zh}；未写入任何内容"
            f" / {name} is in use by another program (antivirus, OneDrive, WPS); close it and retry{en}; "
            f"nothing was written"
        )
    zh, en = _reason(exc)
    return WriteFailed(f"无法保存 {name}（{zh}），未写入任何内容 / cannot save {name} ({en}); nothing was written")


def _reason(exc: OSError) -> tuple[str, str]:
    if exc.errno == errno.ENOSPC:
        return "磁盘空间不足", "no space left on the disk"
    if exc.errno == errno.EROFS:
        return "磁盘为只读", "the drive is read-only"
    text = exc.strerror or str(exc) or type(exc).__name__
    return text, text


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable where the system allows it; the file is written, so this never fails."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
