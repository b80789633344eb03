"""`xlcsr run`: the nightly runner, once (for cron / Task Scheduler) or as a daily loop."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from xlcsr.cli import render
from xlcsr.cli.options import Today, today_or_now

if TYPE_CHECKING:
    from xlcsr.app.nightly import RunSummary


def run_command(
    config: Annotated[Path | None, typer.Option("--config", help="配置文件 xlcsr.toml（默认当前文件夹）/ "
                                                 "config file (default: ./xlcsr.toml)", metavar="FILE")] = None,
    once: Annotated[bool, typer.Option("--once", help="立即运行一次后退出（供 cron / 任务计划程序）/ "
                                       "run now and exit")] = False,
    today: Today = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只读取并列出计划：不写清单、不发邮件、不改状态和日志 / "
                                          "print the plan; write, send and log nothing")] = False,
) -> None:
    """夜间运行：对配置中的每个清单标记逾期，并发送提醒摘要 / The nightly run.

    Without --once it stays running and runs every day at the configured time; --today and --dry-run
    run once.

    Example: xlcsr run --config xlcsr.toml --once --today 2026-11-25
    """
    from xlcsr.app.config import load_config, require_registers
    from xlcsr.app.nightly import run_once, serve

    settings = load_config(config)
    require_registers(settings)
    if once or dry_run or today is not None:
        summary = run_once(settings, today=today_or_now(today), clock=datetime.now, dry_run=dry_run)
        show_run(summary)
        raise typer.Exit(0 if summary.clean else 1)  # 1: done, but failures or invalid rows
    render.console.print(f"每天 {settings.time} 运行，共 {len(settings.registers)} 个清单；按 Ctrl+C 停止 / "
                         f"running daily at {settings.time}")

    def report(summary: RunSummary) -> None:
        show_run(summary)

    serve(settings, clock=datetime.now, sleep=time.sleep, on_run=report, on_error=render.show_error)


def show_run(summary: RunSummary) -> None:
    """Per register a line (rows, invalid rows, steps, mails) and its warnings; then one summary line."""
    say = render.console.print
    if summary.dry_run:
        say(f"预览 {summary.today}（未写入任何文件）/ plan for {summary.today}, nothing written", soft_wrap=True)
    for run in summary.registers:
        if summary.dry_run:
            action = f"将执行 {'、'.join(run.steps) or '无'}，将发送邮件 {run.mails_planned} 封"
        else:
            counts = (("邮件已发送", run.mails_sent), ("邮件已写入发件箱", run.mails_written),
                      ("邮件失败", run.mails_failed))
            mails = "，".join(f"{word} {count} 封" for word, count in counts if count) or "邮件 0 封"
            action = f"步骤 {'、'.join(run.steps) or '无'}，{mails}"
        if run.mails_already_sent:
            action += f"，今日已发 {run.mails_already_sent} 封"
        say(escape(f"{run.name}：{run.rows} 行，无效 {len(run.invalid_rows)} 行，{action}"), soft_wrap=True)
        for text in run.warnings:
            say(f"  [yellow]{escape(text)}[/]", soft_wrap=True)
        for text in run.failures:
            say(f"  [red]{escape(text)}[/]", soft_wrap=True)
    for text in summary.mail_failures:
        say(f"  [red]{escape(text)}[/]", soft_wrap=True)
    say(escape(summary.summary_line()), soft_wrap=True)
