"""Which digests went out on which day: a small SQLite file in the state folder (`sent.sqlite`).

    >>> with SentLog(config.state_dir / SENT_LOG_NAME) as log:
    ...     if not log.already_sent(digest.key, today):
    ...         log.record(digest.key, today, "zhang.wei@csrplant.cn", sent_at=clock())

Only sent messages are recorded: a failed one is tried again on the next run. `readonly=True`
(the dry run) neither creates nor changes the file.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

SENT_LOG_NAME = "sent.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sent (
    day TEXT NOT NULL,
    digest_key TEXT NOT NULL,
    recipient TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (day, digest_key)
)
"""


class SentLog:
    def __init__(self, path: Path, *, readonly: bool = False):
        self.path = path
        self.readonly = readonly
        self._db: sqlite3.Connection | None = None
        if readonly:
            if path.is_file():
                self._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path)
            with self._db:
                self._db.execute(_SCHEMA)

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

    def already_sent(self, key: str, day: date) -> bool:
        if self._db is None:
            return False
        try:
            found = self._db.execute("SELECT 1 FROM sent WHERE day = ? AND digest_key = ?",
                                     (day.isoformat(), key)).fetchone()
        except sqlite3.OperationalError:  # a read-only look at a file without the table yet
            return False
        return found is not None

    def record(self, key: str, day: date, recipient: str, *, sent_at: datetime) -> None:
        if self._db is None or self.readonly:
            raise RuntimeError("the sent log is read-only")
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO sent (day, digest_key, recipient, sent_at) VALUES (?, ?, ?, ?)",
                             (day.isoformat(), key, recipient, sent_at.isoformat(timespec="seconds")))

    def entries(self, day: date | None = None) -> list[tuple[str, str, str, str]]:
        """(day, key, recipient, sent_at) rows, oldest first."""
        if self._db is None:
            return []
        query = "SELECT day, digest_key, recipient, sent_at FROM sent"
        rows = (self._db.execute(query + " WHERE day = ? ORDER BY rowid", (day.isoformat(),)) if day
                else self._db.execute(query + " ORDER BY rowid"))
        return [tuple(r) for r in rows]
