"""An .xlsx/.xlsm file as a zip of parts, rewritten so that untouched parts stay byte-identical.

    package = XlsxPackage.open(Path("顾客特殊要求清单.xlsx"))
    package.sheet("清单").set_value("B7", "长城汽车")
    package.put_sheet("校验结果", [["行", "问题"], [7, "缺少客户名称"]], links={"A2": "'清单'!B7"})
    package.define_name("xlcsr_节假日", "设置!$R$4:$R$200")
    backup = package.save()        # temp file + rename; the old file goes to .xlcsr-backup/

Parts keep their order in the zip and their bytes, unless an edit is about them: the edited
worksheets, styles.xml, workbook.xml, the rels and [Content_Types].xml, and new parts (appended).
Shared strings are never rewritten; new text goes in as inline strings.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from urllib.parse import unquote

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
from xlcsr.ooxml.parts import REL_NS, Rel
from xlcsr.ooxml.sheet import SheetPatch
from xlcsr.ooxml.styles import XML_DECLARATION, StyleBook

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
CONTENT_TYPES = "[Content_Types].xml"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
SHEET_STATES = (None, "visible", "hidden", "veryHidden")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")

Cell = str | int | float | date | datetime | None


class XlsxPackage:
    """The parts of one workbook; only what an edit touches is re-serialized."""

    def __init__(self, data: bytes, source: str = "<bytes>") -> None:
        self.source = source
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise _unreadable(source, "不是 .xlsx/.xlsm 文件（不是 zip 格式；.xls 请先另存为 .xlsx）",
                              "not an .xlsx/.xlsm file (not a zip; save .xls as .xlsx first)") from exc
        self._infos = {info.filename: info for info in self._zip.infolist()}
        self._lower = {name.lower(): name for name in self._infos}
        self._order = list(self._infos)
        self._data: dict[str, bytes] = {}
        self._xml: dict[str, etree._Element] = {}
        self._dirty: set[str] = set()
        self._removed: set[str] = set()
        self._sheets: dict[str, SheetPatch] = {}
        self._styles: StyleBook | None = None
        self._changed = False
        self.workbook_part = self._find_workbook()
        self.workbook_dir = posixpath.dirname(self.workbook_part)
        try:
            self._workbook = self.xml(self.workbook_part)
            self.xml(CONTENT_TYPES)
        except (etree.XMLSyntaxError, KeyError, zipfile.BadZipFile) as exc:
            raise _unreadable(source, "已损坏（workbook.xml 无法读取）",
                              "is corrupt (workbook.xml unreadable)") from exc

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
    def date1904(self) -> bool:
        pr = self._workbook.find(self._main("workbookPr"))
        return pr is not None and pr.get("date1904", "0").lower() in ("1", "true")

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
                self._styles_part = rel.part
                self._styles = StyleBook(self.read(rel.part))
            else:
                self._styles_part = self.workbook_dir + "/styles.xml"
                self._styles = StyleBook(None)
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
    ) -> None:
        """Create or wholly replace the xlcsr-owned worksheet `name` with `rows` from A1.

        `widths` maps 1-based column numbers to widths; `links` maps a cell of this sheet to a
        place in the workbook such as "'清单'!C7".
        """
        if state not in SHEET_STATES:
            raise ValueError(f"sheet state must be hidden or veryHidden, not {state!r}")
        _check_sheet_name(name)
        element = self._sheet_element(name) if self.has_sheet(name) else None
        if element is not None:
            self._replaceable(element.get("name"))
        _check_text_lengths(name, rows)
        xml = _owned_sheet_xml(
            rows, self.styles, date1904=self.date1904, widths=widths or {}, links=links or {},
            bold_first_row=bold_first_row, freeze_first_row=freeze_first_row,
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
        rel_id = element.get(f"{{{REL_NS}}}id")
        element.getparent().remove(element)
        self.remove_rel(self.workbook_part, rel_id)
        for rel in self.rels(part):
            if not rel.external and rel.kind == "printerSettings":
                self.delete(rel.part)
        self.delete(_rels_path(part))
        self.delete(part)
        self._shift_sheet_indexes(index)
        self.touch(self.workbook_part)

    # -- saving --

    def to_bytes(self) -> bytes:
        """The whole workbook as .xlsx/.xlsm bytes."""
        self._flush()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in self._order:
                if name not in self._removed:
                    zf.writestr(*self._entry(name))
        return out.getvalue()

    def _differs(self) -> bool:
        """True when a part is new, gone or different: edits that put back what was there write nothing."""
        if any(name in self._infos for name in self._removed):
            return True
        return any(name not in self._infos or not _same_part(name, data, self._zip.read(self._infos[name]))
                   for name, data in self._data.items())

    def _flush(self) -> None:
        for patch in self._sheets.values():
            if patch.changed:
                self.write(patch.part, patch.to_bytes())
        if self._styles is not None and self._styles.changed:
            self.write(self._styles_part, self._styles.to_bytes())
        for name in sorted(self._dirty):
            self._data[name] = _serialize(self._xml[name])
            self._changed = True
        self._dirty.clear()

    def _entry(self, name: str) -> tuple[zipfile.ZipInfo, bytes]:
        """The zip entry for part `name`: original metadata, new bytes deflated when changed."""
        info = self._infos.get(name)
        zinfo = zipfile.ZipInfo(name, info.date_time if info else _ZIP_EPOCH)
        if info is not None:
            zinfo.external_attr, zinfo.create_system = info.external_attr, info.create_system
        if name in self._data:
            zinfo.compress_type = zipfile.ZIP_DEFLATED
            return zinfo, self._data[name]
        zinfo.compress_type = info.compress_type
        return zinfo, self._zip.read(info)

    def save(self, path: Path | None = None, *, keep: int = 10) -> Path | None:
        """Write atomically (with a backup) when something changed; returns the backup path."""
        if not self.changed:
            return None
        self._flush()
        if not self._differs():
            return None
        target = Path(path) if path is not None else Path(self.source)
        return write_atomically(target, self.to_bytes(), keep=keep)

    # -- parts --

    def exists(self, name: str) -> bool:
        name = self._canonical(name)
        return name not in self._removed and (name in self._infos or name in self._data or name in self._xml)

    def read(self, name: str) -> bytes:
        name = self._canonical(name)
        if name in self._removed:
            raise KeyError(name)
        if name in self._dirty:
            return _serialize(self._xml[name])
        if name in self._data:
            return self._data[name]
        return self._zip.read(self._infos[name])

    def xml(self, name: str) -> etree._Element:
        """The parsed part `name` (cached; call `touch` after changing it)."""
        name = self._canonical(name)
        if name not in self._xml:
            self._xml[name] = etree.fromstring(self.read(name), etree.XMLParser(huge_tree=True, resolve_entities=False))
        return self._xml[name]

    def touch(self, name: str) -> None:
        """Mark the parsed part `name` as changed."""
        self._dirty.add(self._canonical(name))

    def write(self, name: str, data: bytes) -> None:
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
        if not name.endswith(".rels"):
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
        path = _rels_path(source)
        if not self.exists(path):
            return []
        found = []
        for el in self.xml(path):
            if not isinstance(el.tag, str):
                continue
            external = el.get("TargetMode") == "External"
            target = el.get("Target", "")
            part = target if external else _resolve(source, target)
            found.append(Rel(el.get("Id", ""), el.get("Type", "").rsplit("/", 1)[-1], part, external))
        return found

    def add_rel(self, source: str, kind: str, part: str) -> str:
        """Relate `source` to `part` with relationship type `kind` ('worksheet', 'comments' …)."""
        path = _rels_path(source)
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
        el.set("Type", f"{REL_NS}/{kind}")
        el.set("Target", posixpath.relpath(part, base))
        self.touch(path)
        return rid

    def remove_rel(self, source: str, rid: str) -> None:
        path = _rels_path(source)
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
            root = etree.fromstring(self._zip.read("_rels/.rels"))
            for el in root:
                if el.get("Type", "").endswith("/officeDocument"):
                    part = _resolve("", el.get("Target", ""))
                    if self._canonical(part) in self._infos:
                        return self._canonical(part)
        except (KeyError, etree.XMLSyntaxError):
            pass
        if "xl/workbook.xml" in self._infos:
            return "xl/workbook.xml"
        raise _unreadable(
            self.source, "不是 Excel 工作簿（缺少 xl/workbook.xml）", "is not an Excel workbook (no xl/workbook.xml)"
        )

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
        rid = self._sheet_element(name).get(f"{{{REL_NS}}}id")
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
        element.set(f"{{{REL_NS}}}id", rid)
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


def _serialize(root: etree._Element) -> bytes:
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _resolve(source: str, target: str) -> str:
    target = unquote(target)
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target)) if target else target


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


def _same_part(name: str, new: bytes, old: bytes) -> bool:
    """Equal bytes; for [Content_Types].xml, the same entries in any order (OPC gives order no meaning)."""
    if new == old:
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
    *,
    date1904: bool,
    widths: dict[int, float],
    links: dict[str, str],
    bold_first_row: bool,
    freeze_first_row: bool,
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
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">',
        f'<dimension ref="{dimension}"/>',
        _sheet_views(freeze_first_row and len(rows) > 0),
        '<sheetFormatPr defaultRowHeight="15"/>',
        _cols(widths),
        f'<sheetData>{"".join(row_xml)}</sheetData>',
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
