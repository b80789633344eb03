"""Reminder digests: routing (pure), then real registers sent through a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from dataclasses import astuple, dataclass, field
from datetime import date, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
import typer
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from books import LI, REAL_DOMAIN, WANG, ZHANG, ZHOU, real, row, write_register
from typer.testing import CliRunner

from xlcsr.app.config import Config
from xlcsr.app.remind import Outcome, ProblemCode, RegisterCases, build_digests, send_reminders
from xlcsr.cli.options import exits_cleanly
from xlcsr.cli.remind import remind_command
from xlcsr.domain.records import CsrRecord
from xlcsr.domain.settings import DEFAULT_SETTINGS, Department, Person, Settings
from xlcsr.files.settings_writer import write_settings_sheet
from xlcsr.mail.rendering import Renderer
from xlcsr.mail.sent_log import SentLog, store_in
from xlcsr.mail.transport import SmtpConfig
from xlcsr.rules.signoff import fingerprint

REAL_SETTINGS = real(DEFAULT_SETTINGS)
TODAY = date(2026, 11, 25)  # a Wednesday; no holidays in November
CST = timezone(timedelta(hours=8))
SENDER = "顾客特殊要求 <csr@example.com>"


def clock() -> datetime:
    return datetime(2026, 11, 25, 2, 0, tzinfo=CST)


@pytest.fixture(autouse=True)
def no_smtp_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOST", "PORT", "USER", "PASSWORD", "FROM", "STARTTLS", "SSL"):
        monkeypatch.delenv(f"XLCSR_SMTP_{name}", raising=False)


# --- a real SMTP server -------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def plain(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


@dataclass
class Inbox:
    """An aiosmtpd handler keeping what it receives; addresses in `refuse` get 550 at RCPT."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> Received:
        found = [r for r in self.received if address in r.message["To"]]
        assert len(found) == 1, [r.message["To"] for r in self.received]
        return found[0]


@dataclass
class Server:
    inbox: Inbox
    port: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(inbox: Inbox, **smtp_parameters: object) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **smtp_parameters)
    controller.start()
    return controller


@pytest.fixture
def server() -> Iterator[Server]:
    inbox = Inbox()
    controller = start(inbox)
    yield Server(inbox, controller.port)
    controller.stop()


def robot_only(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"robot", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def auth_server() -> Iterator[Server]:
    inbox = Inbox()
    controller = start(inbox, authenticator=robot_only, auth_required=True, auth_require_tls=False)
    yield Server(inbox, controller.port)
    controller.stop()


# --- registers and configs --------------------------------------------------------------------------


def register_a(folder: Path) -> Path:
    """张伟: one case overdue past escalation, one due soon; 李强: one overdue (no escalation), one not due."""
    return with_settings(write_register(folder / "清单A.xlsx", [
        row(案件号="CSR-2026-0001", 负责人="张伟", 截止日期=date(2026, 11, 10), 要求描述="PPAP 第3级提交，含全尺寸报告"),
        row(案件号="CSR-2026-0002", 负责人="张伟", 截止日期=date(2026, 11, 26), 客户名称="比亚迪"),
        row(案件号="CSR-2026-0003", 负责人="李强", 截止日期=date(2026, 11, 23), 客户名称="长城汽车"),
        row(案件号="CSR-2026-0004", 负责人="李强", 截止日期=date(2026, 12, 31)),
        row(案件号="CSR-2026-0005", 负责人="王芳", 截止日期=date(2026, 11, 10), 处理状态="已完成",
            完成日期=date(2026, 11, 9)),
        row(案件号="CSR-2026-0006", 负责人="王芳", 客户名称=""),  # invalid: skipped, as everywhere
    ]), REAL_SETTINGS)


def register_b(folder: Path) -> Path:
    """张伟 again (merged into the same digest), a case number that also exists in register A."""
    return with_settings(write_register(folder / "清单B.xlsx", [
        row(案件号="CSR-2026-0001", 负责人="张伟", 截止日期=date(2026, 11, 24), 客户名称="上汽大众"),
    ]), REAL_SETTINGS)


def smtp_config(folder: Path, port: int, **smtp: object) -> Config:
    password = smtp.pop("password", None)
    settings = SmtpConfig(host="127.0.0.1", port=port, from_addr=SENDER, password=password, **smtp)
    return Config.defaults(folder).model_copy(update={"smtp": settings})


def remind(books: list[Path], config: Config, *, today: date = TODAY, dry_run: bool = False):
    return send_reminders(books, today=today, config=config, clock=clock, dry_run=dry_run)


def sent_log(config: Config) -> list[tuple[str, ...]]:
    """The record beside the registers, which these tests put in the config's folder."""
    with SentLog(store_in(config.config_dir), readonly=True) as log:
        return log.entries()


def with_settings(book: Path, settings: Settings) -> Path:
    """Replace the register's 设置 sheet."""
    wb = openpyxl.load_workbook(book)
    del wb["设置"]
    write_settings_sheet(wb.create_sheet("设置"), settings)
    wb.save(book)
    return book


# --- routing, pure ----------------------------------------------------------------------------------


def record(case_no: str, **fields: object) -> CsrRecord:
    base = {"row": 4, "case_no": case_no, "customer": "吉利汽车", "requirement": "PPAP", "received": date(2026, 11, 2),
            "due": date(2026, 11, 20), "departments": ("技术部",), "owner": "李强", "status": "处理中"}
    return CsrRecord(**{**base, **fields})


PURE = REAL_SETTINGS.model_copy(update={"holidays": (), "workdays": ()})


def test_one_digest_per_person_over_all_registers() -> None:
    plan = build_digests([RegisterCases("A", PURE, [record("1"), record("2", due=date(2026, 11, 26))]),
                          RegisterCases("B", PURE, [record("1", row=9)])], TODAY)
    [digest] = plan.digests
    assert (digest.recipient.name, digest.recipient.email) == ("李强", LI)
    assert [c.identity for c in digest.overdue] == ["A#1", "B#1"]
    assert [c.identity for c in digest.due_soon] == ["A#2"]
    assert digest.registers == ("A", "B") and plan.problems == ()


def test_a_case_without_owner_goes_to_the_head_of_each_department() -> None:
    plan = build_digests([RegisterCases("A", PURE, [record("1", owner="", departments=("技术部", "品质部"))])], TODAY)
    assert [(d.recipient.name, d.recipient.email) for d in plan.digests] == [("张伟", ZHANG), ("李强", LI)]


def test_a_head_without_e_mail_falls_back_to_the_department_e_mail() -> None:
    settings = PURE.model_copy(update={
        "departments": (Department(name="技术部", head="孙工", email=f"tech@{REAL_DOMAIN}"),),
        "people": (Person(name="孙工", department="技术部"),)})
    plan = build_digests([RegisterCases("A", settings, [record("1", owner="")])], TODAY)
    assert [(d.recipient.name, d.recipient.email) for d in plan.digests] == [("孙工", f"tech@{REAL_DOMAIN}")]


def test_each_manager_gets_one_summary_of_the_escalated_cases_and_never_his_own() -> None:
    settings = PURE.model_copy(update={"departments": (
        Department(name="技术部", head="李强", manager_email=f"boss@{REAL_DOMAIN}"),
        Department(name="品质部", head="张伟", manager_email=f"BOSS@{REAL_DOMAIN}"),
        Department(name="总经理", head="周建国", manager_email=ZHOU))})
    records = [record("1", due=date(2026, 11, 10), departments=("技术部", "品质部")),  # 11 working days late
               record("2", due=date(2026, 11, 17)),  # 6 > 5: escalated too
               record("3", due=date(2026, 11, 18), owner="周建国", departments=("总经理",))]  # 5: not escalated
    plan = build_digests([RegisterCases("A", settings, records)], TODAY)
    li = next(d for d in plan.digests if d.recipient.name == "李强")
    assert [c.case_no for c in li.escalated] == ["1", "2"] and li.escalations == ()
    [boss] = [d for d in plan.digests if d.recipient.email.lower() == f"boss@{REAL_DOMAIN}"]
    assert boss.recipient.name == "技术部、品质部经理"  # one address for two departments: one summary
    assert [(c.case_no, c.owner, c.overdue_days) for c in boss.escalations] == [("1", "李强", 11), ("2", "李强", 6)]
    assert (boss.overdue, boss.due_soon) == ((), ())
    zhou = next(d for d in plan.digests if d.recipient.name == "周建国")
    assert zhou.escalated == () and zhou.escalations == ()
    own = build_digests([RegisterCases("A", settings, [record("4", due=date(2026, 11, 2), owner="周建国",
                                                              departments=("总经理",))])], TODAY)
    [mine] = own.digests  # the manager's own case: in his list, not once more as an escalation
    assert (mine.recipient.name, len(mine.overdue), mine.escalations) == ("周建国", 1, ())


def test_people_departments_and_managers_without_e_mail_are_problems() -> None:
    settings = PURE.model_copy(update={
        "people": (*PURE.people, Person(name="孙工", department="技术部")),
        "departments": (Department(name="技术部", head="李强", email="", manager_email=""),
                        Department(name="采购部", head="", email=""))})
    records = [record("1", owner="孙工"), record("2", owner="", departments=("采购部",)),
               record("3", owner="", departments=()), record("4", due=date(2026, 11, 2))]
    plan = build_digests([RegisterCases("A", settings, records)], TODAY)
    assert [(p.code, p.name, p.cases) for p in plan.problems] == [
        (ProblemCode.MISSING_EMAIL, "孙工", ("1",)), (ProblemCode.MISSING_EMAIL, "采购部负责人", ("2",)),
        (ProblemCode.NO_RECIPIENT, "", ("3",)), (ProblemCode.MISSING_EMAIL, "技术部经理", ("4",))]
    assert "孙工 没有邮箱地址" in plan.problems[0].text()
    assert [d.recipient.name for d in plan.digests] == ["李强"]  # 4 still goes to its owner


def test_closed_and_not_yet_due_cases_are_not_reminded() -> None:
    records = [record("1", status="已完成", closed=date(2026, 11, 19)), record("2", status="已取消"),
               record("3", due=date(2026, 12, 31))]
    assert build_digests([RegisterCases("A", PURE, records)], TODAY).digests == ()


class WaitingOnQuality:
    """A ReviewState as the sign-off issue will provide one."""

    def unsigned(self, case_no: str) -> tuple[str, ...]:
        return ("品质部",) if case_no == "1" else ()


def test_sign_offs_waiting_on_a_department_light_up_once_review_data_exists() -> None:
    records = [record("1", due=date(2026, 12, 31)), record("2", due=date(2026, 12, 31))]
    assert build_digests([RegisterCases("A", PURE, records)], TODAY).digests == ()
    plan = build_digests([RegisterCases("A", PURE, records)], TODAY, review=WaitingOnQuality())
    [digest] = plan.digests
    assert digest.recipient.name == "张伟" and [(c.case_no, c.waiting_on) for c in digest.waiting] == [
        ("1", ("品质部",))]
    per_register = build_digests([RegisterCases("A", PURE, records, review=WaitingOnQuality())], TODAY)
    assert per_register.digests == plan.digests


def test_a_case_turned_down_in_review_is_listed_in_its_owners_digest() -> None:
    from xlcsr.domain.signoff import Entry, Kind
    from xlcsr.rules.signoff import Ledger

    case = record("1", status="评审中", due=date(2026, 12, 31), departments=("技术部", "品质部"))
    no = Entry("1", 1, fingerprint(case, "技术部", PURE), "技术部", Kind.REVIEW, "不能满足", "公差无法保证", "王工",
               date(2026, 11, 20), "x.xlsx", datetime(2026, 11, 20, 9, 0))
    ledger = Ledger([no], [case], PURE)
    [digest] = [d for d in build_digests([RegisterCases("A", PURE, [case], review=ledger)], TODAY).digests
                if d.recipient.name == "李强"]
    assert [(c.case_no, c.rejection) for c in digest.rejected] == [("1", "技术部不能满足（公差无法保证）")]
    subject, text, html = astuple(Renderer().render(digest))
    assert "1 项评审未通过" in subject and "评审未通过：技术部不能满足（公差无法保证）" in text
    assert "技术部不能满足（公差无法保证）" in html


def test_the_digest_key_is_stable_and_changes_with_the_cases_and_the_day() -> None:
    def key(records: list[CsrRecord], today: date = TODAY) -> str:
        return build_digests([RegisterCases("A", PURE, records)], today).digests[0].key

    one, two = record("1"), record("2", due=date(2026, 11, 19))
    assert key([one, two]) == key([two, one])
    assert key([one]) != key([one, two])
    assert key([one]) != key([one], TODAY + timedelta(days=1))


# --- through a real SMTP server ---------------------------------------------------------------------


def test_digests_reach_the_right_people_with_the_right_cases(tmp_path: Path, server: Server) -> None:
    config = smtp_config(tmp_path, server.port)
    result = remind([register_a(tmp_path), register_b(tmp_path)], config)

    assert (result.sent, result.failed, result.ok) == (3, 0, True)
    assert result.skipped_rows == {tmp_path / "清单A.xlsx": 1}
    assert sorted(r.message["To"].addresses[0].addr_spec for r in server.inbox.received) == [LI, ZHANG, ZHOU]

    zhang = server.inbox.to(ZHANG)
    assert zhang.message["Subject"] == "【顾客特殊要求】张伟：2 项逾期，1 项即将到期"
    assert zhang.message["To"].addresses[0].display_name == "张伟"
    assert zhang.message["From"].addresses[0].addr_spec == "csr@example.com"
    assert zhang.message["Cc"] is None and zhang.rcpt_tos == [ZHANG]  # no copies: the manager gets a summary
    assert zhang.message["Date"].datetime == clock()
    assert zhang.message.get_content_type() == "multipart/alternative"
    text = zhang.plain
    assert text.startswith("张伟，您好：") and "截至 2026-11-25" in text
    assert text.index("CSR-2026-0001") < text.index("逾期 11 个工作日") < text.index("清单A.xlsx")
    assert "上汽大众" in text and "逾期 1 个工作日" in text and "清单B.xlsx" in text
    assert "比亚迪" in text and "CSR-2026-0002" in text
    assert "1 项逾期已超过 5 个工作日，已报告部门经理" in text and ZHOU not in text
    assert "CSR-2026-0003" not in text and "CSR-2026-0005" not in text
    assert "剩余 1 个工作日" in text  # CSR-2026-0002, due 11-26: the days left, not an empty column
    assert f"文件夹 {tmp_path}｜{(tmp_path / '清单A.xlsx').as_uri()}" in text
    html = zhang.html
    assert 'class="nowrap" style="white-space:nowrap">CSR-2026-0001</b>' in html
    assert f'<a href="{(tmp_path / "清单B.xlsx").as_uri()}">' in html and "PPAP 第3级提交，含全尺寸报告" in html

    zhou = server.inbox.to(ZHOU)
    assert zhou.message["Subject"] == "【顾客特殊要求】周建国：1 项本部门案件已升级"
    assert "本部门逾期超过 5 个工作日的案件】1 项" in zhou.plain
    assert "CSR-2026-0001｜截止 2026-11-10｜逾期 11 个工作日" in zhou.plain and "负责人 张伟" in zhou.plain
    assert "CSR-2026-0002" not in zhou.plain and "上汽大众" not in zhou.plain

    li = server.inbox.to(LI)
    assert li.message["Subject"] == "【顾客特殊要求】李强：1 项逾期"
    assert li.message["Cc"] is None and li.rcpt_tos == [LI]
    assert "长城汽车" in li.plain and "CSR-2026-0004" not in li.plain and "升级提醒" not in li.plain
    assert all(r.message["To"].addresses[0].addr_spec != WANG for r in server.inbox.received)  # 王芳: done / invalid

    raw_subject = zhang.message.as_string().split("Subject: ", 1)[1].split("\n", 1)[0]
    assert raw_subject.startswith("=?utf-8?")  # encoded on the wire, decoded above


def test_no_duplicate_on_a_second_run_the_same_day_and_a_new_one_the_next_day(tmp_path: Path, server: Server) -> None:
    config = smtp_config(tmp_path, server.port)
    books = [register_a(tmp_path)]
    assert remind(books, config).sent == 3
    again = remind(books, config)
    assert (again.sent, again.skipped_already_sent, again.ok) == (0, 3, True)
    assert len(server.inbox.received) == 3
    tomorrow = remind(books, config, today=TODAY + timedelta(days=1))
    assert tomorrow.sent == 3 and len(server.inbox.received) == 6
    assert [e[0] for e in sent_log(config)] == ["2026-11-25"] * 3 + ["2026-11-26"] * 3


def test_a_refused_recipient_is_reported_the_others_delivered_and_it_is_retried(tmp_path: Path,
                                                                                server: Server) -> None:
    config = smtp_config(tmp_path, server.port)
    books = [register_a(tmp_path)]
    server.inbox.refuse = {LI}
    result = remind(books, config)
    failed = [d for d in result.deliveries if d.outcome is Outcome.FAILED]
    assert (result.sent, result.failed, result.ok) == (2, 1, False)
    assert failed[0].digest.recipient.email == LI and "550" in failed[0].reason and LI in failed[0].reason
    assert sorted(r.rcpt_tos for r in server.inbox.received) == [[ZHANG], [ZHOU]]
    assert sorted(e[2] for e in sent_log(config)) == [ZHANG, ZHOU]
    assert any(LI in line for line in result.failure_messages())

    server.inbox.refuse = set()
    retry = remind(books, config)
    assert (retry.sent, retry.skipped_already_sent, retry.ok) == (1, 2, True)
    assert server.inbox.received[-1].rcpt_tos == [LI]
    assert sorted(e[2] for e in sent_log(config)) == [LI, ZHANG, ZHOU]


def test_a_refused_manager_summary_fails_alone(tmp_path: Path, server: Server) -> None:
    config = smtp_config(tmp_path, server.port)
    server.inbox.refuse = {ZHOU}
    result = remind([register_a(tmp_path)], config)
    zhou = next(d for d in result.deliveries if d.digest.recipient.email == ZHOU)
    assert zhou.outcome is Outcome.FAILED and [c.case_no for c in zhou.digest.escalations] == ["CSR-2026-0001"]
    assert (result.sent, result.failed, result.ok) == (2, 1, False)
    assert sorted(e[2] for e in sent_log(config)) == [LI, ZHANG]


def test_the_server_down_fails_every_message_and_records_nothing(tmp_path: Path) -> None:
    config = smtp_config(tmp_path, free_port())  # nothing listens there
    result = remind([register_a(tmp_path)], config)
    assert (result.sent, result.failed, result.ok) == (0, 3, False)
    assert all("无法连接邮件服务器 127.0.0.1" in d.reason for d in result.deliveries)
    assert sent_log(config) == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # plain AUTH is fine on 127.0.0.1
def test_login_failure_is_reported_and_nothing_recorded(tmp_path: Path, auth_server: Server) -> None:
    books = [register_a(tmp_path)]
    config = smtp_config(tmp_path, auth_server.port, user="robot", password="wrong")
    result = remind(books, config)
    assert (result.sent, result.failed, result.ok) == (0, 3, False)
    assert all("登录失败" in d.reason and "535" in d.reason for d in result.deliveries)
    assert auth_server.inbox.received == [] and sent_log(config) == []

    no_password = remind(books, smtp_config(tmp_path, auth_server.port, user="robot"))
    assert no_password.failed == 3 and "未提供 SMTP 密码" in no_password.deliveries[0].reason

    good = remind(books, smtp_config(tmp_path, auth_server.port, user="robot", password="s3cret"))
    assert (good.sent, good.ok) == (3, True) and len(auth_server.inbox.received) == 3


def test_without_smtp_the_digests_go_to_the_outbox_as_eml_files(tmp_path: Path) -> None:
    config = Config.defaults(tmp_path)
    books = [register_a(tmp_path)]
    result = remind(books, config)
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert (result.written, result.sent) == (3, 0) and result.ok and result.transport.startswith("发件箱")
    assert [f.name.split("-")[:2] for f in files] == [["20261125", LI], ["20261125", ZHANG], ["20261125", ZHOU]]
    messages = [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert [m["Subject"] for m in messages] == ["【顾客特殊要求】李强：1 项逾期", "【顾客特殊要求】张伟：1 项逾期，1 项即将到期",
                                                "【顾客特殊要求】周建国：1 项本部门案件已升级"]
    assert messages[1]["Cc"] is None and "CSR-2026-0001" in messages[1].get_body(("plain",)).get_content()
    assert remind(books, config).skipped_already_written == 3 and len(list((tmp_path / "outbox").iterdir())) == 3


def test_dry_run_sends_nothing_and_records_nothing(tmp_path: Path, server: Server) -> None:
    config = smtp_config(tmp_path, server.port)
    result = remind([register_a(tmp_path)], config, dry_run=True)
    assert [(d.digest.recipient.name, d.outcome, d.subject) for d in result.deliveries] == [
        ("周建国", Outcome.WOULD_SEND, "【顾客特殊要求】周建国：1 项本部门案件已升级"),
        ("张伟", Outcome.WOULD_SEND, "【顾客特殊要求】张伟：1 项逾期，1 项即将到期"),
        ("李强", Outcome.WOULD_SEND, "【顾客特殊要求】李强：1 项逾期")]
    assert result.ok and result.sent == 0 and server.inbox.received == []
    assert not config.state_dir.exists()
    assert remind([register_a(tmp_path)], config).sent == 3  # the real run afterwards still sends


def test_people_without_e_mail_are_reported_and_the_others_still_get_theirs(tmp_path: Path, server: Server) -> None:
    people = tuple(p.model_copy(update={"email": ""}) if p.name == "李强" else p for p in REAL_SETTINGS.people)
    book = with_settings(register_a(tmp_path), REAL_SETTINGS.model_copy(update={"people": people}))
    result = remind([book], smtp_config(tmp_path, server.port))
    assert (result.sent, result.missing_email, result.ok) == (2, 1, False)
    assert [(p.code, p.name, p.cases) for p in result.problems] == [
        (ProblemCode.MISSING_EMAIL, "李强", ("CSR-2026-0003",))]
    assert sorted(r.rcpt_tos for r in server.inbox.received) == [[ZHANG], [ZHOU]]


def test_an_unreadable_register_is_reported_and_the_others_go_on(tmp_path: Path, server: Server) -> None:
    broken = tmp_path / "坏的.xlsx"
    broken.write_bytes(b"not a workbook")
    good = register_a(tmp_path)
    (tmp_path / "~$清单A.xlsx").write_bytes(b"lock")  # open in Excel: reading it is fine
    result = remind([broken, good, tmp_path / "missing.xlsx"], smtp_config(tmp_path, server.port))
    assert [u.path for u in result.unreadable] == [broken, tmp_path / "missing.xlsx"]
    assert result.sent == 3 and not result.ok
    assert result.sent_by_register() == {str(good): 3}


def test_today_makes_every_date_rule_deterministic(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    books = [register_a(tmp_path)]
    first = Config.defaults(tmp_path / "one")
    second = Config.defaults(tmp_path / "two")
    remind([register_a(tmp_path / "one")], first)  # two copies: the record beside each is its own
    remind([register_a(tmp_path / "two")], second)
    a, b = (sorted(c.outbox.glob("*.eml")) for c in (first, second))

    def body(eml: Path, folder: Path) -> str:  # the same but for the register's folder, which each names
        message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        text = message["Subject"] + message.get_body(("plain",)).get_content() + message.get_body(("html",)).get_content()
        return text.replace(folder.as_uri(), "URI").replace(str(folder), "FOLDER")

    assert [f.name for f in a] == [f.name for f in b]
    assert [body(f, tmp_path / "one") for f in a] == [body(f, tmp_path / "two") for f in b]
    assert "FOLDER" in body(a[0], tmp_path / "one")
    later = remind(books, Config.defaults(tmp_path / "three"), today=date(2026, 12, 1))
    zhang = next(d.digest for d in later.deliveries if d.digest.recipient.name == "张伟")
    assert [(c.case_no, c.overdue_days) for c in zhang.overdue] == [("CSR-2026-0001", 15), ("CSR-2026-0002", 3)]


def test_templates_can_be_overridden_from_a_folder_and_html_is_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "subject.txt.j2").write_text("CSR 提醒 {{ recipient.name }} {{ digest.overdue|length }}",
                                           encoding="utf-8")
    book = with_settings(write_register(tmp_path / "r.xlsx", [
        row(案件号="CSR-2026-0001", 负责人="张伟", 截止日期=date(2026, 11, 10), 要求描述="<script>alert(1)</script>")]),
        REAL_SETTINGS)
    config = Config.defaults(tmp_path).model_copy(update={"templates": folder})
    result = remind([book], config)
    [eml] = (tmp_path / "outbox").glob(f"*{ZHANG}*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    zhang = next(d for d in result.deliveries if d.digest.recipient.email == ZHANG)
    assert zhang.subject == message["Subject"] == "CSR 提醒 张伟 1"
    html = message.get_body(("html",)).get_content()
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "<script>alert(1)</script>" in message.get_body(("plain",)).get_content()


def test_a_broken_template_cannot_run(tmp_path: Path) -> None:
    from xlcsr.domain.errors import BadConfig

    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "digest.txt.j2").write_text("{{ recipient.nmae }}", encoding="utf-8")
    config = Config.defaults(tmp_path).model_copy(update={"templates": folder})
    with pytest.raises(BadConfig, match="digest.txt.j2"):
        remind([register_a(tmp_path)], config)


# --- the command ------------------------------------------------------------------------------------

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command("remind")(exits_cleanly(remind_command))
app.command("noop", hidden=True)(lambda: None)  # keeps `remind` a subcommand
runner = CliRunner()


def cli(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, ["remind", *map(str, args)])
    return result.exit_code, result.output


def toml(folder: Path, port: int) -> Path:
    path = folder / "xlcsr.toml"
    path.write_text(f'registers = ["清单A.xlsx"]\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nfrom = "csr@example.com"\n',
                    encoding="utf-8")
    return path


def test_cli_dry_run_lists_who_would_get_what(tmp_path: Path, server: Server) -> None:
    book = register_a(tmp_path)
    code, out = cli(book, "--dry-run", "--today", "2026-11-25", "--config", toml(tmp_path, server.port))
    assert code == 1, out  # register A has an invalid row, left out: done, with problems (issue 10)
    assert "张伟" in out and "李强" in out and "将发送" in out and "【顾客特殊要" in out
    assert server.inbox.received == []


def test_cli_sends_with_the_registers_of_the_config_and_exits_one_on_failure(
        tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    register_a(tmp_path)
    monkeypatch.chdir(tmp_path)
    toml(tmp_path, server.port)
    code, out = cli("--today", "2026-11-25")
    assert code == 1 and "1 行有错误，未纳入提醒" in out, out  # the invalid row of register A
    assert len(server.inbox.received) == 3 and "已发送 3 封" in out
    monkeypatch.setenv("XLCSR_SMTP_PORT", str(free_port()))  # the environment wins: a closed port
    code, out = cli("--today", "2026-11-26", "--lang", "en")
    assert code == 1 and "failed" in out and "3 failed" in out


def test_cli_outbox_forces_eml_files_even_with_smtp_configured(tmp_path: Path, server: Server) -> None:
    book = register_a(tmp_path)
    code, out = cli(book, "--outbox", tmp_path / "out", "--config", toml(tmp_path, server.port), "--today", "2026-11-25")
    assert code == 1, out  # register A's invalid row
    assert len(list((tmp_path / "out").glob("*.eml"))) == 3 and server.inbox.received == []


def test_cli_bad_config_cannot_run(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('[smtp]\nport = "x"\n', encoding="utf-8")
    code, out = cli(register_a(tmp_path), "--config", tmp_path / "bad.toml")
    assert code == 2


def test_cli_help_ends_with_an_example() -> None:
    result = runner.invoke(app, ["remind", "--help"])
    assert result.exit_code == 0 and "Example: xlcsr remind" in result.output and "--dry-run" in result.output


def test_cli_without_registers_cannot_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = cli("--dry-run")
    assert code == 2 and "registers" in out


def test_a_problem_names_ten_cases_and_counts_the_rest_quickly() -> None:
    records = [record(f"CSR-2026-{n:05d}", owner="孙工") for n in range(1, 30_001)]  # nobody with that name
    [problem] = build_digests([RegisterCases("A", PURE, records)], TODAY).problems
    assert len(problem.cases) == 30_000
    assert problem.text().endswith("CSR-2026-00010 等 30000 项（A）")
    assert problem.text("en").endswith("CSR-2026-00010 and 29990 more (A)")
