"""`xlcsr history BOOK CASE` and `xlcsr diff OLD NEW`: a case's whole life, and what changed between two copies.

The lead registers them in `xlcsr.cli.app`:

    app.command("history", cls=XlcsrCommand)(exits_cleanly(history_command))
    app.command("diff", cls=XlcsrCommand)(exits_cleanly(diff_command))

    $ xlcsr history 顾客特殊要求清单.xlsx CSR-2026-0001 --out 履历.xlsx
    $ xlcsr diff .xlcsr-backup/顾客特殊要求清单-20261103-080000-000000.xlsx 顾客特殊要求清单.xlsx
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from xlcsr.cli.options import Lang
from xlcsr.cli.render import show_table

if TYPE_CHECKING:
    from xlcsr.app.audit import CaseHistory, RegisterDiff

console = Console(highlight=False)
OutFile = Annotated[Path | None, typer.Option("--out", metavar="FILE", help="另存为工作簿 .xlsx（已有文件不会被覆盖）/ "
                                              "also write it as an .xlsx workbook (never over an existing file)",
                                              show_default=False)]


def history_command(
    book: Annotated[Path, typer.Argument(metavar="BOOK", help="清单工作簿 .xlsx/.xlsm / the register workbook",
                                         show_default=False)],
    case: Annotated[str, typer.Argument(metavar="CASE", help="案件号 / case number", show_default=False)],
    out: OutFile = None,
    lang: Lang = "zh",
) -> None:
    """案件履历：一个案件从接收、每次变更到会签、批准、落实的全部记录 / A case's whole history.

    按时间顺序列出：接收日期；「变更记录」中该案件的每一行（含改号前的旧编号），谁改的、来源；「会签记录」中的
    评审、总经理批准与落实确认（已失效的也列出）；最后是现状（处理状态与版本号）。

    退出码：0 已列出；2 清单和日志中都没有该案件，或无法运行。

    In time order: received, every 变更记录 row of the case (under former numbers too) with who and
    through what, every 会签记录 entry (stale ones marked), then where it stands now.

    Exit 0 listed; 2 the case is in neither the register nor its logs, or could not run.

    Example: xlcsr history 顾客特殊要求清单.xlsx CSR-2026-0001
    """
    from xlcsr.app.audit import HISTORY_HEADERS, case_history, save_history

    history = case_history(book, case)
    if out is not None:
        save_history(history, out, lang=lang)
    show_history(history, HISTORY_HEADERS["en" if lang == "en" else "zh"], lang)
    if out is not None:
        console.print(f"Written to {escape(str(out))}" if lang == "en" else f"已写入 {escape(str(out))}")
    raise typer.Exit(0)


def show_history(history: CaseHistory, headers: list[str], lang: str = "zh") -> None:
    show_table(headers, [[_shown(v) for v in row] for row in history.to_rows(lang)], console)
    console.print(escape(history.summary(lang)), soft_wrap=True)


def diff_command(
    old: Annotated[Path, typer.Argument(metavar="OLD", help="旧的清单（如备份）/ the older register (a backup)",
                                        show_default=False)],
    new: Annotated[Path, typer.Argument(metavar="NEW", help="新的清单 / the newer register", show_default=False)],
    out: OutFile = None,
    lang: Lang = "zh",
) -> None:
    """比较两份清单：新增、删除、改号的行与修改的单元格（原值 → 新值）/ Compare two copies of a register.

    行按案件号对应，没有案件号的按内容和上下行对应：插入、删除或重新排序不算修改，改了案件号显示为「编号」。
    每个有差异的行一行：+++ 新增，--- 删除，→ 修改，编号 案件号被改动。

    --out FILE：NEW 的每一行和每个删除的行，新增绿色、删除红色、修改的单元格黄色（批注为原值）。

    退出码：0 没有差异；1 有差异；2 无法运行。

    Rows pair by case number, else by content and neighbours: a re-sort is no change, a changed
    number is a renumbering. One line per row that differs: +++ added, --- removed, → changed,
    编号 renumbered. --out writes every row, coloured, old values in cell notes.

    Exit 0 the same; 1 they differ; 2 could not run.

    Example: xlcsr diff 备份.xlsx 顾客特殊要求清单.xlsx --out 差异.xlsx
    """
    from xlcsr.app.audit import diff_registers, save_diff

    diff = diff_registers(old, new)
    if out is not None:
        save_diff(diff, out, lang=lang)
    show_diff(diff, lang)
    if out is not None:
        console.print(f"Written to {escape(str(out))}" if lang == "en" else f"已写入 {escape(str(out))}")
    raise typer.Exit(0 if diff.unchanged else 1)


def show_diff(diff: RegisterDiff, lang: str = "zh") -> None:
    show_table(diff.headers(lang), diff.to_rows(lang), console)
    console.print(escape(diff.summary(lang)), soft_wrap=True)


def _shown(value: object) -> object:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else value
