"""What each ribbon button does to the open workbook: the same library functions as the commands.

    >>> validate_book(xw.Book.caller(), today=date.today())
    '校验完成：「清单」共 42 行：7 行有问题，10 个错误，0 个提醒 …'

Each action returns the message the user sees.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from xlcsr import actions, render
from xlcsr.excel.live_book import LiveBook
from xlcsr.templates import make_register


def validate_book(book: Any, *, today: date) -> str:
    """校验: validate and mark, like `xlcsr validate BOOK --mark`."""
    report = actions.validate_workbook(LiveBook(book), today=today, mark=True)
    summary = render.validation_summary(report)
    if report.valid:
        return f"校验完成：{summary}"
    return f"校验完成：{summary}。问题单元格已标红并加批注，详见「校验结果」工作表。"


def assign_book(book: Any, *, today: date) -> str:
    """分配案件号: like `xlcsr assign BOOK`."""
    result = actions.assign_case_numbers(LiveBook(book), today=today)
    numbered = result.assignment.numbered
    if not result.written:
        message = "无需分配：所有有效行都已有案件号、截止日期和状态。"
    elif numbered:
        message = f"已分配 {len(numbered)} 个案件号（{numbered[0][1]} … {numbered[-1][1]}）。"
    else:
        message = "已补齐截止日期与处理状态。"
    if result.skipped:
        rows = "、".join(map(str, result.skipped[:20])) + ("…" if len(result.skipped) > 20 else "")
        message += f"\n跳过 {len(result.skipped)} 个有问题的行：第 {rows} 行。请先点「校验」查看原因。"
    return message


def new_register(book: Any, *, today: date) -> str:
    """新建清单: a fresh register from the template, beside the open workbook, opened in Excel."""
    folder = _folder_of(book)
    target = _free_name(folder / f"顾客特殊要求清单-{today:%Y%m%d}.xlsx")
    make_register(target)
    book.app.books.open(str(target))
    return f"已新建清单：{target}"


def _folder_of(book: Any) -> Path:
    path = Path(book.fullname)
    if path.parent != Path(".") and path.parent.is_dir():
        return path.parent
    documents = Path.home() / "Documents"
    return documents if documents.is_dir() else Path.home()


def _free_name(path: Path) -> Path:
    candidate, n = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate
