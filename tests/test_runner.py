"""The nightly run over real register files: three registers (good, open in Excel, corrupt), the
lock, the run log, and the daily schedule driven through the schedule library's clock."""

from __future__ import annotations

import datetime as dt
import json
import os
import types
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import openpyxl
import pytest
import schedule
from books import GOOD_ROW, row, write_register
from typer.testing import CliRunner

from xlcsr.app.config import load_config
from xlcsr.app.nightly import RunLock, RunLocked, run_once, schedule_daily, serve
from xlcsr.cli.app import app

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 2, 0, 5)
OVERDUE = row(截止日期=date(2026, 11, 10), 负责人="李强", 处理状态="处理中")


def setup_registers(tmp_path: Path) -> Path:
    write_register(tmp_path / "good.xlsx", [GOOD_ROW, OVERDUE])
    write_register(tmp_path / "open.xlsx", [row(客户名称="长城汽车", 截止日期=date(2026, 11, 12), 负责人="张伟",
                                                处理状态="处理中")])
    (tmp_path / "~$open.xlsx").write_bytes(b"")  # open in Excel
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    config = tmp_path / "xlcsr.toml"
    config.write_text('registers = ["good.xlsx", "open.xlsx", "broken.xlsx"]\ntime = "02:00"\n', encoding="utf-8")
    return config


def outbox_mails(tmp_path: Path) -> dict[str, str]:
    mails = {}
    for eml in (tmp_path / "outbox").glob("*.eml"):
        message = message_from_bytes(eml.read_bytes(), policy=policy.default)
        mails[message["To"].addresses[0].addr_spec] = message.get_body(("plain",)).get_content()
    return mails


def test_run_once_does_the_right_thing_for_each_register(tmp_path: Path) -> None:
    config = load_config(setup_registers(tmp_path), env={})
    open_before = (tmp_path / "open.xlsx").read_bytes()
    summary = run_once(config, today=TODAY, clock=lambda: NOW)

    good, opened, broken = summary.registers
    assert (good.rows, good.steps, good.failures) == (2, ["track", "highlight"], [])
    assert openpyxl.load_workbook(tmp_path / "good.xlsx")["清单"].conditional_formatting
    assert opened.steps == [] and "已跳过标记逾期" in opened.warnings[0]
    assert (tmp_path / "open.xlsx").read_bytes() == open_before
    assert broken.failures and not broken.steps
    assert not summary.ok

    mails = outbox_mails(tmp_path)
    assert set(mails) == {"li.qiang@csrplant.cn", "zhang.wei@csrplant.cn", "zhou.jianguo@csrplant.cn"}
    assert "长城汽车" in mails["zhang.wei@csrplant.cn"]  # the open register's reminder still went out
    assert "本部门逾期超过 5 个工作日的案件】" in mails["zhou.jianguo@csrplant.cn"]  # the manager's summary
    assert (good.mails, opened.mails, broken.mails) == (2, 2, 0)  # each: its owner's digest and the summary

    lines = (tmp_path / "xlcsr-run.log").read_text(encoding="utf-8").splitlines()
    logged = json.loads(lines[-1])
    assert logged["start"] == "2026-11-25T02:00:05" and logged["ok"] is False
    assert [r["rows"] for r in logged["registers"]] == [2, 1, 0]
    assert [r["mails_written"] for r in logged["registers"]] == [2, 2, 0]  # to the outbox: written, not sent
    assert logged["mails"]["written"] == 3  # the manager's one summary covers both registers
    assert [r["mails_sent"] for r in logged["registers"]] == [0, 0, 0]


def test_a_second_run_the_same_day_sends_nothing_new_and_appends_a_line(tmp_path: Path) -> None:
    config = load_config(setup_registers(tmp_path), env={})
    run_once(config, today=TODAY, clock=lambda: NOW)
    second = run_once(config, today=TODAY, clock=lambda: NOW + timedelta(hours=1))
    assert [r.mails for r in second.registers] == [0, 0, 0]
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3
    assert len((tmp_path / "xlcsr-run.log").read_text(encoding="utf-8").splitlines()) == 2


def test_run_once_from_the_command_line(tmp_path: Path) -> None:
    config = setup_registers(tmp_path)
    result = CliRunner().invoke(app, ["run", "--config", str(config), "--once"])
    assert result.exit_code == 1  # the broken register
    assert "good.xlsx：2 行" in result.output
    config.write_text('registers = ["good.xlsx"]\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["run", "--config", str(config), "--once"])
    assert result.exit_code == 0, result.output


def test_the_lock_keeps_two_runs_apart_and_a_stale_lock_is_taken_over(tmp_path: Path) -> None:
    config = load_config(setup_registers(tmp_path), env={})
    lock = config.state_dir / "run.lock"
    with RunLock(lock):
        with pytest.raises(RunLocked, match="另一个 xlcsr run 正在运行"):
            run_once(config, today=TODAY, clock=lambda: NOW)
    assert not lock.exists()
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(str(_dead_pid()))
    run_once(config, today=TODAY, clock=lambda: NOW)
    assert not lock.exists()


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


class ScheduleClock:
    """The schedule library's clock, driven by the test: schedule reads `datetime.datetime.now()`."""

    def __init__(self, start: datetime):
        clock = self

        class Now(dt.datetime):
            @classmethod
            def now(cls, tz: object = None) -> datetime:
                return clock.current

        self.current = start
        self.module = types.SimpleNamespace(datetime=Now, timedelta=dt.timedelta, date=dt.date, time=dt.time,
                                            timezone=dt.timezone, tzinfo=dt.tzinfo)

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@pytest.fixture
def schedule_clock(monkeypatch: pytest.MonkeyPatch) -> ScheduleClock:
    clock = ScheduleClock(datetime(2026, 11, 25, 1, 58))
    monkeypatch.setattr(schedule, "datetime", clock.module)
    return clock


def test_the_scheduler_fires_daily_at_the_configured_time(tmp_path: Path, schedule_clock: ScheduleClock) -> None:
    config = load_config(setup_registers(tmp_path), env={})
    fired: list[datetime] = []
    scheduler = schedule_daily(config, lambda: fired.append(schedule_clock.current))
    for _ in range(24 * 60 + 10):  # a day and a bit, one minute at a time
        scheduler.run_pending()
        schedule_clock.advance(60)
    assert fired == [datetime(2026, 11, 25, 2, 0), datetime(2026, 11, 26, 2, 0)]


def test_serve_runs_the_nightly_job_at_its_time(tmp_path: Path, schedule_clock: ScheduleClock) -> None:
    config = load_config(setup_registers(tmp_path), env={})
    runs = []
    serve(config, clock=lambda: schedule_clock.current, sleep=schedule_clock.advance, on_run=runs.append,
          keep_going=lambda: schedule_clock.current < datetime(2026, 11, 25, 2, 5))
    assert len(runs) == 1 and runs[0].started.strftime("%H:%M") == "02:00"
    assert runs[0].registers[0].steps == ["track", "highlight"]
