"""`xlcsr run`: the nightly runner, once (for cron / Task Scheduler) or as a daily loop."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from xlcsr.app.config import load_config
from xlcsr.app.nightly import RunSummary, run_once, serve
from xlcsr.cli import render


def run_command(
    config: Annotated[Path | None, typer.Option("--config", help="配置文件 xlcsr.toml（默认当前文件夹）/ "
                                                 "config file (default: ./xlcsr.toml)")] = None,
    once: Annotated[bool, typer.Option("--once", help="立即运行一次后退出（供 cron / 任务计划程序）/ "
                                       "run now and exit")] = False,
) -> None:
    """夜间运行：对配置中的每个清单标记逾期，并发送提醒摘要 / The nightly run.

    Without --once it stays running and runs every day at the configured time.

    Example: xlcsr run --config xlcsr.toml --once
    """
    settings = load_config(config)
    if not settings.registers:
        raise typer.BadParameter("配置中没有 registers / the config lists no registers", param_hint="--config")
    if once:
        summary = run_once(settings, today=datetime.now().date(), clock=datetime.now)
        show_run(summary)
        raise typer.Exit(0 if summary.ok else 1)
    render.console.print(f"每天 {settings.time} 运行，共 {len(settings.registers)} 个清单；按 Ctrl+C 停止 / "
                         f"running daily at {settings.time}")

    def report(summary: RunSummary) -> None:
        show_run(summary)

    serve(settings, clock=datetime.now, sleep=time.sleep, on_run=report, on_error=render.show_error)


def show_run(summary: RunSummary) -> None:
    for run in summary.registers:
        line = f"{run.path.name}：{run.rows} 行，步骤 {'、'.join(run.steps) or '无'}，邮件 {run.mails} 封"
        render.console.print(line)
        for text in run.warnings:
            render.console.print(f"  [yellow]{text}[/]")
        for text in run.failures:
            render.console.print(f"  [red]{text}[/]")
    for text in summary.mail_failures:
        render.console.print(f"  [red]{text}[/]")
    render.console.print("运行完成" if summary.ok else "运行完成，但有问题（见上）")
