"""The nightly run: for every register in the config, its steps; then one reminder digest per person.

    >>> summary = run_once(load_config(Path("xlcsr.toml")), today=date(2026, 11, 25), clock=datetime.now)
    >>> summary.ok
    True

Steps per register, in order: track (logs the changes since the last run in 变更记录, re-opening the
sign-offs they void), highlight (refreshes the colours and the 逾期天数 column). A register
open in Excel, WPS or LibreOffice, held by another program, or saved by someone during the run is not
written — its steps are skipped with a warning — but its reminders still go out. The run's clock names
the backups.
A register that cannot be read is reported and the others go on. A lock file keeps two runs apart;
every run appends one JSON line (UTF-8) to the run log. Per register it names the path relative to the
config's folder, the rows, the invalid rows (they get no reminder: count, the first row numbers and the
`xlcsr validate` to run), the steps done and those skipped with why, and the digests sent (SMTP) or
written (outbox) and failed. `dry_run` reads everything and changes nothing: no register, mail, sent
log, lock or run log. `serve` runs `run_once` daily at the configured time
with the schedule library; missed runs are not caught up (run with --once from cron instead).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import schedule

from xlcsr.app import commands
from xlcsr.app.config import Config
from xlcsr.app.remind import CheckedRegister, check_book, send_reminders
from xlcsr.app.tracking import track_changes
from xlcsr.disk.atomic import check_unlocked
from xlcsr.domain.errors import WorkbookChanged, WorkbookLocked, XlcsrError

Clock = Callable[[], datetime]


class RunLocked(XlcsrError):
    """Another run holds the lock."""


@dataclass
class RegisterRun:
    """What one run did to one register (in a dry run: what it would do)."""

    path: Path
    name: str = ""  # the path relative to the config's folder, so 一厂/清单.xlsx and 二厂/清单.xlsx differ
    rows: int = 0
    invalid_rows: list[int] = field(default_factory=list)  # row numbers in the sheet, sorted
    steps: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (step, why)
    warnings: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    mails_sent: int = 0  # digests listing a case of this register, accepted by the SMTP server
    mails_written: int = 0  # … written to the outbox folder
    mails_failed: int = 0
    mails_already_sent: int = 0  # went out earlier today
    mails_planned: int = 0  # dry run: would go out

    def __post_init__(self) -> None:
        self.name = self.name or str(self.path)

    @property
    def mails(self) -> int:
        """Digests that went out, sent or written."""
        return self.mails_sent + self.mails_written

    def to_dict(self) -> dict[str, object]:
        return {"register": self.name, "path": str(self.path), "rows": self.rows,
                "invalid_rows": {"count": len(self.invalid_rows), "first": self.invalid_rows[:SHOWN_ROWS],
                                 "see": validate_hint(self.path)} if self.invalid_rows else {"count": 0},
                "steps": self.steps, "skipped": [{"step": step, "why": why} for step, why in self.skipped],
                "mails_sent": self.mails_sent, "mails_written": self.mails_written,
                "mails_failed": self.mails_failed, "mails_already_sent": self.mails_already_sent,
                "warnings": self.warnings, "failures": self.failures}


SHOWN_ROWS = 5  # invalid row numbers named in the log and on the console


def validate_hint(path: Path) -> str:
    text = str(path)
    return f'xlcsr validate "{text}"' if " " in text else f"xlcsr validate {text}"


def invalid_rows_text(run: RegisterRun) -> str:
    rows = run.invalid_rows
    shown = "、".join(str(r) for r in rows[:SHOWN_ROWS]) + ("…" if len(rows) > SHOWN_ROWS else "")
    shown_en = ", ".join(str(r) for r in rows[:SHOWN_ROWS]) + ("…" if len(rows) > SHOWN_ROWS else "")
    hint = validate_hint(run.path)
    return (f"无效 {len(rows)} 行（第 {shown} 行），这些案件不会提醒；运行 {hint} 查看 / "
            f"{len(rows)} invalid rows ({shown_en}) get no reminder; run {hint}")


@dataclass
class RunSummary:
    started: datetime
    ended: datetime | None = None
    registers: list[RegisterRun] = field(default_factory=list)
    mail_failures: list[str] = field(default_factory=list)
    today: date | None = None
    dry_run: bool = False
    transport: str = ""
    mails: dict[str, int] = field(default_factory=dict)  # the run's distinct mails: sent, written, failed, planned

    @property
    def ok(self) -> bool:
        return not self.mail_failures and not any(r.failures for r in self.registers)

    @property
    def clean(self) -> bool:
        """Ok, and no register had rows left out as invalid (exit 0 rather than 1)."""
        return self.ok and not any(r.invalid_rows for r in self.registers)

    def to_dict(self) -> dict[str, object]:
        return {"start": self.started.isoformat(timespec="seconds"),
                "end": self.ended.isoformat(timespec="seconds") if self.ended else None,
                "today": self.today.isoformat() if self.today else None,
                "ok": self.ok, "registers": [r.to_dict() for r in self.registers],
                "mails": self.mails, "mail_failures": self.mail_failures}

    def summary_line(self) -> str:
        """One line for the console: what the run did (or would do) over all registers."""
        regs = self.registers
        rows, invalid = sum(r.rows for r in regs), sum(len(r.invalid_rows) for r in regs)
        skipped, unreadable = sum(len(r.skipped) for r in regs), sum(1 for r in regs if r.failures)
        count = self.mails.get  # a digest over several registers is one mail, counted once
        failed = count("failed", 0)
        if self.dry_run:
            head, head_en = "预览（未写入、未发送）", "dry run (nothing written or sent)"
            mails = f"将发送邮件 {count('planned', 0)} 封"
            mails_en = f"{count('planned', 0)} mails would be sent"
        else:
            head, head_en = ("运行完成", "run done") if self.ok else ("运行完成，但有问题", "run done with problems")
            sent, written = count("sent", 0), count("written", 0)
            mails = f"邮件已发送 {sent} 封，已写入发件箱 {written} 封，失败 {failed} 封"
            mails_en = f"{sent} mails sent, {written} written to the outbox, {failed} failed"
        problems = len(self.mail_failures)
        return (f"{head}：{len(regs)} 个清单，{rows} 行，无效 {invalid} 行，{mails}，跳过步骤 {skipped} 个，"
                f"无法读取 {unreadable} 个，提醒问题 {problems} 项 / {head_en}: {len(regs)} registers, {rows} rows, "
                f"{invalid} invalid, {mails_en}, {skipped} steps skipped, {unreadable} unreadable, "
                f"{problems} reminder problems")


def register_name(path: Path, folder: Path) -> str:
    """`path` relative to the config's folder (../ where it lies outside), else as it is."""
    try:
        return Path(os.path.relpath(path, folder)).as_posix()
    except ValueError:  # another drive
        return str(path)


STEP_NAMES = {"track": "记录变更", "highlight": "标记逾期"}


def run_once(config: Config, *, today: date, clock: Clock, dry_run: bool = False) -> RunSummary:
    """One nightly run over every register of the config; the summary is also appended to the run log.

    With `dry_run` nothing is written: no register, mail, sent log, lock or run log; the summary is the plan.
    """
    lock = contextlib.nullcontext() if dry_run else RunLock(config.state_dir / "run.lock")
    with lock:
        summary = RunSummary(started=clock(), today=today, dry_run=dry_run)
        readable: list[Path] = []
        checked: dict[Path, CheckedRegister] = {}  # registers read but not written: reminders take them as read
        for path in config.registers:
            run = run_register(path, today=today, clock=clock, dry_run=dry_run,
                               name=register_name(path, config.config_dir), checked=checked)
            summary.registers.append(run)
            if not run.failures:
                readable.append(path)
        if readable:
            _remind(summary, readable, config, today, clock, checked)
        summary.ended = clock()
        if not dry_run:
            append_log(config.run_log, summary)
    return summary


def run_register(path: Path, *, today: date, clock: Clock | None = None, dry_run: bool = False,
                 name: str = "", checked: dict[Path, CheckedRegister] | None = None) -> RegisterRun:
    """The file-writing steps for one register; a locked, busy or meanwhile saved register is read, not written.

    `clock` names the backups (without it, they are named by the replaced file's modification time).
    With `dry_run` the register is only read: the steps it would take are listed, none is done. A
    register only read is kept in `checked`, so that the reminders do not read it again.
    """
    run = RegisterRun(path, name)
    step = "highlight"
    try:
        check_unlocked(path)
        if dry_run:
            _read(path, today, run, checked)
            run.steps += ["track", "highlight"]
            return run
        step = "track"
        tracked = track_changes(path, today=today, clock=clock)
        run.steps.append(step)
        run.warnings += [f"{issue.cell + '：' if issue.cell else ''}{issue.text()}" for issue in tracked.issues]
        step = "highlight"
        book = commands.as_book(path, clock, writes=True, command="highlight")
        result = commands.highlight_workbook(book, today=today)
    except (WorkbookLocked, WorkbookChanged) as exc:
        run.skipped.append((step, str(exc)))
        run.warnings.append(f"已跳过{STEP_NAMES[step]}：{exc}")
        try:
            _read(path, today, run, checked)
        except XlcsrError as unreadable:
            run.failures.append(str(unreadable))
        return run
    except XlcsrError as exc:
        run.failures.append(str(exc))
        return run
    run.rows = result.report.rows
    _note_invalid(run, sorted(result.report.bad_rows))
    run.steps.append("highlight")
    return run


def _read(path: Path, today: date, run: RegisterRun, checked: dict[Path, CheckedRegister] | None) -> None:
    read = check_book(path, today)  # as every command reads it: without 设置, xlcsr.toml's [columns]
    if checked is not None:
        checked[path] = read
    run.rows = read.report.rows
    _note_invalid(run, sorted(read.report.bad_rows))


def _note_invalid(run: RegisterRun, rows: list[int]) -> None:
    run.invalid_rows = rows
    if rows:
        run.warnings.append(invalid_rows_text(run))


def _remind(summary: RunSummary, paths: list[Path], config: Config, today: date, clock: Clock,
            checked: dict[Path, CheckedRegister]) -> None:
    result = send_reminders(paths, today=today, config=config, clock=clock, dry_run=summary.dry_run,
                            checked=checked)
    summary.transport = result.transport
    summary.mails = {"sent": result.sent, "written": result.written, "failed": result.failed,
                     "already_sent": result.skipped_already_sent + result.skipped_already_written,
                     "planned": result.would_send}
    by_path = {str(run.path): run for run in summary.registers}
    for delivery in result.deliveries:
        for label in delivery.digest.registers:
            run = by_path.get(str(result.registers.get(label, label)))
            if run is None:
                continue
            outcome = str(delivery.outcome)
            if outcome == "sent":
                run.mails_sent += 1
            elif outcome == "written":  # the outbox
                run.mails_written += 1
            elif outcome == "failed":
                run.mails_failed += 1
            elif outcome.startswith("already_"):  # sent or written earlier today
                run.mails_already_sent += 1
            else:  # the dry run's would_send
                run.mails_planned += 1
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
