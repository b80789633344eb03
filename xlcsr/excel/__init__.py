"""The Excel front: ribbon buttons run xlcsr on the open workbook through xlwings.

The add-in's VBA calls `RunPython "import xlcsr.excel as x; x.dispatch('validate')"`; `dispatch`
looks the tag up in the button table and runs its action on `xw.Book.caller()`. The only package
that imports xlwings; imports `app` and below, never the command line. `addin/` builds the `.xlam`.

    >>> dispatch("validate", book=fake_book, today=date(2026, 11, 25))
"""

from __future__ import annotations

from datetime import date
from typing import Any

from xlcsr.domain.errors import XlcsrError
from xlcsr.excel.buttons import BUTTON_BY_TAG, BUTTONS

TITLE = "顾客特殊要求"

__all__ = ["BUTTONS", "dispatch"]


def dispatch(tag: str, book: Any = None, today: date | None = None, *, built: str | None = None,
             xlcsr: str | None = None) -> str:
    """Run the button `tag` on `book` (default: the workbook that called), tell the user, return the message.

    The add-in passes the xlwings (`built`) and xlcsr (`xlcsr`) versions it was built with; when they
    are not this Python's, the user is told what is wrong and how to fix it, and the button does not run.
    """
    from xlcsr.excel import button_actions  # the app layer, imported when a button runs (not for addin/)
    from xlcsr.excel.addin.versions import BuiltWith, installed_xlwings, running_xlcsr, version_problems

    if book is None:
        import xlwings as xw

        book = xw.Book.caller()
    button = BUTTON_BY_TAG.get(tag)
    problems = [] if built is None and xlcsr is None else version_problems(
        BuiltWith(xlcsr=xlcsr or "", xlwings=built or ""), installed_xlwings(), running_xlcsr())
    if problems:
        message = "加载项与本机 Python 不匹配，按钮未运行。\n" + "\n".join(problems)
    elif button is None:
        message = f"未知按钮「{tag}」：请重新安装加载项（xlcsr addin install）。"
    else:
        before = book.app.status_bar  # the user's own text (False: Excel's own), given back after
        book.app.status_bar = f"xlcsr：{button.label}…"
        try:
            message = getattr(button_actions, button.action)(book, today=today or date.today())
        except XlcsrError as exc:
            message = f"无法{button.label}：{str(exc).split(' / ', 1)[0]}"
        except Exception as exc:  # noqa: BLE001 - a person gets a sentence, not a traceback
            message = (f"无法{button.label}：出现意外错误（{type(exc).__name__}: {exc}）。"
                       "请点「诊断」或运行 xlcsr doctor，并把结果发给管理员。")
        finally:
            book.app.status_bar = before
    book.app.alert(message, title=TITLE)
    return message
