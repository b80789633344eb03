"""What `xlcsr highlight` puts into a register: live colour rules, a legend and a 逾期天数 column.

    >>> report, records = validate_register(register, today=date(2026, 11, 25))
    >>> plan = plan_highlight(register, records, date(2026, 11, 25))
    >>> [rule.key for rule in plan.rules], plan.overdue, plan.due_soon
    (['done', 'overdue', 'due_soon'], 4, 2)

The colours are conditional formats over the data area, so they follow the user's edits in Excel:
closed (已完成/已取消, Done/Cancelled) grey first with stop-if-true, then overdue red, then due
within the lead days amber, then — only when sign-off data is given (`review`) — review late
purple. Formulas name the due and status columns absolutely and the row relatively (`$L4`), anchored
at the first data row. Working days in Excel: NETWORKDAYS knows weekends and the 节假日 list of 设置
(through the defined name xlcsr_节假日), but not 调休 make-up working days on a weekend, so the
formula adds those back with COUNTIFS over xlcsr_调休上班日 (a make-up day listed on a weekday would
count twice). A workbook without 设置 gives Excel neither list: its amber rule counts plain weekdays,
while the 逾期天数 column, computed here with the default calendar, stays exact. A row whose due date
is blank (due by the SLA) or typed as text turns red from last run's 逾期天数, and never amber.
Red means due < TODAY() as the issue asks, so a case due on Friday is red on Saturday while its
逾期天数 (working days) is still blank.

The static 逾期天数 column holds, per valid row, the working days overdue on `today` (blank when
none or closed); the nightly run refreshes it. xlcsr's rules are recognised on the next run by their
formula's signature (the formula with every cell reference blanked out, see `rule_signature`), so
rules the user made stay, and ours are replaced even after Excel moved or split them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from xlcsr.domain.fields import normalize
from xlcsr.domain.records import Column, CsrRecord, Register, column_letter
from xlcsr.domain.vocab import CLOSED_STATUSES, DATE_LIST_NAMES, HOLIDAYS_NAME, WORKDAYS_NAME
from xlcsr.rules.choices import closed_words
from xlcsr.rules.deadlines import CaseTiming, ReviewState, timings

STATE_KEY = "highlight"
OVERDUE_HEADERS = {"zh": "逾期天数", "en": "Days overdue"}
MIN_AREA_ROWS = 1000  # rules reach at least this far below the header, for rows added in Excel


@dataclass(frozen=True)
class Look:
    """A rule's colours (ARGB) and its legend label."""

    fill: str
    font: str
    zh: str
    en: str

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


LOOKS: dict[str, Look] = {
    "done": Look("FFD9D9D9", "FF7F7F7F", "已完成或已取消", "Done or cancelled"),
    "overdue": Look("FFFF9999", "FF9C0006", "逾期", "Overdue"),
    "due_soon": Look("FFFFEB9C", "FF9C5700", "即将到期", "Due soon"),
    "review_late": Look("FFE4C8F5", "FF5B2C83", "评审逾期", "Review late"),
}
LEGEND_TITLE = {"zh": "图例", "en": "Legend"}
LEGEND_ORDER = ("overdue", "due_soon", "review_late", "done")


@dataclass(frozen=True)
class Rule:
    """One conditional-format rule: where it applies, its formula (no '='), colours, stop-if-true."""

    key: str
    sqref: str  # "A4:N1003", areas separated by spaces
    formula: str  # relative to the top-left cell of the first area
    fill: str
    font: str
    stop_if_true: bool = False

    @property
    def signature(self) -> str:
        return rule_signature(self.formula)


@dataclass
class HighlightPlan:
    """Everything highlight writes; adapters (file or live Excel) apply it as it stands."""

    sheet: str
    header_row: int
    rules: list[Rule]
    names: dict[str, str]  # defined names to (re)define: name → reference such as 设置!$R$4:$R$200
    column: Column  # the 逾期天数 column
    new_column: bool  # its header must be written
    values: dict[int, int | None]  # row → working days overdue; None clears the cell
    legend: dict[str, tuple[str, str | None]]  # cell → (text, fill or None)
    stale_legend: list[str]  # cells of the previous legend that are ours and not reused
    remove: frozenset[str]  # signatures of xlcsr's earlier rules, to remove first
    overdue: int = 0
    due_soon: int = 0
    review_late: int = 0
    area: str = ""  # the data area the rules cover, e.g. "A4:N1003"

    @property
    def overdue_rows(self) -> list[int]:
        return sorted(row for row, days in self.values.items() if days)

    def state(self) -> dict[str, object]:
        """The state entry remembering what this plan wrote; adapters may add front-specific keys."""
        return {
            "sheet": self.sheet,
            "rules": [{"key": r.key, "sqref": r.sqref, "formula": r.formula} for r in self.rules],
            "signatures": sorted({r.signature for r in self.rules}),
            "column": self.column.header,
            "rows": self.overdue_rows,
            "legend": {"row": self.header_row, "cells": {ref: text for ref, (text, _) in self.legend.items()}},
        }


def plan_highlight(register: Register, records: list[CsrRecord], today: date, *,
                   review: ReviewState | None = None, lang: str = "zh") -> HighlightPlan:
    """The rules, legend and 逾期天数 values for `register` on `today`; `records` are its valid rows."""
    previous = dict(register.state.get(STATE_KEY, {})) if isinstance(register.state.get(STATE_KEY), dict) else {}
    if previous.get("sheet") != register.sheet:
        previous = {}
    old_legend = _intact_legend(register, previous)
    width = _width_without_legend(register, old_legend)
    column = _overdue_column(register)
    new_column = column is None
    if column is None:
        column = Column(None, OVERDUE_HEADERS["en" if lang == "en" else "zh"], width)
        width += 1
    first_col = min([c.index for c in register.columns.values()] + [column.index])
    first_row = register.header_row + 1
    last_row = max([first_row + MIN_AREA_ROWS - 1] + [number + MIN_AREA_ROWS for number in register.numbers])
    area = f"{column_letter(first_col)}{first_row}:{column_letter(width - 1)}{last_row}"

    found = timings([r for r in records if r.status not in CLOSED_STATUSES], register.settings, today, review)
    names = {name: ref for name, ref in register.settings_refs.items() if name in DATE_LIST_NAMES}
    rules = _rules(register, area, first_row, names, column, found, review is not None)
    days = {t.record.row: t.overdue_days for t in found}
    values: dict[int, int | None] = {number: days.get(number) or None for number in register.numbers}
    for row in previous.get("rows", []):
        if isinstance(row, int) and row > register.header_row:
            values.setdefault(row, None)

    keys = [k for k in LEGEND_ORDER if k != "review_late" or review is not None]
    start = width + 1  # one empty column between the register and the legend
    texts = [LEGEND_TITLE["en" if lang == "en" else "zh"], *(LOOKS[k].label(lang) for k in keys)]
    fills = [None, *(LOOKS[k].fill for k in keys)]
    legend = {f"{column_letter(start + i)}{register.header_row}": (text, fill)
              for i, (text, fill) in enumerate(zip(texts, fills))}
    stale = [ref for ref, text in old_legend.items() if legend.get(ref, (None,))[0] != text]
    remove = frozenset(str(s) for s in previous.get("signatures", [])) | {r.signature for r in rules}
    return HighlightPlan(
        sheet=register.sheet, header_row=register.header_row, rules=rules, names=names, column=column,
        new_column=new_column, values=values, legend=legend, stale_legend=stale, remove=remove,
        overdue=sum(1 for t in found if t.overdue), due_soon=sum(1 for t in found if t.due_soon),
        review_late=sum(1 for t in found if t.review_late), area=area,
    )


_CELL_REF = re.compile(r"(?<![A-Za-z0-9_.$])\$?[A-Za-z]{1,3}\$?[0-9]+(?![0-9A-Za-z_(])")
_STRING = re.compile(r'"[^"]*"')


def rule_signature(formula: str) -> str:
    """A formula with its cell references blanked: `=AND($L7<TODAY())` → `AND(#<TODAY())`.

    Stays the same when Excel re-anchors a rule (rows inserted, a rule split, a column inserted).
    """
    text = formula.strip().removeprefix("=").replace(" ", "")
    parts = _STRING.split(text)
    strings = _STRING.findall(text)
    out = [_CELL_REF.sub("#", part).upper() for part in parts]
    return "".join(p + (strings[i] if i < len(strings) else "") for i, p in enumerate(out))


def shift_rows(formula: str, delta: int) -> str:
    """`formula` with its relative row references moved by `delta` rows: `$L4` → `$L9` for 5."""
    def move(match: re.Match[str]) -> str:
        column, dollar, row = match.groups()
        return match[0] if dollar else f"{column}{int(row) + delta}"

    parts = _STRING.split(formula)
    strings = _STRING.findall(formula)
    out = [_ROW_REF.sub(move, part) for part in parts]
    return "".join(p + (strings[i] if i < len(strings) else "") for i, p in enumerate(out))


_ROW_REF = re.compile(r"(?<![A-Za-z0-9_.$])(\$?[A-Za-z]{1,3})(\$?)([0-9]+)(?![0-9A-Za-z_(])")


# --- formulas ------------------------------------------------------------------------------------


class _Formulas:
    """The rule formulas of one register, relative to `first_row`."""

    def __init__(self, register: Register, first_row: int, names: dict[str, str], days: Column):
        self.row = first_row
        self.register = register
        self.days = days
        self.holidays = HOLIDAYS_NAME if HOLIDAYS_NAME in names else None
        self.workdays = WORKDAYS_NAME if WORKDAYS_NAME in names else None

    def cell(self, key: str) -> str | None:
        column = self.register.columns.get(key)
        return f"${column.letter}{self.row}" if column else None

    def working_days(self, after: str, until: str) -> str:
        """Working days after `after` up to and including `until` (xlcsr's `WorkCalendar.between`)."""
        holidays = f",{self.holidays}" if self.holidays else ""
        text = f"NETWORKDAYS({after}+1,{until}{holidays})"
        if self.workdays:  # NETWORKDAYS counts make-up Saturdays/Sundays as days off: add them back
            text += f'+COUNTIFS({self.workdays},">"&{after},{self.workdays},"<="&{until})'
        return text

    def done(self) -> str | None:
        status = self.cell("status")
        if status is None:
            return None
        statuses = dict.fromkeys(self.register.texts_of("status"))
        words = closed_words(self.register.settings, list(statuses))
        return "OR(" + ",".join(f'{status}="{value}"' for value in words) + ")"

    def overdue(self) -> str:
        """Live from a real due date; from last run's 逾期天数 when the due date is blank or text."""
        static = f"N(${self.days.letter}{self.row})>0"
        due = self.cell("due")
        return f"IF(ISNUMBER({due}),{due}<TODAY(),{static})" if due else static

    def due_soon(self) -> str | None:
        due = self.cell("due")
        if due is None:
            return None
        lead = self.register.settings.lead_days
        return f"AND(ISNUMBER({due}),{due}>=TODAY(),{self.working_days('TODAY()', due)}<={lead})"

    def review_late(self) -> str | None:
        received = self.cell("received")
        days = self.register.settings.review_days
        return f"AND(ISNUMBER({received}),{self.working_days(received, 'TODAY()')}>{days})" if received else None


def _rules(register: Register, area: str, first_row: int, names: dict[str, str], days: Column,
           found: list[CaseTiming], with_review: bool) -> list[Rule]:
    formulas = _Formulas(register, first_row, names, days)
    rules = []
    for key in ("done", "overdue", "due_soon"):
        formula = getattr(formulas, key)()
        if formula:
            look = LOOKS[key]
            rules.append(Rule(key, area, formula, look.fill, look.font, stop_if_true=key == "done"))
    rows = sorted({t.record.row for t in found if t.waiting_on}) if with_review else []
    late = _Formulas(register, rows[0], names, days).review_late() if rows else None
    if late:  # only the rows still waiting on a sign-off; the date part stays live
        look = LOOKS["review_late"]
        rules.append(Rule("review_late", _row_areas(rows, area), late, look.fill, look.font))
    return rules


def _row_areas(rows: list[int], area: str) -> str:
    """The rows of `area`'s columns as space-separated runs: "A5:N5 A9:N11"."""
    first, last = area.split(":")
    left, right = re.sub(r"\d", "", first), re.sub(r"\d", "", last)
    runs, start = [], 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i] != rows[i - 1] + 1:
            runs.append(f"{left}{rows[start]}:{right}{rows[i - 1]}")
            start = i
    return " ".join(runs)


# --- layout ----------------------------------------------------------------------------------------


def _overdue_column(register: Register) -> Column | None:
    wanted = {normalize(text) for text in OVERDUE_HEADERS.values()}
    return next((c for c in register.extra_columns if normalize(c.header) in wanted), None)


def _intact_legend(register: Register, previous: dict[str, object]) -> dict[str, str]:
    """The cells of the previous legend that still hold xlcsr's text: cell → text."""
    legend = previous.get("legend")
    if not isinstance(legend, dict) or legend.get("row") != register.header_row:
        return {}
    headers = {f"{c.letter}{register.header_row}": c.header for c in register.extra_columns}
    return {ref: text for ref, text in dict(legend.get("cells", {})).items() if headers.get(ref) == text}


def _width_without_legend(register: Register, legend: dict[str, str]) -> int:
    """The number of columns the register uses, not counting xlcsr's legend at its right end."""
    if not legend:
        return register.width
    legend_columns = {c.index for c in register.extra_columns if f"{c.letter}{register.header_row}" in legend}
    if register.width - 1 > max(legend_columns):
        return register.width  # something stands right of the legend: go past it
    used = [c.index for c in register.columns.values()]
    used += [c.index for c in register.extra_columns if c.index not in legend_columns]
    return max(used) + 1


def own_columns(register: Register) -> set[int]:
    """The columns highlight put into the sheet: 逾期天数 and the legend (0-based indexes)."""
    previous = register.state.get(STATE_KEY)
    legend = _intact_legend(register, previous) if isinstance(previous, dict) and \
        previous.get("sheet") == register.sheet else {}
    own = {c.index for c in register.extra_columns if f"{c.letter}{register.header_row}" in legend}
    overdue = _overdue_column(register)
    return own | ({overdue.index} if overdue else set())


def counts_text(plan: HighlightPlan, lang: str = "zh") -> str:
    """'逾期 4 条，即将到期 2 条' (and review late when sign-off data exists)."""
    parts = [(LOOKS["overdue"], plan.overdue), (LOOKS["due_soon"], plan.due_soon)]
    if any(rule.key == "review_late" for rule in plan.rules) or plan.review_late:
        parts.append((LOOKS["review_late"], plan.review_late))
    if lang == "en":
        return ", ".join(f"{look.en.lower()} {n}" for look, n in parts)
    return "，".join(f"{look.zh} {n} 条" for look, n in parts)
