"""A rendered digest as an e-mail: multipart/alternative (plain text, HTML), UTF-8, encoded headers.

    >>> message = build_message(digest, rendered, sender="csr@example.com", now=datetime(2026, 11, 25, 2, 0))
    >>> message["To"], message.get_content_type()
    ('张伟 <zhang.wei@csrplant.cn>', 'multipart/alternative')
"""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from xlcsr.domain.settings import is_placeholder_email
from xlcsr.mail.rendering import RenderedDigest
from xlcsr.rules.reminders import Digest


def build_message(digest: Digest, rendered: RenderedDigest, *, sender: str, now: datetime) -> EmailMessage:
    """The message for one digest; raises ValueError when an address cannot be written or is an example."""
    address = digest.recipient.email
    if is_placeholder_email(address):  # the rules leave them out; never send one anyway
        raise ValueError(f"{address} 是示例地址，不发送 / {address} is an example address, not sent")
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = sender
    message["To"] = Address(display_name=digest.recipient.name, addr_spec=digest.recipient.email)
    message["Date"] = format_datetime(now if now.tzinfo else now.astimezone())
    message["Message-ID"] = message_id(digest, sender, now)
    message["X-Xlcsr-Digest"] = digest.key
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text, charset="utf-8", cte="base64")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="base64")
    message.set_boundary(f"=_xlcsr_{digest.key}")  # base64 parts cannot contain it; keeps output reproducible
    return message


def message_id(digest: Digest, sender: str, now: datetime) -> str:
    """Unique per digest and send time, from the injected clock (no randomness)."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "xlcsr.localhost"
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        domain = "xlcsr.localhost"
    return f"<xlcsr.{digest.key}.{now.strftime('%Y%m%d%H%M%S%f')}@{domain}>"
