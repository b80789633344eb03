"""Never twice a day: the sent log beside each register, honest counts (sent / written to the outbox), --force.

Through the real command and a real SMTP server (aiosmtpd) on 127.0.0.1, from more than one working folder.
"""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from books import LI, ZHANG, ZHOU, row, write_register
from typer.testing import CliRunner

from xlcsr.cli.app import app
from xlcsr.domain.vocab import STORE_DIR
from xlcsr.mail.sent_log import SentLog, Via, store_path

TODAY = "2026-11-25"
runner = CliRunner()


@dataclass
class Inbox:
    received: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.received.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if m["To"].addresses[0].addr_spec == address]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture(autouse=True)
def no_smtp_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOST", "PORT", "USER", "PASSWORD", "FROM", "STARTTLS", "SSL"):
        monkeypatch.delenv(f"XLCSR_SMTP_{name}", raising=False)


def use_smtp(monkeypatch: pytest.MonkeyPatch, inbox: Inbox) -> None:
    monkeypatch.setenv("XLCSR_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("XLCSR_SMTP_PORT", str(inbox.port))
    monkeypatch.setenv("XLCSR_SMTP_FROM", "csr@csrplant.cn")


LI_OVERDUE = row(案件号="CSR-2026-0003", 负责人="李强", 截止日期=date(2026, 11, 23))
ZHANG_OVERDUE = row(案件号="CSR-2026-0001", 负责人="张伟", 截止日期=date(2026, 11, 20))


def register(folder: Path, *rows: list[object], name: str = "清单.xlsx") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_register(folder / name, rows or [ZHANG_OVERDUE, LI_OVERDUE])


def remind(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, ["remind", *map(str, args), "--today", TODAY])
    return result.exit_code, result.output.replace("\n", "")  # the summary as one line, however rich wrapped it


def entries(book: Path) -> list[tuple[str, ...]]:
    with SentLog.beside(book, readonly=True) as log:
        return log.entries()


def folders(tmp_path: Path, *names: str) -> list[Path]:
    made = [tmp_path / name for name in names]
    for folder in made:
        folder.mkdir()
    return made


def test_two_working_folders_send_each_digest_once(tmp_path: Path, inbox: Inbox,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    book = register(tmp_path / "质量部")
    here, there = folders(tmp_path, "here", "there")
    use_smtp(monkeypatch, inbox)
    monkeypatch.chdir(here)
    code, out = remind(book)
    assert code == 0, out
    assert len(inbox.received) == 2 and "已发送 2 封" in out
    monkeypatch.chdir(there)
    code, out = remind(book.resolve())
    assert code == 0, out
    assert len(inbox.received) == 2 and "已发送 0 封" in out and "今日已发送跳过 2 封" in out
    assert store_path(book).is_file() and store_path(book).parent == book.parent / STORE_DIR
    assert sorted((e[2], e[4]) for e in entries(book)) == [(LI, "smtp"), (ZHANG, "smtp")]
    assert not (here / STORE_DIR).exists() and not (there / STORE_DIR).exists()


def test_the_outbox_is_not_sent_and_a_later_smtp_run_delivers_once(tmp_path: Path, inbox: Inbox,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    book = register(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out = remind(book)
    assert code == 0, out
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    assert "已写入发件箱 2 封" in out and "已发送" not in out
    code, out = remind(book, "--lang", "en")
    assert "0 written to the outbox" in out and "2 already in the outbox today" in out and " sent," not in out
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    assert {e[4] for e in entries(book)} == {str(Via.OUTBOX)}

    use_smtp(monkeypatch, inbox)  # SMTP configured later the same day
    code, out = remind(book)
    assert code == 0, out
    assert sorted(m["To"].addresses[0].addr_spec for m in inbox.received) == [LI, ZHANG] and "已发送 2 封" in out
    code, out = remind(book)
    assert len(inbox.received) == 2 and "今日已发送跳过 2 封" in out

    monkeypatch.delenv("XLCSR_SMTP_HOST")  # back to the outbox: what was sent is not written again
    code, out = remind(book)
    assert "已写入发件箱 0 封" in out and "今日已发送跳过 2 封" in out


def test_force_resends_todays_digests_and_records_the_resend(tmp_path: Path, inbox: Inbox,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    book = register(tmp_path)
    use_smtp(monkeypatch, inbox)
    monkeypatch.chdir(tmp_path)
    remind(book)
    code, out = remind(book, "--force")
    assert code == 0, out
    assert len(inbox.received) == 4 and "已发送 2 封" in out and "--force" in out
    assert len(inbox.to(LI)) == 2 and inbox.to(LI)[0]["Subject"] == inbox.to(LI)[1]["Subject"]
    assert [e[5] for e in entries(book)] == ["0", "0", "1", "1"]
    code, out = remind(book)
    assert len(inbox.received) == 4 and "今日已发送跳过 2 封" in out


def test_a_case_overdue_later_the_same_day_is_sent_on_its_own(tmp_path: Path, inbox: Inbox,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    book = register(tmp_path)
    use_smtp(monkeypatch, inbox)
    monkeypatch.chdir(tmp_path)
    remind(book)
    assert "CSR-2026-0003" in inbox.to(LI)[0].get_body(("plain",)).get_content()

    register(tmp_path, ZHANG_OVERDUE, LI_OVERDUE,  # someone adds a case in the afternoon
             row(案件号="CSR-2026-0007", 负责人="李强", 截止日期=date(2026, 11, 24), 客户名称="长城汽车"))
    code, out = remind(book)
    assert code == 0, out
    assert len(inbox.received) == 3 and len(inbox.to(ZHANG)) == 1  # 张伟's cases did not change
    second = inbox.to(LI)[1]
    text = second.get_body(("plain",)).get_content()
    assert "CSR-2026-0007" in text and "CSR-2026-0003" not in text
    assert second["Subject"] == "【顾客特殊要求】李强：1 项逾期"
    assert "已发送 1 封" in out and "今日已发送跳过 1 封" in out
    code, out = remind(book)
    assert len(inbox.received) == 3 and "今日已发送跳过 2 封" in out


def test_a_digest_over_two_registers_is_recorded_beside_each(tmp_path: Path, inbox: Inbox,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    a = register(tmp_path / "一车间", ZHANG_OVERDUE)
    b = register(tmp_path / "二车间", row(案件号="CSR-2026-0009", 负责人="张伟", 截止日期=date(2026, 11, 23)))
    use_smtp(monkeypatch, inbox)
    monkeypatch.chdir(tmp_path)
    code, out = remind(a, b)
    assert code == 0, out
    [mail] = inbox.received
    text = mail.get_body(("plain",)).get_content()
    assert "CSR-2026-0001" in text and "CSR-2026-0009" in text
    assert [e[2] for e in entries(a)] == [ZHANG] and [e[2] for e in entries(b)] == [ZHANG]
    code, out = remind(b)  # B alone, the same day: its case was sent
    assert len(inbox.received) == 1 and "今日已发送跳过 1 封" in out
    code, out = remind(a, b, "--dry-run")
    assert "将发送 0 封" in out and len(inbox.received) == 1


def test_two_registers_in_one_folder_share_a_store_but_not_their_case_numbers(
        tmp_path: Path, inbox: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    a = register(tmp_path, LI_OVERDUE, name="清单A.xlsx")
    use_smtp(monkeypatch, inbox)
    monkeypatch.chdir(tmp_path)
    remind(a)
    b = register(tmp_path, LI_OVERDUE, name="清单B.xlsx")  # the same case number, another register
    code, out = remind(a, b)
    assert code == 0, out
    assert len(inbox.to(LI)) == 2 and "清单B.xlsx" in inbox.to(LI)[1].get_body(("plain",)).get_content()
    assert store_path(a) == store_path(b)


def test_the_dry_run_creates_no_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = register(tmp_path / "r")
    monkeypatch.chdir(tmp_path)
    code, out = remind(book, "--dry-run")
    assert code == 0, out
    assert "将写入发件箱 2 封" in out and not (book.parent / STORE_DIR).exists()


def test_remind_exits_one_when_invalid_rows_were_left_out(tmp_path: Path) -> None:
    from books import row, write_register
    from typer.testing import CliRunner

    from xlcsr.cli.app import app

    book = write_register(tmp_path / "清单.xlsx", [row(客户名称="")])
    result = CliRunner().invoke(app, ["remind", str(book), "--today", "2026-11-25", "--dry-run"])
    assert result.exit_code == 1 and "1 行有错误，未纳入提醒" in result.output


def test_the_manager_gets_one_summary_of_everyone_late_and_later_only_the_new_ones(
        tmp_path: Path, inbox: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    late = [row(案件号="CSR-2026-0001", 负责人="张伟", 截止日期=date(2026, 11, 10)),  # 11 working days
            row(案件号="CSR-2026-0003", 负责人="李强", 截止日期=date(2026, 11, 12))]  # 9
    book = register(tmp_path, *late)
    use_smtp(monkeypatch, inbox)
    monkeypatch.chdir(tmp_path)
    code, out = remind(book)
    assert code == 0, out
    assert sorted(m["To"].addresses[0].addr_spec for m in inbox.received) == [LI, ZHANG, ZHOU]
    assert all(m["Cc"] is None for m in inbox.received)  # no copy per person
    [summary] = inbox.to(ZHOU)
    text = summary.get_body(("plain",)).get_content()
    assert summary["Subject"] == "【顾客特殊要求】周建国：2 项本部门案件已升级"
    assert text.index("CSR-2026-0001｜截止 2026-11-10｜逾期 11 个工作日") < text.index("CSR-2026-0003")
    assert "负责人 张伟" in text and "负责人 李强" in text

    register(tmp_path, *late, row(案件号="CSR-2026-0009", 负责人="张伟", 截止日期=date(2026, 11, 11)))
    code, out = remind(book)
    assert code == 0, out
    later = inbox.to(ZHOU)[1].get_body(("plain",)).get_content()
    assert "CSR-2026-0009" in later and "CSR-2026-0001" not in later and "CSR-2026-0003" not in later
    assert len(inbox.to(LI)) == 1 and len(inbox.received) == 5  # 张伟 and 周建国 get the new case only
