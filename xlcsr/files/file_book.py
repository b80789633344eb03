"""A register file as the commands see it: read with calamine, written through the patch writer.

    >>> book = FileBook(Path("顾客特殊要求清单.xlsx"), clock=lambda: datetime(2026, 11, 25, 8, 0))
    >>> register = book.read()
    >>> book.write_assignment(register, plan)   # backup .xlcsr-backup/顾客特殊要求清单-20261125-080000-000000.xlsx

Reading takes calamine's values (begun at launch, `head_start`) and streams the register sheet's XML
for its formulas; the whole package (`XlsxPackage`, and the patch writer with it) is loaded only by a
command that writes: when it writes, or, for a book made with `writes=True`, in a thread while
calamine reads (which lets go of the GIL), the likely register sheet's rows found in the same thread.
The file's stamp (size, modification time, file id) is taken when the command first reads it; a
write refuses (WorkbookChanged, nothing written) when the file on disk is another by then, say
because someone saved it in Excel meanwhile. `clock` names the backups; without one they are named
by the replaced file's modification time. A tracked command's change log (`stage_changes`) goes into
the same save, and each backup made is listed in the store beside the file as made by `command`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from xlcsr.disk.atomic import FileStamp, Retention, stamp_of
from xlcsr.domain.errors import XlcsrError
from xlcsr.domain.records import Register
from xlcsr.domain.settings import Settings
from xlcsr.domain.vocab import REGISTER_SHEET
from xlcsr.files.reader import Background, FileSource
from xlcsr.workbook.locate import Amended, find_register

if TYPE_CHECKING:
    from xlcsr.files.change_store import ChangeStore
    from xlcsr.ooxml.package import XlsxPackage
    from xlcsr.rules.changes import ChangeWrite
    from xlcsr.rules.highlight import HighlightPlan
    from xlcsr.rules.marks import MarkPlan
    from xlcsr.rules.numbering import Assignment
    from xlcsr.rules.signoff import ReviewWrite

Clock = Callable[[], datetime]


class FileBook:
    def __init__(self, path: Path, *, clock: Clock | None = None, defaults: Settings | None = None,
                 writes: bool = False, command: str = "", keep: Retention | int | None = None):
        self.path = Path(path)
        self.clock = clock
        self.defaults = defaults  # the settings when the workbook has no 设置 sheet (xlcsr.toml's [columns])
        self.writes = writes  # the command will write: open the package while the values are read
        self.command = command  # what the backups of its writes are listed as made by ("xlcsr assign")
        self.keep = keep  # which backups stay (None: write_atomically's default)
        self.stamp: FileStamp | None = None
        self._package: XlsxPackage | None = None
        self._opening: Background[XlsxPackage] | None = None
        self._staged: tuple[Register, ChangeWrite] | None = None
        self._store: ChangeStore | None = None
        self._source: FileSource | None = None

    def __repr__(self) -> str:
        return f"FileBook({str(self.path)!r})"

    @property
    def package(self) -> XlsxPackage:
        """The whole package, for a write (opened once)."""
        if self._package is None:
            if self._opening is not None:
                opening, self._opening = self._opening, None
                self._package = opening.result()
            else:
                self._take_stamp()
                self._package = _open_package(self.path)
        return self._package

    @property
    def store(self) -> ChangeStore:
        """The SQLite store beside the file (snapshots, the log's chain, what made each backup)."""
        if self._store is None:
            from xlcsr.files.change_store import ChangeStore

            self._store = ChangeStore.beside(self.path)
        return self._store

    @property
    def source(self) -> FileSource:
        """The file's values as calamine reads them, opened once."""
        if self._source is None:
            self._take_stamp()
            self._source = FileSource(self.path)
        return self._source

    def read(self) -> Register:
        self._take_stamp()
        if self.writes and self._package is None and self._opening is None:
            self._opening = Background(lambda: _open_package(self.path, prepare=True))
        return find_register(self.source, defaults=self.defaults)

    def write_assignment(self, register: Register, plan: Assignment) -> None:
        from xlcsr.files.register_writer import write_assignment

        write_assignment(self.package, register, plan)
        self._save()

    def write_marks(self, register: Register, plan: MarkPlan) -> None:
        from xlcsr.files.register_writer import write_marks

        write_marks(self.package, register, plan)
        self._save()

    def write_highlight(self, register: Register, plan: HighlightPlan) -> None:
        from xlcsr.files.register_writer import write_highlight

        write_highlight(self.package, register, plan)
        self._save()

    def write_review(self, register: Register, change: ReviewWrite) -> None:
        from xlcsr.files.register_writer import write_review

        write_review(self.package, register, change)
        self._save()

    def write_changes(self, register: Register, write: ChangeWrite) -> None:
        self.stage_changes(register, write)
        self._save()

    def stage_changes(self, register: Register, write: ChangeWrite) -> None:
        """What the change log adds to the next write, in the same save (a tracked command's own edits)."""
        self._staged = (register, write)

    def values(self, sheet: str) -> list[list[object]]:
        return self.source.values(sheet)

    def read_amended(self, cells: dict[str, str]) -> Register:
        return find_register(Amended(self.source, cells), defaults=self.defaults)

    def write_settings_cells(self, register: Register, cells: dict[str, str]) -> None:
        from xlcsr.files.register_writer import write_settings_cells

        write_settings_cells(self.package, cells)
        self._save()

    def _take_stamp(self) -> None:
        """The stamp of the file as first read, before any byte of it is (the first read wins)."""
        if self.stamp is None:
            self.stamp = stamp_of(self.path)

    def _save(self) -> None:
        """Save only over the file that was read; afterwards the file written is the one expected."""
        if self._source is not None:
            self._source.settle()
        if self._staged is not None:
            from xlcsr.files.register_writer import write_changes

            staged, self._staged = self._staged, None
            write_changes(self.package, *staged)
        now = self.clock() if self.clock else None
        backup = self.package.save(expect=self.stamp, now=now, keep=self.keep)
        if backup is not None:
            self.stamp = stamp_of(self.path)
            if self.command:
                self.store.record_backup(backup, self.command, now or self.stamp.modified)


def _open_package(path: Path, *, prepare: bool = False) -> XlsxPackage:
    """The package of `path`; with `prepare`, the rows of its likely register sheet (清单, else the
    first) found already, as the first edit would (a guess: any trouble is left to that edit)."""
    from xlcsr.ooxml.package import XlsxPackage

    package = XlsxPackage.open(path)
    if prepare:
        names = package.sheet_names()
        name = REGISTER_SHEET if package.has_sheet(REGISTER_SHEET) else (names[0] if names else None)
        try:
            if name is not None:
                package.sheet(name).prepare()
        except XlcsrError:
            pass
    return package
