"""No invented recipients: the example people of the template and the defaults (example.com and the
other reserved domains) get no mail — neither To nor the escalation copy — and are listed as not
configured; validate warns `placeholder_email` once per address; owners are checked without 设置 too.
Real registers, a real SMTP server (aiosmtpd) on 127.0.0.1, the real command line."""

from __future__ import annotations

import email
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email import policy
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from books import row, write_register
from typer.testing import CliRunner

from xlcsr.app.commands import init_workbooks
from xlcsr.cli import remind as remind_cli
from xlcsr.cli.app import app
from xlcsr.domain.fields import FIELDS
from xlcsr.domain.records import CsrRecord
from xlcsr.domain.settings import DEFAULT_SETTINGS, Department, Person, email_addresses, is_placeholder_email
from xlcsr.domain.vocab import REGISTER_FILE
from xlcsr.files.settings_writer import write_settings_sheet
from xlcsr.mail.sent_log import SentLog, store_path
from xlcsr.rules.reminders import ProblemCode, RegisterCases, build_digests

TODAY = date(2026, 11, 25)  # a Wednesday
PURE = DEFAULT_SETTINGS.model_copy(update={"holidays": (), "workdays": ()})
EXAMPLE_PEOPLE = {p.name: p.email for p in DEFAULT_SETTINGS.people}  # 张伟 → zhang.wei@example.com …
runner = CliRunner()


@pytest.fixture(autouse=True)
def no_smtp_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOST", "PORT", "USER", "PASSWORD", "FROM", "STARTTLS", "SSL"):
        monkeypatch.delenv(f"XLCSR_SMTP_{name}", raising=False)
    monkeypatch.setattr(remind_cli.console, "_width", 400)  # whole addresses on one line, not folded at 80


# --- a real SMTP server, as in test_reminders ----------------------------------------------------------


@dataclass
class Inbox:
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    @property
    def envelopes(self) -> list[str]:
        return [address for rcpt_tos, _ in self.received for address in rcpt_tos]


@dataclass
class Server:
    inbox: Inbox
    port: int


@pytest.fixture
def server() -> Iterator[Server]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield Server(inbox, controller.port)
    controller.stop()


def toml(folder: Path, port: int) -> Path:
    path = folder / "xlcsr.toml"
    path.write_text(f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nfrom = "csr-robot@csrplant.cn"\n', encoding="utf-8")
    return path


def cli(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


# --- registers ------------------------------------------------------------------------------------------

OVERDUE_CASES = [  # every one overdue on TODAY, owned by the default people; the first two escalated
    dict(案件号="CSR-2026-0001", 负责人="张伟", 截止日期=date(2026, 11, 10)),
    dict(案件号="CSR-2026-0002", 负责人="李强", 截止日期=date(2026, 11, 10), 客户名称="比亚迪"),
    dict(案件号="CSR-2026-0003", 负责人="王芳", 截止日期=date(2026, 11, 23), 客户名称="长城汽车"),
]


def without_settings(folder: Path) -> Path:
    """An old list: no 设置 sheet, so the default settings (and their example people) apply."""
    return write_register(folder / "旧清单.xlsx", [row(**case) for case in OVERDUE_CASES], settings=False)


def fresh_template(folder: Path) -> Path:
    """`xlcsr init`, then the cases typed into 清单 under the template's header; 设置 left as it came."""
    [register, _], _ = init_workbooks(folder)
    assert register.name == REGISTER_FILE
    wb = openpyxl.load_workbook(register)
    ws = wb["清单"]
    by_header = {f.header: i for i, f in enumerate(FIELDS, start=1)}
    headers = ["客户名称", "要求描述", "类别", "接收日期", "优先级", "责任部门", "处理状态"]
    for r, case in enumerate(OVERDUE_CASES, start=4):
        base = dict(zip(headers, ["吉利汽车", "PPAP 第3级提交", "产品", date(2026, 11, 3), "高", "技术部、品质部",
                                  "处理中"]))
        for header, value in {**base, **case}.items():
            ws.cell(r, by_header[header], value)
    wb.save(register)
    return register


def with_people(book: Path, people: dict[str, str]) -> Path:
    """The register's 设置 with some default people given real-looking addresses."""
    settings = DEFAULT_SETTINGS.model_copy(update={"people": tuple(
        p.model_copy(update={"email": people.get(p.name, p.email)}) for p in DEFAULT_SETTINGS.people)})
    wb = openpyxl.load_workbook(book)
    del wb["设置"]
    write_settings_sheet(wb.create_sheet("设置"), settings)
    wb.save(book)
    return book


# --- the reserved-domain test, once in the domain ------------------------------------------------------


@pytest.mark.parametrize("address", [
    "zhang.wei@example.com", "LI@EXAMPLE.ORG", "a@example.net", "a@mail.example.com", "a@b.invalid", "a@host.test",
    "a@demo.example", "root@localhost", "a@x.localhost", "张伟 <zhang.wei@example.com>", " a@example.com. ",
    "boss@csrplant.cn; vice@example.com",
])
def test_addresses_under_reserved_domains_are_placeholders(address: str) -> None:
    assert is_placeholder_email(address)


@pytest.mark.parametrize("address", [
    "", "li.qiang@csrplant.cn", "a@example.com.cn", "a@myexample.com", "a@testing.cn", "a@invalid.cn",
    "a@localhost.cn", "example.com", "a@notexample.org",
])
def test_real_looking_addresses_are_not(address: str) -> None:
    assert not is_placeholder_email(address)


def test_every_address_of_the_defaults_is_an_example() -> None:
    addresses = [p.email for p in DEFAULT_SETTINGS.people]
    addresses += [a for d in DEFAULT_SETTINGS.departments for a in (d.email, d.manager_email)]
    assert addresses and all(is_placeholder_email(a) for a in addresses)
    assert email_addresses("a@x.cn；b@y.cn, c@z.cn\nd@w.cn") == ("a@x.cn", "b@y.cn", "c@z.cn", "d@w.cn")


# --- routing, pure --------------------------------------------------------------------------------------


def record(case_no: str, **fields: object) -> CsrRecord:
    base = {"row": 4, "case_no": case_no, "customer": "吉利汽车", "requirement": "PPAP", "received": date(2026, 11, 2),
            "due": date(2026, 11, 10), "departments": ("技术部",), "owner": "李强", "status": "处理中"}
    return CsrRecord(**{**base, **fields})


def test_example_people_get_no_digest_and_are_not_configured() -> None:
    records = [record("1"), record("2", owner="张伟"), record("3", owner="", departments=("采购部",))]
    plan = build_digests([RegisterCases("A", PURE, records)], TODAY)
    assert plan.digests == ()
    assert [(p.code, p.name, p.address, p.cases) for p in plan.problems] == [
        (ProblemCode.PLACEHOLDER_EMAIL, "李强", "li.qiang@example.com", ("1",)),
        (ProblemCode.PLACEHOLDER_EMAIL, "张伟", "zhang.wei@example.com", ("2",)),
        (ProblemCode.PLACEHOLDER_EMAIL, "陈静", "chen.jing@example.com", ("3",)),
        (ProblemCode.PLACEHOLDER_EMAIL, "技术部经理", "zhou.jianguo@example.com", ("1", "2")),  # 11 days late
        (ProblemCode.PLACEHOLDER_EMAIL, "采购部经理", "zhou.jianguo@example.com", ("3",))]
    assert all(p.not_configured and p.label() == "未配置邮箱" and p.label("en") == "not configured"
               for p in plan.problems)
    assert "是示例地址" in plan.problems[0].text() and "example address" in plan.problems[0].text("en")


def test_a_real_owner_is_reminded_and_the_example_manager_gets_no_summary() -> None:
    settings = PURE.model_copy(update={"people": (Person(name="李强", department="技术部", email="li@csrplant.cn"),)})
    plan = build_digests([RegisterCases("A", settings, [record("1", departments=("技术部", "品质部"))])], TODAY)
    [digest] = plan.digests
    assert digest.recipient.email == "li@csrplant.cn" and digest.escalated
    assert [(p.code, p.name, p.address) for p in plan.problems] == [
        (ProblemCode.PLACEHOLDER_EMAIL, "技术部经理", "zhou.jianguo@example.com"),
        (ProblemCode.PLACEHOLDER_EMAIL, "品质部经理", "zhou.jianguo@example.com")]


def test_an_example_head_falls_back_to_a_real_department_e_mail_and_example_managers_are_split_off() -> None:
    settings = PURE.model_copy(update={"departments": (
        Department(name="技术部", head="李强", email="tech@csrplant.cn",
                   manager_email="boss@csrplant.cn；vice@example.com"),)})
    plan = build_digests([RegisterCases("A", settings, [record("1", owner="")])], TODAY)
    boss, head = sorted(plan.digests, key=lambda d: d.recipient.email)
    assert (boss.recipient.name, boss.recipient.email, [c.case_no for c in boss.escalations]) == (
        "技术部经理", "boss@csrplant.cn", ["1"])
    assert (head.recipient.name, head.recipient.email, [c.case_no for c in head.overdue]) == (
        "李强", "tech@csrplant.cn", ["1"])
    assert [(p.name, p.address) for p in plan.problems] == [("技术部经理", "vice@example.com")]


# --- remind over real files, a real server, the real command ------------------------------------------


@pytest.mark.parametrize("make", [without_settings, fresh_template], ids=["no 设置", "xlcsr init"])
def test_remind_sends_nothing_to_the_example_people_and_says_so(tmp_path: Path, server: Server, make) -> None:
    book = make(tmp_path)
    config = toml(tmp_path, server.port)
    code, out = cli("remind", book, "--today", TODAY, "--config", config)
    assert code == 1, out  # done, but problems found: nobody could be reminded
    assert server.inbox.received == []
    assert "未配置邮箱" in out and "没有发出任何提醒" in out and "已发送 0 封" in out
    for name in ("张伟", "李强", "王芳"):
        assert name in out and EXAMPLE_PEOPLE[name] in out
    if store_path(book).exists():  # the record beside the register holds nothing sent
        with SentLog(store_path(book), readonly=True) as log:
            assert log.entries() == []

    code, out = cli("remind", book, "--today", TODAY, "--config", config, "--dry-run", "--lang", "en")
    assert code == 1 and server.inbox.received == []
    assert "not configured" in out and "0 would be sent" in out and "nothing could be sent" in out
    assert "张伟" in out and "would send" not in out.replace("0 would be sent", "")


def test_a_register_with_a_real_address_still_gets_its_digest_but_no_example_copy(tmp_path: Path,
                                                                                  server: Server) -> None:
    book = with_people(fresh_template(tmp_path), {"李强": "li.qiang@csrplant.cn"})
    code, out = cli("remind", book, "--today", TODAY, "--config", toml(tmp_path, server.port))
    assert code == 1, out  # 张伟, 王芳 and the managers' copies are not configured
    [(rcpt_tos, message)] = server.inbox.received
    assert rcpt_tos == ["li.qiang@csrplant.cn"] and message["Cc"] is None  # escalated, but the copy is an example
    assert "CSR-2026-0002" in message.get_body(("plain",)).get_content()
    assert not any(is_placeholder_email(address) for address in server.inbox.envelopes)
    assert "已发送 1 封" in out and "未配置邮箱" in out and "没有发出任何提醒" not in out
    assert "zhang.wei@example.com" in out and "zhou.jianguo@example.com" in out


def test_a_register_whose_settings_are_all_real_is_clean(tmp_path: Path, server: Server) -> None:
    book = write_register(tmp_path / "r.xlsx", [row(**OVERDUE_CASES[2])])  # 王芳, not escalated
    book = with_people(book, {"王芳": "wang.fang@csrplant.cn"})
    code, out = cli("remind", book, "--today", TODAY, "--config", toml(tmp_path, server.port))
    assert code == 0, out
    assert server.inbox.envelopes == ["wang.fang@csrplant.cn"] and "未配置邮箱（空白或示例地址）0 项" in out


# --- validate -------------------------------------------------------------------------------------------


def placeholder_warnings(book: Path, *args: str) -> tuple[int, dict]:
    code, out = cli("validate", book, "--json", "--today", TODAY, *args)
    return code, json.loads(out)


def test_validate_warns_once_per_example_address_and_names_the_defaults(tmp_path: Path) -> None:
    book = write_register(tmp_path / "旧清单.xlsx", [row(**case) for case in OVERDUE_CASES] + [row(负责人="孙悟空")],
                          settings=False)
    code, data = placeholder_warnings(book)
    assert code == 1  # 孙悟空 is none of the default people
    assert [(e["row"], e["field"], e["code"]) for e in data["errors"]] == [(7, "owner", "unknown_owner")]
    codes = [w["code"] for w in data["warnings"]]
    assert codes[0] == "default_settings" and "已使用默认设置" in data["warnings"][0]["message"]
    examples = [w for w in data["warnings"] if w["code"] == "placeholder_email"]
    assert sorted(w["value"] for w in examples) == sorted(EXAMPLE_PEOPLE.values())  # once each
    for name, address in EXAMPLE_PEOPLE.items():
        [warning] = [w for w in examples if f"人员「{name}」" in w["message"]]
        assert warning["value"] == address and warning["row"] is None and warning["column"] is None
        assert warning["message"].startswith("默认设置中") and "是示例地址" in warning["message"]
        assert warning["message_en"].endswith("enter a real address") and "in the default settings" in \
            warning["message_en"]
    zhou = next(w for w in examples if w["value"] == "zhou.jianguo@example.com")
    assert "部门「市场部、技术部、品质部、生产部、采购部、财务部、总经理」的经理邮箱" in zhou["message"]


def test_validate_names_the_settings_sheet_and_the_person(tmp_path: Path) -> None:
    book = with_people(fresh_template(tmp_path), {"李强": "li.qiang@csrplant.cn"})
    code, data = placeholder_warnings(book, "--lang", "en")
    assert code == 0 and data["errors"] == []
    examples = [w for w in data["warnings"] if w["code"] == "placeholder_email"]
    assert [w["code"] for w in data["warnings"]] == ["placeholder_email"] * len(examples)  # no default_settings
    assert "li.qiang@csrplant.cn" not in {w["value"] for w in examples}
    zhang = next(w for w in examples if w["value"] == "zhang.wei@example.com")
    assert zhang["message"] == ("the e-mail of 张伟, the department e-mail of 品质部 in 设置: "
                                "'zhang.wei@example.com' is an example address (a reserved domain); no reminder "
                                "is sent to it, enter a real address")
    assert zhang["message_en"] == zhang["message"]
    code, data = placeholder_warnings(book)
    zhang = next(w for w in data["warnings"] if w["value"] == "zhang.wei@example.com")
    assert zhang["message"] == ("「设置」中人员「张伟」的邮箱、部门「品质部」的部门邮箱：「zhang.wei@example.com」"
                                "是示例地址（保留域名），不会向它发送提醒，请改为真实邮箱")
    # 李强's own address is real; the 技术部 e-mail in 设置 still is an example
    li = next(w for w in data["warnings"] if w["value"] == "li.qiang@example.com")
    assert "人员「李强」" not in li["message"] and "部门「技术部」的部门邮箱" in li["message"]


def test_the_message_builder_refuses_an_example_address_whatever_built_the_digest() -> None:
    from datetime import datetime

    from xlcsr.mail.messages import build_message
    from xlcsr.mail.rendering import RenderedDigest
    from xlcsr.rules.reminders import Digest, Recipient

    rendered = RenderedDigest("s", "t", "<p>h</p>")
    now = datetime(2026, 11, 25, 2, 0).astimezone()
    real = Recipient("李强", "li.qiang@csrplant.cn")
    assert build_message(Digest(real, TODAY), rendered, sender="csr@csrplant.cn", now=now)["To"]
    with pytest.raises(ValueError, match="示例地址"):
        build_message(Digest(Recipient("张伟", "zhang.wei@example.com"), TODAY), rendered, sender="csr@csrplant.cn",
                      now=now)
