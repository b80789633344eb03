"""What change tracking keeps beside a register, in its store (`.xlcsr/xlcsr.sqlite`, shared with the sent log).

    with ChangeStore.beside(Path("D:/质量部/顾客特殊要求清单.xlsx")) as store:
        before = store.snapshot(register_id)            # None: no baseline yet
        with store.stage(register_id, states, appended, at=clock()) as pending:
            book.save()                                  # raises: the store is left as it was
            pending.commit()
        store.history(register_id, "CSR-2026-0001")     # [(at, fields), …] oldest first

Per register id (two registers in one folder share the store): the last snapshot of its tracked rows
and the first one, the baseline (each one compressed blob), the history (one row per case per change:
the case's fields after it, keyed by case number, or "#<sheet row>" for a row without one; `{}` once a
case number is gone; a row without a number that only moved is no change), and the hash chain of
变更记录 (`xlcsr.rules.chain.Link`s, in order). Beside them, which command made each backup. The store
keeps the `RowState`s it is given and hands them back: treat their fields as read-only.

`stage` opens the write (BEGIN IMMEDIATE) and makes every insert, so a store that cannot be written
stops the command before the workbook is touched; `commit` after the workbook was saved, `rollback`
(or leaving the `with` without a commit) when it was not. `save` is stage + commit. Reading a store that
does not exist creates nothing.
"""

from __future__ import annotations

import gc
import json
import sqlite3
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import chain
from pathlib import Path

from xlcsr.disk.atomic import target_of
from xlcsr.domain.changes import RowState
from xlcsr.domain.errors import WorkbookUnreadable, WriteFailed
from xlcsr.domain.vocab import STORE_DIR, STORE_FILE
from xlcsr.rules.chain import Link, extend

_TIMEOUT = 30.0  # seconds to wait for another front writing the same store
_LEVEL = 1  # zlib: the snapshot is written on every tracked save; speed over the last few percent
_SCHEMA = """
CREATE TABLE IF NOT EXISTS change_snapshot (
    register_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    at TEXT NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS change_baseline (
    register_id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS change_history (
    register_id TEXT NOT NULL,
    key TEXT NOT NULL,
    at TEXT NOT NULL,
    fields TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS change_history_by_key ON change_history (register_id, key);
CREATE TABLE IF NOT EXISTS change_chain (
    register_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (register_id, seq)
);
CREATE TABLE IF NOT EXISTS backup_command (
    name TEXT PRIMARY KEY,
    command TEXT NOT NULL,
    at TEXT NOT NULL
);
"""


class PendingSave:
    """A staged save: the store's transaction, open until `commit` or `rollback`."""

    def __init__(self, store: ChangeStore, register_id: str, version: int, states: list[RowState]):
        self._store = store
        self._register_id = register_id
        self._version = version
        self._states = states
        self.done = False

    def __enter__(self) -> PendingSave:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.done:
            self.rollback()

    def __repr__(self) -> str:
        return f"<PendingSave {self._register_id} {'done' if self.done else 'open'}>"

    def commit(self) -> None:
        db = self._store._finish(self)
        try:
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            _quietly_roll_back(db)
            raise self._store._unwritable(exc) from exc
        self._store._cache[self._register_id] = (self._version, self._states)

    def rollback(self) -> None:
        _quietly_roll_back(self._store._finish(self))


class ChangeStore:
    def __init__(self, path: Path):
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._schema = False
        self._pending: PendingSave | None = None
        self._cache: dict[str, tuple[int, list[RowState]]] = {}  # register id → (version, the snapshot read)

    @classmethod
    def beside(cls, register: Path) -> ChangeStore:
        """The store of `register`, in its folder (for a symlink: in its target's, with the backups)."""
        return cls(target_of(Path(register)).parent / STORE_DIR / STORE_FILE)

    def __enter__(self) -> ChangeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ChangeStore {self.path}>"

    def close(self) -> None:
        if self._pending is not None:
            self._pending.rollback()
        if self._db is not None:
            self._db.close()
            self._db = None
            self._schema = False

    # -- reading --

    def snapshot(self, register_id: str) -> list[RowState] | None:
        """The last snapshot of the register, in sheet-row order; None when no baseline was ever taken."""
        found = self._query("SELECT version, data FROM change_snapshot WHERE register_id = ?", (register_id,))
        if not found:
            return None
        version, data = found[0]
        states = _decode(data)
        self._cache[register_id] = (int(version), states)
        return list(states)

    def links(self, register_id: str) -> list[Link]:
        """The hash chain of the register's 变更记录, in order."""
        return [Link(str(h), str(t)) for h, t in self._query(
            "SELECT hash, text FROM change_chain WHERE register_id = ? ORDER BY seq", (register_id,))]

    def history(self, register_id: str, key: str) -> list[tuple[datetime, dict[str, str]]]:
        """The states kept of one case (its number, or "#<sheet row>"), oldest first: as the baseline had it,
        then after each change (`{}`: its case number was gone)."""
        kept = []
        for at, data in self._query("SELECT at, data FROM change_baseline WHERE register_id = ?", (register_id,)):
            first = next((s for s in _decode(data) if _key(s) == key), None)
            if first is not None:
                kept.append((datetime.fromisoformat(str(at)), first.fields))
        rows = self._query("SELECT at, fields FROM change_history WHERE register_id = ? AND key = ? ORDER BY rowid",
                           (register_id, key))
        return kept + [(datetime.fromisoformat(str(at)), json.loads(str(fields))) for at, fields in rows]

    def backup_commands(self) -> dict[str, str]:
        """Backup file name → the command that replaced the file then ("xlcsr assign")."""
        return {str(name): str(command) for name, command in self._query("SELECT name, command FROM backup_command")}

    # -- writing --

    def save(self, register_id: str, states: Sequence[RowState], appended: Sequence[str], *, at: datetime) -> None:
        """Keep `states` as the register's snapshot and chain the `appended` log texts, at once."""
        self.stage(register_id, states, appended, at=at).commit()

    def stage(self, register_id: str, states: Sequence[RowState], appended: Sequence[str], *,
              at: datetime) -> PendingSave:
        """Write everything `save` writes inside an open transaction; the caller commits or rolls back."""
        if self._pending is not None:
            raise RuntimeError("ChangeStore.stage: a staged save is still open")
        states = list(states)
        db = self._writer()
        try:
            db.execute("BEGIN IMMEDIATE")
            version = self._write(db, register_id, states, appended, at)
        except BaseException as exc:
            _quietly_roll_back(db)
            if isinstance(exc, sqlite3.Error):
                raise self._unwritable(exc) from exc
            raise
        self._pending = PendingSave(self, register_id, version, states)
        return self._pending

    def record_backup(self, backup: Path, command: str, at: datetime) -> None:
        """Remember that `command` made the backup `backup` (by its file name)."""
        db = self._writer()
        sql = "INSERT OR REPLACE INTO backup_command (name, command, at) VALUES (?, ?, ?)"
        values = (Path(backup).name, command, at.isoformat())
        try:
            if self._pending is not None:  # the write the backup was made for: one transaction with its save
                db.execute(sql, values)
                return
            with _transaction(db):
                db.execute(sql, values)
        except sqlite3.Error as exc:
            raise self._unwritable(exc) from exc

    def _write(self, db: sqlite3.Connection, register_id: str, states: list[RowState], appended: Sequence[str],
               at: datetime) -> int:
        row = db.execute("SELECT version, data FROM change_snapshot WHERE register_id = ?", (register_id,)).fetchone()
        version = 0 if row is None else int(row[0])
        cached = self._cache.get(register_id)
        before = None if row is None else cached[1] if cached and cached[0] == version else _decode(row[1])
        stamp, data = at.isoformat(), _encode(states)
        if before is None:
            db.execute("INSERT OR REPLACE INTO change_baseline (register_id, at, data) VALUES (?, ?, ?)",
                       (register_id, stamp, data))
        else:
            db.executemany("INSERT INTO change_history (register_id, key, at, fields) VALUES (?, ?, ?, ?)",
                           [(register_id, key, stamp, _json(fields)) for key, fields in _changed(before, states)])
        db.execute("INSERT OR REPLACE INTO change_snapshot (register_id, version, at, data) VALUES (?, ?, ?, ?)",
                   (register_id, version + 1, stamp, data))
        if appended:
            last = db.execute("SELECT seq, hash FROM change_chain WHERE register_id = ? ORDER BY seq DESC LIMIT 1",
                              (register_id,)).fetchone()
            seq, tail = (0, []) if last is None else (int(last[0]), [Link(str(last[1]), "")])
            db.executemany("INSERT INTO change_chain (register_id, seq, hash, text) VALUES (?, ?, ?, ?)",
                           [(register_id, seq + n, new.hash, new.text)
                            for n, new in enumerate(extend(tail, appended), start=1)])
        return version + 1

    def _finish(self, pending: PendingSave) -> sqlite3.Connection:
        if pending.done or self._pending is not pending or self._db is None:
            raise RuntimeError("ChangeStore: this staged save is already committed or rolled back")
        pending.done = True
        self._pending = None
        return self._db

    # -- the connection --

    def _reader(self) -> sqlite3.Connection | None:
        if self._db is None and self.path.is_file():
            self._db = self._connect()
        return self._db

    def _writer(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise self._unwritable(exc) from exc
            self._db = self._connect()
        if not self._schema:
            try:
                self._db.executescript(_SCHEMA)
            except sqlite3.Error as exc:
                raise self._unwritable(exc) from exc
            self._schema = True
        return self._db

    def _connect(self) -> sqlite3.Connection:
        try:
            return sqlite3.connect(self.path, timeout=_TIMEOUT, isolation_level=None)  # transactions are ours
        except sqlite3.Error as exc:
            raise self._unreadable(exc) from exc

    def _query(self, sql: str, parameters: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        db = self._reader()
        if db is None:
            return []
        try:
            return [tuple(r) for r in db.execute(sql, parameters)]
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):  # a store the sent log or the seal key made: nothing tracked yet
                return []
            raise self._unreadable(exc) from exc
        except sqlite3.DatabaseError as exc:
            raise self._unreadable(exc) from exc

    def _unreadable(self, exc: Exception) -> WorkbookUnreadable:
        return WorkbookUnreadable(f"无法读取 {self.path}（{exc}） / cannot read {self.path} ({exc})")

    def _unwritable(self, exc: Exception) -> WriteFailed:
        return WriteFailed(f"无法写入 {self.path}（{exc}），未写入任何内容 / cannot write {self.path} ({exc}); "
                           f"nothing was written")


class _transaction:
    """BEGIN IMMEDIATE … COMMIT on an autocommit connection; ROLLBACK on any error."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is None:
            self.db.execute("COMMIT")
        else:
            _quietly_roll_back(self.db)


def _quietly_roll_back(db: sqlite3.Connection) -> None:
    try:
        if db.in_transaction:
            db.execute("ROLLBACK")
    except sqlite3.Error:
        pass


def _changed(before: list[RowState] | None, states: list[RowState]) -> list[tuple[str, dict[str, str]]]:
    """(key, fields) of every row that is new or changed since `before`, then `{}` for each case number gone.

    A row without a case number is the same row when a row of `before` had the very same fields,
    wherever it stood, so inserting or sorting rows does not rewrite the history of the rows it moved.
    """
    numbered: dict[str, dict[str, str]] = {}
    unnumbered: Counter[tuple[tuple[str, str], ...]] = Counter()
    for _, fields in before or ():
        number = fields.get("case_no")
        if number:
            numbered[number] = fields
        else:
            unnumbered[tuple(sorted(fields.items()))] += 1
    changed = []
    seen = set()
    for position, fields in states:
        number = fields.get("case_no")
        if number:
            seen.add(number)
            if numbered.get(number) != fields:
                changed.append((number, fields))
            continue
        content = tuple(sorted(fields.items()))
        if unnumbered[content] > 0:
            unnumbered[content] -= 1
        else:
            changed.append((f"#{position}", fields))
    changed += [(number, {}) for number in numbered if number not in seen]
    return changed


def _key(state: RowState) -> str:
    return state.case_no or f"#{state.position}"


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _encode(states: list[RowState]) -> bytes:
    """The snapshot as one compressed blob: the rows' field-key shapes once, then every value in a row.

    "B": four lines — the shapes (JSON), each row's shape, each row's sheet row, then the values of
    each block of rows joined by U+001F, the blocks by U+001E; "J": plain JSON, for the rare register
    whose text holds either itself. The values are compressed a block at a time, never joined into one
    string, and read back a block at a time, each distinct text once.
    """
    if any("\x1f" in value or "\x1e" in value for s in states for value in s.fields.values()):
        return b"J" + zlib.compress(_json([[s.position, s.fields] for s in states]).encode("utf-8"), _LEVEL)
    shapes: dict[tuple[str, ...], int] = {}
    kinds = [shapes.setdefault(tuple(s.fields), len(shapes)) for s in states]
    packer = zlib.compressobj(_LEVEL)
    head = "\n".join((_json(list(shapes)), ",".join(map(str, kinds)), ",".join([str(s.position) for s in states]), ""))
    out = [b"B", packer.compress(head.encode("utf-8"))]
    first = True
    for start in range(0, len(states), _BLOCK):
        rows = [s.fields.values() for s in states[start:start + _BLOCK] if s.fields]
        if not rows:
            continue
        block = "\x1f".join(chain.from_iterable(rows))
        out.append(packer.compress((("" if first else "\x1e") + block).encode("utf-8")))
        first = False
    out.append(packer.flush())
    return b"".join(out)


_BLOCK = 5000  # rows compressed at once


def _values(text: str, blocks: str | None) -> Iterator[str]:
    """The values of the blob, a block at a time, each distinct text one string (dates, names repeat)."""
    seen: dict[str, str] = {}
    for block in text.split(blocks) if blocks else [text]:
        for value in block.split("\x1f"):
            yield seen.setdefault(value, value)


def _decode(data: object) -> list[RowState]:
    raw = bytes(data)  # type: ignore[call-overload]
    text = zlib.decompress(raw[1:]).decode("utf-8")
    collecting = gc.isenabled()
    gc.disable()  # 100,000 dicts make no cycles; the collector would only rescan them
    try:
        if raw[:1] == b"J":
            return [RowState(position, fields) for position, fields in json.loads(text)]
        head, kinds, positions, values = text.split("\n", 3)
        if not positions:
            return []
        shapes = [tuple(shape) for shape in json.loads(head)]
        each = _values(values, "\x1e" if raw[:1] == b"B" else None)  # zip(shape, each): a row's values
        return [RowState(position, dict(zip(shapes[kind], each)))
                for position, kind in zip(map(int, positions.split(",")), map(int, kinds.split(",")))]
    finally:
        if collecting:
            gc.enable()
