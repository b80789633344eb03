"""The sheet 会签 of a department's sign-off workbook, as cell values: where each item and answer is.

    >>> layout = signoff_layout("技术部", date(2026, 11, 25), "顾客特殊要求清单.xlsx", items)
    >>> layout.rows[0][0], layout.placed[0][0], layout.choices
    ('顾客特殊要求会签表 — 技术部', 6, {'K6:K7': ('可满足', '有条件满足', '不能满足')})
    >>> answers, edited = read_answers(values, layout.placed)
    >>> answers[0].answer, answers[0].cells["answer"], edited
    ('可满足', 'K6', [])

Row 1 is the title, row 2 the department, issue date and register, row 3 what to fill in; then one
section per kind of question (评审 or 总经理's 批准, then 落实确认), each a label row, a header row
and one row per item: the case in columns A–J (locked, sealed) and the answer in K–N (the only
cells a user may edit). `read_answers` reads the answers of the sealed rows back and names every
locked cell that no longer shows what was sealed, compared as text: a date read back as a date (or
as a serial number) equals its ISO text, the number 1.0 equals "1".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial

from xlcsr.domain.dates import parse_date
from xlcsr.domain.fields import FIELD_BY_KEY
from xlcsr.domain.records import cell_text, column_letter
from xlcsr.domain.signoff import Answer, Kind, SignoffItem
from xlcsr.domain.vocab import APPROVALS, NOTE_REQUIRED, REVIEW_OPINIONS, ROLLOUT_DONE
from xlcsr.rules.signoff import SHOWN_FIELDS

CASE_KEYS: tuple[str, ...] = ("case_no", *SHOWN_FIELDS)  # columns A–J, locked and sealed
ANSWER_KEYS: tuple[str, ...] = ("answer", "note", "reviewer", "day")  # columns K–N, the only ones unlocked
WIDTH = len(CASE_KEYS) + len(ANSWER_KEYS)
_COLUMNS = (*CASE_KEYS, *ANSWER_KEYS)
LETTERS: dict[str, str] = {key: column_letter(i) for i, key in enumerate(_COLUMNS)}
DATE_KEYS = ("received", "due")
TITLE_ROW, INFO_ROW, HELP_ROW = 1, 2, 3
ORDER = (Kind.REVIEW, Kind.APPROVAL, Kind.ROLLOUT)  # the sections, top to bottom
ALLOWED: dict[Kind, tuple[str, ...]] = {Kind.REVIEW: REVIEW_OPINIONS, Kind.APPROVAL: APPROVALS,
                                        Kind.ROLLOUT: (ROLLOUT_DONE,)}

_TEXT = {
    "zh": {
        "title": "顾客特殊要求会签表 — {department}",
        "info": "部门：{department}　　签发日期：{issued}　　清单：{register}",
        "help": "只填写黄色单元格（其他单元格已锁定，改动后本表将不能收集）：{hints}签名并填写日期，如 {issued}。",
        "hint": "{column}从下拉列表选择（{answers}）{needs}；",
        "needs": "，{answers}须填写说明",
        "rollout_hint": "，并填写更改的文件及版本",
        "join": "、",
        "numbers": "一二三",
        Kind.REVIEW: ("、评审", ("评审意见", "说明", "评审人", "评审日期")),
        Kind.APPROVAL: ("、批准（特殊合同）", ("批准意见", "说明", "批准人", "批准日期")),
        Kind.ROLLOUT: ("、落实确认", ("落实结果", "更改的文件及版本", "确认人", "确认日期")),
    },
    "en": {
        "title": "Customer special requirements sign-off — {department}",
        "info": "Department: {department}    Issued: {issued}    Register: {register}",
        "help": ("Fill in the yellow cells only (every other cell is locked: a sheet changed there cannot be "
                 "collected): {hints}sign and date it, like {issued}."),
        "hint": "pick the {column} from the list ({answers}){needs}; ",
        "needs": ", {answers} need a note",
        "rollout_hint": ", with the document changed and its revision",
        "join": " / ",
        "numbers": "123",
        Kind.REVIEW: (". Review", ("Opinion", "Note", "Reviewer", "Date")),
        Kind.APPROVAL: (". Approval (special contract)", ("Decision", "Note", "Approved by", "Date")),
        Kind.ROLLOUT: (". Rollout", ("Result", "Document changed and revision", "Confirmed by", "Date")),
    },
}


@dataclass(frozen=True)
class SignoffLayout:
    """The sheet 会签 as values from A1, and where its items, answer cells and lists are."""

    rows: list[list[object]]  # dates as dates, the revision as a number, the rest as text
    placed: list[tuple[int, SignoffItem]]  # each item with its sheet row, as sealed
    answer_cells: list[str]  # the cells left unlocked: K–N of every item row
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)  # answer range → allowed answers
    date_ranges: list[str] = field(default_factory=list)  # the answer date ranges ("N6:N7")
    section_rows: list[int] = field(default_factory=list)
    header_rows: list[int] = field(default_factory=list)
    print_rows: str = "1:2"  # the rows repeated on every printed page

    @property
    def item_rows(self) -> list[int]:
        return [row for row, _ in self.placed]

    @property
    def last_column(self) -> str:
        return column_letter(WIDTH - 1)


def signoff_layout(department: str, issued: date, register_name: str, items: Sequence[SignoffItem],
                   lang: str = "zh") -> SignoffLayout:
    """The sheet for `items` of `department`, grouped by kind (review or approval, then rollout), in order."""
    text = _TEXT[_lang(lang)]
    present = [kind for kind in ORDER if any(item.kind is kind for item in items)]
    values = dict(department=department, issued=issued.isoformat(), register=register_name)
    rows: list[list[object]] = [[text["title"].format(**values)], [text["info"].format(**values)],
                                [_help(present, issued, text, lang)]]
    placed: list[tuple[int, SignoffItem]] = []
    answer_cells: list[str] = []
    choices: dict[str, tuple[str, ...]] = {}
    date_ranges: list[str] = []
    section_rows: list[int] = []
    header_rows: list[int] = []
    for number, kind in zip(text["numbers"], present):
        if section_rows:
            rows.append([])  # a blank row between sections
        label, answer_headers = text[kind]
        rows.append([f"{number}{label}"])
        section_rows.append(len(rows))
        rows.append([*_case_headers(lang), *answer_headers])
        header_rows.append(len(rows))
        first = len(rows) + 1
        for item in (i for i in items if i.kind is kind):
            rows.append([*_case_values(item), *[None] * len(ANSWER_KEYS)])
            row = len(rows)
            placed.append((row, item))
            answer_cells += [f"{LETTERS[key]}{row}" for key in ANSWER_KEYS]
        last = len(rows)
        choices[f"{LETTERS['answer']}{first}:{LETTERS['answer']}{last}"] = ALLOWED[kind]
        date_ranges.append(f"{LETTERS['day']}{first}:{LETTERS['day']}{last}")
    print_rows = f"1:{header_rows[0]}" if len(header_rows) == 1 else f"1:{INFO_ROW}"
    return SignoffLayout([_padded(row) for row in rows], placed, answer_cells, choices, date_ranges,
                         section_rows, header_rows, print_rows)


def read_answers(values: Sequence[Sequence[object]], placed: Sequence[tuple[int, SignoffItem]], *,
                 date1904: bool = False) -> tuple[list[Answer], list[tuple[str, str, str]]]:
    """The answers in the sealed item rows of `values` (the sheet from A1), and the locked cells changed:
    (cell, sealed text, text found), in sheet order."""
    answers: list[Answer] = []
    edited: list[tuple[str, str, str]] = []
    for row, item in placed:
        cells = list(values[row - 1]) if row <= len(values) else []
        at = partial(_at, cells)
        sealed = {"case_no": item.case_no, **{key: item.fields.get(key, "") for key in SHOWN_FIELDS}}
        for key in CASE_KEYS:
            found = at(key)
            if not shows_sealed(found, str(sealed[key]), date1904):
                edited.append((f"{LETTERS[key]}{row}", str(sealed[key]), _shown(found)))
        answers.append(Answer(item.case_no, item.kind, cell_text(at("answer")), cell_text(at("note")),
                              cell_text(at("reviewer")), at("day"), row,
                              {key: f"{LETTERS[key]}{row}" for key in ("case_no", *ANSWER_KEYS)}))
    return answers, edited


def _at(cells: Sequence[object], key: str) -> object:
    """The value of column `key` in a row read back; None for an empty cell."""
    index = _COLUMNS.index(key)
    value = cells[index] if index < len(cells) else None
    return None if value == "" else value


def _case_headers(lang: str) -> list[str]:
    return [FIELD_BY_KEY[key].english if lang == "en" else FIELD_BY_KEY[key].header for key in CASE_KEYS]


def _help(kinds: Sequence[Kind], issued: date, text: dict, lang: str) -> str:  # type: ignore[type-arg]
    """What to fill in: per kind of question its answer column, its answers and what they need; the date."""
    hints = []
    for kind in kinds:
        allowed = ALLOWED[kind]
        needs = [answer for answer in NOTE_REQUIRED if answer in allowed]
        extra = text["needs"].format(answers=text["join"].join(needs)) if needs else ""
        if kind is Kind.ROLLOUT:
            extra = text["rollout_hint"]
        column = text[kind][1][0]
        hints.append(text["hint"].format(column=column.lower() if lang == "en" else column,
                                         answers=text["join"].join(allowed), needs=extra))
    return text["help"].format(hints="".join(hints), issued=issued.isoformat())


def _case_values(item: SignoffItem) -> list[object]:
    """The locked cells of an item: its dates as dates and its revision as a number, so they read as such."""
    values: list[object] = [item.case_no]
    for key in SHOWN_FIELDS:
        text = item.fields.get(key, "")
        values.append(_typed(key, text))
    return values


def _typed(key: str, text: str) -> object:
    if not text:
        return None
    if key in DATE_KEYS:
        try:
            return date.fromisoformat(text)
        except ValueError:
            return text
    if key == "revision" and text.isdigit():
        return int(text)
    return text


def shows_sealed(found: object, sealed: str, date1904: bool) -> bool:
    """Whether a cell read back still shows the sealed text: as text, or as the same date."""
    if _normal(cell_text(found)) == _normal(sealed):
        return True
    if isinstance(found, datetime) and found.time() == datetime.min.time():
        return found.date().isoformat() == sealed
    if isinstance(found, (int, float)) and not isinstance(found, bool) and len(sealed) == 10:
        try:
            return parse_date(found, date1904=date1904).isoformat() == sealed
        except ValueError:
            return False
    return False


def _normal(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _shown(value: object) -> str:
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date().isoformat()
    return cell_text(value)


def _padded(row: list[object]) -> list[object]:
    return row + [None] * (WIDTH - len(row))


def _lang(lang: str) -> str:
    if lang not in _TEXT:
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    return lang
