"""What a worksheet patch needs from its package: parts, relationships, content types, styles.

    def notes_part(package: Parts, sheet_part: str) -> str | None:
        return next((r.part for r in package.rels(sheet_part) if r.kind == "comments"), None)

`XlsxPackage` is the one implementation; `SheetPatch` sees it through `Parts`, so the two modules
do not import each other. `Parts.ns` is the package's flavour (transitional or Strict Open XML),
found once when it is opened: whatever xlcsr adds to a workbook uses its namespaces.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote

from lxml import etree

from xlcsr.ooxml.styles import MAIN_NS, StyleBook

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_REL_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"


@dataclass(frozen=True)
class Namespaces:
    """The namespaces of one flavour of Office Open XML.

    `main` is SpreadsheetML, `rel` both the r: namespace (r:id attributes) and the base of the
    relationship types xlcsr writes (`rel_type("worksheet")`).
    """

    main: str
    rel: str
    strict: bool = False

    def rel_type(self, kind: str) -> str:
        return f"{self.rel}/{kind}"


TRANSITIONAL = Namespaces(MAIN_NS, REL_NS)
STRICT = Namespaces(STRICT_MAIN_NS, STRICT_REL_NS, strict=True)


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
    source: str  # the file it was read from, for messages
    ns: Namespaces

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


def rels_path(part: str) -> str:
    """The relationships part of `part`: xl/worksheets/sheet1.xml → xl/worksheets/_rels/sheet1.xml.rels."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve_target(source: str, target: str) -> str:
    """The part a relationship of `source` points at (targets are relative to its folder, or absolute)."""
    target = unquote(target)
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target)) if target else target
