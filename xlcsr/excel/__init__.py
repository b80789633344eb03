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


def dispatch(tag: str, book: Any = None, today: date | None = None) -> str:
    """Run the button `tag` on `book` (default: the workbook that called), tell the user, return the message."""
    from xlcsr.excel import button_actions  # the app layer, imported when a button runs (not for addin/)

    if book is None:
        import xlwings as xw

        book = xw.Book.caller()
    button = BUTTON_BY_TAG.get(tag)
    if button is None:
        message = f"未知按钮「{tag}」/ unknown button"
    else:
        book.app.status_bar = f"xlcsr：{button.label}…"
        try:
            message = getattr(button_actions, button.action)(book, today=today or date.today())
        except XlcsrError as exc:
            message = f"无法{button.label}：{exc}"
        finally:
            book.app.status_bar = False
    book.app.alert(message, title=TITLE)
    return message
