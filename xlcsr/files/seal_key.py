"""The register's secret sign-off key, kept in its store beside it (`.xlcsr/xlcsr.sqlite`), never in a file.

    >>> key = seal_key(Path("D:/质量部/顾客特殊要求清单.xlsx"), "4f1c…", create=True)
    >>> seal_key(Path("E:/拷贝/顾客特殊要求清单.xlsx"), "4f1c…") is None   # copied without .xlcsr/
    True

Keys are stored per register id, so two registers in one folder share the store but not a key.
"""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path

from xlcsr.domain.vocab import STORE_DIR, STORE_FILE

_TIMEOUT = 30.0
_SCHEMA = "CREATE TABLE IF NOT EXISTS seal_key (register_id TEXT PRIMARY KEY, key BLOB NOT NULL)"


def seal_key(register: Path, register_id: str, *, create: bool = False) -> bytes | None:
    """The key of the register with `register_id`; with `create`, a new one when there is none yet."""
    path = register.parent / STORE_DIR / STORE_FILE
    if not create and not path.is_file():
        return None
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=_TIMEOUT)
    try:
        with db:
            db.execute(_SCHEMA)
            row = db.execute("SELECT key FROM seal_key WHERE register_id = ?", (register_id,)).fetchone()
            if row is not None:
                return bytes(row[0])
            if not create:
                return None
            key = secrets.token_bytes(32)
            db.execute("INSERT INTO seal_key (register_id, key) VALUES (?, ?)", (register_id, key))
            return key
    finally:
        db.close()
