"""Sending the run's messages: SMTP (one connection, each message on its own) or `.eml` files in an outbox.

    >>> outcomes = SmtpTransport(config.smtp, config.smtp.secret()).send(batch)
    >>> outcomes = OutboxTransport(Path("outbox")).send(batch)
    >>> [(o.key, o.sent, o.reason) for o in outcomes]
    [('3f1c…', True, ''), ('9a0e…', False, '收件人被拒绝：li.qiang@csrplant.cn（550 …）')]

A message is `sent` only when the server accepted its main recipient (or the file was written). A
refused CC is listed in `refused` without failing the message. The server down or a failed login
fails every message of the run; a refused recipient fails that message only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from xlcsr.disk.atomic import write_atomically

if TYPE_CHECKING:  # smtplib, ssl and email.policy are imported where a message goes out, not by every command
    import smtplib
    import ssl
    from email.message import EmailMessage


class SmtpConfig(BaseModel):
    """Where reminders are sent; `configured` only once a host is set."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    host: str | None = None
    port: int = Field(default=25, ge=1, le=65535)
    user: str | None = None
    password_env: str | None = None
    from_addr: str | None = Field(default=None, alias="from")
    starttls: bool = False
    ssl: bool = False
    password: SecretStr | None = Field(default=None, exclude=True, repr=False)  # from the environment only

    @property
    def configured(self) -> bool:
        return bool(self.host)

    def secret(self) -> str | None:
        return self.password.get_secret_value() if self.password else None


@dataclass(frozen=True)
class Outgoing:
    """One message to send, with what the sent log and the outbox need to know about it."""

    key: str
    day: date
    recipient: str
    message: EmailMessage


@dataclass(frozen=True)
class SendOutcome:
    key: str
    sent: bool
    reason: str = ""
    refused: tuple[str, ...] = ()  # addresses the server refused
    where: str = ""  # the .eml file, for the outbox


class Transport(Protocol):
    """Sends a batch; one outcome per message, in order; never raises for a delivery problem."""

    description: str

    def send(self, batch: Sequence[Outgoing]) -> list[SendOutcome]: ...


class _Unusable(Exception):
    """The connection cannot be opened or logged in: every remaining message fails with this reason."""


class SmtpTransport:
    def __init__(self, smtp: SmtpConfig, password: str | None, *, timeout: float = 30.0,
                 context: ssl.SSLContext | None = None):
        if not smtp.host:
            raise ValueError("SmtpTransport needs a host")
        self.smtp = smtp
        self.password = password
        self.timeout = timeout
        self.context = context
        self.description = f"SMTP {smtp.host}:{smtp.port}"

    def __repr__(self) -> str:
        return f"<SmtpTransport {self.smtp.host}:{self.smtp.port} user={self.smtp.user!r}>"

    def send(self, batch: Sequence[Outgoing]) -> list[SendOutcome]:
        outcomes: list[SendOutcome] = []
        connection: smtplib.SMTP | None = None
        try:
            for item in batch:
                if connection is None:
                    try:
                        connection = self._connect()
                    except _Unusable as exc:
                        outcomes.extend(SendOutcome(o.key, False, str(exc)) for o in batch[len(outcomes):])
                        break
                outcome, alive = self._send_one(connection, item)
                outcomes.append(outcome)
                if not alive:
                    _close(connection)
                    connection = None
        finally:
            if connection is not None:
                _close(connection)
        return outcomes

    def _connect(self) -> smtplib.SMTP:
        import smtplib
        import ssl

        host, port = self.smtp.host or "", self.smtp.port
        context = self.context or ssl.create_default_context()
        try:
            if self.smtp.ssl:
                connection: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=self.timeout, context=context)
            else:
                connection = smtplib.SMTP(host, port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise _Unusable(f"无法连接邮件服务器 {host}:{port}：{_describe(exc)} / "
                            f"cannot connect to the mail server {host}:{port}") from exc
        try:
            if self.smtp.starttls:
                connection.starttls(context=context)
            if self.smtp.user:
                if not self.password:
                    variable = self.smtp.password_env or "XLCSR_SMTP_PASSWORD"
                    raise _Unusable(f"未提供 SMTP 密码：请设置环境变量 XLCSR_SMTP_PASSWORD 或 {variable} / "
                                    f"no SMTP password in the environment")
                connection.login(self.smtp.user, self.password)
        except smtplib.SMTPAuthenticationError as exc:
            _close(connection)
            raise _Unusable(f"邮件服务器 {host} 登录失败（用户 {self.smtp.user}）：{_describe(exc)} / "
                            f"login to {host} failed for {self.smtp.user}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            _close(connection)
            raise _Unusable(f"邮件服务器 {host}:{port} 握手失败：{_describe(exc)} / "
                            f"the mail server {host}:{port} failed: {exc}") from exc
        except _Unusable:
            _close(connection)
            raise
        return connection

    def _send_one(self, connection: smtplib.SMTP, item: Outgoing) -> tuple[SendOutcome, bool]:
        """The outcome, and whether the connection can carry on."""
        import smtplib

        try:
            refused = connection.send_message(item.message)
        except smtplib.SMTPRecipientsRefused as exc:
            return SendOutcome(item.key, False, _refusal(exc.recipients), tuple(exc.recipients)), True
        except smtplib.SMTPSenderRefused as exc:
            return SendOutcome(item.key, False, f"发件人 {exc.sender} 被拒绝：{_describe(exc)} / "
                               f"sender refused"), True
        except smtplib.SMTPServerDisconnected as exc:
            return SendOutcome(item.key, False, f"邮件服务器断开连接：{_describe(exc)} / server disconnected"), False
        except smtplib.SMTPResponseException as exc:
            return SendOutcome(item.key, False, f"邮件服务器拒收：{_describe(exc)} / rejected by the server"), True
        except (OSError, smtplib.SMTPException) as exc:
            return SendOutcome(item.key, False, f"发送失败：{_describe(exc)} / sending failed"), False
        if refused:
            if any(address.lower() == item.recipient.lower() for address in refused):
                return SendOutcome(item.key, False, _refusal(refused), tuple(refused)), True
            return SendOutcome(item.key, True, "抄送被拒绝：" + _refusal(refused, prefix=""), tuple(refused)), True
        return SendOutcome(item.key, True), True


class OutboxTransport:
    """Writes each message as `<day>-<recipient>-<key>.eml` into `folder` (the default without SMTP)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.description = f"发件箱 {folder}"

    def __repr__(self) -> str:
        return f"<OutboxTransport {self.folder}>"

    def send(self, batch: Sequence[Outgoing]) -> list[SendOutcome]:
        from email import policy

        outcomes = []
        for item in batch:
            target = self.folder / f"{item.day:%Y%m%d}-{_safe(item.recipient)}-{item.key[:12]}.eml"
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                write_atomically(target, item.message.as_bytes(policy=policy.SMTP), backup=False)
            except OSError as exc:
                outcomes.append(SendOutcome(item.key, False, f"无法写入发件箱 {target}：{exc} / cannot write {target}"))
            else:
                outcomes.append(SendOutcome(item.key, True, where=str(target)))
        return outcomes


def _safe(address: str) -> str:
    return re.sub(r"[^\w.@+-]", "_", address)[:80]


def _refusal(recipients: dict[str, tuple[int, bytes]], prefix: str = "收件人被拒绝：") -> str:
    parts = [f"{address}（{code} {_text(reply)}）" for address, (code, reply) in recipients.items()]
    return prefix + "；".join(parts)


def _describe(exc: BaseException) -> str:
    import smtplib

    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return str(exc) or type(exc).__name__


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _close(connection: smtplib.SMTP) -> None:
    import smtplib

    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()
