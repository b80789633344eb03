"""The nightly run: for every register in the config, its steps; then one reminder digest per person.

    >>> summary = run_once(load_config(Path("xlcsr.toml")), today=date(2026, 11, 25), clock=datetime.now)
    >>> summary.ok
    True

Steps per register, in order: highlight (refreshes the colours and the 逾期天数 column). A register
open in Excel, WPS or LibreOffice, held by another program, or saved by someone during the run is not
written — its steps are skipped with a warning — but its reminders still go out. The run's clock names
the backups.
A register that cannot be read is reported and the others go on. A lock file keeps two runs apart;
every run appends one JSON line to the run log. `serve` runs `run_once` daily at the configured time
with the schedule library; missed runs are not caught up (run with --once from cron instead).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import schedule

from xlcsr.app import commands
from xlcsr.app.config import Config
from xlcsr.app.remind import send_reminders
from xlcsr.disk.atomic import check_unlocked
from xlcsr.domain.errors import WorkbookChanged, WorkbookLocked, XlcsrError
from xlcsr.files.file_book import FileBook

Clock = Callable[[], datetime]


class RunLocked(XlcsrError):
    """Another run holds the lock."""


@dataclass
class RegisterRun:
    """What one run did to one register."""

    path: Path
    rows: int = 0
    steps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    mails: int = 0

    def to_dict(self) -> dict[str, object]:
        return {"register": str(self.path), "rows": self.rows, "steps": self.steps, "mails_sent": self.mails,
                "warnings": self.warnings, "failures": self.failures}


@dataclass
class RunSummary:
    started: datetime
    ended: datetime | None = None
    registers: list[RegisterRun] = field(default_factory=list)
    mail_failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mail_failures and not any(r.failures for r in self.registers)

    def to_dict(self) -> dict[str, object]:
        return {"start": self.started.isoformat(timespec="seconds"),
                "end": self.ended.isoformat(timespec="seconds") if self.ended else None,
                "ok": self.ok, "registers": [r.to_dict() for r in self.registers],
                "mail_failures": self.mail_failures}


def run_once(config: Config, *, today: date, clock: Clock) -> RunSummary:
    """One nightly run over every register of the config; the summary is also appended to the run log."""
    with RunLock(config.state_dir / "run.lock"):
        summary = RunSummary(started=clock())
        readable: list[Path] = []
        for path in config.registers:
            run = run_register(path, today=today, clock=clock)
            summary.registers.append(run)
            if not run.failures:
                readable.append(path)
        if readable:
            _remind(summary, readable, config, today, clock)
        summary.ended = clock()
        append_log(config.run_log, summary)
    return summary


def run_register(path: Path, *, today: date, clock: Clock | None = None) -> RegisterRun:
    """The file-writing steps for one register; a locked, busy or meanwhile saved register is read, not written.

    `clock` names the backups (without it, they are named by the replaced file's modification time).
    """
    run = RegisterRun(path)
    try:
        check_unlocked(path)
        result = commands.highlight_workbook(FileBook(path, clock=clock), today=today)
    except (WorkbookLocked, WorkbookChanged) as exc:
        run.warnings.append(f"已跳过标记逾期：{exc}")
        try:
            run.rows = len(FileBook(path).read().rows)
        except XlcsrError as unreadable:
            run.failures.append(str(unreadable))
        return run
    except XlcsrError as exc:
        run.failures.append(str(exc))
        return run
    run.rows = result.report.rows
    run.steps.append("highlight")
    return run


def _remind(summary: RunSummary, paths: list[Path], config: Config, today: date, clock: Clock) -> None:
    result = send_reminders(paths, today=today, config=config, clock=clock)
    by_register = result.sent_by_register()
    for run in summary.registers:
        run.mails = by_register.get(str(run.path), 0)
    summary.mail_failures = result.failure_messages()


def append_log(log: Path, summary: RunSummary) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as out:
        out.write(json.dumps(summary.to_dict(), ensure_ascii=False) + "\n")


class RunLock:
    """An exclusive lock file holding the runner's process id; a stale one (dead process) is taken over."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                if _alive(self.path):
                    raise RunLocked(f"另一个 xlcsr run 正在运行（锁文件 {self.path}）/ another run holds "
                                    f"the lock {self.path}") from None
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as out:
                out.write(str(os.getpid()))
            return self
        raise RunLocked(f"无法获得锁文件 {self.path} / cannot take the lock {self.path}")

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)


def _alive(lock: Path) -> bool:
    try:
        pid = int(lock.read_text().strip() or 0)
    except (OSError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def schedule_daily(config: Config, job: Callable[[], object], scheduler: schedule.Scheduler | None = None
                   ) -> schedule.Scheduler:
    """A scheduler that runs `job` every day at the config's time."""
    scheduler = scheduler or schedule.Scheduler()
    scheduler.every().day.at(config.time).do(job)
    return scheduler


def serve(config: Config, *, clock: Clock, sleep: Callable[[float], None],
          on_run: Callable[[RunSummary], None] = lambda s: None,
          on_error: Callable[[XlcsrError], None] = lambda e: None,
          keep_going: Callable[[], bool] = lambda: True) -> None:
    """Run daily at the configured time until `keep_going` says stop; a failed run waits for the next day."""

    def job() -> None:
        try:
            on_run(run_once(config, today=clock().date(), clock=clock))
        except XlcsrError as exc:
            on_error(exc)

    scheduler = schedule_daily(config, job)
    while keep_going():
        scheduler.run_pending()
        sleep(max(1.0, min(scheduler.idle_seconds or 60.0, 60.0)))
