"""What each ribbon button does to the open workbook: the same library functions as the commands.

    >>> validate_book(xw.Book.caller(), today=date.today())
    '已校验「清单」1,234 行：5 行有问题，7 个错误，已在单元格中标红并加批注；详情见「校验结果」工作表。…'
    >>> highlight_book(xw.Book.caller(), today=date.today())
    '已检查「清单」1,234 行：逾期 4 条，即将到期 2 条。…'

Each action returns the message the user sees in Excel's dialog: Chinese, a few lines (at most
`MAX_LINES`), saying what was done, to how many rows, and what to look at next. Long lists go to a
sheet (校验结果, 会签记录, 变更记录) or are cut to their first few items; no terminal markup, no
command-line options, and no English half of a library message (`_chinese`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlcsr.app import commands
from xlcsr.app.config import load_config, register_defaults
from xlcsr.domain.records import Column
from xlcsr.domain.vocab import (
    CHANGELOG_SHEET,
    CONFIG_FILE,
    RECORD_DIR,
    RESULT_SHEET,
    SETTINGS_SHEET,
    SIGNOFF_DIR,
    SIGNOFF_LOG_SHEET,
)
from xlcsr.excel.live_book import LiveBook
from xlcsr.rules.highlight import counts_text

if TYPE_CHECKING:  # the reminder and import machinery is imported by its own button
    from xlcsr.app.remind import RemindResult

MAX_LINES = 8  # a dialog longer than this is a list, and a list belongs in a sheet
SHOWN = 3  # items of a list shown in a dialog before "…另有 N 项"
PREVIEW_PEOPLE = 3  # recipients named in the reminder question


def validate_book(book: Any, *, today: date) -> str:
    """校验: validate and mark, like `xlcsr validate BOOK --mark`; the list is the 校验结果 sheet."""
    report = commands.validate_workbook(_live(book), today=today, mark=True)
    done = f"已校验「{report.sheet}」{report.rows:,} 行："
    warnings = f"，{len(report.warnings)} 个提醒" if report.warnings else ""
    if not report.issues:
        return done + "未发现问题。"
    if report.valid:
        return f"{done}没有错误{warnings}；详情见「{RESULT_SHEET}」工作表。"
    return (f"{done}{len(report.bad_rows)} 行有问题，{len(report.errors)} 个错误{warnings}，"
            f"已在单元格中标红并加批注；详情见「{RESULT_SHEET}」工作表。\n"
            "改正后再点「校验」，改好的单元格会恢复原来的颜色。")


def assign_book(book: Any, *, today: date) -> str:
    """分配案件号: like `xlcsr assign BOOK`."""
    result = commands.assign_case_numbers(_live(book), today=today)
    numbered = result.assignment.numbered
    if not result.written:
        lines = ["无需分配：所有有效行都已有案件号、截止日期和状态。"]
    elif numbered:
        lines = [f"已分配 {len(numbered)} 个案件号（{numbered[0][1]} … {numbered[-1][1]}）。请保存清单。"]
    else:
        lines = ["已补齐截止日期与处理状态。请保存清单。"]
    lines += _added_lines(result.added_columns)
    if result.skipped:
        lines.append(f"跳过 {len(result.skipped)} 个有问题的行：{_rows_text(result.skipped)}。请先点「校验」查看原因。")
    if result.kept_formulas:
        lines.append(f"{_rows_text(result.kept_formulas)}的截止日期是公式（当前为空），已保留公式。")
    return "\n".join(lines)


def highlight_book(book: Any, *, today: date) -> str:
    """标记逾期: like `xlcsr highlight BOOK`."""
    result = commands.highlight_workbook(_live(book), today=today)
    plan = result.plan
    lines = [f"已检查「{result.report.sheet}」{result.report.rows:,} 行：{counts_text(plan)}。",
             f"颜色随数据自动更新（图例在表头右侧）；「{plan.column.header}」列按 {today:%Y-%m-%d} 计算。"]
    lines += _added_lines(result.added_columns)
    if result.skipped:
        lines.append(f"{len(result.skipped)} 个有问题的行未计算逾期天数：{_rows_text(result.skipped)}。"
                     "请先点「校验」查看原因。")
    return "\n".join(lines)


def remind_book(book: Any, *, today: date) -> str:
    """发送提醒: preview who gets what, then send on confirmation, like `xlcsr remind BOOK`.

    Settings come from `xlcsr.toml` beside the workbook (else the outbox folder there).
    """
    from xlcsr.app.remind import Outcome, send_reminders
    from xlcsr.mail.sent_log import Via

    config = load_config(None, cwd=_folder_of(book))
    live = _live(book)
    preview = send_reminders([live], today=today, config=config, clock=datetime.now, dry_run=True)
    if preview.nobody_configured:
        return (f"没有可发送的提醒：需提醒的 {_unconfigured(preview)}都未配置真实邮箱，"
                f"请在「{SETTINGS_SHEET}」工作表中填写他们的邮箱。")
    if not preview.would_send:
        again = preview.skipped_already_sent + preview.skipped_already_written
        return "今天没有需要发送的提醒。" + (f"今天已发过的 {again} 封不会重发。" if again else "")
    question = f"{_preview_text(preview)}\n现在发送这 {preview.would_send} 封提醒吗？"
    if book.app.alert(question, title="发送提醒", buttons="ok_cancel") != "ok":
        return "已取消：没有发送任何邮件。"
    result = send_reminders([live], today=today, config=config, clock=datetime.now)
    if result.via is Via.OUTBOX:
        lines = [f"已写入发件箱 {result.written} 封（未配置邮件服务器，没有发出）：",
                 str(config.outbox),
                 "可用 Outlook 打开这些 .eml 文件再发送；在清单旁的 "
                 f"{CONFIG_FILE} 中配置邮件服务器后即可直接发送。"]
    else:
        lines = [f"已发送 {result.sent} 封提醒。"]
    if result.failed:
        reasons = [_chinese(d.reason) for d in result.deliveries if d.reason and d.outcome is Outcome.FAILED]
        lines.append(f"{result.failed} 封发送失败" + (f"：{reasons[0]}" if reasons else "。"))
    if result.refused:
        lines.append(f"邮件服务器拒收了 {len(result.refused)} 个地址：{_some(result.refused)}")
    lines += _unconfigured_lines(result)
    return "\n".join(lines)


def _preview_text(preview: RemindResult) -> str:
    """Who would get a reminder and for how many cases, by name, on a few lines."""
    from xlcsr.app.remind import Outcome
    from xlcsr.mail.sent_log import Via

    people = [d.digest for d in preview.deliveries if d.outcome is Outcome.WOULD_SEND]
    lines = [f"将写入发件箱 {preview.would_send} 封提醒（未配置邮件服务器，不会发出）：" if preview.via is Via.OUTBOX
             else f"将发送 {preview.would_send} 封提醒："]
    for digest in people[:PREVIEW_PEOPLE]:
        counts = (("逾期", digest.overdue), ("将到期", digest.due_soon), ("待会签", digest.waiting),
                  ("本部门升级", digest.escalations), ("被驳回", digest.rejected))
        shown = "，".join(f"{label} {len(cases)}" for label, cases in counts if cases)
        lines.append(f"{digest.recipient.name}：{shown}")
    if len(people) > PREVIEW_PEOPLE:
        lines.append(f"…另有 {len(people) - PREVIEW_PEOPLE} 人")
    lines += _unconfigured_lines(preview)
    skipped = sum(preview.skipped_rows.values())
    if skipped:
        lines.append(f"{skipped} 个有问题的行未计入，请先点「校验」查看原因。")
    return "\n".join(lines)


def _unconfigured_lines(result: RemindResult) -> list[str]:
    if not result.not_configured:
        return []
    return [f"{_unconfigured(result)}未配置真实邮箱，收不到提醒；请在「{SETTINGS_SHEET}」工作表中填写。"]


def _unconfigured(result: RemindResult) -> str:
    """'13 人（李强、张伟、刘洋等）': who has no real address, by name."""
    names = list(dict.fromkeys(p.name for p in result.problems if p.not_configured and p.name))
    shown = f"（{'、'.join(names[:SHOWN])}{'等' if len(names) > SHOWN else ''}）" if names else ""
    return f"{result.not_configured} 人{shown}"


def new_register(book: Any, *, today: date) -> str:
    """新建清单: a fresh register from the template, beside the open workbook, opened in Excel."""
    target = commands.new_register(_folder_of(book), today=today)
    book.app.books.open(str(target))
    return f"已新建并打开清单：\n{target}\n在「清单」工作表中填写要求后，点「校验」检查。"


def signoff_book(book: Any, *, today: date) -> str:
    """生成会签表: like `xlcsr signoff BOOK --out 会签` in the workbook's folder."""
    from xlcsr.app.signoff import issue_signoffs

    out = _folder_of(book) / SIGNOFF_DIR
    result = issue_signoffs(_live(book), out=out, today=today)
    nobody = result.plan.without_departments
    unnamed = [f"{len(nobody)} 个案件未指定责任部门，未签发：{_some(nobody)}"] if nobody else []
    if not result.written:
        return "\n".join(["没有待会签的项目：所有案件都已答复，或尚无已编号的待处理案件。", *unnamed])
    rows = result.to_rows()
    lines = [f"已生成 {len(result.written)} 份会签表，共 {sum(int(n) for _, n in rows)} 项，保存在：", str(out)]
    lines += [f"{Path(path).name}：{count} 项" for path, count in rows[:SHOWN]]
    if len(rows) > SHOWN:
        lines.append(f"…另有 {len(rows) - SHOWN} 份")
    if result.moved:
        lines.append(f"{result.moved} 个案件转为评审中。请保存清单，再把会签表发给各部门。")
    return "\n".join(lines + unnamed)


SIGNOFF_FILTER = "会签表或评审记录表 (*.xlsx;*.xlsm),*.xlsx;*.xlsm"


def collect_book(book: Any, *, today: date) -> str:
    """收集会签: the filled workbooks picked in Excel's file dialog (else the 会签 folder), like `xlcsr collect`."""
    from xlcsr.app.signoff import collect_signoffs

    sources = _picked_files(book) or [_folder_of(book) / SIGNOFF_DIR]
    if sources == [None]:
        return "已取消：没有收集任何文件。"
    result = collect_signoffs(_live(book), sources, today=today, clock=datetime.now)
    plan = result.plan
    applied = len(plan.applied)
    lines = [f"已读取 {len(result.files)} 个会签表：生效 {applied} 项，"
             + (f"已写入「{SIGNOFF_LOG_SHEET}」工作表。" if applied else "没有新的答复可写入。")]
    others = [text for n, text in ((len(plan.stale), f"{len(plan.stale)} 项已失效（要求在签发后改过，需重新会签）"),
                                   (len(plan.problems), f"{len(plan.problems)} 项有误，未采用"),
                                   (plan.repeated, f"{plan.repeated} 项以前已收集"),
                                   (plan.unanswered, f"{plan.unanswered} 项未填写")) if n]
    if others:
        lines.append("另有 " + "，".join(others) + "。")
    if plan.statuses:
        lines.append(f"{len(plan.statuses)} 个案件状态已更新。请保存清单。")
    elif plan.entries:
        lines.append("请保存清单。")
    shown = [*map(_chinese, result.refused),
             *(f"{p.file}「{p.sheet}」{p.cell}：{p.case_no} {p.zh}" for p in plan.problems)]
    return "\n".join(lines + _cut(shown))


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
        return f"没有可打印的评审记录表：所选行没有案件号，或「{SIGNOFF_LOG_SHEET}」中还没有这些案件的答复。"
    lines = [f"已为 {len(result.written)} 个案件生成评审记录表，保存在：", str(out)]
    if result.pdfs:
        lines.append(f"其中 {len(result.pdfs)} 份已转为 PDF，可直接打印。")
    if result.pdf_missing:
        lines.append("未生成 PDF：这台电脑没有安装 LibreOffice；请在 Excel 中打开评审记录表后打印。")
    elif result.pdf_failed:
        lines.append(f"{len(result.pdf_failed)} 份未能转为 PDF：请在 Excel 中打开后打印。")
    if result.unknown:
        lines.append(f"{len(result.unknown)} 个案件不在清单中（或该行有错误），未生成：{_some(result.unknown)}")
    return "\n".join(lines + _cut([p.name for p in result.written], min(SHOWN, MAX_LINES - len(lines))))


def track_book(book: Any, *, today: date) -> str:
    """记录变更: like `xlcsr track BOOK` on the open workbook; the changes are the 变更记录 sheet."""
    from xlcsr.app.tracking import track_changes

    result = track_changes(_live(book), today=today, clock=datetime.now)
    if result.baseline:
        return (f"已建立快照（{result.rows:,} 行）：此后的改动将记入「{CHANGELOG_SHEET}」。请保存清单。")
    if result.changes:
        lines = [f"已比较 {result.rows:,} 行，已记入「{CHANGELOG_SHEET}」{len(result.changes)} 条；"
                 f"详情见「{CHANGELOG_SHEET}」工作表。请保存清单。"]
    else:
        lines = [f"已比较 {result.rows:,} 行：自上次记录以来没有改动。"]
    reopened = [f"{case}：需重新会签：{'、'.join(depts)}" for case, depts in result.reopened.items()]
    if reopened:
        lines += _cut(reopened, SHOWN)
        lines.append("请点「生成会签表」把这些案件重新发给相关部门。")
    return "\n".join(lines + _cut([_chinese(issue.text()) for issue in result.issues], SHOWN))


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


IMPORT_FILTER = "旧清单 (*.xls;*.xlsx;*.xlsm;*.xlsb;*.ods;*.csv),*.xls;*.xlsx;*.xlsm;*.xlsb;*.ods;*.csv"


def import_book(book: Any, *, today: date) -> str:
    """导入: an old list picked in Excel's file dialog becomes a new register beside it, opened in Excel."""
    from xlcsr.app.import_legacy import free_target, import_legacy

    try:
        chosen = book.app.api.GetOpenFilename(IMPORT_FILTER, 1, "选择要导入的旧清单")
    except AttributeError:  # no Windows file dialog (Excel for Mac)
        return "这个 Excel 无法打开文件选择框：请在命令提示符中运行 xlcsr import 旧清单.xls 导入。"
    if not chosen or not isinstance(chosen, str):
        return "已取消：没有导入任何文件。"
    legacy = Path(chosen)
    result = import_legacy(legacy, free_target(legacy.parent, today), today=today)
    book.app.books.open(str(result.target))
    lines = [f"已导入 {result.rows:,} 行：{legacy.name} → {result.target.name}（已打开，与旧清单在同一文件夹）。"]
    if result.other_sheets:
        lines.append("其他工作表未导入：" + "、".join(f"「{s}」" for s in result.other_sheets) + "。")
    if result.problems:
        lines.append(f"{len(result.problem_rows)} 行的值无法映射，已原样保留：")
        lines += _cut([_chinese(line) for line in result.problem_lines()], SHOWN)
    check = result.validation.summary()
    lines.append(f"新清单校验：{check}。" + ("" if result.validation.valid else "请在新清单中点「校验」标出问题。"))
    return "\n".join(lines)


def doctor_book(book: Any, *, today: date) -> str:
    """诊断: like `xlcsr doctor` with the xlcsr.toml beside the workbook; the failures with their fixes."""
    from xlcsr.excel.doctor import run_doctor

    config = _folder_of(book) / CONFIG_FILE
    report = run_doctor(config=config if config.is_file() else None)
    checked = len(report.to_rows())
    if report.ok:
        return f"诊断完成：已检查 {checked} 项，一切正常。"
    failures = report.failures()
    lines = [f"诊断完成：已检查 {checked} 项，{len(failures)} 项有问题："]
    for check in failures[:SHOWN]:
        lines.append(f"• {check.name}：{_chinese(check.detail)}")
        if check.fix:
            lines.append(f"  解决办法：{_chinese(check.fix)}")
    if len(failures) > SHOWN:
        lines.append(f"…另有 {len(failures) - SHOWN} 项；在命令提示符中运行 xlcsr doctor 可看到全部。")
    return "\n".join(lines)


def _added_lines(columns: list[Column]) -> list[str]:
    """The columns a button added, as one line: 已添加列：案件号（P 列）、截止日期（Q 列）。"""
    if not columns:
        return []
    return ["已添加列：" + "、".join(f"{c.header}（{c.letter} 列）" for c in columns) + "。"]


def _rows_text(rows: Sequence[int], limit: int = 8) -> str:
    """'第 5、7–9、12 行', runs joined, at most `limit` pieces: '第 5、7–9 行等 12 行'."""
    pieces: list[str] = []
    numbers = sorted(set(rows))
    start = previous = numbers[0] if numbers else 0
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        pieces.append(str(start) if start == previous else f"{start}–{previous}")
        if number is not None:
            start = previous = number
    if len(pieces) > limit:
        return f"第 {'、'.join(pieces[:limit])} 行等 {len(numbers)} 行"
    return f"第 {'、'.join(pieces)} 行"


def _some(items: Sequence[str], limit: int = SHOWN) -> str:
    """'甲、乙、丙' or '甲、乙、丙等 7 个'."""
    shown = "、".join(items[:limit])
    return shown if len(items) <= limit else f"{shown}等 {len(items)} 个"


def _cut(lines: Iterable[str], limit: int = SHOWN) -> list[str]:
    """The first `limit` lines, and '…另有 N 条' for the rest."""
    lines = list(lines)
    limit = max(limit, 1)
    return lines if len(lines) <= limit else [*lines[:limit], f"…另有 {len(lines) - limit} 条"]


def _chinese(text: str) -> str:
    """A library message without its English half ('中文 / English' → '中文')."""
    return text.split(" / ", 1)[0].strip()


def _live(book: Any) -> LiveBook:
    """The open workbook; without a 设置 sheet it takes [columns] from the xlcsr.toml beside it."""
    return LiveBook(book, defaults=register_defaults(_folder_of(book)))


def _folder_of(book: Any) -> Path:
    path = Path(book.fullname)
    if path.parent != Path(".") and path.parent.is_dir():
        return path.parent
    documents = Path.home() / "Documents"
    return documents if documents.is_dir() else Path.home()
