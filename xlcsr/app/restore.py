"""`restore --at`: put a register back from one of its backups, itself undoable the same way.

    >>> backup = find_backup(Path("清单.xlsx"), "20261201-1730")
    >>> restore_register(Path("清单.xlsx"), backup, today=date(2026, 12, 2), clock=clock).summary()
    '已从备份 清单-20261201-173012-480211.xlsx 恢复：12 处改动记入变更记录；恢复前的文件已备份为 …'

Every part comes back as in the backup except 变更记录, which keeps every row logged since and gains
the restore's entry and the differences it made (来源 xlcsr restore), and xlcsr's state in `_xlcsr`:
the backup's marks and colours (they describe its cells), today's register id, sign-off issue dates
and the highest case numbers given (a number once given is never given again). The snapshot becomes
the backup's, so the next `track` finds only what people change after the restore.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from xlcsr.app.backups import BackupInfo
from xlcsr.app.change_log import current_user, log_texts, moment
from xlcsr.app.config import register_defaults, retention_for
from xlcsr.domain.records import Register
from xlcsr.domain.vocab import CHANGELOG_SHEET
from xlcsr.files.file_book import Clock, FileBook
from xlcsr.files.restore_writer import put_back
from xlcsr.rules.changes import TrackPlan, plan_restore, source_of
from xlcsr.rules.signoff import ID_KEY, STATE_KEY, register_id
from xlcsr.workbook.changelog import canonical, change_row, log_rows


@dataclass
class RestoreResult:
    """What the restore did: the plan logged, and the backup the replaced file became."""

    backup: BackupInfo
    plan: TrackPlan
    saved: Path | None  # today's file before the restore, now a backup

    def summary(self, lang: str = "zh") -> str:
        count = len(self.plan.changes)
        kept = self.saved.name if self.saved else "—"
        if lang == "en":
            return (f"restored from {self.backup.path.name}: {count} entries in 变更记录; the file as it was is "
                    f"kept as {kept} (xlcsr restore --at can put it back)")
        return (f"已从备份 {self.backup.path.name} 恢复：变更记录新增 {count} 条；恢复前的文件已备份为 {kept}"
                "（可用 xlcsr restore --at 还原）")


def restore_register(book: Path, backup: BackupInfo, *, today: date, clock: Clock | None = None,
                     user: str | None = None) -> RestoreResult:
    """Put `backup` back as `book` (see the module)."""
    book = Path(book)
    defaults = register_defaults(book.parent)
    now_book = FileBook(book, clock=clock, defaults=defaults)
    current = now_book.read()
    then_book = FileBook(backup.path, defaults=defaults)
    restored = then_book.read()
    at, user = moment(today, clock), current_user() if user is None else user
    ident = register_id(current) or uuid.uuid4().hex
    store = now_book.store
    previous = store.snapshot(ident)
    plan = plan_restore(previous, current, restored, at=at, user=user, backup=backup.path.name)
    log, first = _log_since(now_book.values(CHANGELOG_SHEET) if current.changes is not None else [],
                            then_book.values(CHANGELOG_SHEET) if restored.changes is not None else [],
                            current.date1904)
    with store.stage(ident, plan.states, log_texts(plan, current), at=at) as pending:
        saved = put_back(book, backup.path, state=_state(current, restored, ident), log=log, first=first,
                         appended=[change_row(c) for c in plan.changes], expect=now_book.stamp,
                         now=clock() if clock else None, keep=retention_for(book.parent))
        if saved is not None:
            store.record_backup(saved, source_of("restore"), at)
        pending.commit()
    return RestoreResult(backup, plan, saved)


def _log_since(now: list[list[object]], then: list[list[object]], date1904: bool) -> tuple[list[list[object]], int]:
    """Today's 变更记录 rows the backup lacks and the backup's row to add them from; when the backup's
    log is not the start of today's, every row of today's and 0 (the sheet rewritten)."""
    rows_now, rows_then = log_rows(now), log_rows(then)
    if not then or len(rows_then) > len(rows_now):
        return [list(r) for _, r in rows_now], 0
    if any(canonical(a, date1904) != canonical(b, date1904) for (_, a), (_, b) in zip(rows_then, rows_now)):
        return [list(r) for _, r in rows_now], 0
    first = (rows_then[-1][0] if rows_then else 1) + 1
    return [list(r) for _, r in rows_now[len(rows_then):]], first


def _state(current: Register, restored: Register, ident: str) -> dict[str, object]:
    """The backup's state, with today's id, sign-off state and the higher high-water mark of each year."""
    state = dict(restored.state)
    marks = {**dict(restored.state.get("high_water") or {})}
    for year, value in dict(current.state.get("high_water") or {}).items():
        marks[year] = max(int(value), int(marks.get(year, 0)))
    if marks:
        state["high_water"] = marks
    if STATE_KEY in current.state:
        state[STATE_KEY] = current.state[STATE_KEY]
    state[ID_KEY] = ident
    return state
