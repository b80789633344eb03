"""The `xlcsr` command: each verb parses its arguments, calls one library function, renders, exits.

Exit codes: 0 done and clean; 1 done but problems found; 2 could not run (nothing written).
Only the command line asks the real clock: it passes `datetime.now` down to name the backups.
A verb imports the app module it calls when it runs, so `xlcsr --version` or `xlcsr validate`
starts without loading what other verbs need (openpyxl, the mail stack, the add-in builder).

    $ xlcsr validate 顾客特殊要求清单.xlsx --json
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

import xlcsr
from xlcsr.cli import render
from xlcsr.cli.addin import addin_app
from xlcsr.cli.audit import diff_command, history_command
from xlcsr.cli.columns import columns_command
from xlcsr.cli.doctor import doctor_command
from xlcsr.cli.import_command import import_command
from xlcsr.cli.options import Lang, Today, XlcsrCommand, XlcsrGroup, exits_cleanly, today_or_now
from xlcsr.cli.record import record_command
from xlcsr.cli.remind import remind_command
from xlcsr.cli.restore import restore_command
from xlcsr.cli.run import run_command
from xlcsr.cli.signoff import collect_command, signoff_command
from xlcsr.cli.track import track_command

app = typer.Typer(
    name="xlcsr",
    help="顾客特殊要求（CSR）清单的校验、编号与跟踪 / Customer special requirements kept in Excel.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=XlcsrGroup,
)

Book = Annotated[Path, typer.Argument(metavar="BOOK", help="清单工作簿 .xlsx/.xlsm / the register workbook",
                                      show_default=False)]


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"xlcsr {xlcsr.__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=show_version, is_eager=True,
                                          help="显示版本后退出 / print the version and exit")] = False,
) -> None:
    pass


@app.command(cls=XlcsrCommand)
@exits_cleanly
def validate(
    book: Book,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出 / print JSON")] = False,
    mark: Annotated[bool, typer.Option("--mark", help="在工作簿中标出问题单元格并写入「校验结果」表 / "
                                       "mark bad cells and write the 校验结果 sheet")] = False,
    today: Today = None,
    lang: Lang = "zh",
) -> None:
    """校验清单：必填、日期、可选值、重复案件号、部门与负责人、公式 / Validate the register.

    Example: xlcsr validate 顾客特殊要求清单.xlsx --mark
    """
    from xlcsr.app import commands

    report = commands.validate_workbook(book, today=today_or_now(today), mark=mark, lang=lang,
                                         clock=datetime.now)
    if as_json:
        typer.echo(json.dumps(report.to_json(lang), ensure_ascii=False, indent=2))
    else:
        render.show_validation(report, lang)
        if mark:
            render.console.print("已写入「校验结果」工作表并标出问题单元格" if lang != "en"
                                 else "Marks and the 校验结果 sheet were written")
    raise typer.Exit(0 if report.valid else 1)


@app.command(cls=XlcsrCommand)
@exits_cleanly
def assign(book: Book, today: Today = None, lang: Lang = "zh") -> None:
    """为有效行分配案件号，补齐截止日期与处理状态；有问题的行跳过 / Assign case numbers.

    Example: xlcsr assign 顾客特殊要求清单.xlsx
    """
    from xlcsr.app import commands

    result = commands.assign_case_numbers(book, today=today_or_now(today), clock=datetime.now)
    render.show_assignment(result, lang)
    raise typer.Exit(1 if result.skipped else 0)


@app.command(cls=XlcsrCommand)
@exits_cleanly
def highlight(book: Book, today: Today = None, lang: Lang = "zh") -> None:
    """标记逾期：条件格式标出逾期、即将到期和已完成的案件，刷新「逾期天数」列 / Highlight overdue cases.

    Example: xlcsr highlight 顾客特殊要求清单.xlsx
    """
    from xlcsr.app import commands

    result = commands.highlight_workbook(book, today=today_or_now(today), lang=lang, clock=datetime.now)
    render.show_highlight(result, lang)
    raise typer.Exit(1 if result.skipped else 0)


@app.command(cls=XlcsrCommand)
@exits_cleanly
def init(directory: Annotated[Path, typer.Argument(metavar="DIR", help="目标文件夹 / target folder")],
         lang: Lang = "zh") -> None:
    """在文件夹中新建清单与评审记录表模板 / Create the register and review-form templates.

    Example: xlcsr init ./CSR
    """
    from xlcsr.app import commands

    written, kept = commands.init_workbooks(directory, lang=lang)
    render.show_init(written, kept, lang)
    raise typer.Exit(1 if kept else 0)


@app.command(cls=XlcsrCommand)
@exits_cleanly
def demo(directory: Annotated[Path, typer.Argument(
             metavar="DIR", help="演示文件夹 / demo folder")] = Path("xlcsr-demo"),
         today: Today = None, lang: Lang = "zh") -> None:
    """生成演示清单（约40条要求，含几处故意的错误），再校验、编号 / Build and process a demo register.

    Example: xlcsr demo ./demo
    """
    from xlcsr.app import commands

    outcome = commands.run_demo(directory, today=today_or_now(today), lang=lang, clock=datetime.now)
    render.show_demo(outcome, lang)


app.command("remind", cls=XlcsrCommand)(exits_cleanly(remind_command))
app.command("columns", cls=XlcsrCommand)(exits_cleanly(columns_command))
app.command("import", cls=XlcsrCommand)(exits_cleanly(import_command))
app.command("run", cls=XlcsrCommand)(exits_cleanly(run_command))
app.command("signoff", cls=XlcsrCommand)(exits_cleanly(signoff_command))
app.command("collect", cls=XlcsrCommand)(exits_cleanly(collect_command))
app.command("record", cls=XlcsrCommand)(exits_cleanly(record_command))
app.command("restore", cls=XlcsrCommand)(exits_cleanly(restore_command))
app.command("history", cls=XlcsrCommand)(exits_cleanly(history_command))
app.command("diff", cls=XlcsrCommand)(exits_cleanly(diff_command))
app.command("track", cls=XlcsrCommand)(exits_cleanly(track_command))
app.command("doctor", cls=XlcsrCommand)(exits_cleanly(doctor_command))
app.add_typer(addin_app, name="addin")
for _command in addin_app.registered_commands:
    _command.callback = exits_cleanly(_command.callback)


def main() -> None:
    app(prog_name="xlcsr")
