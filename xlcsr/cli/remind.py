"""`xlcsr remind`: today's digest e-mails for every person with overdue or soon-due cases.

The lead registers it in `xlcsr.cli`:

    app.command("remind")(exits_cleanly(remind_command))

    $ xlcsr remind 顾客特殊要求清单.xlsx --dry-run
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from xlcsr.cli.options import Lang, Today, today_or_now
from xlcsr.cli.render import show_table

if TYPE_CHECKING:
    from xlcsr.app.remind import RemindResult

console = Console(highlight=False)


def remind_command(
    books: Annotated[list[Path] | None, typer.Argument(
        help="清单工作簿（可多个；省略时用配置文件中的 registers）/ register workbooks (default: the config's "
             "registers)", metavar="BOOK", show_default=False)] = None,
    today: Today = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只列出谁会收到什么，不发送、不记录 / "
                                          "list who would get what; send and record nothing")] = False,
    force: Annotated[bool, typer.Option("--force", help="重发今天的提醒，不管今日的发送记录（重发也会记录）/ "
                                        "resend today's digests, ignoring today's record (the resend is "
                                        "recorded)")] = False,
    outbox: Annotated[Path | None, typer.Option("--outbox", metavar="DIR", help="不经 SMTP，把邮件写入此文件夹"
                                                "（.eml）/ write .eml files to DIR instead of sending")] = None,
    config: Annotated[Path | None, typer.Option("--config", metavar="FILE", help="配置文件（默认当前文件夹的 "
                                                "xlcsr.toml）/ configuration file")] = None,
    lang: Lang = "zh",
) -> None:
    """按人汇总发送逾期与即将到期提醒，逾期过久汇总报告部门经理 / E-mail each person a digest of their cases.

    示例邮箱（example.com 等保留域名）和空白邮箱不发送，列为「未配置邮箱」。

    退出码：0 全部发出；1 有发送失败、未配置邮箱（包括无人能收到）、有问题的行或无法读取的清单；2 无法运行。

    Example (reserved-domain) and empty addresses are never sent to but listed as not configured.

    Exit 0 all sent; 1 failures, people not configured, invalid rows or unreadable registers; 2 could not run.

    Example: xlcsr remind 顾客特殊要求清单.xlsx --dry-run
    """
    from xlcsr.app.config import load_config
    from xlcsr.app.remind import send_reminders

    settings = load_config(config)
    if outbox is not None:
        settings = settings.model_copy(update={"smtp": None, "outbox": outbox})
    registers = list(books or settings.registers)
    if not registers:
        raise typer.BadParameter("请指定清单工作簿，或在 xlcsr.toml 中设置 registers / name a register or set "
                                 "registers in xlcsr.toml")
    result = send_reminders(registers, today=today_or_now(today), config=settings, dry_run=dry_run,
                            force=force, clock=lambda: datetime.now().astimezone())
    show_reminders(result, lang)
    raise typer.Exit(0 if result.ok and not result.skipped_rows else 1)  # invalid rows: done, with problems


def show_reminders(result: RemindResult, lang: str = "zh") -> None:
    from xlcsr.app.remind import ROW_HEADERS

    show_table(ROW_HEADERS["en" if lang == "en" else "zh"], result.to_rows(lang), console)
    for path, count in result.skipped_rows.items():
        console.print(f"{path.name}: {count} rows with errors were left out (see xlcsr validate)" if lang == "en"
                      else f"{path.name}：{count} 行有错误，未纳入提醒（用 xlcsr validate 查看）")
    console.print(result.summary(lang))
