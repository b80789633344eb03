"""`xlcsr import FILE --out BOOK`: an old list in any format becomes a new register from the template.

The lead registers it in `xlcsr.cli.app`:

    app.command("import")(exits_cleanly(import_command))

    $ xlcsr import 旧清单.xls --out 顾客特殊要求清单.xlsx
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from xlcsr.cli.options import Lang, Today, today_or_now

if TYPE_CHECKING:
    from xlcsr.app.import_legacy import ImportResult

console = Console(highlight=False)


def import_command(
    legacy: Annotated[Path, typer.Argument(
        metavar="FILE", help="旧清单：.xls、.xlsx/.xlsm、.xlsb、.ods 或 CSV（UTF-8 或 GBK）/ the old list",
        show_default=False)],
    out: Annotated[Path, typer.Option(
        "--out", metavar="BOOK", help="要新建的清单 .xlsx（已有文件不会被覆盖）/ the new register (.xlsx; an "
        "existing file is never overwritten)", show_default=False)],
    sheet: Annotated[str | None, typer.Option(
        "--sheet", metavar="NAME", help="旧清单中的工作表（默认：清单，或第一个有表头的表）/ the sheet of the old list "
        "(default: the first with a register header)")] = None,
    today: Today = None,
    lang: Lang = "zh",
) -> None:
    """把旧清单（任意版式与格式）导入为按模板新建的清单；无法映射的值原样保留并列出 / Import an old list.

    Mapped columns go into the template's columns, the others are kept after them; dates are
    parsed, status, priority and contract-type words translated; what cannot be mapped is kept as
    written and listed with its cell. Exit 1 when something could not be mapped.

    Example: xlcsr import 旧清单.xls --out 顾客特殊要求清单.xlsx
    """
    from xlcsr.app.import_legacy import import_legacy

    result = import_legacy(legacy, out, today=today_or_now(today), sheet=sheet, lang=lang)
    show_import(result, lang)
    raise typer.Exit(0 if result.ok else 1)


def show_import(result: ImportResult, lang: str = "zh") -> None:
    """What was read and mapped, one line per value that did not map (whole, for logs and grep), the summary."""
    for line in result.lines(lang):
        console.print(escape(line), soft_wrap=True)
    for line in result.problem_lines(lang):
        console.print(f"  [yellow]{escape(line)}[/]", soft_wrap=True)
    for line in result.summary(lang):
        console.print(escape(line), soft_wrap=True)
