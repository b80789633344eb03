"""What a worksheet patch needs from its package: parts, relationships, content types, styles.

    def notes_part(package: Parts, sheet_part: str) -> str | None:
        return next((r.part for r in package.rels(sheet_part) if r.kind == "comments"), None)

`XlsxPackage` is the one implementation; `SheetPatch` sees it through `Parts`, so the two modules
do not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from lxml import etree

from xlcsr.ooxml.styles import StyleBook

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@dataclass(frozen=True)
class Rel:
    """One relationship of a part: its id, type (last URI segment) and resolved target part."""

    id: str
    kind: str
    part: str
    external: bool = False


class Parts(Protocol):
    """The zip parts of a workbook, as a sheet patch reads and changes them."""

    workbook_dir: str

    @property
    def styles(self) -> StyleBook: ...

    @property
    def date1904(self) -> bool: ...

    def exists(self, name: str) -> bool: ...

    def read(self, name: str) -> bytes: ...

    def xml(self, name: str) -> etree._Element: ...

    def write(self, name: str, data: bytes) -> None: ...

    def delete(self, name: str) -> None: ...

    def free_part_name(self, pattern: str) -> str: ...

    def free_vml_block(self) -> int: ...

    def rels(self, source: str) -> list[Rel]: ...

    def add_rel(self, source: str, kind: str, part: str) -> str: ...

    def remove_rel(self, source: str, rid: str) -> None: ...

    def set_override(self, part: str, content_type: str) -> None: ...

    def ensure_default(self, extension: str, content_type: str) -> None: ...
