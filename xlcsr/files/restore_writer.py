"""Put a register back from one of its backups: every part as in the backup, the change log and xlcsr's
state as they are now.

    >>> put_back(Path("清单.xlsx"), Path(".xlcsr-backup/清单-20261201-173012-480211.xlsx"),
    ...          state=state, log=rows_now, first=12, appended=new_rows, expect=stamp, now=clock())

变更记录 is append-only, so the backup's log is the start of today's: the rows logged since (and the
restore's own) are appended to it, which keeps the backup's formatting of the sheet. When the two
disagree (the log was edited meanwhile), the sheet is rewritten with today's rows, never fewer. The
file written replaces the register atomically, today's file becoming a backup in its turn: a restore
is undone by restoring that backup.
"""

from __future__ import annotations

from pathlib import Path

from xlcsr.disk.atomic import Retention
from xlcsr.domain.vocab import CHANGELOG_SHEET
from xlcsr.files.register_writer import append_rows, put_state
from xlcsr.ooxml.package import XlsxPackage
from xlcsr.workbook.changelog import CHANGELOG_WIDTHS, changelog_header


def put_back(book: Path, backup: Path, *, state: dict[str, object], log: list[list[object]], first: int,
             appended: list[list[object]], expect: tuple[int, int, int] | None, now: object,
             keep: Retention | int | None = None) -> Path | None:
    """Write `backup` over `book`, its 变更记录 gaining `log` (today's rows from row `first` on; 0: all
    of them, the sheet rewritten) and `appended`, its `_xlcsr` holding `state`; returns the backup made."""
    package = XlsxPackage.open(backup)
    rows = [*log, *appended]
    if first:
        append_rows(package, CHANGELOG_SHEET, changelog_header(), CHANGELOG_WIDTHS, first, rows)
    else:
        package.put_sheet(CHANGELOG_SHEET, [changelog_header(), *rows], widths=CHANGELOG_WIDTHS, protect=True)
    put_state(package, state)
    return package.save(book, expect=expect, now=now, keep=keep)  # type: ignore[arg-type]
