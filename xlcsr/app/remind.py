"""E-mailed reminders: one digest per person per day over all registers, sent once, retried when it failed.

    >>> config = load_config(Path("xlcsr.toml"))
    >>> result = send_reminders([Path("顾客特殊要求清单.xlsx")], today=date(2026, 11, 25), config=config,
    ...                         clock=lambda: datetime(2026, 11, 25, 2, 0).astimezone())
    >>> result.sent, result.failed, result.ok
    (4, 0, True)

Registers are only read (a register open in Excel is fine); invalid rows are skipped as everywhere.
With an SMTP host in the config the digests are sent through it, else written to the outbox folder
as `.eml` files. "Sent" (`sent`, 已发送) means accepted by the SMTP server; outbox files are counted
apart (`written`, 已写入发件箱) and do not make a digest sent: a later SMTP run the same day still
delivers it, once.

The record of what went out lives beside each register (`.xlcsr/xlcsr.sqlite` in its folder, see
`mail.sent_log`), so every front and every working folder sees the same one; a digest covering cases
of several registers is recorded in each of their stores. Cases already sent to a person today are
left out of their digest; when none is left the digest is skipped (今日已发送), so a person whose cases
change later that day gets a second digest listing only the new ones. A failed message is not
recorded, so the next run tries again. `force` resends today's digests whole, ignoring the record, and
records the resend. `dry_run` builds everything, sends and records nothing.

Nobody is sent an example address (a reserved domain such as example.com: the invented people of the
template and of the default settings): such people, like those without an address, are listed as
"not configured" (未配置邮箱), counted in `not_configured` and make the run not `ok` (exit 1) — also
when nobody at all could be reminded, which the summary then says in so many words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

from xlcsr.app.commands import RegisterBook, as_book
from xlcsr.app.config import Config
from xlcsr.domain.errors import XlcsrError
from xlcsr.domain.issues import ValidationReport
from xlcsr.domain.records import CsrRecord
from xlcsr.domain.settings import Settings
from xlcsr.domain.vocab import SETTINGS_SHEET
from xlcsr.mail.messages import build_message
from xlcsr.mail.rendering import RenderedDigest, Renderer
from xlcsr.mail.sent_log import SentLog, Via, store_in, store_path
from xlcsr.mail.transport import OutboxTransport, Outgoing, SendOutcome, SmtpTransport, Transport
from xlcsr.rules.deadlines import ReviewState
from xlcsr.rules.reminders import (
    SECTIONS,
    CaseLine,
    Digest,
    DigestPlan,
    Problem,
    ProblemCode,
    Recipient,
    RegisterCases,
    build_digests,
)
from xlcsr.rules.signoff import ledger_of
from xlcsr.rules.validate import validate_register

__all__ = [
    "CaseLine", "CheckedRegister", "Delivery", "Digest", "DigestPlan", "Outcome", "Problem", "ProblemCode",
    "Recipient", "RegisterCases", "RemindResult", "Renderer", "build_digests", "check_book", "make_transport",
    "send_reminders",
]

Clock = Callable[[], datetime]


class Outcome(StrEnum):
    SENT = "sent"  # accepted by the SMTP server
    WRITTEN = "written"  # written to the outbox folder: not sent
    FAILED = "failed"
    ALREADY_SENT = "already_sent"
    ALREADY_WRITTEN = "already_written"  # an outbox run: in the outbox today already
    WOULD_SEND = "would_send"  # dry run


_OUTCOME_TEXT = {Outcome.SENT: ("已发送", "sent"), Outcome.WRITTEN: ("已写入发件箱", "written to the outbox"),
                 Outcome.FAILED: ("失败", "failed"), Outcome.ALREADY_SENT: ("今日已发", "sent today"),
                 Outcome.ALREADY_WRITTEN: ("今日已写入发件箱", "in the outbox today"),
                 Outcome.WOULD_SEND: ("将发送", "would send")}


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
    via: Via = Via.SMTP  # how this run's digests go out
    forced: bool = False  # --force: today's record ignored

    def _count(self, outcome: Outcome) -> int:
        return sum(1 for d in self.deliveries if d.outcome is outcome)

    @property
    def sent(self) -> int:
        return self._count(Outcome.SENT)

    @property
    def written(self) -> int:
        """Digests written to the outbox folder (not sent)."""
        return self._count(Outcome.WRITTEN)

    @property
    def failed(self) -> int:
        return self._count(Outcome.FAILED)

    @property
    def skipped_already_sent(self) -> int:
        return self._count(Outcome.ALREADY_SENT)

    @property
    def skipped_already_written(self) -> int:
        return self._count(Outcome.ALREADY_WRITTEN)

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
        """str(path) → digests that went out (sent, or written to the outbox) listing a case of that register."""
        counts = {str(path): 0 for path in self.registers.values()}
        for delivery in self.deliveries:
            if delivery.outcome in (Outcome.SENT, Outcome.WRITTEN):
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
        outbox = self.via is Via.OUTBOX
        if lang == "en":
            if self.dry_run:
                text = f"{self.would_send} would be {'written to the outbox' if outbox else 'sent'}"
            elif outbox:
                text = f"{self.written} written to the outbox (not sent), {self.failed} failed"
            else:
                text = f"{self.sent} sent, {self.failed} failed"
            if self.forced:
                text += " (resent with --force)"
            skipped = f", {self.skipped_already_sent} already sent today" if not outbox or self.skipped_already_sent \
                else ""
            if outbox:
                skipped += f", {self.skipped_already_written} already in the outbox today"
            line = (f"{text}{skipped}, {self.not_configured} not "
                    f"configured (no or example e-mail){f', {nobody} without recipient' if nobody else ''}, "
                    f"{len(self.unreadable)} unreadable registers ({self.transport})")
            if self.nobody_configured:
                line += (f"; nothing could be sent: nobody to remind has a real e-mail address, enter them in "
                         f"{SETTINGS_SHEET}")
            return line
        if self.dry_run:
            text = (f"将写入发件箱 {self.would_send} 封（预览，未写入）" if outbox
                    else f"将发送 {self.would_send} 封（预览，未发送）")
        elif outbox:
            text = f"已写入发件箱 {self.written} 封（未经邮件服务器发出），失败 {self.failed} 封"
        else:
            text = f"已发送 {self.sent} 封，失败 {self.failed} 封"
        if self.forced:
            text += "（按 --force 重发）"
        skipped = f"，今日已发送跳过 {self.skipped_already_sent} 封" if not outbox or self.skipped_already_sent else ""
        if outbox:
            skipped += f"，今日已写入发件箱跳过 {self.skipped_already_written} 封"
        line = (f"{text}{skipped}，未配置邮箱（空白或示例地址）"
                f"{self.not_configured} 项，{f'无人可收 {nobody} 项，' if nobody else ''}"
                f"无法读取的清单 {len(self.unreadable)} 个（{self.transport}）")
        if self.nobody_configured:
            line += f"；没有发出任何提醒：需提醒的人都未配置真实邮箱，请在「{SETTINGS_SHEET}」中填写"
        return line

    def to_rows(self, lang: str = "zh") -> list[list[object]]:
        """[recipient, overdue, due soon, waiting, escalated, status, subject or reason] per digest and problem."""
        rows: list[list[object]] = []
        for d in self.deliveries:
            note = d.reason or d.subject
            recipient = f"{d.digest.recipient.name}\n{d.digest.recipient.email}"
            rows.append([recipient, len(d.digest.overdue), len(d.digest.due_soon), len(d.digest.waiting),
                         len(d.digest.escalations), d.status(lang), note])
        for p in self.problems:
            who = f"{p.name or '—'}\n{p.address}" if p.address else p.name or "—"
            rows.append([who, "", "", "", "", p.label(lang), p.text(lang)])
        for u in self.unreadable:
            rows.append([str(u.path), "", "", "", "", "无法读取" if lang != "en" else "unreadable", u.reason])
        return rows


@dataclass(frozen=True)
class CheckedRegister:
    """What reminders need of a register once read and validated: its settings, report and records."""

    settings: Settings
    report: ValidationReport
    records: list[CsrRecord]
    review: ReviewState | None = None  # its sign-offs (会签记录), for the departments' lists


def check_book(book: Path | RegisterBook, today: date) -> CheckedRegister:
    """Read the register and validate it (the rows themselves are not kept)."""
    register = as_book(book).read()
    report, records = validate_register(register, today=today)
    return CheckedRegister(register.settings, report, records, ledger_of(register, records))


ROW_HEADERS = {"zh": ["收件人", "逾期", "将到期", "待会签", "升级汇总", "结果", "主题 / 说明"],
               "en": ["Recipient", "Overdue", "Due soon", "Sign-offs", "Escalated", "Result", "Subject / note"]}


def make_transport(config: Config) -> Transport:
    """SMTP when a host is configured, else the outbox folder."""
    if config.smtp is not None and config.smtp.configured:
        return SmtpTransport(config.smtp, config.smtp.secret())
    return OutboxTransport(config.outbox)


def send_reminders(books: Sequence[Path | RegisterBook], *, today: date, config: Config, clock: Clock,
                   dry_run: bool = False, force: bool = False, review: ReviewState | None = None,
                   transport: Transport | None = None, checked: Mapping[Path, CheckedRegister] | None = None,
                   ) -> RemindResult:
    """Read the registers, build today's digests, send what was not sent yet, record what went out.

    `checked` holds registers the caller has read and validated today already (the nightly run), by
    path: those are not read again.
    """
    transport = transport or make_transport(config)
    result = RemindResult(today, dry_run, transport.description,
                          via=Via.OUTBOX if isinstance(transport, OutboxTransport) else Via.SMTP, forced=force)
    cases, stores = _read_registers(books, today, result, config, checked or {})
    plan = build_digests(cases, today, review=review)
    result.problems.extend(plan.problems)
    renderer = Renderer(config.templates)
    order: dict[str, int] = {}
    with ExitStack() as stack:
        logs = {path: stack.enter_context(SentLog(path, readonly=dry_run)) for path in sorted(set(stores.values()))}
        record = _Record(today, {label: logs[path] for label, path in stores.items()}, result.registers)
        pending: list[tuple[Digest, RenderedDigest]] = []
        for i, digest in enumerate(plan.digests):
            todo, skipped = (digest, None) if force else record.unsent(digest, outbox_too=result.via is Via.OUTBOX)
            mail = renderer.render(todo)
            order[todo.key] = i
            if skipped is not None:
                result.deliveries.append(Delivery(todo, mail.subject, skipped))
            elif dry_run:
                result.deliveries.append(Delivery(todo, mail.subject, Outcome.WOULD_SEND))
            else:
                pending.append((todo, mail))
        if pending:
            _send(pending, transport, record, result, config.sender, clock)
    result.deliveries.sort(key=lambda d: order[d.digest.key])
    return result


def _register_path(book: Path | RegisterBook) -> Path:
    """A register file's path; for a workbook open in Excel, its full name (just its name when never saved)."""
    if isinstance(book, Path):
        return book
    fullname = getattr(getattr(book, "book", None), "fullname", None)
    return Path(fullname) if isinstance(fullname, str) and fullname else Path(getattr(book, "label", ""))


def _read_registers(books: Sequence[Path | RegisterBook], today: date, result: RemindResult, config: Config,
                    checked: Mapping[Path, CheckedRegister]) -> tuple[list[RegisterCases], dict[str, Path]]:
    """The cases of each readable register, and label → the store that records its digests."""
    paths = [_register_path(book) for book in books]
    names = [path.name for path in paths]
    cases, stores = [], {}
    for book, path in zip(books, paths):
        label = path.name if names.count(path.name) == 1 else str(path)
        try:
            read = checked.get(path) if isinstance(book, Path) else None
            if read is None:
                read = check_book(book, today)
        except XlcsrError as exc:
            result.unreadable.append(Unreadable(path, str(exc)))
            continue
        if read.report.bad_rows:
            result.skipped_rows[path] = len(read.report.bad_rows)
        result.registers[label] = path
        unsaved = not isinstance(book, Path) and not path.is_absolute()  # a new workbook: no folder of its own
        stores[label] = store_in(config.state_dir) if unsaved else store_path(path.resolve())
        cases.append(RegisterCases(label, read.settings, read.records, review=read.review,
                                   path="" if unsaved else str(path.resolve())))
    return cases, stores


class _Record:
    """Today's record over the stores of the run's registers: what each digest still has to say."""

    def __init__(self, today: date, logs: dict[str, SentLog], paths: dict[str, Path]):
        self.today, self.logs, self.paths = today, logs, paths

    def item(self, section: str, line: CaseLine) -> str:
        """A case as its register's store knows it: by file name, not by this run's label."""
        name = self.paths[line.register].name if line.register in self.paths else line.register
        return f"{section}:{name}#{line.case_no or f'row{line.row}'}"

    def items(self, digest: Digest) -> dict[str, list[str]]:
        """label → the items of that register the digest lists."""
        found: dict[str, list[str]] = {}
        for section in SECTIONS:
            for line in getattr(digest, section):
                found.setdefault(line.register, []).append(self.item(section, line))
        return found

    def unsent(self, digest: Digest, *, outbox_too: bool) -> tuple[Digest, Outcome | None]:
        """The digest with only the cases not yet sent today, or the whole one and why it is skipped."""
        email = digest.recipient.email
        done = {label: self.logs[label].covered(self.today, email, outbox_too=outbox_too) for label in digest.registers}
        kept = {section: tuple(line for line in getattr(digest, section)
                               if self.item(section, line) not in done[line.register]) for section in SECTIONS}
        if any(kept.values()):
            if kept == {section: getattr(digest, section) for section in SECTIONS}:
                return digest, None
            return replace(digest, **kept), None
        if not outbox_too:
            return digest, Outcome.ALREADY_SENT
        delivered = all(self.item(section, line) in self.logs[line.register].covered(self.today, email)
                        for section in SECTIONS for line in getattr(digest, section))
        return digest, Outcome.ALREADY_SENT if delivered else Outcome.ALREADY_WRITTEN

    def went_out(self, digest: Digest, *, via: Via, sent_at: datetime, forced: bool) -> None:
        """Recorded in the store of every register the digest lists a case of (once per store)."""
        by_store: dict[SentLog, list[str]] = {}
        for label, items in self.items(digest).items():
            by_store.setdefault(self.logs[label], []).extend(items)
        for log, items in by_store.items():
            log.record(digest.key, self.today, digest.recipient.email, sent_at=sent_at, items=items, via=via,
                       forced=forced)


def _send(pending: list[tuple[Digest, RenderedDigest]], transport: Transport, record: _Record,
          result: RemindResult, sender: str, clock: Clock) -> None:
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
        batch.append(Outgoing(digest.key, result.today, digest.recipient.email, message))
    for outcome in transport.send(batch):
        digest, subject = subjects[outcome.key]
        result.deliveries.append(_delivery(digest, subject, outcome, result.via))
        if outcome.sent:
            record.went_out(digest, via=result.via, sent_at=clock(), forced=result.forced)


def _delivery(digest: Digest, subject: str, outcome: SendOutcome, via: Via) -> Delivery:
    went = Outcome.WRITTEN if via is Via.OUTBOX else Outcome.SENT
    return Delivery(digest, subject, went if outcome.sent else Outcome.FAILED, outcome.reason,
                    outcome.refused, outcome.where)
