"""A digest as subject, plain text and HTML, from Jinja2 templates a config folder may override.

    >>> renderer = Renderer(Path("mail-templates"))   # or Renderer() for the built-in templates
    >>> renderer.render(digest).subject
    '【顾客特殊要求】张伟：2 项逾期，1 项即将到期'

Templates (overridable one by one, by file name): `subject.txt.j2`, `digest.txt.j2`, `digest.html.j2`
(HTML is autoescaped). Each sees `digest` — its sections `overdue`, `due_soon`, `waiting` and
`escalations` (a manager's summary of their departments' cases overdue by more than
`escalation_days`) are lists of case lines with `case_no`, `row`, `customer`, `product`,
`requirement`, `due`, `overdue_days`, `days_left`, `status`, `owner`, `departments`, `register`,
`waiting_on`, `escalated`; `escalated` (the recipient's own escalated cases), `cases` (how many in
all), `limit` (cases listed per section, 设置's 邮件每类最多案件数), `sources` (each register's `name`,
`folder` and `file:` `uri`) — then `recipient` (`name`, `email`), `today`, and, in the bodies,
`subject`. Filter `shorten(limit=40)` cuts a text for a template that wants it short.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from xlcsr.domain.errors import BadConfig
from xlcsr.rules.reminders import Digest

BUILT_IN = Path(__file__).parent / "templates"
SUBJECT, TEXT, HTML = "subject.txt.j2", "digest.txt.j2", "digest.html.j2"


@dataclass(frozen=True)
class RenderedDigest:
    subject: str
    text: str
    html: str


def shorten(text: object, limit: int = 40) -> str:
    value = " ".join(str(text or "").split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


class Renderer:
    """Renders digests; templates in `folder` win over the built-in ones of the same name."""

    def __init__(self, folder: Path | None = None):
        loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(str(BUILT_IN))]
        if folder is not None:
            if not folder.is_dir():
                raise BadConfig(f"邮件模板文件夹不存在：{folder} / template folder not found: {folder}")
            loaders.insert(0, jinja2.FileSystemLoader(str(folder)))
        self.folder = folder
        self.env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), undefined=jinja2.StrictUndefined,
                                      autoescape=lambda name: bool(name) and ".html" in name,
                                      keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
        self.env.filters["shorten"] = shorten

    def render(self, digest: Digest) -> RenderedDigest:
        context = {"digest": digest, "recipient": digest.recipient, "today": digest.today}
        subject = " ".join(self._render(SUBJECT, context).split())
        context["subject"] = subject
        return RenderedDigest(subject, self._render(TEXT, context), self._render(HTML, context))

    def _render(self, name: str, context: dict[str, object]) -> str:
        try:
            return self.env.get_template(name).render(context)
        except jinja2.TemplateError as exc:
            where = f"{self.folder}/{name}" if self.folder and (self.folder / name).is_file() else name
            raise BadConfig(f"邮件模板 {where} 有误：{exc} / template {where} failed: {exc}") from exc
