"""Which digests went out on which day, and which cases they listed: one SQLite store beside each register.

The store is `.xlcsr/xlcsr.sqlite` in the register's own folder (`store_path`), so the command line run
from any folder, the nightly run and the Excel button all see the same record.

    >>> with SentLog.beside(Path("D:/质量部/顾客特殊要求清单.xlsx")) as log:
    ...     if not log.covered(today, "zhang.wei@csrplant.cn") >= items:
    ...         log.record(digest.key, today, "zhang.wei@csrplant.cn", sent_at=clock(), items=items)

A row says how the digest went out (`Via`): accepted by the SMTP server, or only written to the outbox
folder as a `.eml` file. An outbox row does not make a digest sent: an SMTP run the same day still
delivers it (`covered(..., outbox_too=False)`, the default). Items are the cases a digest listed, one string
per case and section (`"overdue:清单A.xlsx#CSR-2026-0001"`), so a case that appears later the same day is
sent on its own. Only what went out is recorded: a failed message is tried again on the next run; a
forced resend is recorded with `forced=True`. `readonly=True` (the dry run) neither creates nor changes
the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

from xlcsr.domain.vocab import STORE_DIR, STORE_FILE

SENT_LOG_NAME = STORE_FILE
_TIMEOUT = 30.0  # seconds to wait for another front writing the same store
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sent (
    day TEXT NOT NULL,
    digest_key TEXT NOT NULL,
    recipient TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    via TEXT NOT NULL DEFAULT 'smtp',
    forced INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sent_by_day ON sent (day, digest_key);
CREATE TABLE IF NOT EXISTS sent_case (
    day TEXT NOT NULL,
    recipient TEXT NOT NULL,
    item TEXT NOT NULL,
    via TEXT NOT NULL,
    digest_key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sent_case_by_day ON sent_case (day, recipient);
"""


class Via(StrEnum):
    SMTP = "smtp"  # accepted by the mail server: sent
    OUTBOX = "outbox"  # written to the outbox folder only: not sent


def store_path(register: Path) -> Path:
    """The store of `register`: `.xlcsr/xlcsr.sqlite` in the register's folder."""
    return store_in(register.parent)


def store_in(folder: Path) -> Path:
    return folder / STORE_DIR / STORE_FILE


class SentLog:
    def __init__(self, path: Path, *, readonly: bool = False):
        self.path = path
        self.readonly = readonly
        self._db: sqlite3.Connection | None = None
        if readonly:
            if path.is_file():
                self._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=_TIMEOUT)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=_TIMEOUT)
            with self._db:
                self._db.executescript(_SCHEMA)

    @classmethod
    def beside(cls, register: Path, *, readonly: bool = False) -> SentLog:
        return cls(store_path(register), readonly=readonly)

    def __enter__(self) -> SentLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<SentLog {self.path}{' (read-only)' if self.readonly else ''}>"

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _query(self, sql: str, parameters: tuple[object, ...]) -> list[tuple[object, ...]]:
        if self._db is None:
            return []
        try:
            return [tuple(r) for r in self._db.execute(sql, parameters)]
        except sqlite3.OperationalError:  # a read-only look at a file without the tables yet
            return []

    def already_sent(self, key: str, day: date, *, outbox_too: bool = False) -> bool:
        """This very digest went out today (through SMTP; with `outbox_too`, also into the outbox)."""
        via = "" if outbox_too else " AND via = 'smtp'"
        return bool(self._query(f"SELECT 1 FROM sent WHERE day = ? AND digest_key = ?{via} LIMIT 1",
                                (day.isoformat(), key)))

    def covered(self, day: date, recipient: str, *, outbox_too: bool = False) -> set[str]:
        """The items already sent to `recipient` today (with `outbox_too`, also those written to the outbox)."""
        via = "" if outbox_too else " AND via = 'smtp'"
        rows = self._query(f"SELECT item FROM sent_case WHERE day = ? AND recipient = ?{via}",
                           (day.isoformat(), recipient.lower()))
        return {str(item) for (item,) in rows}

    def record(self, key: str, day: date, recipient: str, *, sent_at: datetime, items: Iterable[str] = (),
               via: Via = Via.SMTP, forced: bool = False) -> None:
        if self._db is None or self.readonly:
            raise RuntimeError("the sent log is read-only")
        with self._db:
            self._db.execute("INSERT INTO sent (day, digest_key, recipient, sent_at, via, forced) "
                             "VALUES (?, ?, ?, ?, ?, ?)",
                             (day.isoformat(), key, recipient, sent_at.isoformat(timespec="seconds"), str(via),
                              int(forced)))
            self._db.executemany("INSERT INTO sent_case (day, recipient, item, via, digest_key) VALUES (?, ?, ?, ?, ?)",
                                 [(day.isoformat(), recipient.lower(), item, str(via), key) for item in items])

    def entries(self, day: date | None = None, *, via: Via | None = None) -> list[tuple[str, ...]]:
        """(day, key, recipient, sent_at, via, forced) rows, oldest first; `via` keeps one kind only."""
        where = [clause for clause, value in (("day = ?", day), ("via = ?", via)) if value is not None]
        parameters = tuple(v.isoformat() if isinstance(v, date) else str(v) for v in (day, via) if v is not None)
        sql = ("SELECT day, digest_key, recipient, sent_at, via, forced FROM sent"
               + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY rowid")
        return [tuple(str(v) for v in r) for r in self._query(sql, parameters)]
