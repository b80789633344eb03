"""What an auditor reads: one case's whole life, and the differences between two copies of a register.

    >>> history = case_history(Path("顾客特殊要求清单.xlsx"), "CSR-2026-0001")
    >>> [row[1] for row in history.to_rows()]
    ['接收', '修改', '评审', '评审（已失效）', '批准', '现状']
    >>> diff = diff_registers(Path("备份.xlsx"), Path("顾客特殊要求清单.xlsx"))
    >>> diff.counts, diff.unchanged
    (DiffCounts(added=1, removed=1, renumbered=1, changed_cells=3, changed_rows=2), False)
    >>> save_diff(diff, Path("差异.xlsx"))

`xlcsr history` and `xlcsr diff` call these. A case's history is read from the register alone: its
row (接收日期, 处理状态, 版本号), the rows of 变更记录 about it, under its number or any number it was
renumbered from or to, and its 会签记录 entries; the stale ones stay, marked 已失效. Two registers are
compared with the row matching of `xlcsr track` (`rules.matching`): a re-sort is no difference, a
changed case number is a renumbering, not a removal and an addition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple, TypeVar

from xlcsr.app.commands import RegisterBook, as_book
from xlcsr.domain.changes import Action, Change, RowState
from xlcsr.domain.dates import parse_date
from xlcsr.domain.errors import UnknownCase
from xlcsr.domain.fields import FIELD_BY_KEY, FIELDS
from xlcsr.domain.fields import Kind as FieldKind
from xlcsr.domain.records import Register, SourceRow, bulk
from xlcsr.domain.signoff import Entry, EntryState, Kind
from xlcsr.domain.vocab import CHANGELOG_SHEET, DIFF_SHEET, HISTORY_SHEET, NOW_EVENT, RECEIVED_EVENT, SIGNOFF_LOG_SHEET
from xlcsr.files.audit_books import MarkedRow, write_diff_book, write_history_book
from xlcsr.files.reader import read_register
from xlcsr.rules.changes import packed_states, states_of
from xlcsr.rules.matching import Delta, deltas, match_rows, summary

T = TypeVar("T")

HISTORY_HEADERS = {"zh": ["时间", "事件", "字段", "原值", "新值", "版本", "人员", "来源/文件"],
                   "en": ["Time", "Event", "Field", "Old value", "New value", "Revision", "Who", "Source / file"]}
EVENT_ENGLISH = {RECEIVED_EVENT: "Received", NOW_EVENT: "Now", **{
    str(Action.EDIT): "Edited", str(Action.ADDED): "Added", str(Action.REMOVED): "Removed",
    str(Action.RENUMBERED): "Renumbered", str(Action.RESTORED): "Restored", str(Kind.REVIEW): "Review",
    str(Kind.APPROVAL): "Approval", str(Kind.ROLLOUT): "Rollout"}}
MARKS = {Action.ADDED: "+++", Action.REMOVED: "---", Action.EDIT: "→", Action.RENUMBERED: "编号"}
ARROW = " → "
EMPTY = {"zh": "（空）", "en": "(empty)"}


# ---------------------------------------------------------------- history


@dataclass(frozen=True)
class Event:
    """One line of a case's history: when, what, on which field, old → new, revision, who, where from."""

    at: datetime | date | str  # a received date that is not one stays its text
    event: str  # 接收, an Action (修改 …), a sign-off Kind (评审 …), 现状
    field: str = ""  # a field key, or a department for a sign-off
    old: str = ""
    new: str = ""
    revision: int | None = None
    person: str = ""
    source: str = ""
    stale: bool = False
    day: date | None = None  # the date a reviewer gave with a sign-off

    @property
    def moment(self) -> datetime:
        if isinstance(self.at, datetime):
            return self.at
        if isinstance(self.at, date):
            return datetime(self.at.year, self.at.month, self.at.day)
        return datetime.min  # an unreadable received date: first


@dataclass
class CaseHistory:
    """A case's events in time order (received first) and where it stands now."""

    case_no: str  # as asked
    book: str  # the register's file name
    events: list[Event]
    current: str = ""  # its number in the register now; "" when it is no longer there
    numbers: tuple[str, ...] = ()  # every number it had, the one asked for first
    status: str = ""
    revision: str = ""
    row: int = 0  # its sheet row now

    @property
    def in_register(self) -> bool:
        return bool(self.row)

    @property
    def former_numbers(self) -> list[str]:
        return [n for n in self.numbers if n != self.current]

    @property
    def received(self) -> date | None:
        return next((e.at for e in self.events if e.event == RECEIVED_EVENT and isinstance(e.at, date)), None)

    @property
    def changes(self) -> int:
        return sum(1 for e in self.events if isinstance(e.event, Action))

    @property
    def signoffs(self) -> int:
        return sum(1 for e in self.events if isinstance(e.event, Kind))

    @property
    def stale(self) -> int:
        return sum(1 for e in self.events if e.stale)

    def to_rows(self, lang: str = "zh") -> list[list[object]]:
        """One row per event (时间 … 来源/文件), then 现状: the status and revision now."""
        rows = [_event_row(e, lang) for e in self.events]
        en = lang == "en"
        where = (f"{self.book} row {self.row}" if en else f"{self.book} 第 {self.row} 行") if self.row else self.book
        now = self.status if self.in_register else ("no longer in the register" if en else "已不在清单中")
        rows.append(["", _event_word(NOW_EVENT, en), _field_word("status", en), "", now,
                     _number(self.revision), "", where])
        return rows

    def summary(self, lang: str = "zh") -> str:
        en = lang == "en"
        received = self.received.isoformat() if self.received else ("?" if en else "未知")
        former = "、".join(self.former_numbers)
        if en:
            text = (f"{self.current or self.case_no}: received {received}, {self.changes} change(s), "
                    f"{self.signoffs} sign-off(s) ({self.stale} stale)")
            text += f", formerly {', '.join(self.former_numbers)}" if former else ""
            return text + (f"; now {self.status or '-'}, revision {self.revision or '-'}" if self.in_register
                           else f"; no longer in {self.book}")
        text = (f"{self.current or self.case_no}：{received} 接收，{self.changes} 处变更，"
                f"{self.signoffs} 条会签（{self.stale} 条{EntryState.STALE}）")
        text += f"，曾用编号 {former}" if former else ""
        return text + (f"；现为{self.status or '—'}，版本 {self.revision or '—'}" if self.in_register
                       else f"；已不在 {self.book} 中")


def case_history(book: RegisterBook | Path, case_no: str) -> CaseHistory:
    """The history of `case_no` in the register; UnknownCase when neither the register nor its log has it."""
    register = as_book(book).read()
    changes = register.changes or []
    wanted = _find_number(case_no, register, changes)
    if wanted is None:
        name = Path(register.path).name
        raise UnknownCase(f"{name} 中没有案件 {case_no}（清单、「{CHANGELOG_SHEET}」和「{SIGNOFF_LOG_SHEET}」中都没有）"
                          f" / case {case_no} is not in {name} (neither in the register nor in its logs)")
    numbers = _linked_numbers(wanted, changes)
    row = next((r for r in register.rows if r.text("case_no") in numbers), None)
    events = []
    if row is not None:
        events.append(_received(row, register))
    events += [_change_event(c) for c in changes if c.case_no in numbers]
    events += [_signoff_event(e) for e in register.signoffs or () if e.case_no in numbers]
    events.sort(key=lambda e: (e.moment, e.event != RECEIVED_EVENT))
    return CaseHistory(case_no=case_no, book=Path(register.path).name, events=events,
                       current=row.text("case_no") if row else "", numbers=tuple(numbers),
                       status=row.text("status") if row else "", revision=row.text("revision") if row else "",
                       row=row.number if row else 0)


def _find_number(case_no: str, register: Register, changes: list[Change]) -> str | None:
    """The number as the register or its logs spell it: as typed, else ignoring case and blanks."""
    known = [r.text("case_no") for r in register.rows]
    known += [c.case_no for c in changes]
    known += [c.old for c in changes if c.action is Action.RENUMBERED]
    known += [e.case_no for e in register.signoffs or ()]
    if case_no in known:
        return case_no
    folded = case_no.strip().casefold()
    return next((n for n in known if n and n.casefold() == folded), None)


def _linked_numbers(case_no: str, changes: list[Change]) -> list[str]:
    """`case_no` and every number it was renumbered from or to, the asked one first."""
    numbers = [case_no]
    links = [(c.old, c.new) for c in changes if c.action is Action.RENUMBERED and c.old and c.new]
    grew = True
    while grew:
        grew = False
        for a, b in links:
            for known, other in ((a, b), (b, a)):
                if known in numbers and other not in numbers:
                    numbers.append(other)
                    grew = True
    return numbers


def _received(row: SourceRow, register: Register) -> Event:
    """接收: the row's received date (its text when it is not a date), what came in, and from where."""
    try:
        day: date | str = parse_date(row.raw("received"), date1904=register.date1904)
    except ValueError:
        day = row.text("received")
    origin = " ".join(filter(None, (row.text("source"), row.text("source_ref"))))
    return Event(day, RECEIVED_EVENT, new=summary(RowState(row.number, dict(row.texts))), source=origin)


def _change_event(change: Change) -> Event:
    return Event(change.at, change.action, change.field, change.old, change.new, change.revision, change.by,
                 change.source)


def _signoff_event(entry: Entry) -> Event:
    answer = f"{entry.answer}：{entry.note}" if entry.note else entry.answer
    return Event(entry.collected_at, entry.kind, entry.department, new=answer, revision=entry.revision,
                 person=entry.reviewer, source=entry.file, stale=entry.state is EntryState.STALE, day=entry.day)


def _event_row(e: Event, lang: str) -> list[object]:
    en = lang == "en"
    label = _event_word(str(e.event), en)
    if e.stale:
        label += " (stale)" if en else f"（{EntryState.STALE}）"
    known = isinstance(e.event, Action) or e.event == RECEIVED_EVENT
    person = e.person
    if e.day is not None:
        person = f"{person} ({e.day.isoformat()})" if en else f"{person}（{e.day.isoformat()}）"
    return [e.at, label, _field_word(e.field, en) if known else e.field, e.old, e.new,
            "" if e.revision is None else e.revision, person.strip(), e.source]


def _event_word(word: str, en: bool) -> str:
    return EVENT_ENGLISH.get(word, word) if en else word


def _field_word(key: str, en: bool) -> str:
    known = FIELD_BY_KEY.get(key)
    if known is None:
        return key
    return known.english if en else known.header


def _number(text: str) -> object:
    return int(text) if text.isdigit() else text


def save_history(history: CaseHistory, out: Path, *, lang: str = "zh") -> Path:
    """`history` as a workbook of one sheet at `out` (never over an existing file)."""
    return write_history_book(out, HISTORY_HEADERS["en" if lang == "en" else "zh"], history.to_rows(lang),
                              sheet=HISTORY_SHEET)


# ---------------------------------------------------------------- diff


class DiffCounts(NamedTuple):
    added: int
    removed: int
    renumbered: int
    changed_cells: int
    changed_rows: int


@dataclass(frozen=True)
class DiffLine:
    """A row of either register: added, removed, renumbered, edited or unchanged (action None)."""

    action: Action | None
    old: RowState | None
    new: RowState | None
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)  # field key → (old, new)

    @property
    def mark(self) -> str:
        return MARKS.get(self.action, "") if self.action else ""

    @property
    def row(self) -> int:
        """Its sheet row in the new register; in the old one for a removed row."""
        state = self.new or self.old
        return state.position if state else 0

    def value(self, key: str) -> str:
        state = self.new or self.old
        return state.fields.get(key, "") if state else ""

    def text(self, key: str, lang: str = "zh") -> str:
        """The cell as shown: "old → new" when it changed, else its value."""
        if key not in self.changed:
            return self.value(key)
        empty = EMPTY["en" if lang == "en" else "zh"]
        before, after = self.changed[key]
        return f"{before or empty}{ARROW}{after or empty}"


@dataclass
class RegisterDiff:
    """What changed from `old` to `new`: every line of both (in new-sheet order) and the deltas found."""

    old: str
    new: str
    lines: list[DiffLine]
    deltas: list[Delta]
    fields: tuple[str, ...]  # the register fields of either file, in FIELDS order

    @property
    def added(self) -> list[RowState]:
        return [d.new for d in self.deltas if d.action is Action.ADDED and d.new]

    @property
    def removed(self) -> list[RowState]:
        return [d.old for d in self.deltas if d.action is Action.REMOVED and d.old]

    @property
    def renumbered(self) -> list[tuple[str, str]]:
        return [(d.before, d.after) for d in self.deltas if d.action is Action.RENUMBERED]

    @property
    def changed_cells(self) -> list[Delta]:
        """Each field edited in a row of both (old → new); a renumbering is not among them."""
        return [d for d in self.deltas if d.action is Action.EDIT]

    @property
    def changed(self) -> list[DiffLine]:
        """The lines that differ, in order."""
        return [line for line in self.lines if line.action is not None]

    @property
    def counts(self) -> DiffCounts:
        rows = sum(1 for line in self.lines if line.action in (Action.EDIT, Action.RENUMBERED)
                   and any(key != "case_no" for key in line.changed))
        return DiffCounts(len(self.added), len(self.removed), len(self.renumbered), len(self.changed_cells), rows)

    @property
    def unchanged(self) -> bool:
        return not self.deltas

    @property
    def shown_fields(self) -> list[str]:
        """The columns of the terminal table: the fields edited anywhere, with customer and requirement
        when a row was added or removed."""
        keys = {key for line in self.changed for key in line.changed if key != "case_no"}
        if self.added or self.removed:
            keys |= {"customer", "requirement"}
        return [f.key for f in FIELDS if f.key in keys and f.key != "case_no"]

    def headers(self, lang: str = "zh") -> list[str]:
        en = lang == "en"
        return ["", _field_word("case_no", en), *(_field_word(k, en) for k in self.shown_fields),
                "Row" if en else "行"]

    def to_rows(self, lang: str = "zh") -> list[list[object]]:
        """One row per line that differs: mark, case number, the fields shown ("old → new"), sheet row."""
        keys = self.shown_fields
        rows: list[list[object]] = []
        for line in self.changed:
            whole = line.action in (Action.ADDED, Action.REMOVED)
            cells = [line.text(k, lang) if whole or k in line.changed else "" for k in keys]
            rows.append([line.mark, line.text("case_no", lang), *cells, line.row])
        return rows

    def sheet_headers(self, lang: str = "zh") -> list[str]:
        en = lang == "en"
        return ["", *(_field_word(k, en) for k in self.fields)]

    def sheet_rows(self, lang: str = "zh") -> list[MarkedRow]:
        """Every line with every field (dates as dates), its action and, per changed cell, the old value."""
        en = lang == "en"
        out = []
        for line in self.lines:
            cells: list[object] = [line.mark]
            notes: dict[int, str] = {}
            for column, key in enumerate(self.fields, start=1):
                if key in line.changed:
                    cells.append(line.text(key, lang))
                    before = line.changed[key][0] or EMPTY["en" if en else "zh"]
                    notes[column] = f"Old value: {before}" if en else f"原值：{before}"
                else:
                    cells.append(_typed(key, line.value(key)))
            out.append(MarkedRow(line.action, cells, notes))
        return out

    def legend(self, lang: str = "zh") -> list[tuple[Action | None, str]]:
        if lang == "en":
            return [(None, "Legend:"), (Action.ADDED, "+++ added row"), (Action.REMOVED, "--- removed row"),
                    (Action.EDIT, "→ changed cell: old → new, old value in its note"),
                    (Action.RENUMBERED, "编号 case renumbered")]
        return [(None, "图例："), (Action.ADDED, "+++ 新增的行"), (Action.REMOVED, "--- 删除的行"),
                (Action.EDIT, "→ 修改的单元格：原值 → 新值，批注为原值"), (Action.RENUMBERED, "编号 案件号被改动")]

    def summary(self, lang: str = "zh") -> str:
        c = self.counts
        if lang == "en":
            if self.unchanged:
                return f"No differences between {self.old} and {self.new}"
            return (f"{self.old} → {self.new}: {c.added} row(s) added, {c.removed} removed, {c.renumbered} "
                    f"renumbered, {c.changed_cells} cell(s) changed in {c.changed_rows} row(s)")
        if self.unchanged:
            return f"{self.old} 与 {self.new} 没有差异"
        return (f"{self.old} → {self.new}：新增 {c.added} 行，删除 {c.removed} 行，重新编号 {c.renumbered} 个，"
                f"{c.changed_rows} 行中修改了 {c.changed_cells} 个单元格")


def diff_registers(old: Path, new: Path) -> RegisterDiff:
    """The differences from register `old` to register `new`, rows matched as `xlcsr track` matches them."""
    with bulk():
        packed, old_keys = _tracked(old, packed_states)  # packed while the second register is read
        new_states, new_keys = _tracked(new, states_of)
        old_states = packed.unpack(like=new_states)
        matching = match_rows(old_states, new_states)
        found = deltas(old_states, new_states, matching)
    keys = old_keys | new_keys
    return RegisterDiff(Path(old).name, Path(new).name, _lines(old_states, new_states, matching.pairs, found),
                        found, tuple(f.key for f in FIELDS if f.key in keys))


def _tracked(path: Path, states: Callable[[Register], T]) -> tuple[T, set[str]]:
    """A register's rows as tracked, and its fields; the rest of what was read is let go at once."""
    register = read_register(path)
    return states(register), set(register.columns)


def _lines(old: list[RowState], new: list[RowState], pairs: list[tuple[int, int]],
           found: list[Delta]) -> list[DiffLine]:
    """Every row of `new` in order, each removed row after the new row of the old row above it."""
    edited: dict[int, dict[str, tuple[str, str]]] = {}
    renumbered: set[int] = set()
    added: set[int] = set()
    removed: set[int] = set()
    for d in found:
        if d.action is Action.ADDED and d.new is not None:
            added.add(id(d.new))
        elif d.action is Action.REMOVED and d.old is not None:
            removed.add(id(d.old))
        elif d.new is not None:
            edited.setdefault(id(d.new), {})[d.field] = (d.before, d.after)
            if d.action is Action.RENUMBERED:
                renumbered.add(id(d.new))
    old_of = {n: o for o, n in pairs}
    new_of = {o: n for o, n in pairs}
    after: dict[int, list[int]] = {}
    last = -1
    for o, state in enumerate(old):
        if o in new_of:
            last = new_of[o]
        elif id(state) in removed:
            after.setdefault(last, []).append(o)
    lines = [DiffLine(Action.REMOVED, old[o], None) for o in after.get(-1, ())]
    for n, state in enumerate(new):
        o = old_of.get(n)
        changed = edited.get(id(state), {})
        if id(state) in added or o is None:
            lines.append(DiffLine(Action.ADDED, None, state))
        else:
            action = Action.RENUMBERED if id(state) in renumbered else Action.EDIT if changed else None
            lines.append(DiffLine(action, old[o], state, changed))
        lines += [DiffLine(Action.REMOVED, old[r], None) for r in after.get(n, ())]
    return lines


def _typed(key: str, text: str) -> object:
    """A date field's ISO text as a date (the workbook shows it as one); everything else as it is."""
    known = FIELD_BY_KEY.get(key)
    if known is not None and known.kind is FieldKind.DATE and text:
        try:
            return date.fromisoformat(text)
        except ValueError:
            return text
    return text


def save_diff(diff: RegisterDiff, out: Path, *, lang: str = "zh") -> Path:
    """`diff` as a workbook at `out`: a legend row, the header, every row coloured by what happened to it."""
    return write_diff_book(out, diff.sheet_headers(lang), diff.sheet_rows(lang), legend=diff.legend(lang),
                           sheet=DIFF_SHEET)
