"""Options shared by the `xlcsr` commands, in a module of their own so command modules need not import cli.

Also the command classes every verb is built with: help that names values (BOOK, DIR, zh|en) rather
than Python types, and argument errors in Chinese first, one line, exit code 2.

    @app.command(cls=XlcsrCommand)
    def highlight(book: Book, today: Today = None, lang: Lang = "zh") -> None:
        day = today_or_now(today)
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

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
LANGS = ("zh", "en")


def parse_lang(value: str) -> str:
    """zh or en, as a plain str (the app functions compare it with "en")."""
    if value not in LANGS:
        raise typer.BadParameter(f"只能是 zh 或 en：{value} / expected zh or en, got {value!r}")
    return value


Lang = Annotated[str, typer.Option(
    "--lang", parser=parse_lang, metavar="zh|en", help="输出语言 zh 或 en / output language")]


def _plain_params(params: list[Any]) -> list[Any]:
    """Name values, not Python types: `BOOK`, `--out FILE`, a bare `--json`, never `<path>` or `<bool>`.

    A parameter declared without a metavar gets its name in capitals; a flag (and --help) shows none;
    an argument taking several values ends in `...`.
    """
    for param in params:
        if isinstance(param, TyperArgument):
            param.metavar = param.metavar or param.name.upper()
            if param.nargs != 1 and not param.metavar.endswith("..."):
                param.metavar += "..."
            param.display_type_rich = _no_type  # the metavar in the name column says it all
        elif param.metavar is None:
            param.metavar = "" if param.is_flag else param.name.upper()
        if param.name == "help" and not param.help.startswith("显示"):
            param.help = "显示帮助后退出 / " + param.help
    return params


def _no_type(ctx: object) -> None:
    return None


def _usage_pieces(command: TyperCommand, ctx: typer.Context) -> list[str]:
    """`[OPTIONS] BOOK`, `[OPTIONS] [DIR]`, `[OPTIONS] [BOOK]...` (typer would write `{book}`)."""
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if isinstance(param, TyperArgument):
            name = param.metavar.removesuffix("...")
            name = name if param.required else f"[{name}]"
            pieces.append(name + ("..." if param.nargs != 1 else ""))
        else:
            pieces.extend(param.get_usage_pieces(ctx))
    return pieces


class XlcsrCommand(TyperCommand):
    """A verb: its help names values instead of types."""

    def get_params(self, ctx: typer.Context) -> list[Any]:
        return _plain_params(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: typer.Context) -> list[str]:
        return _usage_pieces(self, ctx)


class XlcsrGroup(TyperGroup):
    """`xlcsr` and `xlcsr addin`: plain help, and argument errors in Chinese first (exit code 2).

    typer prints click's English panel for a missing argument, an unknown option or a bad value;
    here the group runs its commands with `standalone_mode=False` and prints the error itself.
    """

    def get_params(self, ctx: typer.Context) -> list[Any]:
        return _plain_params(super().get_params(ctx))

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except render.ClickException as exc:
            if type(exc).__name__ != "NoArgsIsHelpError":  # the help was printed: nothing to add
                render.show_usage_error(exc)
            sys.exit(exc.exit_code)
        except typer.Abort:
            render.errors.print("已中止 / Aborted!", markup=False)
            sys.exit(1)
        # without standalone mode typer returns the code of `typer.Exit`, or the verb's own result
        sys.exit(result if isinstance(result, int) else 0)
