"""The seal of a sign-off workbook: what it was issued for, signed with the register's secret key.

    >>> payload = seal_payload("4f1c…", "技术部", date(2026, 11, 25), placed)
    >>> mac = sign(payload, key)
    >>> verify(payload, mac, key)
    True

The payload names the register (its id in `_xlcsr`), the department, the issue date and, per item,
its sheet row, case, question, revision, fingerprint and the values shown in its locked cells; the
HMAC-SHA256 over its canonical JSON is made with a key that lives only in the register's store
(`.xlcsr/` beside it), so a file cannot be re-sealed by anyone who has only the file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date

from xlcsr.domain.signoff import Kind, SignoffItem

VERSION = 1


def seal_payload(register_id: str, department: str, issued: date,
                 placed: list[tuple[int, SignoffItem]]) -> dict[str, object]:
    """The sealed facts of a sign-off workbook; `placed` pairs each item with its sheet row."""
    return {
        "v": VERSION, "register": register_id, "department": department, "issued": issued.isoformat(),
        "items": [{"row": row, "case_no": item.case_no, "kind": str(item.kind), "revision": item.revision,
                   "fingerprint": item.fingerprint, "fields": item.fields} for row, item in placed],
    }


def placed_items(payload: dict[str, object]) -> list[tuple[int, SignoffItem]]:
    """The items a verified payload was issued for, with their rows."""
    department = str(payload["department"])
    return [(int(i["row"]), SignoffItem(i["case_no"], department, Kind(i["kind"]), int(i["revision"]),
                                        i["fingerprint"], dict(i["fields"])))
            for i in payload["items"]]  # type: ignore[union-attr]


def canonical(payload: dict[str, object]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sign(payload: dict[str, object], key: bytes) -> str:
    return hmac.new(key, canonical(payload), hashlib.sha256).hexdigest()


def verify(payload: dict[str, object], mac: str, key: bytes) -> bool:
    return hmac.compare_digest(sign(payload, key), mac)
