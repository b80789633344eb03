"""The register named on the command line, read from the moment the process starts.

    >>> start(Path("清单.xlsx"))          # the launcher, before the rest of xlcsr is imported
    >>> early = take(Path("清单.xlsx")).result()   # FileSource: the same file, unchanged? its read

calamine parses a large sheet for a second or more and lets go of the GIL meanwhile, while Python
spends a third of a second importing xlcsr, typer and pydantic; `start` overlaps the two. In a
thread it opens the file with calamine and parses the sheet the register is most likely on (the one
named, else 清单, else the first). `take` hands it to a read of the same path, which may start work of
its own before it waits (`result`). It is that read's only while the file still has the stamp it had
when the early read began (size, modification time, file id): a file saved meanwhile is read afresh.
The early read checks nothing and reports nothing; whatever went wrong in it (an encrypted or damaged
file, a sheet that is not there) is dropped, and the ordinary read meets it and says it properly.

Imports only the standard library, python-calamine and `xlcsr.disk.atomic`'s stamp.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from pathlib import Path
from typing import Any

import python_calamine

from xlcsr.disk.atomic import FileStamp, stamp_of
from xlcsr.domain.vocab import REGISTER_SHEET

_ZIP_MAGIC = b"PK\x03\x04"
_started: dict[Path, EarlyRead] = {}


class EarlyRead:
    """calamine's workbook and one parsed sheet of a file, being read in a thread."""

    def __init__(self, path: Path, stamp: FileStamp, sheet: str | None):
        self.path, self.stamp, self._wanted = path, stamp, sheet
        self.book: python_calamine.CalamineWorkbook | None = None
        self.sheet_name: str | None = None
        self._sheet: Any = None
        self._thread = threading.Thread(target=self._read, daemon=True, name="xlcsr-head-start")
        self._thread.start()

    def _read(self) -> None:
        try:
            book = python_calamine.CalamineWorkbook.from_path(str(self.path))
            names = list(book.sheet_names)
            name = self._wanted or (REGISTER_SHEET if REGISTER_SHEET in names else names[0] if names else None)
            if name is not None and name in names:
                self._sheet, self.sheet_name = book.get_sheet_by_name(name), name
            self.book = book
        except Exception:  # noqa: BLE001 - the ordinary read meets it again and says it
            self.book = self._sheet = self.sheet_name = None

    @property
    def likely_sheet(self) -> str:
        """The sheet it parses, as far as is known before it opens the file."""
        return self._wanted or REGISTER_SHEET

    def result(self) -> EarlyRead | None:
        """Itself once done, if it worked and the file still has the stamp it had; else None."""
        self._thread.join()
        try:
            same = stamp_of(self.path) == self.stamp
        except Exception:  # noqa: BLE001 - the ordinary read says what is wrong with the file now
            same = False
        return self if same and self.book is not None else None

    def sheet(self, name: str) -> Any:
        """The sheet parsed early when it is `name` (handed over once), else None."""
        if name != self.sheet_name:
            return None
        found, self._sheet, self.sheet_name = self._sheet, None, None
        return found


def start(path: Path, sheet: str | None = None) -> None:
    """Begin reading `path` (an .xlsx or .xlsm that is there), its sheet `sheet` or the likely one."""
    path = Path(path).absolute()
    if path.suffix.lower() not in (".xlsx", ".xlsm") or path in _started:
        return
    try:
        stamp = stamp_of(path)
        with path.open("rb") as file:
            if stamp is None or file.read(4) != _ZIP_MAGIC:
                return
    except Exception:  # noqa: BLE001 - left to the ordinary read
        return
    one_arena()
    _started[path] = EarlyRead(path, stamp, sheet)


def one_arena() -> None:
    """glibc: one malloc arena for every thread of the process. By default the reading thread gets its
    own, and what calamine frees there (the parsed sheet, once converted) is never reused by the main
    thread: a command that goes on to build more would hold both (50 MB at 100,000 rows)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).mallopt(_M_ARENA_MAX, 1)
        except (OSError, AttributeError):  # not glibc
            pass


_M_ARENA_MAX = -8  # glibc's malloc.h


def take(path: Path) -> EarlyRead | None:
    """The early read of `path` (begun, perhaps not done: `result` waits for it), taken out of the list."""
    return _started.pop(Path(path).absolute(), None)
