"""What goes into 变更记录, and what a change re-opens for review (DESIGN.md, workflow; procedure §5.4).

    >>> plan = plan_track(store.snapshot(ident), register, records, at=now, user="李四")
    >>> [(c.case_no, c.field, c.old, c.new, c.source) for c in plan.write.changes]
    [('CSR-2026-0001', 'requirement', 'PPAP 3级', 'PPAP 4级', '手工'),
     ('CSR-2026-0001', 'revision', '1', '2', 'xlcsr track'),
     ('CSR-2026-0001', 'status', '处理中', '评审中', 'xlcsr track')]
    >>> plan.reopened
    {'CSR-2026-0001': ('技术部', '品质部', '生产部')}

The register is compared with its last snapshot (rows matched by `rules.matching`): each difference
is a hand edit (来源 手工, 修改人 the workbook's last saver, else the user running xlcsr). A writing
command adds its own edits after them (来源 "xlcsr assign" …), so the snapshot it leaves behind holds
everything and the next `track` finds only what people did since.

A change to a reviewed field (requirement, due date, departments, category, contract type) of a case
that went to sign-off bumps its 版本号. Whose answers it voids follows the sign-off fingerprints
(`rules.signoff.fingerprint`): a requirement, category or contract type change voids every
department's, a due date change only the date-sensitive departments' and 总经理's, a department
added has none yet, one removed is no longer asked and keeps its history. The voided answers are
marked 已失效 in 会签记录 (never deleted) and an approved or closed case goes back to 评审中, so
the next `signoff` issues exactly those departments. On a row that does not pass validation as it
reads then, no fingerprint can be compared: the revision is bumped all the same and every answer of
the case is voided.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from xlcsr.domain.changes import Action, Change, PackedStates, RowState
from xlcsr.domain.fields import FIELD_BY_KEY, split_list
from xlcsr.domain.issues import Code, Issue
from xlcsr.domain.records import CsrRecord, Register
from xlcsr.domain.signoff import EntryState
from xlcsr.domain.vocab import APPROVER, DONE, IN_PROGRESS, MANUAL_SOURCE, REVIEWED_FIELDS, UNDER_REVIEW
from xlcsr.rules.matching import Delta, deltas, summary
from xlcsr.rules.signoff import Ledger, fingerprint, ledger_of, revision_of
from xlcsr.rules.validate import records_of

Edits = Mapping[tuple[int, str], str]  # (register row, field key) → the text a command writes


def source_of(command: str) -> str:
    """变更记录's 来源 of what an xlcsr command wrote: "xlcsr assign"."""
    return f"xlcsr {command}"


def states_of(register: Register) -> list[RowState]:
    """The register's rows as the snapshot keeps them (sharing the rows' texts: read them, never edit them)."""
    return [RowState(row.number, row.texts) for row in register.rows]


def packed_states(register: Register) -> PackedStates:
    """`states_of(register)`, packed: the texts of its table's columns, without a row's dictionary made."""
    table = register.read_table
    if table is not None:
        return PackedStates(table.numbers, table.texts)
    keys = sorted({key for row in register.rows for key in row.texts})
    return PackedStates([row.number for row in register.rows],
                        {key: [row.texts.get(key, "") for row in register.rows] for key in keys})


@dataclass
class ChangeWrite:
    """What a tracked write adds to the register, in the same save as the command's own edits."""

    cells: dict[tuple[int, str], str] = field(default_factory=dict)  # (row, field) → text: 版本号, 处理状态
    changes: list[Change] = field(default_factory=list)  # new rows at the bottom of 变更记录
    log_row: int = 0  # where they go: the first free row of 变更记录, 0 when the sheet is missing
    stale: list[int] = field(default_factory=list)  # rows of 会签记录 whose answer no longer holds
    register_id: str | None = None  # the id given to the register now (the first track only)
    protect: bool = False  # protect 变更记录 and 会签记录 (the first track)

    @property
    def empty(self) -> bool:
        return not (self.cells or self.changes or self.stale or self.register_id or self.protect)


@dataclass
class TrackPlan:
    """What a track (or a tracked command) found and will write, and the snapshot it leaves."""

    write: ChangeWrite
    states: list[RowState]
    issues: list[Issue] = field(default_factory=list)  # case_removed, case_renumbered
    reopened: dict[str, tuple[str, ...]] = field(default_factory=dict)  # case → the departments asked again
    baseline: bool = False  # the first track: the snapshot taken, nothing recorded

    @property
    def changes(self) -> list[Change]:
        return self.write.changes

    @property
    def hand_edits(self) -> list[Change]:
        return [c for c in self.write.changes if c.source == MANUAL_SOURCE]


def plan_track(previous: Sequence[RowState] | None, register: Register,
               records: Sequence[CsrRecord] | None = None, *, at: datetime, user: str, command: str = "track",
               edits: Edits | None = None, remap: tuple[Register, Mapping[str, str]] | None = None) -> TrackPlan:
    """The changes since `previous` (None: take the baseline), then `command`'s own `edits`, then the
    revision bumps and re-reviews they cause. `records` are the register's valid rows when the command
    has them; else only the rows a re-review needs are checked.

    `remap` is the register as it reads once `command` has mapped more of its columns (header → field):
    each mapping is logged once, and the snapshot becomes that register's, so the values a mapped
    column brings are not taken for edits."""
    current = _States(states_of(register))
    by = register.modified_by or user
    plan = TrackPlan(ChangeWrite(log_row=_next_log_row(register)), current.states, baseline=previous is None)
    letters = {key: column.letter for key, column in register.columns.items()}
    changed = []  # (row, field) edited, for the re-review
    if previous is not None:
        for delta in deltas(previous, current.states):
            plan.write.changes.append(_change(delta, at, by, current.revision))
            plan.issues.extend(_flags(delta, letters))
            if delta.action is Action.EDIT and delta.new is not None:
                changed.append((delta.new.position, delta.field))
    if remap is not None:
        after, mapped = remap
        plan.write.changes += [Change(at, "", key, "", f"{header} → {FIELD_BY_KEY[key].header}", None, user,
                                      source_of(command), Action.MAPPED)
                               for header, key in mapped.items()]
        current = _States(states_of(after))
    changed += _apply(plan, current, edits or {}, at, user, source_of(command))
    _reopen(plan, register, records, changed, at, user, source_of(command), current)
    plan.states = current.states
    return plan


class _States:
    """The snapshot being made: the register's rows (sharing their texts), each copied before xlcsr edits it."""

    def __init__(self, states: list[RowState]):
        self.states = states
        self._index = {state.position: i for i, state in enumerate(states)}

    def get(self, row: int) -> RowState | None:
        index = self._index.get(row)
        return None if index is None else self.states[index]

    def revision(self, row: int) -> int | None:
        state = self.get(row)
        text = state.fields.get("revision", "") if state is not None else ""
        return int(text) if text.isdigit() else None

    def set(self, row: int, key: str, text: str) -> None:
        index = self._index[row]
        fields = dict(self.states[index].fields)
        if text:
            fields[key] = text
        else:
            fields.pop(key, None)
        self.states[index] = RowState(row, fields)


def plan_restore(previous: Sequence[RowState] | None, current: Register, restored: Register, *, at: datetime,
                 user: str, backup: str) -> TrackPlan:
    """Putting `restored` (a backup) back over `current`: the hand edits since the snapshot, the restore
    itself, then every difference it makes, logged as xlcsr restore's; the snapshot is the backup's."""
    hand = plan_track(previous, current, [], at=at, user=user).changes if previous is not None else []
    source = source_of("restore")
    entry = Change(at, "", "", "", backup, None, user, source, Action.RESTORED)
    made = [_change(d, at, user, lambda row: None, source) for d in deltas(states_of(current), states_of(restored))]
    return TrackPlan(ChangeWrite(changes=[*hand, entry, *made]), states_of(restored))


def _next_log_row(register: Register) -> int:
    if register.changes is None:
        return 0
    return max((row for row, _ in register.change_texts), default=1) + 1


def _change(delta: Delta, at: datetime, by: str, revision_of_row: Callable[[int], int | None],
            source: str = MANUAL_SOURCE) -> Change:
    new, old = delta.new, delta.old
    row = new.position if new is not None else 0
    case_no = (new.case_no if new is not None else "") or (old.case_no if old is not None else "")
    revision = revision_of_row(row) if row else None
    if delta.action is Action.ADDED:
        return Change(at, case_no, "", "", summary(new), revision, by, source, Action.ADDED, row)  # type: ignore[arg-type]
    if delta.action is Action.REMOVED:
        return Change(at, case_no, "", summary(old), "", None, by, source, Action.REMOVED)  # type: ignore[arg-type]
    return Change(at, case_no, delta.field, delta.before, delta.after, revision, by, source, delta.action, row)


def _flags(delta: Delta, letters: Mapping[str, str]) -> list[Issue]:
    """Case numbers must not vanish or change: a removed numbered row, a renumbering."""
    if delta.action is Action.REMOVED and delta.old is not None and delta.old.case_no:
        return [Issue.make(Code.CASE_REMOVED, field="case_no", value=delta.old.case_no)]
    if delta.action is Action.RENUMBERED and delta.new is not None:
        return [Issue.make(Code.CASE_RENUMBERED, row=delta.new.position, column=letters.get("case_no"),
                           field="case_no", value=delta.after, extra=delta.before)]
    return []


def _apply(plan: TrackPlan, states: _States, edits: Edits, at: datetime, user: str,
           source: str) -> list[tuple[int, str]]:
    """Log a command's own edits and take them into the snapshot; returns the (row, field) changed."""
    done = []
    for (row, key), text in sorted(edits.items()):
        state = states.get(row)
        if state is None:
            continue
        before = state.fields.get(key, "")
        if before == text:
            continue
        case_no = text if key == "case_no" else state.case_no
        plan.write.changes.append(Change(at, case_no, key, before, text, states.revision(row), user, source, row=row))
        states.set(row, key, text)
        done.append((row, key))
    return done


def _reopen(plan: TrackPlan, register: Register, records: Sequence[CsrRecord] | None, changed: list[tuple[int, str]],
            at: datetime, user: str, source: str, states: _States) -> None:
    """Bump the revision of each reviewed case whose reviewed fields changed; void the answers that no
    longer hold; send an approved or closed case back to 评审中."""
    rows = sorted({row for row, key in changed if key in REVIEWED_FIELDS})
    if not rows:
        return
    if records is None:
        records = records_of(register, rows)
    ledger = ledger_of(register, records)
    by_record = {r.row: r for r in records}
    for row in rows:
        record = by_record.get(row)
        if record is None:
            _reopen_unread(plan, register, ledger, row, at, user, source, states)
            continue
        if not record.case_no or not _went_to_review(ledger, record.case_no):
            continue
        revision = revision_of(record) + 1
        _machine(plan, states, row, "revision", str(revision), at, user, source, revision)
        plan.write.stale += [e.row for e in register.signoffs or ()
                             if e.case_no == record.case_no and e.state is EntryState.APPLIED and e.row
                             and e.fingerprint != fingerprint(record, e.department, register.settings)]
        _restamp(plan, row, revision)
        waiting = ledger.unsigned_any(record.case_no)
        if waiting:
            plan.reopened[record.case_no] = waiting
            if record.status in (IN_PROGRESS, DONE):
                _machine(plan, states, row, "status", UNDER_REVIEW, at, user, source, revision)


def _reopen_unread(plan: TrackPlan, register: Register, ledger: Ledger, row: int, at: datetime, user: str,
                   source: str, states: _States) -> None:
    """`_reopen` for a case whose row does not pass validation as it reads now: no answer can be shown to
    rest on what the row says, so every answer still applied is voided and every department that gave
    one asks again; the revision is bumped all the same."""
    state = states.get(row)
    case_no = state.case_no if state is not None else ""
    if state is None or not case_no or not _went_to_review(ledger, case_no):
        return
    text = state.fields.get("revision", "")
    revision = (int(text) if text.isdigit() and int(text) > 0 else 1) + 1
    _machine(plan, states, row, "revision", str(revision), at, user, source, revision)
    voided = [e for e in register.signoffs or () if e.case_no == case_no and e.state is EntryState.APPLIED and e.row]
    plan.write.stale += [e.row for e in voided]
    _restamp(plan, row, revision)
    named = split_list(state.fields.get("departments", ""))  # in the row's order, as reviewers() gives them
    asked = tuple(sorted(dict.fromkeys(e.department for e in voided),
                         key=lambda d: (d == APPROVER, named.index(d) if d in named else len(named))))
    if asked:
        plan.reopened[case_no] = asked
    if state.fields.get("status", "") in (IN_PROGRESS, DONE):
        _machine(plan, states, row, "status", UNDER_REVIEW, at, user, source, revision)


def _restamp(plan: TrackPlan, row: int, revision: int) -> None:
    """The row's changes logged so far belong to its new revision."""
    plan.write.changes[:] = [replace(c, revision=revision) if c.row == row and c.revision != revision else c
                             for c in plan.write.changes]


def _went_to_review(ledger: Ledger, case_no: str) -> bool:
    return ledger.reviewed_here(case_no) or case_no in ledger.issued


def _machine(plan: TrackPlan, states: _States, row: int, key: str, text: str, at: datetime, user: str,
             source: str, revision: int) -> None:
    state = states.get(row)
    assert state is not None
    plan.write.cells[(row, key)] = text
    plan.write.changes.append(Change(at, state.case_no, key, state.fields.get(key, ""), text, revision, user, source,
                                     row=row))
    states.set(row, key, text)
