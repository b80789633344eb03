"""An .xlsx/.xlsm file as a zip of parts, rewritten so that untouched parts stay byte-identical.

    package = XlsxPackage.open(Path("顾客特殊要求清单.xlsx"))
    package.sheet("清单").set_value("B7", "长城汽车")
    package.put_sheet("校验结果", [["行", "问题"], [7, "缺少客户名称"]], links={"A2": "'清单'!B7"})
    package.put_sheet("变更记录", [["时间", "案件号", "变更"]], protect=True)  # Protect Sheet, no password
    package.define_name("xlcsr_节假日", "设置!$R$4:$R$200")
    backup = package.save()        # temp file + rename; the old file goes to .xlcsr-backup/

Parts keep their order in the zip and their bytes, unless an edit is about them: the edited
worksheets, styles.xml, workbook.xml, the rels and [Content_Types].xml, and new parts (appended).
Untouched entries are copied as they are stored (local header, extra field, compressed data, data
descriptor, central-directory record); only the offsets change, the archive comment stays.
An edited worksheet is never joined into one buffer: its pieces (the source's bytes between the
rows that changed, and those rows) go straight to the deflater, which uses every core for a large
part (`xlcsr.ooxml.deflate`). A part is inflated into one buffer of its size, once: the patch of a
worksheet keeps it, and `read` gives that back. Shared strings are never rewritten; new text goes
in as inline strings.

Strict Open XML (purl.oclc.org namespaces) is recognised when the package is opened (`ns`), and what
xlcsr adds to such a workbook is Strict too. Every part xlcsr adds gets a content type, also in
packages that declare one part at a time (LibreOffice 4). A zip with duplicate or case-colliding
entry names, a truncated zip, and damaged parts a command must read are refused with
WorkbookUnreadable, one line, Chinese first.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from lxml import etree

from xlcsr.disk.atomic import write_atomically
from xlcsr.domain.errors import SheetMissing, UnsafeEdit, WorkbookUnreadable
from xlcsr.ooxml.cells import (
    MAX_TEXT,
    cell_ref,
    clean_text,
    col_letter,
    excel_serial,
    inline_string_xml,
    number_text,
    split_ref,
)
from xlcsr.ooxml.deflate import deflate
from xlcsr.ooxml.notes import CT_VML
from xlcsr.ooxml.parts import STRICT, STRICT_MAIN_NS, TRANSITIONAL, Namespaces, Rel, rels_path, resolve_target
from xlcsr.ooxml.sheet import PROTECTION, SheetPatch
from xlcsr.ooxml.styles import XML_DECLARATION, StyleBook

PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
CONTENT_TYPES = "[Content_Types].xml"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"
SHEET_STATES = (None, "visible", "hidden", "veryHidden")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
_XML_PARSER = etree.XMLParser(huge_tree=True, resolve_entities=False)
# the content type of a part xlcsr adds, when [Content_Types].xml has no Override for it
_DEFAULT_TYPES = {"rels": CT_RELS, "vml": CT_VML}

Cell = str | int | float | date | datetime | None
Pieces = tuple[bytes | memoryview, ...]  # a part's bytes, to be written one after the other


class XlsxPackage:
    """The parts of one workbook; only what an edit touches is re-serialized."""

    def __init__(self, data: bytes, source: str = "<bytes>") -> None:
        self.source = source
        self._raw = data
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, struct.error, EOFError, OSError) as exc:
            raise _not_a_zip(source, data) from exc
        self._stored = _stored_entries(data, self._zip, source)
        self._infos = {name: entry.info for name, entry in self._stored.items()}
        self._lower = {name.lower(): name for name in self._infos}
        self._order = list(self._infos)
        self._data: dict[str, bytes] = {}
        self._xml: dict[str, etree._Element] = {}
        self._dirty: set[str] = set()
        self._removed: set[str] = set()
        self._sheets: dict[str, SheetPatch] = {}
        self._compared: dict[str, tuple[bytes, bool]] = {}
        self._styles: StyleBook | None = None
        self._changed = False
        self.workbook_part = self._find_workbook()
        self.workbook_dir = posixpath.dirname(self.workbook_part)
        self._workbook = self.xml(self.workbook_part)
        self.ns: Namespaces = STRICT if etree.QName(self._workbook).namespace == STRICT_MAIN_NS else TRANSITIONAL
        if not self.exists(CONTENT_TYPES):
            raise _unreadable(source, "已损坏（缺少 [Content_Types].xml）", "is corrupt (no [Content_Types].xml)")
        self.xml(CONTENT_TYPES)

    @classmethod
    def open(cls, path: Path) -> XlsxPackage:
        """Read `path`; WorkbookUnreadable when it is missing or not an Excel workbook."""
        path = Path(path)
        if not path.is_file():
            raise WorkbookUnreadable(f"找不到工作簿：{path} / Workbook not found: {path}")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise _unreadable(str(path), f"无法读取（{exc.strerror}）", f"cannot be read ({exc.strerror})") from exc
        return cls(data, str(path))

    def __repr__(self) -> str:
        return f"<XlsxPackage {self.source} ({len(self.sheet_names())} sheets{', changed' if self.changed else ''})>"

    # -- workbook --

    @property
    def changed(self) -> bool:
        return (
            self._changed
            or bool(self._dirty)
            or any(p.changed for p in self._sheets.values())
            or (self._styles is not None and self._styles.changed)
        )

    @property
    def strict(self) -> bool:
        """True for a Strict Open XML workbook (Excel's "Strict Open XML Spreadsheet")."""
        return self.ns.strict

    @property
    def date1904(self) -> bool:
        pr = self._workbook.find(self._main("workbookPr"))
        return pr is not None and pr.get("date1904", "0").strip().lower() in ("1", "true")

    def sheet_names(self) -> list[str]:
        return [s.get("name", "") for s in self._sheet_elements()]

    def has_sheet(self, name: str) -> bool:
        """True when the workbook has sheet `name` (case-insensitive, as in Excel)."""
        return any(n.casefold() == name.casefold() for n in self.sheet_names())

    def sheet_state(self, name: str) -> str:
        """'visible', 'hidden' or 'veryHidden'."""
        return self._sheet_element(name).get("state", "visible")

    def sheet(self, name: str) -> SheetPatch:
        """The worksheet `name`, ready for patching (one object per name)."""
        name = self._sheet_element(name).get("name", name)
        if name not in self._sheets:
            rel = self._sheet_rel(name)
            if rel.kind != "worksheet":
                raise UnsafeEdit(f"「{name}」不是普通工作表（{rel.kind}） / '{name}' is not a worksheet ({rel.kind})")
            self._sheets[name] = SheetPatch(self, name, rel.part)
        return self._sheets[name]

    @property
    def styles(self) -> StyleBook:
        if self._styles is None:
            rel = next((r for r in self.rels(self.workbook_part) if r.kind == "styles"), None)
            if rel is not None and self.exists(rel.part):
                data = self.read(rel.part)
                try:
                    styles = StyleBook(data)
                except etree.XMLSyntaxError as exc:
                    raise _damaged_xml(self.source, rel.part, exc) from exc
                self._styles_part, self._styles = rel.part, styles
            else:
                self._styles_part = self.workbook_dir + "/styles.xml"
                self._styles = StyleBook(None, main_ns=self.ns.main)
                self.add_rel(self.workbook_part, "styles", self._styles_part)
                self.set_override(self._styles_part, CT_STYLES)
        return self._styles

    def define_name(self, name: str, reference: str) -> bool:
        """(Re)define the workbook-scoped name `name` as `reference` (such as 设置!$R$4:$R$200).

        Returns False when it already says exactly that (nothing changes).
        """
        names = self._workbook.find(self._main("definedNames"))
        if names is None:
            names = etree.Element(self._main("definedNames"))
            before = [self._main(t) for t in ("sheets", "functionGroups", "externalReferences")]
            last = [el for el in self._workbook if el.tag in before][-1]
            last.addnext(names)
        element = next((el for el in names.iterchildren(self._main("definedName"))
                        if el.get("name", "").casefold() == name.casefold() and el.get("localSheetId") is None), None)
        if element is not None and element.text == reference:
            return False
        if element is None:
            element = etree.SubElement(names, self._main("definedName"), name=name)
        element.text = reference
        self.touch(self.workbook_part)
        return True

    def redefine_sheet_name(self, name: str, sheet: str, reference: str) -> bool:
        """Point the existing sheet-scoped name `name` of `sheet` at `reference` (`$A$3:$P$29`), keeping
        the sheet prefix it has. False when the sheet has no such name or it already says that."""
        index = str(self.sheet_names().index(sheet))
        for element in self._workbook.iter(self._main("definedName")):
            if element.get("name", "").casefold() != name.casefold() or element.get("localSheetId") != index:
                continue
            prefix = (element.text or "").rpartition("!")[0] or "'" + sheet.replace("'", "''") + "'"
            if element.text == f"{prefix}!{reference}":
                return False
            element.text = f"{prefix}!{reference}"
            self.touch(self.workbook_part)
            return True
        return False

    # -- owned sheets --

    def put_sheet(
        self,
        name: str,
        rows: Sequence[Sequence[Cell]],
        *,
        state: str | None = None,
        widths: dict[int, float] | None = None,
        links: dict[str, str] | None = None,
        bold_first_row: bool = True,
        freeze_first_row: bool = True,
        protect: bool = False,
    ) -> None:
        """Create or wholly replace the xlcsr-owned worksheet `name` with `rows` from A1.

        `widths` maps 1-based column numbers to widths; `links` maps a cell of this sheet to a
        place in the workbook such as "'清单'!C7"; `protect` protects it without a password
        (`SheetPatch.protect`).
        """
        if state not in SHEET_STATES:
            raise ValueError(f"sheet state must be hidden or veryHidden, not {state!r}")
        _check_sheet_name(name)
        element = self._sheet_element(name) if self.has_sheet(name) else None
        if element is not None:
            self._replaceable(element.get("name"))
        _check_text_lengths(name, rows)
        xml = _owned_sheet_xml(
            rows, self.styles, self.ns, date1904=self.date1904, widths=widths or {}, links=links or {},
            bold_first_row=bold_first_row, freeze_first_row=freeze_first_row, protect=protect,
        )
        if element is not None and self._holds(element, xml, state):
            return
        if element is not None:
            part = self._clear_owned(element.get("name"))
        else:
            part, element = self._new_sheet(name)
        self.write(part, xml)
        _set_state(element, state)
        self.touch(self.workbook_part)
        self._keep_visible_tab()

    def _holds(self, element: etree._Element, xml: bytes, state: str | None) -> bool:
        """True when the owned sheet already has exactly this content and visibility."""
        part = self._sheet_rel(element.get("name", "")).part
        wanted = None if state in (None, "visible") else state
        return element.get("state") == wanted and self.exists(part) and self.read(part) == xml

    def remove_sheet(self, name: str) -> None:
        """Remove the xlcsr-owned worksheet `name`; sheet-scoped names and tab indexes follow."""
        element = self._sheet_element(name)
        visible = [s for s in self._sheet_elements() if s.get("state", "visible") == "visible" and s is not element]
        if not visible:
            raise UnsafeEdit(f"不能删除唯一可见的工作表「{name}」 / Cannot remove '{name}', the only visible sheet")
        part = self._clear_owned(element.get("name"))
        index = self._sheet_elements().index(element)
        rel_id = self._rel_id(element)
        element.getparent().remove(element)
        self.remove_rel(self.workbook_part, rel_id)
        for rel in self.rels(part):
            if not rel.external and rel.kind == "printerSettings":
                self.delete(rel.part)
        self.delete(rels_path(part))
        self.delete(part)
        self._shift_sheet_indexes(index)
        self.touch(self.workbook_part)

    # -- saving --

    def to_bytes(self) -> bytes:
        """The whole workbook as .xlsx/.xlsm bytes.

        An entry whose part is unchanged is copied as stored in the source (raw compressed bytes,
        headers, extra fields, data descriptor); changed and new parts are deflated, an edited
        worksheet straight from its pieces (the source's bytes between the rows that changed).
        """
        self._flush()
        return self._zip_bytes()

    def _zip_bytes(self) -> bytes:
        """The zip of the parts as they stand (after `_flush`), joined once."""
        raw = memoryview(self._raw)
        out: list[bytes | memoryview] = []
        central = []
        offset = 0
        for name in self._order:
            if name in self._removed:
                continue
            stored = self._stored.get(name)
            if stored is not None and (name not in self._data or self._unchanged(name)):
                central.append(_moved_record(stored.central, offset))
                entry: list[bytes | memoryview] = [raw[stored.start : stored.end]]
            else:
                data = self._data[name] if name in self._data else _serialize(self._xml[name])
                local, packed, record = _new_entry(name, data, stored, offset)
                central.append(record)
                entry = [local, packed]
            out += entry
            offset += sum(len(piece) for piece in entry)
        directory = b"".join(central)
        out += [directory, _end_of_central_directory(len(central), offset, len(directory), self._zip.comment)]
        return b"".join(out)

    def _differs(self) -> bool:
        """True when a part is new, gone or different: edits that put back what was there write nothing."""
        if any(name in self._infos for name in self._removed):
            return True
        return any(name not in self._infos or not self._unchanged(name) for name in self._data)

    def _unchanged(self, name: str) -> bool:
        """True when the written part `name` says what the source's entry says (remembered per bytes)."""
        data = self._data[name]
        known = self._compared.get(name)
        if known is not None and known[0] is data:
            return known[1]
        same = (name == CONTENT_TYPES or _size(data) == self._infos[name].file_size) and _same_part(
            name, data, self._source_bytes(name))
        self._compared[name] = (data, same)
        return same

    def _flush(self) -> None:
        for patch in self._sheets.values():
            if patch.changed:
                self.write(patch.part, tuple(patch.pieces()))
        if self._styles is not None and self._styles.changed:
            self.write(self._styles_part, self._styles.to_bytes())
        self._cover_new_parts()
        for name in sorted(self._dirty):
            self._data[name] = _serialize(self._xml[name])
            self._changed = True
        self._dirty.clear()

    def _cover_new_parts(self) -> None:
        """Give every part xlcsr added a content type: an Override, or a Default for its extension."""
        for name in self._live_names():
            if name in self._infos or name == CONTENT_TYPES or name.endswith("/"):
                continue
            if self.content_type(name) is not None:
                continue
            extension = _extension(name)
            if extension not in _DEFAULT_TYPES:
                raise ValueError(f"xlcsr added part {name} without a content type")
            self.ensure_default(extension, _DEFAULT_TYPES[extension])

    def save(self, path: Path | None = None, *, keep: Any = None, expect: tuple[int, int, int] | None = None,
             now: datetime | None = None) -> Path | None:
        """Write atomically (with a backup) when something changed; returns the backup path.

        `keep` says which backups stay (`write_atomically`'s `keep`: a count or a retention policy);
        None leaves it to write_atomically's default.
        `expect` is the stamp of the file as the command read it (`xlcsr.disk.atomic.stamp_of`): when the
        file on disk is another by now, WorkbookChanged and nothing is written. `now` names the backup;
        without it, the backup is named by the replaced file's modification time. A damaged source entry
        is a WorkbookUnreadable, never a raw zip error.
        """
        from xlcsr.disk.atomic import stamp_of

        if not self.changed:
            return None
        target = Path(path) if path is not None else Path(self.source)
        try:
            self._flush()
            if not self._differs():
                return None
            data = self.to_bytes()
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise WorkbookUnreadable(f"工作簿 {target.name} 已损坏（{exc}），未写入任何内容 / Workbook "
                                     f"{target.name} is damaged ({exc}); nothing was written") from exc
        if now is None:
            stamp = stamp_of(target)
            now = stamp.modified if stamp is not None else None
        options = {} if keep is None else {"keep": keep}
        return write_atomically(target, data, expect=expect, now=now, **options)

    # -- parts --

    def exists(self, name: str) -> bool:
        name = self._canonical(name)
        return name not in self._removed and (name in self._infos or name in self._data or name in self._xml)

    def read(self, name: str) -> bytes:
        """The bytes of part `name`; KeyError when there is none, WorkbookUnreadable when it is damaged."""
        name = self._canonical(name)
        if name in self._removed:
            raise KeyError(name)
        if name in self._dirty:
            return _serialize(self._xml[name])
        if name in self._data:
            return _joined(self._data[name])
        return self._source_bytes(name)

    def xml(self, name: str) -> etree._Element:
        """The parsed part `name` (cached; call `touch` after changing it)."""
        name = self._canonical(name)
        if name not in self._xml:
            data = self.read(name)
            try:
                self._xml[name] = etree.fromstring(data, _XML_PARSER)
            except etree.XMLSyntaxError as exc:
                raise _damaged_xml(self.source, name, exc) from exc
        return self._xml[name]

    def _source_bytes(self, name: str) -> bytes:
        """The source's bytes of part `name`: a worksheet opened for patching has them already."""
        patch = next((p for p in self._sheets.values() if p.part == name), None)
        return patch.original if patch is not None else self._original(name)

    def _original(self, name: str) -> bytes:
        """The source's bytes of part `name`, inflated and checked against its CRC."""
        info = self._infos[name]
        try:
            if info.compress_type == zipfile.ZIP_DEFLATED and not info.flag_bits & _FLAG_ENCRYPTED:
                return _inflated(self._raw, self._stored[name])
            return self._zip.read(info)
        except _ENTRY_ERRORS as exc:
            raise _damaged_entry(self.source, name, exc) from exc

    def touch(self, name: str) -> None:
        """Mark the parsed part `name` as changed."""
        self._dirty.add(self._canonical(name))

    def write(self, name: str, data: bytes | Pieces) -> None:
        """Make `data` (bytes, or pieces to be written one after the other) the content of part `name`."""
        name = self._canonical(name)
        self._xml.pop(name, None)
        self._dirty.discard(name)
        self._removed.discard(name)
        self._data[name] = data
        if name not in self._order:
            self._order.append(name)
        self._changed = True

    def delete(self, name: str) -> None:
        name = self._canonical(name)
        if not self.exists(name):
            return
        self._removed.add(name)
        self._data.pop(name, None)
        self._xml.pop(name, None)
        self._dirty.discard(name)
        self._changed = True
        self.remove_override(name)

    def free_part_name(self, pattern: str) -> str:
        """The first free name for `pattern` such as 'xl/comments{}.xml' (numbered from 1)."""
        n = 1
        while self.exists(pattern.format(n)):
            n += 1
        return pattern.format(n)

    def free_vml_block(self) -> int:
        """A VML shape-id block (o:idmap) above every block used in the workbook; later ones are free too."""
        used = {0}
        for name in self._live_names():
            if name.lower().endswith(".vml"):
                for data in re.findall(rb"""<o:idmap\b[^>]*\bdata\s*=\s*["']([^"']*)["']""", self.read(name)):
                    used.update(int(x) for x in re.findall(rb"\d+", data))
        return max(used) + 1

    # -- relationships --

    def rels(self, source: str) -> list[Rel]:
        """The relationships of part `source` ('' for the package)."""
        path = rels_path(source)
        if not self.exists(path):
            return []
        found = []
        for el in self.xml(path):
            if not isinstance(el.tag, str):
                continue
            external = el.get("TargetMode") == "External"
            target = el.get("Target", "")
            part = target if external else resolve_target(source, target)
            found.append(Rel(el.get("Id", ""), el.get("Type", "").rsplit("/", 1)[-1], part, external))
        return found

    def add_rel(self, source: str, kind: str, part: str) -> str:
        """Relate `source` to `part` with relationship type `kind` ('worksheet', 'comments' …)."""
        path = rels_path(source)
        if not self.exists(path):
            self._xml[path] = etree.Element(f"{{{PKG_REL_NS}}}Relationships", nsmap={None: PKG_REL_NS})
            self._removed.discard(path)
            if path not in self._order:
                self._order.append(path)
        root = self.xml(path)
        ids = {el.get("Id") for el in root}
        n = len(ids) + 1
        while f"rId{n}" in ids:
            n += 1
        rid = f"rId{n}"
        base = posixpath.dirname(source) or "."
        el = etree.SubElement(root, f"{{{PKG_REL_NS}}}Relationship")
        el.set("Id", rid)
        el.set("Type", self.ns.rel_type(kind))
        el.set("Target", posixpath.relpath(part, base))
        self.touch(path)
        return rid

    def remove_rel(self, source: str, rid: str) -> None:
        path = rels_path(source)
        if not self.exists(path):
            return
        root = self.xml(path)
        for el in root:
            if el.get("Id") == rid:
                root.remove(el)
                self.touch(path)
        if not len(root):
            self.delete(path)

    # -- content types --

    def content_type(self, part: str) -> str | None:
        """The content type [Content_Types].xml gives `part`: its Override, else its extension's Default."""
        root = self.xml(CONTENT_TYPES)
        name = "/" + self._canonical(part).lower()
        for el in root.iterchildren(f"{{{CT_NS}}}Override"):
            if el.get("PartName", "").lower() == name:
                return el.get("ContentType")
        extension = _extension(name)
        for el in root.iterchildren(f"{{{CT_NS}}}Default"):
            if extension and el.get("Extension", "").lower() == extension:
                return el.get("ContentType")
        return None

    def set_override(self, part: str, content_type: str) -> None:
        root = self.xml(CONTENT_TYPES)
        name = "/" + part
        for el in root.iterchildren(f"{{{CT_NS}}}Override"):
            if el.get("PartName", "").lower() == name.lower():
                if el.get("ContentType") != content_type:
                    el.set("ContentType", content_type)
                    self.touch(CONTENT_TYPES)
                return
        etree.SubElement(root, f"{{{CT_NS}}}Override", PartName=name, ContentType=content_type)
        self.touch(CONTENT_TYPES)

    def remove_override(self, part: str) -> None:
        root = self.xml(CONTENT_TYPES)
        for el in list(root.iterchildren(f"{{{CT_NS}}}Override")):
            if el.get("PartName", "").lower() == "/" + part.lower():
                root.remove(el)
                self.touch(CONTENT_TYPES)

    def ensure_default(self, extension: str, content_type: str) -> None:
        root = self.xml(CONTENT_TYPES)
        defaults = list(root.iterchildren(f"{{{CT_NS}}}Default"))
        if any(el.get("Extension", "").lower() == extension.lower() for el in defaults):
            return
        el = etree.Element(f"{{{CT_NS}}}Default", Extension=extension, ContentType=content_type)
        if defaults:
            defaults[-1].addnext(el)
        else:
            root.insert(0, el)
        self.touch(CONTENT_TYPES)

    # -- internals --

    def _canonical(self, name: str) -> str:
        name = name.lstrip("/")
        return self._lower.get(name.lower(), name) if name not in self._infos else name

    def _live_names(self) -> list[str]:
        names = [n for n in self._order if n not in self._removed]
        return names + [n for n in self._xml if n not in names and n not in self._removed]

    def _find_workbook(self) -> str:
        try:
            root = etree.fromstring(self.read("_rels/.rels"), _XML_PARSER)
            for el in root:
                if el.get("Type", "").endswith("/officeDocument"):
                    part = resolve_target("", el.get("Target", ""))
                    if self._canonical(part) in self._infos:
                        return self._canonical(part)
        except (KeyError, etree.XMLSyntaxError, WorkbookUnreadable):
            pass
        if "xl/workbook.xml" in self._infos:
            return "xl/workbook.xml"
        raise _unreadable(
            self.source, "不是 Excel 工作簿（缺少 xl/workbook.xml）", "is not an Excel workbook (no xl/workbook.xml)"
        )

    def _rel_id(self, element: etree._Element) -> str | None:
        """The r:id of `element`, in the package's flavour (or, written by a confused tool, the other)."""
        for ns in (self.ns, TRANSITIONAL, STRICT):
            rid = element.get(f"{{{ns.rel}}}id")
            if rid is not None:
                return rid
        return None

    def _main(self, name: str) -> str:
        ns = etree.QName(self._workbook).namespace
        return f"{{{ns}}}{name}" if ns else name

    def _sheets_element(self) -> etree._Element:
        sheets = self._workbook.find(self._main("sheets"))
        if sheets is None:
            raise _unreadable(
                self.source, "已损坏（workbook.xml 中没有工作表列表）", "is corrupt (no sheets in workbook.xml)"
            )
        return sheets

    def _sheet_elements(self) -> list[etree._Element]:
        return list(self._sheets_element().iterchildren(self._main("sheet")))

    def _sheet_element(self, name: str) -> etree._Element:
        elements = self._sheet_elements()
        for el in elements:
            if el.get("name") == name:
                return el
        for el in elements:
            if el.get("name", "").casefold() == name.casefold():
                return el
        raise SheetMissing(f"工作簿中没有工作表「{name}」 / Sheet '{name}' not found in the workbook")

    def _sheet_rel(self, name: str) -> Rel:
        rid = self._rel_id(self._sheet_element(name))
        rel = next((r for r in self.rels(self.workbook_part) if r.id == rid), None)
        if rel is None or not self.exists(rel.part):
            raise _unreadable(
                self.source, f"已损坏（找不到工作表「{name}」的内容）", f"is corrupt (sheet '{name}' has no part)"
            )
        return rel

    def _replaceable(self, name: str) -> SheetPatch:
        """Sheet `name`, when xlcsr may replace or remove it whole; UnsafeEdit otherwise."""
        patch = self.sheet(name)
        if patch.has_foreign_objects():
            raise UnsafeEdit(
                f"工作表「{name}」含有图片、图表、表格或批注等对象，xlcsr 不会覆盖它 / "
                f"Sheet '{name}' holds drawings, charts, tables or comments; xlcsr will not replace it"
            )
        return patch

    def _clear_owned(self, name: str) -> str:
        """Make way for replacing or removing sheet `name`; returns its part."""
        patch = self._replaceable(name)
        patch.remove_notes()
        if patch.has_formulas():
            self._drop_calc_chain()
        del self._sheets[name]
        return patch.part

    def _new_sheet(self, name: str) -> tuple[str, etree._Element]:
        part = self.free_part_name(self.workbook_dir + "/worksheets/sheet{}.xml")
        rid = self.add_rel(self.workbook_part, "worksheet", part)
        self.set_override(part, CT_WORKSHEET)
        ids = [int(s.get("sheetId", "0")) for s in self._sheet_elements()]
        element = etree.SubElement(self._sheets_element(), self._main("sheet"))
        element.set("name", name)
        element.set("sheetId", str(max(ids, default=0) + 1))
        element.set(f"{{{self.ns.rel}}}id", rid)
        return part, element

    def _drop_calc_chain(self) -> None:
        for rel in self.rels(self.workbook_part):
            if rel.kind == "calcChain":
                self.remove_rel(self.workbook_part, rel.id)
                self.delete(rel.part)

    def _shift_sheet_indexes(self, removed: int) -> None:
        names = self._workbook.find(self._main("definedNames"))
        for el in list(names) if names is not None else []:
            local = el.get("localSheetId")
            if local is None or not local.isdigit():
                continue
            if int(local) == removed:
                names.remove(el)
            elif int(local) > removed:
                el.set("localSheetId", str(int(local) - 1))
        if names is not None and not len(names):
            self._workbook.remove(names)
        for view in self._workbook.iter(self._main("workbookView")):
            for attr in ("activeTab", "firstSheet"):
                value = int(view.get(attr, "0"))
                if value > removed or (value == removed and value >= len(self._sheet_elements())):
                    view.set(attr, str(max(value - 1, 0)))
        self._keep_visible_tab()

    def _keep_visible_tab(self) -> None:
        sheets = self._sheet_elements()
        visible = [i for i, s in enumerate(sheets) if s.get("state", "visible") == "visible"]
        if not visible:
            return
        for view in self._workbook.iter(self._main("workbookView")):
            for attr in ("activeTab", "firstSheet"):
                value = int(view.get(attr, "0"))
                if value >= len(sheets) or value not in visible:
                    view.set(attr, str(visible[0]))


# --- helpers ------------------------------------------------------------------------------------


def _unreadable(source: str, zh: str, en: str) -> WorkbookUnreadable:
    name = Path(source).name
    return WorkbookUnreadable(f"工作簿 {name} {zh} / Workbook {name} {en}")


def _not_a_zip(source: str, data: bytes) -> WorkbookUnreadable:
    if data.startswith(_CFB_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            return _unreadable(source, "设有打开密码（已加密），请先在 Excel 中取消密码",
                               "is password-protected (encrypted); remove the password in Excel first")
        return _unreadable(source, "是旧版 .xls 文件，请先在 Excel 中另存为 .xlsx",
                           "is an old .xls file; save it as .xlsx in Excel first")
    if data.startswith(b"PK"):
        return _unreadable(source, "已损坏（zip 目录缺失或损坏，文件可能不完整）",
                           "is corrupt (the zip directory is missing or damaged; truncated file?)")
    return _unreadable(source, "不是 .xlsx/.xlsm 文件（不是 zip 格式；.xls 请先另存为 .xlsx）",
                       "not an .xlsx/.xlsm file (not a zip; save .xls as .xlsx first)")


def _corrupt_zip(source: str, zh: str, en: str) -> WorkbookUnreadable:
    return _unreadable(source, f"已损坏（{zh}）", f"is corrupt ({en})")


def _damaged_entry(source: str, name: str, exc: Exception) -> WorkbookUnreadable:
    text = str(exc)
    if isinstance(exc, NotImplementedError):
        zh, en = "使用了不支持的压缩方式", "uses an unsupported compression method"
    elif "CRC" in text:
        zh, en = "校验和（CRC）不符", "fails its CRC check"
    elif isinstance(exc, RuntimeError) and "encrypt" in text.lower():
        zh, en = "已加密", "is encrypted"
    else:
        zh, en = "数据不完整或已损坏", "is truncated or damaged"
    return _corrupt_zip(source, f"部件 {name} {zh}", f"part {name} {en}")


def _damaged_xml(source: str, name: str, exc: etree.XMLSyntaxError) -> WorkbookUnreadable:
    line = exc.lineno or 1
    return _corrupt_zip(source, f"部件 {name} 的 XML 已损坏，第 {line} 行",
                        f"part {name} holds damaged XML at line {line}")


# --- the zip as stored -------------------------------------------------------------------------

_LOCAL = struct.Struct("<4s5H3I2H")  # signature, version, flags, method, time, date, crc, sizes, name/extra lengths
_CENTRAL = struct.Struct("<4s6H3I5H2I")  # … + comment length, disk, internal/external attributes, offset
_EOCD = struct.Struct("<4s4H2IH")
_EOCD64 = struct.Struct("<4sQ2H2I4Q")
_LOCATOR64 = struct.Struct("<4sIQI")
_LOCAL_SIG, _CENTRAL_SIG, _DESCRIPTOR_SIG = b"PK\x03\x04", b"PK\x01\x02", b"PK\x07\x08"
_EOCD_SIG, _EOCD64_SIG, _LOCATOR64_SIG = b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07"
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FLAG_ENCRYPTED, _FLAG_DESCRIPTOR, _FLAG_UTF8 = 0x01, 0x08, 0x800
_MAX_RATIO = 1032  # deflate inflates no byte into more than this many
_MAX32, _ZIP64_EXTRA, _UNICODE_PATH = 0xFFFFFFFF, 0x0001, 0x7075
# what zipfile and zlib raise for an entry they cannot inflate or whose CRC is wrong
_ENTRY_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError)


@dataclass(frozen=True)
class _Stored:
    """One entry of the source zip: its bytes from the local header to the end of its data
    (descriptor included), its raw central-directory record, its raw name and local extra field,
    and where its data starts."""

    info: zipfile.ZipInfo
    start: int
    end: int
    central: bytes
    name: bytes
    local_extra: bytes
    data: int  # where its compressed data starts


def _stored_entries(data: bytes, zf: zipfile.ZipFile, source: str) -> dict[str, _Stored]:
    """Every entry of `data` as stored; WorkbookUnreadable for duplicate names or a damaged zip."""
    entries: dict[str, _Stored] = {}
    seen: dict[str, str] = {}
    try:
        pos = _central_directory_start(data)
        for info in zf.infolist():
            if data[pos : pos + 4] != _CENTRAL_SIG:
                raise ValueError("central directory record")
            fixed = _CENTRAL.unpack_from(data, pos)
            record = data[pos : pos + _CENTRAL.size + fixed[10] + fixed[11] + fixed[12]]
            pos += len(record)
            name = record[_CENTRAL.size : _CENTRAL.size + fixed[10]]
            decoded = name.decode("utf-8" if fixed[3] & _FLAG_UTF8 else "cp437")
            if decoded != info.orig_filename and _UNICODE_PATH not in _extra_ids(record, fixed):
                raise ValueError("central directory name")
            key = info.filename.lower()
            if key in seen:
                other = seen[key]
                zh, en = ((f"zip 中部件「{other}」出现了两次", f"part '{other}' appears twice in the zip")
                          if other == info.filename else
                          (f"zip 中部件「{other}」与「{info.filename}」只差大小写",
                           f"parts '{other}' and '{info.filename}' differ only in case"))
                raise _corrupt_zip(source, zh, en)
            seen[key] = info.filename
            entries[info.filename] = _stored_entry(data, info, record, name, source)
    except (ValueError, struct.error, UnicodeDecodeError) as exc:
        raise _corrupt_zip(source, "zip 目录损坏", "damaged zip directory") from exc
    return entries


def _extra_ids(record: bytes, fixed: tuple) -> set[int]:
    """The ids of the extra fields of a central-directory record."""
    ids, pos, end = set(), _CENTRAL.size + fixed[10], _CENTRAL.size + fixed[10] + fixed[11]
    while pos + 4 <= end:
        kind, size = struct.unpack_from("<2H", record, pos)
        ids.add(kind)
        pos += 4 + size
    return ids


def _central_directory_start(data: bytes) -> int:
    end = data.rfind(_EOCD_SIG, max(0, len(data) - _EOCD.size - 0xFFFF))
    if end < 0:
        raise ValueError("no end of central directory")
    base, size = end, _EOCD.unpack_from(data, end)[5]
    locator = end - _LOCATOR64.size
    if locator >= 0 and data[locator : locator + 4] == _LOCATOR64_SIG:
        base = locator - _EOCD64.size
        if base < 0 or data[base : base + 4] != _EOCD64_SIG:
            raise ValueError("zip64 end of central directory")
        size = _EOCD64.unpack_from(data, base)[8]
    return base - size


def _stored_entry(data: bytes, info: zipfile.ZipInfo, record: bytes, name: bytes, source: str) -> _Stored:
    start = info.header_offset
    if data[start : start + 4] != _LOCAL_SIG:
        raise _corrupt_zip(source, f"部件 {info.filename} 的 zip 头缺失", f"part {info.filename} has no local header")
    local = _LOCAL.unpack_from(data, start)
    name_end = start + _LOCAL.size + local[9]
    if data[start + _LOCAL.size : name_end] != name:
        raise _corrupt_zip(source, f"部件 {info.filename} 的 zip 头与目录不符",
                           f"part {info.filename}: local header and directory disagree")
    local_extra = data[name_end : name_end + local[10]]
    end = name_end + local[10] + info.compress_size
    if end > len(data):
        raise _corrupt_zip(source, f"部件 {info.filename} 不完整，文件可能被截断",
                           f"part {info.filename} is incomplete; truncated file?")
    if info.flag_bits & _FLAG_DESCRIPTOR:
        end += _descriptor_length(data, end, info)
    return _Stored(info, start, end, record, name, local_extra, name_end + local[10])


def _inflated(raw: bytes, stored: _Stored) -> bytes:
    """A deflated entry's data, inflated into one buffer of the size the zip gives it (zipfile would
    grow one and copy it: twice the part at once), checked against its size and CRC."""
    info = stored.info
    data = memoryview(raw)[stored.data : stored.data + info.compress_size]
    size = info.file_size if info.file_size <= _MAX_RATIO * info.compress_size + 1024 else 16384
    out = zlib.decompress(data, -15, max(size, 1))
    if len(out) != info.file_size or zlib.crc32(out) != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
    return out


def _descriptor_length(data: bytes, at: int, info: zipfile.ZipInfo) -> int:
    """The length of the data descriptor at `at` (signature optional, 4- or 8-byte sizes)."""
    signed = 4 if data[at : at + 4] == _DESCRIPTOR_SIG else 0
    for layout in (struct.Struct("<3I"), struct.Struct("<I2Q")):
        if at + signed + layout.size <= len(data):
            if layout.unpack_from(data, at + signed) == (info.CRC, info.compress_size, info.file_size):
                return signed + layout.size
    if signed or data[at : at + 2] != b"PK":
        return min(signed + 12, len(data) - at)
    return 0


def _moved_record(record: bytes, offset: int) -> bytes:
    """The central-directory `record` of an entry now at `offset`."""
    fixed = list(_CENTRAL.unpack_from(record))
    if fixed[16] != _MAX32:
        fixed[16] = _offset32(offset)
        return _CENTRAL.pack(*fixed) + record[_CENTRAL.size :]
    pos, end = _CENTRAL.size + fixed[10], _CENTRAL.size + fixed[10] + fixed[11]
    while pos + 4 <= end:
        kind, size = struct.unpack_from("<2H", record, pos)
        if kind == _ZIP64_EXTRA:
            at = pos + 4 + 8 * ((fixed[9] == _MAX32) + (fixed[8] == _MAX32))
            return record[:at] + struct.pack("<Q", offset) + record[at + 8 :]
        pos += 4 + size
    raise ValueError("zip64 offset without a zip64 extra field")


def _new_entry(name: str, data: bytes | Pieces, stored: _Stored | None, offset: int) -> tuple[bytes, bytes, bytes]:
    """(local header, deflated data, central-directory record) of `data`, keeping what the source
    said of the entry (name bytes, time, attributes, extra fields but zip64, comment)."""
    packed, crc, size = deflate((data,) if isinstance(data, bytes) else data)
    if stored is not None:
        info, record = stored.info, stored.central
        fixed = _CENTRAL.unpack_from(record)
        name_bytes, flags, date_time = stored.name, fixed[3] & _FLAG_UTF8, info.date_time
        made_by, internal, external = fixed[1], fixed[14], fixed[15]
        extra_start = _CENTRAL.size + fixed[10]
        central_extra = _without_zip64(record[extra_start : extra_start + fixed[11]])
        comment = record[extra_start + fixed[11] :]
        local_extra = _without_zip64(stored.local_extra)
    else:
        plain = name.isascii()
        name_bytes, flags = name.encode("ascii" if plain else "utf-8"), 0 if plain else _FLAG_UTF8
        date_time = _ZIP_EPOCH
        made_by, internal, external = 20, 0, 0
        central_extra = comment = local_extra = b""
    if max(len(packed), size) >= _MAX32:
        raise UnsafeEdit(f"部件 {name} 超过 4 GB / part {name} is larger than 4 GB")
    time_, date_ = _dos_time(date_time)
    sizes = (crc, len(packed), size, len(name_bytes))
    local = _LOCAL.pack(_LOCAL_SIG, 20, flags, zipfile.ZIP_DEFLATED, time_, date_, *sizes, len(local_extra))
    central = _CENTRAL.pack(_CENTRAL_SIG, made_by, 20, flags, zipfile.ZIP_DEFLATED, time_, date_, *sizes,
                            len(central_extra), len(comment), 0, internal, external, _offset32(offset))
    return local + name_bytes + local_extra, packed, central + name_bytes + central_extra + comment


def _without_zip64(extra: bytes) -> bytes:
    """`extra` without its zip64 field (a rewritten entry has 32-bit sizes); as it was when malformed."""
    kept, pos = [], 0
    while pos + 4 <= len(extra):
        kind, size = struct.unpack_from("<2H", extra, pos)
        if pos + 4 + size > len(extra):
            return b""
        if kind != _ZIP64_EXTRA:
            kept.append(extra[pos : pos + 4 + size])
        pos += 4 + size
    return b"".join(kept) if pos == len(extra) else b""


def _dos_time(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time if date_time[0] >= 1980 else _ZIP_EPOCH
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


def _offset32(offset: int) -> int:
    if offset >= _MAX32:
        raise UnsafeEdit("工作簿将超过 4 GB，xlcsr 不写入 / The workbook would exceed 4 GB; xlcsr does not write it")
    return offset


def _end_of_central_directory(count: int, start: int, size: int, comment: bytes) -> bytes:
    comment = comment[:0xFFFF]
    head = b""
    if count >= 0xFFFF or start >= _MAX32 or size >= _MAX32:
        head = (_EOCD64.pack(_EOCD64_SIG, _EOCD64.size - 12, 45, 45, 0, 0, count, count, size, start)
                + _LOCATOR64.pack(_LOCATOR64_SIG, 0, start + size, 1))
        count, start, size = min(count, 0xFFFF), min(start, _MAX32), min(size, _MAX32)
    return head + _EOCD.pack(_EOCD_SIG, 0, 0, count, count, size, start, len(comment)) + comment


def _serialize(root: etree._Element) -> bytes:
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def _extension(part: str) -> str:
    """The extension of a part name as OPC sees it ('rels' for _rels/.rels), lower case."""
    last = part.rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[1].lower() if "." in last else ""


def _check_sheet_name(name: str) -> None:
    if not name or len(name) > 31 or _SHEET_NAME_BAD.search(name) or name[0] == "'" or name[-1] == "'":
        raise ValueError(f"not a valid Excel sheet name: {name!r}")


def _check_text_lengths(name: str, rows: Sequence[Sequence[Cell]]) -> None:
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if isinstance(value, str) and len(value) > MAX_TEXT:
                raise UnsafeEdit(
                    f"工作表「{name}」单元格 {cell_ref(r, c)} 的文本超过 Excel 上限 {MAX_TEXT} 字 / "
                    f"Sheet '{name}' cell {cell_ref(r, c)}: text longer than Excel's {MAX_TEXT} characters"
                )


def _size(data: bytes | Pieces) -> int:
    return len(data) if isinstance(data, bytes) else sum(len(piece) for piece in data)


def _joined(data: bytes | Pieces) -> bytes:
    return data if isinstance(data, bytes) else b"".join(data)


def _same_bytes(pieces: Pieces, old: bytes) -> bool:
    """True when the pieces one after the other are `old`, compared piece by piece."""
    view, pos = memoryview(old), 0
    for piece in pieces:
        if view[pos : pos + len(piece)] != piece:
            return False
        pos += len(piece)
    return pos == len(old)


def _same_part(name: str, new: bytes | Pieces, old: bytes) -> bool:
    """Equal bytes; for [Content_Types].xml, the same entries in any order (OPC gives order no meaning)."""
    if new == old or (not isinstance(new, bytes) and _same_bytes(new, old)):
        return True
    if name != CONTENT_TYPES:
        return False
    entries = [sorted(etree.tostring(child, method="c14n") for child in etree.fromstring(data)) for data in (new, old)]
    return entries[0] == entries[1]


def _set_state(element: etree._Element, state: str | None) -> None:
    if state in (None, "visible"):
        element.attrib.pop("state", None)
    else:
        element.set("state", state)


def _owned_sheet_xml(
    rows: Sequence[Sequence[Cell]],
    styles: StyleBook,
    ns: Namespaces,
    *,
    date1904: bool,
    widths: dict[int, float],
    links: dict[str, str],
    bold_first_row: bool,
    freeze_first_row: bool,
    protect: bool,
) -> bytes:
    link_refs = {cell_ref(*split_ref(ref)): target for ref, target in links.items()}
    header_style = styles.bold() if bold_first_row else 0
    row_xml = []
    last_col = 0
    for r, values in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(values, start=1):
            ref = cell_ref(r, c)
            style = styles.hyperlink() if ref in link_refs else header_style if r == 1 else 0
            cell = _owned_cell(ref, value, style, styles, date1904)
            if cell:
                cells.append(cell)
                last_col = max(last_col, c)
        row_xml.append(f'<row r="{r}">{"".join(cells)}</row>' if cells else "")
    dimension = f"A1:{col_letter(last_col)}{len(rows)}" if last_col else "A1"
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        f'<worksheet xmlns="{ns.main}" xmlns:r="{ns.rel}">',
        f'<dimension ref="{dimension}"/>',
        _sheet_views(freeze_first_row and len(rows) > 0),
        '<sheetFormatPr defaultRowHeight="15"/>',
        _cols(widths),
        f'<sheetData>{"".join(row_xml)}</sheetData>',
        f"<sheetProtection {PROTECTION.decode()}/>" if protect else "",
        _hyperlinks(link_refs, rows),
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>',
        "</worksheet>",
    ]
    return "".join(parts).encode()


def _owned_cell(ref: str, value: Cell, style: int, styles: StyleBook, date1904: bool) -> str:
    s = f' s="{style}"' if style else ""
    if value is None or value == "":
        return f'<c r="{ref}"{s}/>' if style else ""
    if isinstance(value, str):
        return f'<c r="{ref}"{s} t="inlineStr">{inline_string_xml(clean_text(value))}</c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, date):
        with_time = isinstance(value, datetime) and value.time() != time(0)
        date_style = styles.with_date_format(style, with_time=with_time)
        return f'<c r="{ref}" s="{date_style}"><v>{number_text(excel_serial(value, date1904=date1904))}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"{s}><v>{number_text(value)}</v></c>'
    return _owned_cell(ref, str(value), style, styles, date1904)


def _sheet_views(freeze: bool) -> str:
    if not freeze:
        return '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
    return (
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        "</sheetView></sheetViews>"
    )


def _cols(widths: dict[int, float]) -> str:
    if not widths:
        return ""
    cols = "".join(
        f'<col min="{c}" max="{c}" width="{float(w):g}" customWidth="1"/>' for c, w in sorted(widths.items())
    )
    return f"<cols>{cols}</cols>"


def _hyperlinks(links: dict[str, str], rows: Sequence[Sequence[Cell]]) -> str:
    if not links:
        return ""
    items = []
    for ref, target in sorted(links.items(), key=lambda kv: split_ref(kv[0])):
        r, c = split_ref(ref)
        shown = rows[r - 1][c - 1] if r <= len(rows) and c <= len(rows[r - 1]) else None
        display = f' display="{_attr(str(shown))}"' if shown not in (None, "") else ""
        items.append(f'<hyperlink ref="{ref}" location="{_attr(target)}"{display}/>')
    return f"<hyperlinks>{''.join(items)}</hyperlinks>"


def _attr(text: str) -> str:
    return (
        clean_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    )
