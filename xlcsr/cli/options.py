"""Options shared by the `xlcsr` commands, in a module of their own so command modules need not import cli.

    @app.command()
    def highlight(book: Book, today: Today = None, lang: Lang = "zh") -> None:
        day = today_or_now(today)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Annotated, TypeVar

import typer

from xlcsr.cli import render
from xlcsr.domain.errors import XlcsrError

F = TypeVar("F", bound=Callable[..., object])


def exits_cleanly(command: F) -> F:
    """Turn `XlcsrError` into one message on stderr and exit code 2.

    The message is one line whatever the terminal width (no hard wrap at rich's 80 columns when
    stderr is a pipe or a log), and its text is printed as it is, never read as rich markup.
    """

    @wraps(command)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return command(*args, **kwargs)
        except XlcsrError as exc:
            render.show_error(exc)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def parse_today(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"日期应为 YYYY-MM-DD：{value} / expected YYYY-MM-DD") from None


def today_or_now(today: date | None) -> date:
    """The date given with --today, else the real date (only the command line asks the clock)."""
    return today or date.today()


Today = Annotated[date | None, typer.Option(
    "--today", parser=parse_today, metavar="YYYY-MM-DD",
    help="按此日期计算（默认今天）/ run as of this date (default: today)")]
Lang = Annotated[str, typer.Option("--lang", help="输出语言 zh 或 en / output language")]
