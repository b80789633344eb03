"""The backups kept beside a register (`.xlcsr-backup/`), each with its time and the command that made it.

    >>> [b.stamp for b in list_backups(Path("清单.xlsx"))]          # newest first
    ['20261202-040500-000000', '20261201-173012-480211']
    >>> find_backup(Path("清单.xlsx"), "20261202-0405").command    # a unique prefix of the stamp will do
    'xlcsr assign'

A stamp is the part of the backup's name after the register's stem (清单-<stamp>.xlsx), to the
microsecond, with `-1`, `-2` … for backups made in the same instant. `find_backup` takes a stamp or
the start of one, with or without its dashes ("2026-12-02 04:05" too), or the backup's file name.
What made a backup comes from the register's store (`ChangeStore.backup_commands`); "" when unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from xlcsr.disk.atomic import backup_stamp, backups_of, target_of
from xlcsr.domain.errors import BackupNotFound
from xlcsr.files.change_store import ChangeStore

BACKUP_HEADERS = {"zh": ["时间", "命令", "大小", "文件"], "en": ["Time", "Command", "Size", "File"]}
_SHOWN = 5  # stamps named when several match


@dataclass(frozen=True)
class BackupInfo:
    """One backup of a register: its stamp, when it was made, where it is, its size, what replaced the file."""

    stamp: str
    at: datetime
    path: Path
    size: int
    command: str = ""

    def to_row(self, lang: str = "zh") -> list[object]:
        """[time, command, size, file name], as `BACKUP_HEADERS` names them."""
        return [self.at.strftime("%Y-%m-%d %H:%M:%S"), self.command, _size(self.size), self.path.name]


def list_backups(book: Path) -> list[BackupInfo]:
    """The backups of `book` (of a symlink's target), newest first."""
    book = Path(book)
    stem_length = len(target_of(book).stem) + 1
    with ChangeStore.beside(book) as store:
        commands = store.backup_commands()
    found = []
    for path in reversed(backups_of(book)):
        at = backup_stamp(path)
        if at is None:
            continue
        try:
            size = path.stat().st_size
        except OSError:
            continue  # pruned meanwhile
        found.append(BackupInfo(path.name[stem_length:len(path.name) - len(path.suffix)], at, path, size,
                                commands.get(path.name, "")))
    return found


def find_backup(book: Path, stamp: str) -> BackupInfo:
    """The one backup of `book` whose stamp is, or starts with, `stamp` (or whose file name is `stamp`)."""
    book = Path(book)
    wanted = _digits(stamp)
    backups = list_backups(book)
    matches = [b for b in backups if b.path.name == stamp.strip()] or [b for b in backups if _digits(b.stamp) == wanted]
    if not matches and wanted:
        matches = [b for b in backups if _digits(b.stamp).startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise BackupNotFound(f"{book.name} 没有时间为「{stamp}」的备份（共 {len(backups)} 个，xlcsr restore --list "
                         f"可列出） / no backup of {book.name} matches {stamp!r} ({len(backups)} in all; "
                         f"xlcsr restore --list lists them)")
    shown = "、".join(b.stamp for b in matches[:_SHOWN]) + ("…" if len(matches) > _SHOWN else "")
    raise BackupNotFound(f"{book.name} 有 {len(matches)} 个备份符合「{stamp}」（{shown}），请写得更完整 / "
                     f"{len(matches)} backups of {book.name} match {stamp!r} ({shown.replace('、', ', ')}); "
                     f"give more of the stamp")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    return f"{size / 1024:.1f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"
