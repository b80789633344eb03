"""Read a register file: calamine for the values, the sheet XML only where formulas are.

    >>> register = read_register("顾客特殊要求清单.xlsx")
    >>> register.header_row, register.columns["customer"].letter
    (3, 'B')

The register sheet's rows are handed over as calamine converts them, all at once (`FileSource.rows`:
the register keeps them column by column, and calamine's own copy of the sheet is let go). When the
command line named the file, calamine has been parsing it since the process started (`head_start`):
the source takes that read if the file is still the one it read. Its
formulas are found by streaming the sheet's XML out of the zip in blocks, in a thread while calamine
parses the values (both let go of the GIL): a block without `<f` is skipped unparsed, and a formula
cell is placed by its own `r` (`formula_cells`); only a sheet whose formula cells lack it is parsed
whole (`parsed_formula_cells`).

Before calamine sees a file, its bytes say what it is (never only its name): a password-protected
workbook, an .xls, .xlsb or .ods, a folder, an empty, cut-off or non-Excel file is refused with one
message saying what it is and what to do (`check_workbook`). Excel 4.0 macro sheets and dialog
sheets, which calamine does not know, are left out of an in-memory copy that calamine reads; the
file itself is never changed by reading.
"""

from __future__ import annotations

import io
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Generic, TypeVar

import python_calamine
from lxml import etree

from xlcsr.domain.errors import FormatNotEdited, WorkbookEncrypted, WorkbookUnreadable
from xlcsr.domain.records import Register
from xlcsr.files.head_start import take as take_early_read
from xlcsr.ooxml.parts import rels_path, resolve_target
from xlcsr.workbook.locate import find_register

T = TypeVar("T")


def read_register(path: str | Path, sheet: str | None = None) -> Register:
    """The register in `path`: sheet 清单, else the first sheet with a register header."""
    return find_register(FileSource(Path(path)), sheet)


class FileSource:
    """A workbook file as a `SheetSource`: values from calamine, formulas from the sheet's XML."""

    def __init__(self, path: Path):
        self.path = path
        self.label = str(path)
        self._workbook: _WorkbookXml | None = None
        self._scans: dict[str, Background[set[str]]] = {}
        early = take_early_read(path)  # begun by the launcher: its sheet is being parsed
        if early is not None:  # look for that sheet's formulas meanwhile
            self._scan(early.likely_sheet)
            early = early.result()
        self.book = open_calamine(path, early.book if early is not None else None)
        self._early = early if early is not None and early.book is self.book else None

    def sheet_names(self) -> list[str]:
        return list(self.book.sheet_names)

    def values(self, sheet: str) -> list[list[object]]:
        """The cells of `sheet` from A1; none for a chart sheet, WorkbookUnreadable for a damaged worksheet."""
        grid = self._grid(sheet)
        return [] if grid is None else grid.to_python(skip_empty_area=False)

    def rows(self, sheet: str) -> Iterator[list[object]]:
        """The rows of `values(sheet)`; the sheet's formulas are looked for meanwhile."""
        self._scan(sheet)
        return iter(self.values(sheet))

    def _scan(self, sheet: str) -> None:
        if sheet not in self._scans:
            self._scans[sheet] = Background(lambda: self._find_formulas(sheet))

    def _grid(self, sheet: str) -> python_calamine.CalamineSheet | None:
        if self._early is not None and (early := self._early.sheet(sheet)) is not None:
            return early
        try:
            return self.book.get_sheet_by_name(sheet)
        except Exception as exc:  # calamine raises several kinds
            if not self._is_worksheet(sheet):
                return None
            name = self.path.name
            raise WorkbookUnreadable(
                f"工作簿 {name} 的工作表「{sheet}」已损坏，无法读取：请在 Excel 中打开修复后另存 / "
                f"sheet '{sheet}' of workbook {name} is damaged and cannot be read: "
                "let Excel repair it and save it") from exc

    def _is_worksheet(self, sheet: str) -> bool:
        kinds = {meta.name: str(meta.typ) for meta in getattr(self.book, "sheets_metadata", [])}
        return "worksheet" in kinds.get(sheet, "").lower()

    def date1904(self) -> bool:
        return self._workbook_xml().date1904

    def modified_by(self) -> str:
        return self._workbook_xml().modified_by

    def formulas(self, sheet: str) -> set[str]:
        """References of the cells of `sheet` that hold a formula (found while `rows` was read, if it was)."""
        scan = self._scans.pop(sheet, None)
        return scan.result() if scan is not None else self._find_formulas(sheet)

    def settle(self) -> None:
        """Let every formula scan still running end (each holds the file open, which Windows keeps from
        being replaced): the scans of sheets passed over while looking for the register."""
        for scan in self._scans.values():
            scan.wait()

    def _find_formulas(self, sheet: str) -> set[str]:
        part = self._workbook_xml().worksheets.get(sheet)
        if part is None:  # a chart sheet
            return set()
        try:
            with zipfile.ZipFile(self.path) as package:
                found = formula_cells(package.open(part))
                return found if found is not None else parsed_formula_cells(package.open(part))
        except _DAMAGED as exc:
            raise _damaged(self.path) from exc

    def _workbook_xml(self) -> _WorkbookXml:
        if self._workbook is None:
            try:
                with zipfile.ZipFile(self.path) as package:
                    self._workbook = _WorkbookXml.read(package)
            except _DAMAGED as exc:
                raise _damaged(self.path) from exc
        return self._workbook


class _WorkbookXml:
    """What xl/workbook.xml says: the date system, and each worksheet's part in the zip."""

    def __init__(self, date1904: bool, worksheets: dict[str, str], modified_by: str = ""):
        self.date1904 = date1904
        self.worksheets = worksheets
        self.modified_by = modified_by

    @classmethod
    def read(cls, package: zipfile.ZipFile) -> _WorkbookXml:
        names = {name.lower(): name for name in package.namelist()}
        main = _main_part(package, names) or ""
        workbook = etree.fromstring(package.read(names[main.lower()]))
        pr = workbook.find("{*}workbookPr")
        date1904 = pr is not None and pr.get("date1904", "0").strip().lower() in ("1", "true")
        rels_name = names.get(rels_path(main).lower())
        rels = etree.fromstring(package.read(rels_name)) if rels_name else []
        targets = {rel.get("Id", ""): resolve_target(main, rel.get("Target", "")) for rel in rels
                   if rel.get("Type", "").endswith("/worksheet")}
        worksheets = {}
        for sheet in workbook.iter("{*}sheet"):
            target = targets.get(_rel_id(sheet) or "")
            if target is not None and target.lower() in names:
                worksheets[sheet.get("name", "")] = names[target.lower()]
        return cls(date1904, worksheets, _last_modified_by(package, names))


def _rel_id(element: etree._Element) -> str | None:
    """The r:id of a <sheet>, whichever namespace the relationships use (transitional or Strict)."""
    return next((v for k, v in element.attrib.items() if etree.QName(k).namespace
                 and etree.QName(k).localname == "id"), None)


class Background(Generic[T]):
    """`work` run in a thread; `result()` waits for its value, or raises what it raised."""

    def __init__(self, work: Callable[[], T]):
        self._work = work
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._work()
        except BaseException as exc:  # handed to the caller of result()
            self._error = exc
        finally:
            del self._work  # it may hold its owner: no cycle is left behind

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


# --- formulas, from the sheet's XML ---------------------------------------------------------------

_BLOCK = 1 << 20  # bytes of sheet XML looked at at once
_FORMULA_TAG = re.compile(rb"<(?:[\w.-]+:)?f[\s>/]")
_CELL_TAG = re.compile(rb"<(?:[\w.-]+:)?c(?=[\s>/])([^>]*)>")
_R_ATTR = re.compile(rb"""(?:^|\s)r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_DATA_END = re.compile(rb"</(?:[\w.-]+:)?sheetData\s*>|<(?:[\w.-]+:)?sheetData\s*/>")


def formula_cells(xml: IO[bytes]) -> set[str] | None:
    """References of the cells holding a formula in a worksheet's XML, read in blocks.

    A block without `<f` is not parsed; a formula is placed by the `r` of its cell (the tag just
    before it). None when one cannot be (no `r`, XML comments or CDATA): `parsed_formula_cells` then.
    """
    refs: set[str] = set()
    for block in _data_blocks(xml):
        if (b"<f" in block or b":f" in block) and not _block_formulas(block, refs):
            return None
    return refs


def _data_blocks(xml: IO[bytes]) -> Iterator[bytes]:
    """The XML up to the end of sheetData, in blocks cut after `c>` (the end of a cell, mostly)."""
    pending = b""
    while True:
        chunk = xml.read(_BLOCK)
        data = pending + chunk
        if b"sheetData" in data and (end := _DATA_END.search(data)):
            yield data[:end.start()]
            return
        cut = data.rfind(b"c>") + 2 if chunk else len(data)
        if cut > 1:
            yield data[:cut]
            data = data[cut:]
        if not chunk:
            return
        pending = data


def _block_formulas(block: bytes, refs: set[str]) -> bool:
    """Add the cells of `block` holding an `<f>` (a cell's first child); False for one without a usable `r`."""
    from xlcsr.ooxml.cells import cell_ref, split_ref  # imported only for a sheet with formulas

    if b"<!--" in block or b"<![CDATA[" in block:
        return False
    for formula in _FORMULA_TAG.finditer(block):
        cell = _CELL_TAG.match(block, max(block.rfind(b"<", 0, formula.start()), 0))
        opened = cell is not None and not cell[1].endswith(b"/") and not block[cell.end():formula.start()].strip()
        r = _R_ATTR.search(cell[1]) if opened else None
        if r is None:
            return False
        try:
            refs.add(cell_ref(*split_ref((r[1] or r[2]).decode("ascii"))))
        except (ValueError, UnicodeDecodeError):
            return False
    return True


def parsed_formula_cells(xml: IO[bytes]) -> set[str]:
    """References of the cells holding a formula, the whole XML parsed.

    A row without `r` follows the row before it and a cell without `r` the cell before it
    (ECMA-376 §18.3.1.73, §18.3.1.4), as Excel reads them.
    """
    from xlcsr.ooxml.cells import cell_ref, split_ref

    refs: set[str] = set()
    row = col = 0
    ref = ""
    for event, element in etree.iterparse(xml, events=("start", "end"), tag=("{*}row", "{*}c")):
        if etree.QName(element).localname == "row":
            if event == "start":
                row, col = _position(element.get("r"), row), 0
            else:
                element.clear()
        elif event == "start":
            try:
                row, col = split_ref(element.get("r") or "")
            except ValueError:  # no r (or a broken one): the cell after the one before
                row, col = max(row, 1), col + 1
            ref = cell_ref(row, col)
        else:
            if any(etree.QName(child).localname == "f" for child in element):
                refs.add(ref)
            element.clear()
    return refs


def _position(r: str | None, previous: int) -> int:
    try:
        return int(r) if r else previous + 1
    except ValueError:
        return previous + 1


# --- what a file is, before calamine reads it -------------------------------------------------

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_UNREAD_SHEETS = {"macrosheet", "xlmacrosheet", "xlintlmacrosheet", "dialogsheet"}  # rel types calamine refuses
_EXCEL = ".xlsx/.xlsm"
_DAMAGED = (zipfile.BadZipFile, zlib.error, etree.XMLSyntaxError, OSError, EOFError, ValueError, KeyError)


def check_workbook(path: Path) -> None:
    """Refuse a file xlcsr cannot use, with one message saying what it is and what to do."""
    _opened(Path(path)).close()


def open_calamine(path: Path, early: python_calamine.CalamineWorkbook | None = None,
                  ) -> python_calamine.CalamineWorkbook:
    """`path` read by calamine; its macro and dialog sheets, if any, left out of the copy it reads.

    `early` is calamine's workbook of the same file opened already (`head_start`): it is used when
    the file holds no sheet to leave out, once the file has passed the same checks.
    """
    with _opened(path) as package:
        try:
            copy = _without_unread_sheets(package)
        except _DAMAGED as exc:
            raise _damaged(path) from exc
    if copy is None and early is not None:
        return early
    try:
        if copy is None:
            return python_calamine.CalamineWorkbook.from_path(str(path))
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(copy))
    except python_calamine.PasswordError as exc:
        raise _encrypted(path) from exc
    except Exception as exc:  # calamine raises several kinds for damaged files
        raise WorkbookUnreadable(
            f"无法读取工作簿 {path.name}：内容已损坏或不是 Excel 写出的格式，请在 Excel 中打开并另存为 .xlsx / "
            f"cannot read {path.name}: its content is damaged or not as Excel writes it; "
            "open it in Excel and save it as .xlsx") from exc


def _opened(path: Path) -> zipfile.ZipFile:
    """The zip of the workbook at `path`, once its bytes show it is an .xlsx/.xlsm workbook."""
    if path.is_dir():
        raise WorkbookUnreadable(f"{path} 是文件夹，不是工作簿：请给出其中的 {_EXCEL} 文件 / "
                                 f"{path} is a folder, not a workbook: give the {_EXCEL} file in it")
    if not path.exists():
        raise WorkbookUnreadable(f"找不到工作簿 {path} / workbook not found: {path}")
    if not path.is_file():
        raise _not_a_workbook(path)
    try:
        with path.open("rb") as file:
            head = file.read(4096)
    except OSError as exc:
        raise WorkbookUnreadable(f"无法读取 {path.name}（{exc.strerror}） / "
                                 f"cannot read {path.name} ({exc.strerror})") from exc
    if not head:
        raise WorkbookUnreadable(f"{path.name} 是空文件（0 字节），不是工作簿：可能复制或保存未完成，"
                                 f"请改用原文件或备份 / {path.name} is empty (0 bytes), not a workbook: "
                                 "a copy or save may not have finished; use the original or a backup")
    if head.startswith(_CFB_MAGIC):
        _refuse_compound_file(path)
    if not head.startswith(_ZIP_MAGIC):
        _refuse_other(path, head)
    try:
        package = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise _damaged(path) from exc
    try:
        _check_package(path, package)
    except BaseException:
        package.close()
        raise
    return package


def _check_package(path: Path, package: zipfile.ZipFile) -> None:
    names = {name.lower(): name for name in package.namelist()}
    try:
        if "mimetype" in names:
            mimetype = package.read(names["mimetype"])[:200]
            if b"opendocument.spreadsheet" in mimetype:
                raise _not_edited(path, ".ods", ".ods（OpenDocument 表格）", "an .ods (OpenDocument) spreadsheet")
            raise _not_a_workbook(path)
        main = _main_part(package, names)
        if main is None or "[content_types].xml" not in names:
            raise _not_a_workbook(path)
        if main.lower().endswith(".bin"):
            raise _not_edited(path, ".xlsb", ".xlsb（Excel 二进制工作簿）", "an .xlsb (Excel binary) workbook")
        if main.lower() not in names:
            raise _damaged(path)
        kind = _content_type(package, names, main)
        if kind and "spreadsheetml" not in kind and "ms-excel" not in kind:
            raise _not_a_workbook(path)
        etree.fromstring(package.read(names[main.lower()]))
    except _DAMAGED as exc:
        raise _damaged(path) from exc


def _main_part(package: zipfile.ZipFile, names: dict[str, str]) -> str | None:
    """The workbook part the package's relationships name, else xl/workbook.xml or .bin if present."""
    if "_rels/.rels" in names:
        for rel in etree.fromstring(package.read(names["_rels/.rels"])):
            if rel.get("Type", "").endswith("/officeDocument"):
                return resolve_target("", rel.get("Target", ""))
    return next((names[n] for n in ("xl/workbook.xml", "xl/workbook.bin") if n in names), None)


def _last_modified_by(package: zipfile.ZipFile, names: dict[str, str]) -> str:
    """cp:lastModifiedBy of the core properties the package's relationships name ("" without them)."""
    part = "docProps/core.xml"
    if "_rels/.rels" in names:
        for rel in etree.fromstring(package.read(names["_rels/.rels"])):
            if rel.get("Type", "").endswith("/core-properties"):
                part = resolve_target("", rel.get("Target", ""))
    if part.lower() not in names:
        return ""
    found = etree.fromstring(package.read(names[part.lower()])).find("{*}lastModifiedBy")
    return (found.text or "").strip() if found is not None else ""


def _content_type(package: zipfile.ZipFile, names: dict[str, str], part: str) -> str:
    for override in etree.fromstring(package.read(names["[content_types].xml"])):
        if override.get("PartName", "").lstrip("/").lower() == part.lower():
            return override.get("ContentType", "")
    return ""


def _refuse_compound_file(path: Path) -> None:
    """An OLE compound file: a password-protected workbook, an .xls, or no workbook at all."""
    try:
        streams = _cfb_names(path.read_bytes())
    except (struct.error, ValueError, OSError) as exc:
        raise _damaged(path) from exc
    if "encryptedpackage" in streams:
        raise _encrypted(path)
    if streams & {"workbook", "book"}:
        raise _not_edited(path, ".xls", ".xls（Excel 97-2003 工作簿）", "an .xls (Excel 97-2003) workbook")
    raise _not_a_workbook(path)


def _refuse_other(path: Path, head: bytes) -> None:
    """Neither a zip nor an OLE file: a web page or XML saved as .xls, a text file, or anything else."""
    text = head.lower()
    if b"\0" in head.lstrip(b"\xff\xfe\xef\xbb\xbf"):
        raise _not_a_workbook(path)
    if b"urn:schemas-microsoft-com:office:spreadsheet" in text:
        raise _not_edited(path, ".xml", "XML 表格（Excel 2003 XML）", "an XML spreadsheet (Excel 2003 XML)")
    if b"<html" in text or b"<table" in text or b"<!doctype html" in text:
        raise _not_edited(path, ".html", "网页（HTML）", "a web page (HTML)")
    if path.suffix.lower() == ".csv":
        raise _not_edited(path, ".csv", "CSV 文本", "a CSV text file")
    raise WorkbookUnreadable(f"{path.name} 是文本文件，不是 Excel 工作簿（{_EXCEL}） / "
                             f"{path.name} is a text file, not an Excel workbook ({_EXCEL})")


def _cfb_names(data: bytes) -> set[str]:
    """The lower-cased names of the streams and storages of an OLE compound file (MS-CFB §2.2–2.6)."""
    shift, = struct.unpack_from("<H", data, 0x1E)
    if shift not in (9, 12):
        raise ValueError("sector size")
    size = 1 << shift
    fat_count, first_dir = struct.unpack_from("<II", data, 0x2C)
    next_difat, = struct.unpack_from("<I", data, 0x44)
    difat = list(struct.unpack_from("<109I", data, 0x4C))

    def sector(number: int) -> tuple[int, ...]:
        return struct.unpack_from(f"<{size // 4}I", data, (number + 1) * size)

    for _ in range(len(data) // size + 1):
        if next_difat >= 0xFFFFFFFA:
            break
        *ids, next_difat = sector(next_difat)
        difat += ids
    fat = [entry for number in difat[:fat_count] if number < 0xFFFFFFFA for entry in sector(number)]
    names: set[str] = set()
    current, seen = first_dir, set()
    while current < 0xFFFFFFFA:
        if current in seen or current >= len(fat):
            raise ValueError("directory chain")
        seen.add(current)
        start = (current + 1) * size
        for entry in range(start, start + size, 128):
            length, kind = struct.unpack_from("<HB", data, entry + 64)
            if kind in (1, 2) and 2 <= length <= 64:
                names.add(data[entry:entry + length - 2].decode("utf-16-le", "replace").lower())
        current = fat[current]
    return names


def _without_unread_sheets(package: zipfile.ZipFile) -> bytes | None:
    """A copy of the package without its macro and dialog sheets; None when it has none."""
    names = {name.lower(): name for name in package.namelist()}
    main = _main_part(package, names) or ""
    rels_name = names.get(rels_path(main).lower())
    if rels_name is None:
        return None
    rels = etree.fromstring(package.read(rels_name))
    dropped = {rel.get("Id", ""): resolve_target(main, rel.get("Target", "")).lower() for rel in rels
               if rel.get("Type", "").rsplit("/", 1)[-1].lower() in _UNREAD_SHEETS}
    if not dropped:
        return None
    for rel in list(rels):
        if rel.get("Id", "") in dropped:
            rels.remove(rel)
    workbook = etree.fromstring(package.read(names[main.lower()]))
    _drop_sheets(workbook, set(dropped))
    types = etree.fromstring(package.read(names["[content_types].xml"]))
    for override in list(types):
        if override.get("PartName", "").lstrip("/").lower() in dropped.values():
            types.remove(override)
    replaced = {rels_name: rels, names[main.lower()]: workbook, names["[content_types].xml"]: types}
    copy = io.BytesIO()
    with zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED) as out:
        for info in package.infolist():
            if info.filename.lower() in dropped.values():
                continue
            element = replaced.get(info.filename)
            data = package.read(info) if element is None else etree.tostring(
                element, xml_declaration=True, encoding="UTF-8", standalone=True)
            out.writestr(info.filename, data)
    return copy.getvalue()


def _drop_sheets(workbook: etree._Element, ids: set[str]) -> None:
    """Remove the <sheet>s with these r:ids; names scoped to a sheet follow their sheet's new index."""
    sheets = [el for el in workbook.iter("{*}sheet")]
    index: dict[int, int | None] = {}
    kept = 0
    for number, sheet in enumerate(sheets):
        rid = next((v for k, v in sheet.attrib.items() if etree.QName(k).namespace
                    and etree.QName(k).localname == "id"), None)
        if rid in ids:
            index[number] = None
            sheet.getparent().remove(sheet)
        else:
            index[number] = kept
            kept += 1
    for name in list(workbook.iter("{*}definedName")):
        local = name.get("localSheetId")
        if local is not None and local.isdigit():
            new = index.get(int(local))
            if new is None:
                name.getparent().remove(name)
            else:
                name.set("localSheetId", str(new))


# --- the messages -----------------------------------------------------------------------------


def _encrypted(path: Path) -> WorkbookEncrypted:
    return WorkbookEncrypted(
        f"工作簿 {path.name} 受密码保护：请在 Excel 中打开并另存为不设密码的工作簿 / "
        f"workbook {path.name} is password-protected: open it in Excel and save it without a password")


def _not_edited(path: Path, suffix: str, zh: str, en: str) -> FormatNotEdited:
    named = path.suffix.lower()
    really_zh, really_en = ("实为", "is really") if named and named != suffix else ("是", "is")
    imported = suffix in (".xls", ".xlsb", ".ods", ".csv")  # what `xlcsr import` reads
    name = f'"{path.name}"' if " " in path.name else path.name
    import_zh = f"，或用 xlcsr import {name} --out 新清单.xlsx 导入为新清单" if imported else ""
    import_en = f", or make a new register of it: xlcsr import {name} --out new.xlsx" if imported else ""
    return FormatNotEdited(
        f"{path.name} {really_zh} {zh}，xlcsr 不编辑这种格式：请先在 Excel 或 WPS 中打开并另存为 .xlsx 工作簿"
        f"{import_zh} / {path.name} {really_en} {en}, a format xlcsr does not edit: open it in Excel or WPS and "
        f"save it as .xlsx first{import_en}")


def _not_a_workbook(path: Path) -> WorkbookUnreadable:
    return WorkbookUnreadable(f"{path.name} 不是 Excel 工作簿（{_EXCEL}） / "
                              f"{path.name} is not an Excel workbook ({_EXCEL})")


def _damaged(path: Path) -> WorkbookUnreadable:
    return WorkbookUnreadable(
        f"工作簿 {path.name} 已损坏或不完整（可能复制、下载或保存未完成）：请重新复制原文件，"
        f"或在 Excel 中打开修复后另存 / workbook {path.name} is damaged or incomplete (a copy, download or save "
        "may not have finished): copy the original again, or let Excel repair it and save it")
