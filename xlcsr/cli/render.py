"""Terminal output of the commands (rich): validation tables and one-line summaries, Chinese first."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

try:  # recent typer carries its own copy of click (typer._click); older releases raise click's exceptions
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover
    from click import exceptions as click_errors  # type: ignore[no-redef]

if TYPE_CHECKING:
    from xlcsr.app import commands
    from xlcsr.domain.issues import ValidationReport
    from xlcsr.domain.records import Column

ClickException = click_errors.ClickException

console = Console(highlight=False)
# soft_wrap: a message to stderr stays one line in a pipe or a log, whatever the width rich assumes
errors = Console(stderr=True, highlight=False, soft_wrap=True)

_WORDS = {
    "zh": {"row": "行", "cell": "单元格", "field": "字段", "problem": "问题", "level": "级别",
           "error": "错误", "warning": "提醒"},
    "en": {"row": "Row", "cell": "Cell", "field": "Field", "problem": "Problem", "level": "Level",
           "error": "error", "warning": "warning"},
}


def show_error(exc: Exception) -> None:
    """One line on stderr, whatever the terminal width; the message's text is never read as markup."""
    errors.print(f"[bold red]错误 / error:[/] {escape(str(exc))}", soft_wrap=True)


def show_usage_error(exc: click_errors.ClickException) -> None:
    """An argument error as every other message, Chinese first, then how to get help:

    错误：缺少参数 BOOK / Error: Missing argument 'BOOK'.
    用法 / Usage: xlcsr validate [OPTIONS] BOOK（xlcsr validate --help 查看帮助 / for help）
    """
    errors.print(usage_error_text(exc), soft_wrap=True, markup=False)
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        usage = ctx.get_usage().removeprefix("Usage: ").strip()
        errors.print(f"用法 / Usage: {usage}（{ctx.command_path} --help 查看帮助 / for help）",
                     soft_wrap=True, markup=False)


def usage_error_text(exc: click_errors.ClickException) -> str:
    """`错误：<中文> / Error: <click's English>` for the errors click raises while parsing the arguments."""
    english = exc.format_message()
    if isinstance(exc, click_errors.MissingParameter):
        kind = exc.param_type or (exc.param.param_type_name if exc.param is not None else "")
        what = "缺少选项" if kind == "option" else "缺少参数"
        return f"错误：{what} {_hint(english)} / Error: {english}"
    if isinstance(exc, click_errors.NoSuchOption):
        guess = f"（是否想用 {'、'.join(exc.possibilities)}？）" if exc.possibilities else ""
        return f"错误：没有这个选项 {exc.option_name}{guess} / Error: {english}"
    if isinstance(exc, click_errors.BadOptionUsage):
        name = exc.option_name
        zh = (f"选项 {name} 需要一个值" if "requires" in english else
              f"选项 {name} 不接受值" if "does not take a value" in english else f"选项 {name} 用法有误")
        return f"错误：{zh} / Error: {english}"
    if isinstance(exc, click_errors.BadParameter):
        # our own messages are already "中文 / English": the English half goes after "Invalid value …"
        zh_text, bilingual, en_text = exc.message.partition(" / ")
        if bilingual:
            english = english.replace(exc.message, en_text)
        hint = _hint(english)
        zh = f"{hint} 的值无效" if hint else "值无效"
        return f"错误：{zh}{'：' + zh_text if bilingual else ''} / Error: {english}"
    if isinstance(exc, click_errors.UsageError):
        extra = re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", english)
        command = re.match(r"No such command '(.*)'", english)
        zh = (f"多余的参数：{extra.group(1)}" if extra else f"没有这个命令：{command.group(1)}" if command
              else "命令行用法有误")
        return f"错误：{zh} / Error: {english}"
    return f"错误：无法运行 / Error: {english}"


def _hint(english: str) -> str:
    """'BOOK' / '--lang' out of click's "Missing argument 'BOOK'." or "Invalid value for '--lang': …"."""
    found = re.search(r"(?:argument|option|parameter|for) ('[^']*'(?: / '[^']*')*)", english)
    return found.group(1).replace("'", "") if found else ""


def words(lang: str) -> dict[str, str]:
    return _WORDS["en" if lang == "en" else "zh"]


SHOWN_ROWS = 50  # rows of a long result listed in the terminal; the sheet it went to holds them all


def show_first(headers: Sequence[str], rows: Sequence[Sequence[object]], to: Console, *, sheet: str,
               lang: str = "zh") -> None:
    """The first `SHOWN_ROWS` rows as a table, then how many more are in `sheet`."""
    show_table(headers, rows[:SHOWN_ROWS], to)
    more = len(rows) - SHOWN_ROWS
    if more > 0:
        to.print(f"… {more} more in {sheet}" if lang == "en" else f"… 另有 {more} 条，见「{sheet}」")


def show_table(headers: Sequence[str], rows: Sequence[Sequence[object]], to: Console | None = None) -> None:
    """Rows under their headers, each cell as escaped text, on `to` (nothing printed when there are no rows)."""
    if not rows:
        return
    table = Table(show_lines=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*(escape(str(value)) for value in row))
    (to or console).print(table)


def validation_table(report: ValidationReport, lang: str = "zh") -> Table:
    """Issues grouped by row: the row number is shown once per group."""
    w = words(lang)
    table = Table(show_lines=False)
    for name in ("row", "cell", "field", "level", "problem"):
        table.add_column(w[name], overflow="fold")
    last_row: int | None = -1
    for issue in report.issues:
        row_label = "" if issue.row == last_row else str(issue.row or "")
        level = w["error"] if issue.is_error else w["warning"]
        table.add_row(row_label, issue.cell or "", issue.label(lang), level, issue.text(lang))
        last_row = issue.row
    return table


TABLE_LIMIT = 200  # issues shown as a table; more are listed a line each (measuring thousands of cells for
# a table takes seconds, and nobody reads them in a terminal but by searching)


def show_validation(report: ValidationReport, lang: str = "zh") -> None:
    if len(report.issues) > TABLE_LIMIT:
        console.file.write(validation_lines(report, lang) + "\n")  # as it is: tabs kept, no markup
    elif report.issues:
        console.print(validation_table(report, lang))
    console.print(report.summary(lang))


def validation_lines(report: ValidationReport, lang: str = "zh") -> str:
    """Every issue on a line of its own, tab-separated as the table's columns, under a header line."""
    w = words(lang)
    lines = ["\t".join(w[name] for name in ("row", "cell", "field", "level", "problem"))]
    for issue in report.issues:
        level = w["error"] if issue.is_error else w["warning"]
        lines.append("\t".join((str(issue.row or ""), issue.cell or "", issue.label(lang), level,
                                " ".join(issue.text(lang).split()))))
    return "\n".join(lines)


def show_assignment(result: commands.AssignResult, lang: str = "zh") -> None:
    zh = lang != "en"
    numbered = result.assignment.numbered
    shown = numbered if len(numbered) <= 8 else [*numbered[:3], None, *numbered[-2:]]
    for item in shown:
        if item is None:
            console.print("  …")
            continue
        row, number = item
        console.print(f"  第 {row} 行 → {number}" if zh else f"  row {row} → {number}")
    filled = sum(1 for (_, key) in result.assignment.values if key != "case_no")
    if not result.written:
        console.print("无需分配：所有有效行都已有案件号、截止日期和状态" if zh
                      else "Nothing to assign: every valid row has a number, due date and status")
    else:
        console.print(f"已分配 {len(numbered)} 个案件号，补齐 {filled} 个截止日期/状态" if zh
                      else f"Assigned {len(numbered)} case numbers, filled {filled} due dates/statuses")
    _show_added(result.added_columns, zh)
    _show_skipped(result.skipped, zh)
    if result.kept_formulas:
        rows = "、".join(map(str, result.kept_formulas))
        console.print(f"[yellow]第 {rows} 行的截止日期是公式（当前为空），保留公式未填写[/]" if zh
                      else f"[yellow]Rows {rows}: the due date is a formula (showing blank), kept as it is[/]")


def _show_skipped(rows: list[int], zh: bool) -> None:
    if rows:
        shown = "、".join(map(str, rows))
        console.print(f"[yellow]跳过 {len(rows)} 个有问题的行：{shown}（运行 validate 查看原因）[/]" if zh
                      else f"[yellow]Skipped {len(rows)} invalid rows: {shown} (run validate for the reasons)[/]")


def show_highlight(result: commands.HighlightResult, lang: str = "zh") -> None:
    from xlcsr.rules.highlight import counts_text

    zh = lang != "en"
    plan = result.plan
    console.print(f"已更新「{plan.sheet}」的条件格式（{len(plan.rules)} 条规则）与「{plan.column.header}」列：" if zh
                  else f"Updated {len(plan.rules)} colour rules and the '{plan.column.header}' column "
                  f"of {plan.sheet}: ", end="")
    console.print(counts_text(plan, lang))
    _show_added(result.added_columns, zh)
    _show_skipped(result.skipped, zh)


def _show_added(columns: list[Column], zh: bool) -> None:
    """已添加列：案件号（P 列）、截止日期（Q 列）."""
    if not columns:
        return
    if zh:
        console.print("已添加列：" + "、".join(f"{escape(c.header)}（{c.letter} 列）" for c in columns))
    else:
        console.print("Added columns: " + ", ".join(f"{escape(c.header)} (column {c.letter})" for c in columns))


def show_init(written: list[Path], kept: list[Path], lang: str = "zh") -> None:
    zh = lang != "en"
    for path in written:
        console.print(f"已创建 {path}" if zh else f"Created {path}")
    for path in kept:
        console.print(f"[yellow]已存在，未覆盖 {path}[/]" if zh else f"[yellow]Exists, kept {path}[/]")


def show_demo(outcome: commands.DemoOutcome, lang: str = "zh") -> None:
    zh = lang != "en"
    console.rule("xlcsr 演示" if zh else "xlcsr demo")
    console.print(f"1. 生成清单 {outcome.register}（{outcome.before.rows} 条要求）与评审记录表 "
                  f"{outcome.review_form}" if zh else
                  f"1. Built {outcome.register} ({outcome.before.rows} requirements) and {outcome.review_form}")
    console.print("2. 校验：" if zh else "2. Validate:")
    show_validation(outcome.before, lang)
    console.print("3. 分配案件号：" if zh else "3. Assign case numbers:")
    show_assignment(outcome.assigned, lang)
    console.print(("4. 标记问题：" if zh else "4. Mark problems: ") + outcome.after.summary(lang))
    console.print("5. 标记逾期：" if zh else "5. Highlight deadlines: ", end="")
    show_highlight(outcome.highlighted, lang)
    console.print(f"用 Excel 打开 {outcome.register}：问题单元格带批注，逾期、即将到期、已完成的行按颜色区分，"
                  "「校验结果」工作表逐条链接到问题单元格" if zh else
                  f"Open {outcome.register} in Excel: bad cells carry notes, overdue / due-soon / done rows are "
                  "coloured, and the 校验结果 sheet links to every problem")
