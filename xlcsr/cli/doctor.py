"""`xlcsr doctor`: check this PC for the ribbon and the nightly run, and say how to fix what is wrong.

The lead registers it in `xlcsr.cli.app`:

    app.command("doctor", cls=XlcsrCommand)(exits_cleanly(doctor_command))

    $ xlcsr doctor --config D:\\CSR\\xlcsr.toml
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from xlcsr.cli.options import Lang
from xlcsr.cli.render import show_table

if TYPE_CHECKING:
    from xlcsr.excel.doctor import DoctorReport

console = Console(highlight=False)


def doctor_command(
    config: Annotated[Path | None, typer.Option(
        "--config", metavar="FILE", help="配置文件 xlcsr.toml（默认当前文件夹）/ config file (default: ./xlcsr.toml)",
        show_default=False)] = None,
    lang: Lang = "zh",
) -> None:
    """诊断：检查本机的 Python、xlwings、加载项、xlcsr.conf、SMTP、夜间任务与清单文件夹 / Check this PC.

    每项一行：结果、发现的情况，以及有问题时的解决办法（多为一条命令）。

    只检查、不修改：SMTP 只连接不登录、不发邮件；清单文件夹中只建一个临时文件并立即删除。

    本系统不适用的项目（如 Linux 上的加载项）注明「不适用」，算作正常。

    退出码：0 全部正常；1 有问题（列在表后）；2 无法运行。

    One row per check: the result, what was found and, for a problem, how to fix it (mostly a command).

    Nothing is changed: SMTP is connected to only (no login, no mail); a temp file is made and deleted.

    Exit 0 all well; 1 problems found (listed after the table); 2 could not run.

    Example: xlcsr doctor
    """
    from xlcsr.excel.doctor import run_doctor

    report = run_doctor(config=config)
    show_doctor(report, lang)
    raise typer.Exit(0 if report.ok else 1)


def show_doctor(report: DoctorReport, lang: str = "zh") -> None:
    """The table of checks, then each problem with its fix, then one summary line."""
    from xlcsr.excel.doctor import ROW_HEADERS

    show_table(ROW_HEADERS["en" if lang == "en" else "zh"], report.to_rows(lang), console)
    for check in report.failures():
        console.print(f"[red]✗[/] {escape(check.name)}：{escape(check.detail)}", soft_wrap=True)
        if check.fix:
            console.print(f"  → {escape(check.fix)}", soft_wrap=True)
    console.print(escape(report.summary(lang)), soft_wrap=True)
