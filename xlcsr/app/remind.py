"""E-mailed reminders: one digest per person per day over all registers, sent once, retried when it failed.

    >>> config = load_config(Path("xlcsr.toml"))
    >>> result = send_reminders([Path("顾客特殊要求清单.xlsx")], today=date(2026, 11, 25), config=config,
    ...                         clock=lambda: datetime(2026, 11, 25, 2, 0).astimezone())
    >>> result.sent, result.failed, result.ok
    (4, 0, True)

Registers are only read (a register open in Excel is fine); invalid rows are skipped as everywhere.
With an SMTP host in the config the digests are sent through it, else written to the outbox folder
as `.eml` files. A digest already sent today (the sent log in `config.state_dir`) is skipped; a
failed one is not recorded, so the next run tries again. `dry_run` builds everything, sends and
records nothing.

Nobody is sent an example address (a reserved domain such as example.com: the invented people of the
template and of the default settings): such people, like those without an address, are listed as
"not configured" (未配置邮箱), counted in `not_configured` and make the run not `ok` (exit 1) — also
when nobody at all could be reminded, which the summary then says in so many words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

from xlcsr.app.commands import RegisterBook, as_book
from xlcsr.app.config import Config
from xlcsr.domain.errors import XlcsrError
from xlcsr.domain.vocab import SETTINGS_SHEET
from xlcsr.mail.messages import build_message
from xlcsr.mail.rendering import RenderedDigest, Renderer
from xlcsr.mail.sent_log import SENT_LOG_NAME, SentLog
from xlcsr.mail.transport import OutboxTransport, Outgoing, SendOutcome, SmtpTransport, Transport
from xlcsr.rules.deadlines import ReviewState
from xlcsr.rules.reminders import (
    CaseLine,
    Digest,
    DigestPlan,
    Problem,
    ProblemCode,
    Recipient,
    RegisterCases,
    build_digests,
)
from xlcsr.rules.validate import validate_register

__all__ = [
    "CaseLine", "Delivery", "Digest", "DigestPlan", "Outcome", "Problem", "ProblemCode", "Recipient",
    "RegisterCases", "RemindResult", "Renderer", "build_digests", "make_transport", "send_reminders",
]

Clock = Callable[[], datetime]


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    ALREADY_SENT = "already_sent"
    WOULD_SEND = "would_send"  # dry run


_OUTCOME_TEXT = {Outcome.SENT: ("已发送", "sent"), Outcome.FAILED: ("失败", "failed"),
                 Outcome.ALREADY_SENT: ("今日已发", "sent today"), Outcome.WOULD_SEND: ("将发送", "would send")}


@dataclass(frozen=True)
class Delivery:
    """What became of one digest."""

    digest: Digest
    subject: str
    outcome: Outcome
    reason: str = ""
    refused: tuple[str, ...] = ()
    where: str = ""

    def status(self, lang: str = "zh") -> str:
        zh, en = _OUTCOME_TEXT[self.outcome]
        return en if lang == "en" else zh


@dataclass(frozen=True)
class Unreadable:
    path: Path
    reason: str


@dataclass
class RemindResult:
    """One reminder run; `ok` and the counts are derived from the deliveries and problems."""

    today: date
    dry_run: bool
    transport: str
    deliveries: list[Delivery] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    skipped_rows: dict[Path, int] = field(default_factory=dict)  # invalid rows left out, per register
    registers: dict[str, Path] = field(default_factory=dict)  # label → path

    def _count(self, outcome: Outcome) -> int:
        return sum(1 for d in self.deliveries if d.outcome is outcome)

    @property
    def sent(self) -> int:
        return self._count(Outcome.SENT)

    @property
    def failed(self) -> int:
        return self._count(Outcome.FAILED)

    @property
    def skipped_already_sent(self) -> int:
        return self._count(Outcome.ALREADY_SENT)

    @property
    def would_send(self) -> int:
        return self._count(Outcome.WOULD_SEND)

    @property
    def refused(self) -> list[str]:
        """Addresses the server refused, including CCs of messages that otherwise went out."""
        return [address for d in self.deliveries for address in d.refused]

    @property
    def missing_email(self) -> int:
        return len(self.problems)

    @property
    def not_configured(self) -> int:
        """People, heads and managers to remind without a real address (none, or an example one)."""
        return sum(1 for p in self.problems if p.not_configured)

    @property
    def nobody_configured(self) -> bool:
        """Reminders were due but none could go out: every recipient lacks a real address."""
        return not self.deliveries and self.not_configured > 0

    @property
    def ok(self) -> bool:
        return not (self.failed or self.refused or self.problems or self.unreadable)

    def sent_by_register(self) -> dict[str, int]:
        """str(path) → digests sent that list a case of that register."""
        counts = {str(path): 0 for path in self.registers.values()}
        for delivery in self.deliveries:
            if delivery.outcome is Outcome.SENT:
                for label in delivery.digest.registers:
                    path = str(self.registers.get(label, label))
                    counts[path] = counts.get(path, 0) + 1
        return counts

    def failure_messages(self, lang: str = "zh") -> list[str]:
        """One line per failed message, refused address, person without e-mail and unreadable register."""
        lines = [f"{d.digest.recipient}: {d.reason}" for d in self.deliveries
                 if d.outcome is Outcome.FAILED or d.refused]
        lines += [p.text(lang) for p in self.problems]
        lines += [f"{u.path}: {u.reason}" for u in self.unreadable]
        return lines

    def summary(self, lang: str = "zh") -> str:
        nobody = len(self.problems) - self.not_configured  # cases with neither owner nor department
        if lang == "en":
            text = (f"{self.would_send} would be sent" if self.dry_run else f"{self.sent} sent, {self.failed} failed")
            line = (f"{text}, {self.skipped_already_sent} already sent today, {self.not_configured} not "
                    f"configured (no or example e-mail){f', {nobody} without recipient' if nobody else ''}, "
                    f"{len(self.unreadable)} unreadable registers ({self.transport})")
            if self.nobody_configured:
                line += (f"; nothing could be sent: nobody to remind has a real e-mail address, enter them in "
                         f"{SETTINGS_SHEET}")
            return line
        text = (f"将发送 {self.would_send} 封（预览，未发送）" if self.dry_run
                else f"已发送 {self.sent} 封，失败 {self.failed} 封")
        line = (f"{text}，今日已发送跳过 {self.skipped_already_sent} 封，未配置邮箱（空白或示例地址）"
                f"{self.not_configured} 项，{f'无人可收 {nobody} 项，' if nobody else ''}"
                f"无法读取的清单 {len(self.unreadable)} 个（{self.transport}）")
        if self.nobody_configured:
            line += f"；没有发出任何提醒：需提醒的人都未配置真实邮箱，请在「{SETTINGS_SHEET}」中填写"
        return line

    def to_rows(self, lang: str = "zh") -> list[list[object]]:
        """[recipient, cc, overdue, due soon, waiting, status, subject or reason] per digest and problem."""
        rows: list[list[object]] = []
        for d in self.deliveries:
            note = d.reason or d.subject
            recipient = f"{d.digest.recipient.name}\n{d.digest.recipient.email}"
            rows.append([recipient, "\n".join(d.digest.cc), len(d.digest.overdue),
                         len(d.digest.due_soon), len(d.digest.waiting), d.status(lang), note])
        for p in self.problems:
            who = f"{p.name or '—'}\n{p.address}" if p.address else p.name or "—"
            rows.append([who, "", "", "", "", p.label(lang), p.text(lang)])
        for u in self.unreadable:
            rows.append([str(u.path), "", "", "", "", "无法读取" if lang != "en" else "unreadable", u.reason])
        return rows


ROW_HEADERS = {"zh": ["收件人", "抄送", "逾期", "将到期", "待会签", "结果", "主题 / 说明"],
               "en": ["Recipient", "CC", "Overdue", "Due soon", "Sign-offs", "Result", "Subject / note"]}


def make_transport(config: Config) -> Transport:
    """SMTP when a host is configured, else the outbox folder."""
    if config.smtp is not None and config.smtp.configured:
        return SmtpTransport(config.smtp, config.smtp.secret())
    return OutboxTransport(config.outbox)


def send_reminders(books: Sequence[Path | RegisterBook], *, today: date, config: Config, clock: Clock,
                   dry_run: bool = False, review: ReviewState | None = None,
                   transport: Transport | None = None) -> RemindResult:
    """Read the registers, build today's digests, send those not sent yet, record what went out."""
    transport = transport or make_transport(config)
    result = RemindResult(today, dry_run, transport.description)
    cases = _read_registers(books, today, result)
    plan = build_digests(cases, today, review=review)
    result.problems.extend(plan.problems)
    renderer = Renderer(config.templates)
    rendered = [(digest, renderer.render(digest)) for digest in plan.digests]
    with SentLog(config.state_dir / SENT_LOG_NAME, readonly=dry_run) as log:
        pending: list[tuple[Digest, RenderedDigest]] = []
        for digest, mail in rendered:
            if log.already_sent(digest.key, today):
                result.deliveries.append(Delivery(digest, mail.subject, Outcome.ALREADY_SENT))
            elif dry_run:
                result.deliveries.append(Delivery(digest, mail.subject, Outcome.WOULD_SEND))
            else:
                pending.append((digest, mail))
        if pending:
            _send(pending, transport, log, result, today, config.sender, clock)
    order = {digest.key: i for i, (digest, _) in enumerate(rendered)}
    result.deliveries.sort(key=lambda d: order[d.digest.key])
    return result


def _read_registers(books: Sequence[Path | RegisterBook], today: date,
                    result: RemindResult) -> list[RegisterCases]:
    paths = [book if isinstance(book, Path) else Path(book.label) for book in books]
    names = [path.name for path in paths]
    cases = []
    for book, path in zip(books, paths):
        label = path.name if names.count(path.name) == 1 else str(path)
        try:
            register = as_book(book).read()
        except XlcsrError as exc:
            result.unreadable.append(Unreadable(path, str(exc)))
            continue
        report, records = validate_register(register, today=today)
        if report.bad_rows:
            result.skipped_rows[path] = len(report.bad_rows)
        result.registers[label] = path
        cases.append(RegisterCases(label, register.settings, records))
    return cases


def _send(pending: list[tuple[Digest, RenderedDigest]], transport: Transport, log: SentLog,
          result: RemindResult, today: date, sender: str, clock: Clock) -> None:
    batch: list[Outgoing] = []
    subjects: dict[str, tuple[Digest, str]] = {}
    for digest, mail in pending:
        subjects[digest.key] = (digest, mail.subject)
        try:
            message = build_message(digest, mail, sender=sender, now=clock())
        except (ValueError, IndexError) as exc:  # an address the header cannot hold
            result.deliveries.append(Delivery(digest, mail.subject, Outcome.FAILED,
                                              f"邮箱地址无效：{exc} / invalid address"))
            continue
        batch.append(Outgoing(digest.key, today, digest.recipient.email, message))
    for outcome in transport.send(batch):
        digest, subject = subjects[outcome.key]
        result.deliveries.append(_delivery(digest, subject, outcome))
        if outcome.sent:
            log.record(digest.key, today, digest.recipient.email, sent_at=clock())


def _delivery(digest: Digest, subject: str, outcome: SendOutcome) -> Delivery:
    return Delivery(digest, subject, Outcome.SENT if outcome.sent else Outcome.FAILED, outcome.reason,
                    outcome.refused, outcome.where)
