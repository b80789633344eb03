"""`xlcsr record BOOK CASE… --out DIR`: the 评审记录表 of each case, filled and sealed (and as PDF).

The lead registers it in `xlcsr.cli.app`:

    app.command("record", cls=XlcsrCommand)(exits_cleanly(record_command))

    $ xlcsr record 顾客特殊要求清单.xlsx CSR-2026-0001 --out 评审记录 --pdf
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
    from xlcsr.app.review_record import RecordResult

console = Console(highlight=False)


def record_command(
    book: Annotated[Path, typer.Argument(metavar="BOOK", help="清单工作簿 .xlsx/.xlsm / the register workbook",
                                         show_default=False)],
    out: Annotated[Path, typer.Option(
        "--out", metavar="DIR", help="输出文件夹（已有文件不会被覆盖）/ output folder (existing files are never "
        "overwritten)", show_default=False)],
    cases: Annotated[list[str] | None, typer.Argument(
        metavar="CASE", help="案件号（可多个）/ case numbers", show_default=False)] = None,
    all_cases: Annotated[bool, typer.Option("--all", help="会签记录中有答复的全部案件 / every case with answers in "
                                            "会签记录")] = False,
    pdf: Annotated[bool, typer.Option("--pdf", help="再用 LibreOffice 转为 PDF（需安装 soffice）/ also convert to "
                                      "PDF with LibreOffice (needs soffice)")] = False,
    today: Today = None,
    lang: Lang = "zh",
) -> None:
    """打印评审记录表：按案件填写顾客特殊要求评审记录表 / Fill the review record form of each case.

    每个案件一份 DIR/评审记录表-案件号.xlsx：表头、要求全文、「设置」中每个评审部门一行（答复取自会签记录）。

    案件未涉及的部门标「不涉及」；特殊合同有总经理批准；页脚为版本号与指纹；A4，一页宽。

    表单已加封签：评审会议（会议评审）上填写空白的答复单元格后，可用 xlcsr collect 收集。

    退出码：0 全部写出；1 有清单中没有的案件、无案件可写，或 PDF 未能生成；2 无法运行。

    One DIR/评审记录表-CASE.xlsx per case: the header, the requirement, a row per review department of 设置.

    Answers come from 会签记录; the general manager approves a special contract; revision and fingerprint below.

    The form is sealed: filled at a review meeting, it is collected by `xlcsr collect`.

    Exit 0 all written; 1 unknown cases, nothing to write, or a PDF not made; 2 could not run.

    Example: xlcsr record 顾客特殊要求清单.xlsx CSR-2026-0001 --out 评审记录 --pdf
    """
    from xlcsr.app.review_record import write_records

    if not cases and not all_cases:
        raise typer.BadParameter("请指定案件号，或用 --all / name a case, or use --all")
    result = write_records(book, list(cases or []), out=out, all_cases=all_cases, pdf=pdf,
                           today=today_or_now(today), lang=lang, clock=datetime.now)
    show_records(result, lang)
    raise typer.Exit(0 if result.ok else 1)


def show_records(result: RecordResult, lang: str = "zh") -> None:
    from xlcsr.app.review_record import ROW_HEADERS

    show_table(ROW_HEADERS["en" if lang == "en" else "zh"], result.to_rows(lang), console)
    console.print(escape(result.summary(lang)), soft_wrap=True)
