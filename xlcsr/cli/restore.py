"""`xlcsr restore BOOK --list | --at STAMP`: the backups of a register, and putting one back.

The lead registers it in `xlcsr.cli.app`:

    app.command("restore", cls=XlcsrCommand)(exits_cleanly(restore_command))

    $ xlcsr restore 顾客特殊要求清单.xlsx --list
    $ xlcsr restore 顾客特殊要求清单.xlsx --at 20261202-0405
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from xlcsr.cli.options import Lang, Today, today_or_now
from xlcsr.cli.render import show_table

if TYPE_CHECKING:
    from xlcsr.app.backups import BackupInfo

console = Console(highlight=False)


def restore_command(
    book: Annotated[Path, typer.Argument(metavar="BOOK", help="清单工作簿 .xlsx/.xlsm / the register workbook",
                                         show_default=False)],
    list_: Annotated[bool, typer.Option("--list", help="列出备份：时间、生成它的命令、大小、文件 / list the "
                                        "backups: time, the command that made it, size, file")] = False,
    at: Annotated[str | None, typer.Option(
        "--at", metavar="STAMP", help="恢复此时间的备份，如 20261202-0405（时间戳开头唯一即可） / restore the backup "
        "of this stamp, e.g. 20261202-0405 (a unique start will do)", show_default=False)] = None,
    today: Today = None,
    lang: Lang = "zh",
) -> None:
    """恢复备份：列出清单的备份，或把其中一个恢复为当前文件 / List a register's backups, or restore one.

    备份在清单旁的 .xlcsr-backup：最近 7 天的每次写入，之后每天一个，保留 90 天（xlcsr.toml 的 backups 表可改）。

    恢复时整个文件回到备份时的样子，「变更记录」追加一条恢复记录；当前文件先存为备份，所以恢复本身也可撤销。

    退出码：0 完成；2 无法运行（没有或有多个备份符合 STAMP、工作簿正在打开等）。

    Backups stay in .xlcsr-backup: every write of the last 7 days, then one a day for 90 (see xlcsr.toml).

    A restore brings back the whole file, adds a restore entry to 变更记录 and keeps the current file as a backup.

    Exit 0 done; 2 could not run (no or several backups match STAMP, the workbook is open, …).

    Example: xlcsr restore 顾客特殊要求清单.xlsx --at 20261202-0405
    """
    from xlcsr.app.backups import find_backup, list_backups

    if list_ == (at is not None):
        raise typer.BadParameter("请指定 --list 或 --at STAMP（只选一个） / give either --list or --at STAMP")
    if list_:
        show_backups(book, list_backups(book), lang)
        raise typer.Exit(0)
    backup = find_backup(book, at or "")
    from xlcsr.app.restore import restore_register

    result = restore_register(book, backup, today=today_or_now(today), clock=datetime.now)
    console.print(escape(result.summary(lang)), soft_wrap=True)
    raise typer.Exit(0)


def show_backups(book: Path, backups: list[BackupInfo], lang: str = "zh") -> None:
    from xlcsr.app.backups import BACKUP_HEADERS

    en = lang == "en"
    if not backups:
        console.print(escape(f"No backups of {book.name}" if en else f"{book.name} 没有备份"), soft_wrap=True)
        return
    show_table(BACKUP_HEADERS["en" if en else "zh"], [b.to_row(lang) for b in backups], console)
    example = f"xlcsr restore {book.name} --at {backups[0].stamp}"
    console.print(escape(f"{len(backups)} backup(s); restore one with: {example}" if en
                         else f"共 {len(backups)} 个备份；恢复其中一个：{example}"), soft_wrap=True)
