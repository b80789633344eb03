"""What each ribbon button does to the open workbook: the same library functions as the commands.

    >>> validate_book(xw.Book.caller(), today=date.today())
    '校验完成：「清单」共 42 行：7 行有问题，10 个错误，0 个提醒 …'
    >>> highlight_book(xw.Book.caller(), today=date.today())
    '已标记：逾期 4 条，即将到期 2 条。颜色随数据自动更新 …'

Each action returns the message the user sees.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlcsr.app import commands
from xlcsr.app.config import load_config, register_defaults
from xlcsr.domain.records import Column
from xlcsr.domain.vocab import RECORD_DIR, SIGNOFF_DIR
from xlcsr.excel.live_book import LiveBook
from xlcsr.rules.highlight import counts_text

if TYPE_CHECKING:  # the reminder and import machinery is imported by its own button
    from xlcsr.app.remind import RemindResult

PREVIEW_LINES = 15


def validate_book(book: Any, *, today: date) -> str:
    """校验: validate and mark, like `xlcsr validate BOOK --mark`."""
    report = commands.validate_workbook(_live(book), today=today, mark=True)
    summary = report.summary()
    if report.valid:
        return f"校验完成：{summary}"
    return f"校验完成：{summary}。问题单元格已标红并加批注，详见「校验结果」工作表。"


def assign_book(book: Any, *, today: date) -> str:
    """分配案件号: like `xlcsr assign BOOK`."""
    result = commands.assign_case_numbers(_live(book), today=today)
    numbered = result.assignment.numbered
    if not result.written:
        message = "无需分配：所有有效行都已有案件号、截止日期和状态。"
    elif numbered:
        message = f"已分配 {len(numbered)} 个案件号（{numbered[0][1]} … {numbered[-1][1]}）。"
    else:
        message = "已补齐截止日期与处理状态。"
    message += _added_text(result.added_columns)
    if result.skipped:
        rows = "、".join(map(str, result.skipped[:20])) + ("…" if len(result.skipped) > 20 else "")
        message += f"\n跳过 {len(result.skipped)} 个有问题的行：第 {rows} 行。请先点「校验」查看原因。"
    if result.kept_formulas:
        rows = "、".join(map(str, result.kept_formulas[:20])) + ("…" if len(result.kept_formulas) > 20 else "")
        message += f"\n第 {rows} 行的截止日期是公式（当前为空），已保留公式。"
    return message


def highlight_book(book: Any, *, today: date) -> str:
    """标记逾期: like `xlcsr highlight BOOK`."""
    result = commands.highlight_workbook(_live(book), today=today)
    plan = result.plan
    message = (f"已标记：{counts_text(plan)}。颜色随数据自动更新（图例在表头右侧），"
               f"「{plan.column.header}」列按 {today:%Y-%m-%d} 计算。")
    message += _added_text(result.added_columns)
    if result.skipped:
        rows = "、".join(map(str, result.skipped[:20])) + ("…" if len(result.skipped) > 20 else "")
        message += f"\n{len(result.skipped)} 个有问题的行未计算逾期天数：第 {rows} 行。请先点「校验」查看原因。"
    return message


def remind_book(book: Any, *, today: date) -> str:
    """发送提醒: preview who gets what, then send on confirmation, like `xlcsr remind BOOK`.

    Settings come from `xlcsr.toml` beside the workbook (else the outbox folder there).
    """
    from xlcsr.app.remind import send_reminders

    config = load_config(None, cwd=_folder_of(book))
    live = _live(book)
    preview = send_reminders([live], today=today, config=config, clock=datetime.now, dry_run=True)
    if preview.nobody_configured:
        return f"没有可发送的提醒：需提醒的人都未配置真实邮箱，请在「设置」中填写。{preview.summary()}"
    if not preview.would_send:
        return f"今天没有需要发送的提醒。{preview.summary()}"
    question = f"{_preview_text(preview)}\n\n现在发送这 {preview.would_send} 封提醒吗？"
    if book.app.alert(question, title="发送提醒", buttons="ok_cancel") != "ok":
        return "已取消：没有发送任何邮件。"
    result = send_reminders([live], today=today, config=config, clock=datetime.now)
    return result.summary()


_COUNTS = ("逾期", "将到期", "待会签", "本部门升级")  # the counting columns of RemindResult.to_rows


def _preview_text(preview: RemindResult) -> str:
    lines = [f"{row[0].splitlines()[0]}：" + "，".join(f"{label} {n}" for label, n in zip(_COUNTS, row[1:5]) if n)
             for row in preview.to_rows()[:PREVIEW_LINES]]
    if len(preview.to_rows()) > PREVIEW_LINES:
        lines.append("…")
    return "\n".join([preview.summary(), *lines])


def new_register(book: Any, *, today: date) -> str:
    """新建清单: a fresh register from the template, beside the open workbook, opened in Excel."""
    target = commands.new_register(_folder_of(book), today=today)
    book.app.books.open(str(target))
    return f"已新建清单：{target}"


def signoff_book(book: Any, *, today: date) -> str:
    """生成会签表: like `xlcsr signoff BOOK --out 会签` in the workbook's folder."""
    from xlcsr.app.signoff import issue_signoffs

    out = _folder_of(book) / SIGNOFF_DIR
    result = issue_signoffs(_live(book), out=out, today=today)
    if not result.written:
        return "没有待会签的项目：所有案件都已答复，或尚无已编号的待处理案件。"
    lines = [f"已生成 {len(result.written)} 份会签表（{out}）："]
    lines += [f"{path.name}：{count} 项" for path, count in result.to_rows()]
    if result.moved:
        lines.append(f"{result.moved} 个案件转为评审中。请保存清单，再把会签表发给各部门。")
    if result.plan.without_departments:
        lines.append(f"{len(result.plan.without_departments)} 个案件未指定责任部门，未签发。")
    return "\n".join(lines)


SIGNOFF_FILTER = "会签表或评审记录表 (*.xlsx;*.xlsm),*.xlsx;*.xlsm"


def collect_book(book: Any, *, today: date) -> str:
    """收集会签: the filled workbooks picked in Excel's file dialog (else the 会签 folder), like `xlcsr collect`."""
    from xlcsr.app.signoff import collect_signoffs

    sources = _picked_files(book) or [_folder_of(book) / SIGNOFF_DIR]
    if sources == [None]:
        return "已取消：没有收集任何文件。"
    result = collect_signoffs(_live(book), sources, today=today, clock=datetime.now)
    plan = result.plan
    lines = [f"已读取 {len(result.files)} 个文件：生效 {len(plan.applied)} 项，已失效 {len(plan.stale)} 项，"
             f"有误 {len(plan.problems)} 项，已收集过 {plan.repeated} 项，未填写 {plan.unanswered} 项。"]
    if plan.statuses:
        lines.append(f"{len(plan.statuses)} 个案件状态已更新。请保存清单。")
    shown = [*result.refused, *(p.text() for p in plan.problems)]
    lines += shown[:PREVIEW_LINES] + (["…"] if len(shown) > PREVIEW_LINES else [])
    return "\n".join(lines)


def _picked_files(book: Any) -> list[Path | None]:
    """The files picked (multi-select); [None] when cancelled; [] where Excel has no such dialog."""
    try:
        chosen = book.app.api.GetOpenFilename(SIGNOFF_FILTER, 1, "选择填好的会签表", None, True)
    except AttributeError:  # no Windows file dialog (Excel for Mac)
        return []
    if not chosen or chosen is False:
        return [None]
    return [Path(str(name)) for name in (chosen if isinstance(chosen, (list, tuple)) else [chosen])]


def record_book(book: Any, *, today: date) -> str:
    """打印评审记录表: the form of the selected rows' cases (none selected: every reviewed case), as PDF too."""
    from xlcsr.app.review_record import write_records

    live = _live(book)
    cases = _selected_cases(book, live)
    out = _folder_of(book) / RECORD_DIR
    result = write_records(live, cases, out=out, all_cases=not cases, pdf=True, today=today, clock=datetime.now)
    if not result.written:
        return "没有可打印的评审记录表：所选行没有案件号，或会签记录中还没有答复。"
    return "\n".join([f"已生成 {len(result.written)} 份评审记录表（{out}）。",
                      *(f"{p.name}" for p in [*result.written, *result.pdfs][:PREVIEW_LINES])])


def track_book(book: Any, *, today: date) -> str:
    """记录变更: like `xlcsr track BOOK` on the open workbook."""
    from xlcsr.app.tracking import track_changes

    result = track_changes(_live(book), today=today, clock=datetime.now)
    if result.baseline:
        return f"已建立快照（{result.rows} 行）：此后的改动将记入「变更记录」。请保存清单。"
    lines = [f"已记入「变更记录」{len(result.changes)} 条。请保存清单。" if result.changes
             else "自上次记录以来没有改动。"]
    lines += [f"{case}：需重新会签：{'、'.join(depts)}" for case, depts in result.reopened.items()][:PREVIEW_LINES]
    lines += [issue.text() for issue in result.issues][:PREVIEW_LINES]
    return "\n".join(lines)


def _selected_cases(book: Any, live: LiveBook) -> list[str]:
    """The case numbers of the rows selected in the register sheet."""
    try:
        selection = book.app.selection
        first, count = int(selection.row), int(selection.rows.count)
    except (AttributeError, TypeError, ValueError):
        return []
    register = live.read()
    rows = set(range(first, first + count))
    return [row.text("case_no") for row in register.rows if row.number in rows and row.text("case_no")]


def _added_text(columns: list[Column]) -> str:
    """The columns a button added, on a line of their own: 已添加列：案件号（P 列）、截止日期（Q 列）。"""
    if not columns:
        return ""
    return "\n已添加列：" + "、".join(f"{c.header}（{c.letter} 列）" for c in columns) + "。"


IMPORT_FILTER = "旧清单 (*.xls;*.xlsx;*.xlsm;*.xlsb;*.ods;*.csv),*.xls;*.xlsx;*.xlsm;*.xlsb;*.ods;*.csv"


def import_book(book: Any, *, today: date) -> str:
    """导入: an old list picked in Excel's file dialog becomes a new register beside it, opened in Excel."""
    from xlcsr.app.import_legacy import free_target, import_legacy

    try:
        chosen = book.app.api.GetOpenFilename(IMPORT_FILTER, 1, "选择要导入的旧清单")
    except AttributeError:  # no Windows file dialog (Excel for Mac)
        return "请在命令行导入：xlcsr import 旧清单.xls --out 新清单.xlsx"
    if not chosen or not isinstance(chosen, str):
        return "已取消：没有导入任何文件。"
    legacy = Path(chosen)
    result = import_legacy(legacy, free_target(legacy.parent, today), today=today)
    book.app.books.open(str(result.target))
    problems = result.problem_lines()[:PREVIEW_LINES]
    if len(result.problems) > PREVIEW_LINES:
        problems.append("…")
    return "\n".join([*result.lines(), *problems, *result.summary()])


def _live(book: Any) -> LiveBook:
    """The open workbook; without a 设置 sheet it takes [columns] from the xlcsr.toml beside it."""
    return LiveBook(book, defaults=register_defaults(_folder_of(book)))


def _folder_of(book: Any) -> Path:
    path = Path(book.fullname)
    if path.parent != Path(".") and path.parent.is_dir():
        return path.parent
    documents = Path.home() / "Documents"
    return documents if documents.is_dir() else Path.home()

