"""`xlcsr signoff` and `xlcsr collect`: issue each department's sign-off workbook, collect the filled ones.

    $ xlcsr signoff 顾客特殊要求清单.xlsx --out 会签
    $ xlcsr collect 顾客特殊要求清单.xlsx 会签
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
from xlcsr.domain.vocab import SIGNOFF_DIR, SIGNOFF_LOG_SHEET

if TYPE_CHECKING:
    from xlcsr.app.signoff import CollectResult, SignoffResult

console = Console(highlight=False)
BookArg = Annotated[Path, typer.Argument(metavar="BOOK", help="清单工作簿 .xlsx/.xlsm / the register workbook",
                                         show_default=False)]


def signoff_command(
    book: BookArg,
    out: Annotated[Path, typer.Option("--out", metavar="DIR",
                                      help="会签表的输出文件夹 / output folder")] = Path(SIGNOFF_DIR),
    department: Annotated[str | None, typer.Option("--department", metavar="D", help="只生成此部门的会签表 / "
                                                   "only this department's workbook")] = None,
    today: Today = None,
    lang: Lang = "zh",
) -> None:
    """生成会签表：每个部门一份，只列其尚未答复的案件；案件由待处理转为评审中 / Issue sign-off workbooks.

    DIR/<部门>-<日期>.xlsx 受保护，只有答复单元格可填（评审意见、说明、评审人、评审日期；特殊合同另给
    总经理批准；已批准的案件请各部门确认落实）。再次运行只签发仍未答复的项目，已收集的答复不会丢失。

    退出码：0 已生成（或无待会签项目）；1 有待处理案件未指定责任部门；2 无法运行。

    One protected DIR/DEPARTMENT-DATE.xlsx per department listing only its outstanding items;
    cases go from 待处理 to 评审中. Re-running issues only what is still outstanding.

    Example: xlcsr signoff 顾客特殊要求清单.xlsx --out 会签
    """
    from xlcsr.app.signoff import issue_signoffs

    result = issue_signoffs(book, out=out, today=today_or_now(today), department=department, lang=lang,
                            clock=datetime.now)
    show_signoff(result, lang)
    raise typer.Exit(1 if result.plan.without_departments else 0)


def show_signoff(result: SignoffResult, lang: str = "zh") -> None:
    en = lang == "en"
    if not result.written:
        console.print("No sign-off is outstanding" if en else "没有待会签的项目")
    for path, count in result.to_rows():
        console.print(f"{escape(str(path))}: {count} item(s)" if en else f"{escape(str(path))}：{count} 项")
    if result.moved:
        console.print(f"{result.moved} case(s) now under review" if en else f"{result.moved} 个案件转为评审中")
    if result.plan.without_departments:
        shown = "、".join(result.plan.without_departments[:10])
        more = len(result.plan.without_departments) - 10
        tail = f" …（另有 {more} 个）" if more > 0 else ""
        console.print(f"No department named, not issued: {shown}" if en
                      else f"未指定责任部门，未签发：{shown}{tail}")


def collect_command(
    book: BookArg,
    sources: Annotated[list[Path], typer.Argument(metavar="FILE_OR_DIR", help="填好的会签表或其文件夹 / filled "
                                                  "sign-off workbooks or folders", show_default=False)],
    today: Today = None,
    lang: Lang = "zh",
) -> None:
    """收集会签：把填好的会签表（或评审会议填写的评审记录表）中完整有效的答复写入清单 / Collect sign-offs.

    每项答复须完整（答复、评审人、不晚于今天的日期，有条件满足/不能满足/不批准须写说明），且所评审的要求
    仍与清单一致（否则记为已失效，不生效）。生效的答复追加到「会签记录」；全部部门满足（特殊合同另经
    总经理批准）的案件转为处理中，各部门确认落实后转为已完成。封签不符的文件整份拒收。

    退出码：0 全部收集；1 有文件被拒、项目有误或答复已失效；2 无法运行。

    Applies each complete, allowed and current answer, appends it to 会签记录 and moves statuses;
    a file whose seal does not verify is refused whole.

    Example: xlcsr collect 顾客特殊要求清单.xlsx 会签
    """
    from xlcsr.app.signoff import collect_signoffs

    result = collect_signoffs(book, sources, today=today_or_now(today), clock=datetime.now)
    show_collect(result, lang)
    raise typer.Exit(0 if result.clean else 1)


def show_collect(result: CollectResult, lang: str = "zh") -> None:
    en = lang == "en"
    show_first(("Case", "Department", "Answer", "Reviewer", "Date", "State", "File") if en else
               ("案件号", "部门", "答复", "评审人", "日期", "状态", "文件"), result.to_rows(), console,
               sheet=SIGNOFF_LOG_SHEET, lang=lang)
    for line in result.refused:
        console.print(f"[red]{escape(line)}[/red]")
    for problem in result.problems:
        console.print(f"[red]{escape(problem.text(lang))}[/red]")
    plan = result.plan
    if en:
        console.print(f"{len(result.files)} file(s): {len(plan.applied)} applied, {len(plan.stale)} stale, "
                      f"{len(result.problems)} refused, {plan.repeated} already collected, {plan.unanswered} blank")
    else:
        console.print(f"{len(result.files)} 个文件：生效 {len(plan.applied)} 项，已失效 {len(plan.stale)} 项，"
                      f"有误 {len(result.problems)} 项，已收集过 {plan.repeated} 项，未填写 {plan.unanswered} 项")
    if plan.statuses:
        moved = ", ".join(sorted({*plan.statuses.values()}))
        console.print(f"{len(plan.statuses)} case(s) set: {moved}" if en
                      else f"{len(plan.statuses)} 个案件状态更新：{moved}")
