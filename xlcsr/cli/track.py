"""`xlcsr track`: log every change since the last run in 变更记录; re-open the sign-offs it voids.

    $ xlcsr track 顾客特殊要求清单.xlsx
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from xlcsr.cli.options import Lang, Today, today_or_now
from xlcsr.cli.render import show_first
from xlcsr.domain.vocab import CHANGELOG_SHEET
from xlcsr.workbook.changelog import changelog_header

if TYPE_CHECKING:
    from xlcsr.app.tracking import TrackResult

console = Console(highlight=False)
CUT = 40  # characters of a value shown in the terminal; 变更记录 holds it whole


def track_command(
    book: Annotated[Path, typer.Argument(metavar="BOOK", help="清单工作簿 .xlsx/.xlsm / the register workbook",
                                         show_default=False)],
    today: Today = None,
    lang: Lang = "zh",
) -> None:
    """记录变更：与上次快照比较，把每处改动记入「变更记录」 / Log every change since the last run.

    按案件号（无案件号的行按内容与相邻行）对应各行：插入、删除、重新排序都能识别，排序不算改动。
    每处改动一行：时间、案件号、字段、原值、新值、版本、修改人（工作簿最后保存者）、来源（手工）。

    已会签的案件改了要求、截止日期、责任部门、类别或合同类型：版本号加一，受影响部门的会签作废
    （会签记录中标为已失效），案件回到评审中，下次 xlcsr signoff 只发给这些部门。

    首次运行只建立快照。删除案件、更改案件号、改动变更记录本身都会被指出。

    退出码：0 已记录（或无改动）；1 有案件被删除或重新编号，或变更记录被改动；2 无法运行。

    Rows are matched by case number (others by content and neighbours): inserts, deletes and re-sorts
    are recognised, a re-sort is no change. A change to a reviewed field of a signed-off case bumps its
    revision and re-opens only the sign-offs it voids. The first run takes the snapshot.

    Exit 0 logged (or nothing changed); 1 a case deleted or renumbered, or the log edited; 2 could not run.

    Example: xlcsr track 顾客特殊要求清单.xlsx
    """
    from xlcsr.app.tracking import track_changes

    result = track_changes(book, today=today_or_now(today), clock=datetime.now)
    show_track(result, lang)
    raise typer.Exit(1 if result.issues else 0)


def show_track(result: TrackResult, lang: str = "zh") -> None:
    en = lang == "en"
    if result.baseline:
        console.print(f"Snapshot taken of {result.rows} row(s); changes are logged from now on" if en
                      else f"已建立快照（{result.rows} 行），此后的改动将记入变更记录")
    elif not result.changes:
        console.print("No change since the last run" if en else "自上次运行以来没有改动")
    else:
        rows = [[cell if len(str(cell)) <= CUT else str(cell)[:CUT] + "…" for cell in row] for row in result.to_rows()]
        show_first(changelog_header(lang), rows, console, sheet=CHANGELOG_SHEET, lang=lang)
        console.print(f"{len(rows)} change(s) logged in {CHANGELOG_SHEET}" if en
                      else f"已记入「{CHANGELOG_SHEET}」{len(rows)} 条")
    for case_no, departments in result.reopened.items():
        shown = "、".join(departments)
        console.print(f"{escape(case_no)}: to be reviewed again by {escape(shown)}" if en
                      else f"{escape(case_no)}：需重新会签：{escape(shown)}")
    for issue in result.issues:
        where = f"{issue.cell}: " if issue.cell else ""
        console.print(f"[yellow]{escape(where + issue.text(lang))}[/yellow]")
