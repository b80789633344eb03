"""The package writer on workbooks as other programs save them: Strict Open XML, LibreOffice 4's
per-part content types, zip entries with extra fields, data descriptors and an archive comment,
and zips that are damaged (duplicate names, CRC errors, truncation, broken XML).

The fixtures are written by hand (`build_zip`), so each test sees exactly the zip it is about; the
corpus tests at the end run the real commands on copies of ../shared/corpus when it is there.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from books import CORPUS, needs
from lxml import etree
from typer.testing import CliRunner

from xlcsr.cli.app import app
from xlcsr.domain.errors import WorkbookUnreadable
from xlcsr.ooxml.conditional import CfRule
from xlcsr.ooxml.package import XlsxPackage

T_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
T_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
S_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
S_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
CT = {
    "rels": "application/vnd.openxmlformats-package.relationships+xml",
    "workbook": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "worksheet": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
    "styles": "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml",
    "app": "application/vnd.openxmlformats-officedocument.extended-properties+xml",
}
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


# --- hand-made packages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A zip entry to write as given: method, extra fields, data descriptor, comment."""

    name: str
    data: bytes
    method: int = zipfile.ZIP_DEFLATED
    extra: bytes = b""
    descriptor: bool = False
    comment: bytes = b""
    bad_crc: bool = False


def build_zip(entries: list[Entry], comment: bytes = b"") -> bytes:
    out, central = bytearray(), bytearray()
    for e in entries:
        if e.method == zipfile.ZIP_DEFLATED:
            packer = zlib.compressobj(9, zlib.DEFLATED, -15)
            packed = packer.compress(e.data) + packer.flush()
        else:
            packed = e.data
        crc = zlib.crc32(e.data)
        if e.bad_crc:
            crc ^= 0x5A5A
        flags = 0x08 if e.descriptor else 0
        name = e.name.encode()
        sizes = (0, 0, 0) if e.descriptor else (crc, len(packed), len(e.data))
        offset = len(out)
        out += struct.pack("<4s5H3I2H", b"PK\3\4", 20, flags, e.method, 0x6000, 0x5A21, *sizes, len(name), len(e.extra))
        out += name + e.extra + packed
        if e.descriptor:
            out += struct.pack("<4s3I", b"PK\7\x08", crc, len(packed), len(e.data))
        central += struct.pack("<4s6H3I5H2I", b"PK\1\2", 0x031E, 20, flags, e.method, 0x6000, 0x5A21, crc,
                               len(packed), len(e.data), len(name), len(e.extra), len(e.comment), 0, 0,
                               0o644 << 16, offset)
        central += name + e.extra + e.comment
    start = len(out)
    out += central
    out += struct.pack("<4s4H2IH", b"PK\5\6", 0, 0, len(entries), len(entries), len(central), start, len(comment))
    return bytes(out + comment)


def workbook_parts(*, strict: bool = False, per_part: bool = False, styles: bool = True,
                   date1904: str | None = None) -> dict[str, bytes]:
    """A two-sheet register workbook (清单 with a header and two rows, 其他 untouched)."""
    main, rel = (S_MAIN, S_REL) if strict else (T_MAIN, T_REL)
    app_rel = f"{S_REL}/extendedProperties" if strict else f"{T_REL}/extended-properties"
    conformance = ' conformance="strict"' if strict else ""
    parts = {
        "_rels/.rels": (f'<Relationships xmlns="{PKG_REL}">'
                        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
                        f'<Relationship Id="rId2" Type="{app_rel}" Target="docProps/app.xml"/></Relationships>'),
        "xl/workbook.xml": (f'<workbook xmlns="{main}" xmlns:r="{rel}"{conformance}>'
                            + (f'<workbookPr date1904="{date1904}"/>' if date1904 is not None else "<workbookPr/>")
                            + '<bookViews><workbookView activeTab="0"/></bookViews><sheets>'
                            '<sheet name="清单" sheetId="1" r:id="rId1"/><sheet name="其他" sheetId="2" r:id="rId2"/>'
                            "</sheets></workbook>"),
        "xl/_rels/workbook.xml.rels": (f'<Relationships xmlns="{PKG_REL}">'
                                       f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
                                       f'<Relationship Id="rId2" Type="{rel}/worksheet" Target="worksheets/sheet2.xml"/>'
                                       + (f'<Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/>' if styles else "")
                                       + "</Relationships>"),
        "xl/worksheets/sheet1.xml": (f'<worksheet xmlns="{main}" xmlns:r="{rel}"><dimension ref="A1:C3"/><sheetData>'
                                     '<row r="1"><c r="A1" t="inlineStr"><is><t>案件号</t></is></c>'
                                     '<c r="B1" t="inlineStr"><is><t>客户名称</t></is></c>'
                                     '<c r="C1" t="inlineStr"><is><t>接收日期</t></is></c></row>'
                                     '<row r="2"><c r="A2" t="inlineStr"><is><t>CSR-1</t></is></c>'
                                     '<c r="B2" t="inlineStr"><is><t>上汽</t></is></c><c r="C2"><v>46329</v></c></row>'
                                     '<row r="3"><c r="A3" t="inlineStr"><is><t>CSR-2</t></is></c>'
                                     '<c r="B3" t="inlineStr"><is><t>长安</t></is></c><c r="C3"><v>46330</v></c></row>'
                                     '</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
                                     'header="0.3" footer="0.3"/></worksheet>'),
        "xl/worksheets/sheet2.xml": (f'<worksheet xmlns="{main}"><sheetData><row r="1"><c r="A1"><v>7</v></c></row>'
                                     "</sheetData></worksheet>"),
        "docProps/app.xml": ('<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
                             "<Application>Handmade</Application></Properties>"),
    }
    if styles:
        parts["xl/styles.xml"] = (
            f'<styleSheet xmlns="{main}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
            '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
    kinds = {"xl/workbook.xml": "workbook", "xl/worksheets/sheet1.xml": "worksheet",
             "xl/worksheets/sheet2.xml": "worksheet", "xl/styles.xml": "styles", "docProps/app.xml": "app"}
    if per_part:  # LibreOffice 4: an Override for every part, rels included, no Default at all
        kinds.update({name: "rels" for name in parts if name.endswith(".rels")})
        defaults = ""
    else:
        defaults = (f'<Default Extension="rels" ContentType="{CT["rels"]}"/>'
                    '<Default Extension="xml" ContentType="application/xml"/>')
    overrides = "".join(f'<Override PartName="/{name}" ContentType="{CT[kind]}"/>'
                        for name, kind in kinds.items() if name in parts)
    parts = {"[Content_Types].xml": f'<Types xmlns="{CT_NS}">{defaults}{overrides}</Types>', **parts}
    return {name: (DECL + xml).encode() for name, xml in parts.items()}


def write_book(path: Path, parts: dict[str, bytes], *, comment: bytes = b"", **special: dict) -> Path:
    """Write `parts` as a zip; `special` maps a part name to Entry fields for it."""
    entries = [Entry(name, data, **special.get(name, {})) for name, data in parts.items()]
    path.write_bytes(build_zip(entries, comment))
    return path


# --- reading a result -------------------------------------------------------------------------------


def raw_entries(path: Path) -> dict[str, tuple[bytes, bytes, bytes]]:
    """name → (local header … data … descriptor as stored, central extra, entry comment)."""
    data = path.read_bytes()
    found = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            start = info.header_offset
            name_len, extra_len = struct.unpack_from("<2H", data, start + 26)
            end = start + 30 + name_len + extra_len + info.compress_size
            if info.flag_bits & 0x08:
                end += 16 if data[end : end + 4] == b"PK\7\x08" else 12
            found[info.filename] = (data[start:end], info.extra, info.comment)
    return found


def content_type(zf: zipfile.ZipFile, name: str) -> str | None:
    root = etree.fromstring(zf.read("[Content_Types].xml"))
    for el in root.iter(f"{{{CT_NS}}}Override"):
        if el.get("PartName", "").lower() == "/" + name.lower():
            return el.get("ContentType")
    last = name.rsplit("/", 1)[-1]
    ext = last.rsplit(".", 1)[-1].lower() if "." in last else ""
    for el in root.iter(f"{{{CT_NS}}}Default"):
        if el.get("Extension", "").lower() == ext:
            return el.get("ContentType")
    return None


def assert_every_part_has_a_content_type(path: Path) -> None:
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        missing = [n for n in zf.namelist()
                   if n != "[Content_Types].xml" and not n.endswith("/") and content_type(zf, n) is None]
    assert missing == []


def assert_refused(path: Path, *words: str) -> str:
    with pytest.raises(WorkbookUnreadable) as caught:
        XlsxPackage.open(path)
    message = str(caught.value)
    assert message.startswith(f"工作簿 {path.name} ") and f" / Workbook {path.name} " in message
    assert "\n" not in message and "Traceback" not in message
    for word in words:
        assert word in message
    return message


def edit_everything(package: XlsxPackage) -> None:
    """What xlcsr's commands do to a register: cells, fills, notes, rules, owned sheets, a name."""
    sheet = package.sheet("清单")
    sheet.set_value("B2", "长城汽车")
    sheet.set_value("C4", date(2026, 11, 3))
    sheet.set_fill("B3", "FFFFC7CE")
    assert sheet.add_notes({"B3": "客户名称有误"})
    sheet.add_conditional([CfRule("A2:C3", '$C2<TODAY()', fill="FFFF9999")])
    package.put_sheet("校验结果", [["行", "问题"], [3, "客户名称有误"]], links={"A2": "'清单'!B3"})
    package.put_sheet("_xlcsr", [["seq:2026", 2]], state="veryHidden", bold_first_row=False, freeze_first_row=False)
    package.define_name("xlcsr_节假日", "'清单'!$A$2:$A$3")


# --- Strict Open XML --------------------------------------------------------------------------------


def test_strict_workbook_is_edited_in_strict_namespaces(tmp_path: Path) -> None:
    path = write_book(tmp_path / "strict.xlsx", workbook_parts(strict=True))
    package = XlsxPackage.open(path)
    assert package.strict and package.sheet_names() == ["清单", "其他"]
    edit_everything(package)
    assert package.save() is not None

    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            data = zf.read(name)
            assert T_MAIN.encode() not in data and T_REL.encode() not in data, name
        rels = etree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        assert all(r.get("Type").startswith(S_REL + "/") for r in rels)
        sheet_rels = etree.fromstring(zf.read("xl/worksheets/_rels/sheet1.xml.rels"))
        assert {r.get("Type") for r in sheet_rels} == {f"{S_REL}/comments", f"{S_REL}/vmlDrawing"}
        comments = next(n for n in zf.namelist() if n.startswith("xl/comments"))
        assert etree.QName(etree.fromstring(zf.read(comments))).namespace == S_MAIN
        workbook = etree.fromstring(zf.read("xl/workbook.xml"))
        assert workbook.find(f"{{{S_MAIN}}}definedNames/{{{S_MAIN}}}definedName").text == "'清单'!$A$2:$A$3"
        for sheet in workbook.iter(f"{{{S_MAIN}}}sheet"):
            assert sheet.get(f"{{{S_REL}}}id")
        styles = etree.fromstring(zf.read("xl/styles.xml"))
        assert etree.QName(styles.find(f"{{{S_MAIN}}}dxfs")).namespace == S_MAIN
    assert_every_part_has_a_content_type(path)

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    assert book.get_sheet_by_name("清单").to_python()[1][1] == "长城汽车"
    assert book.get_sheet_by_name("校验结果").to_python()[1] == [3.0, "客户名称有误"]
    again = XlsxPackage.open(path)
    assert again.strict and again.sheet_state("_xlcsr") == "veryHidden"
    assert again.sheet("清单").notes_parts() != ()
    assert again.sheet("清单").remove_notes()


def test_strict_workbook_without_styles_gets_a_strict_style_sheet(tmp_path: Path) -> None:
    path = write_book(tmp_path / "bare.xlsx", workbook_parts(strict=True, styles=False))
    package = XlsxPackage.open(path)
    package.sheet("清单").set_fill("A2", "FFFFEB9C")
    package.save()
    with zipfile.ZipFile(path) as zf:
        assert etree.QName(etree.fromstring(zf.read("xl/styles.xml"))).namespace == S_MAIN
        rels = etree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        assert f"{S_REL}/styles" in {r.get("Type") for r in rels}
    assert_every_part_has_a_content_type(path)


@pytest.mark.parametrize("strict", [False, True], ids=["transitional", "strict"])
@pytest.mark.parametrize(("flag", "expected"), [("1", True), ("true", True), ("0", False), ("false", False),
                                                (None, False)])
def test_date1904_is_read_in_both_flavours(tmp_path: Path, strict: bool, flag: str | None, expected: bool) -> None:
    path = write_book(tmp_path / "dates.xlsx", workbook_parts(strict=strict, date1904=flag))
    package = XlsxPackage.open(path)
    assert package.date1904 is expected
    package.sheet("清单").set_value("C3", date(2026, 11, 3))
    package.save()
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml")
    assert (b"<v>44867</v>" if expected else b"<v>46329</v>") in xml


# --- LibreOffice 4: one Override per part -----------------------------------------------------------


def test_parts_added_to_a_per_part_package_get_content_types(tmp_path: Path) -> None:
    path = write_book(tmp_path / "lo41.xlsx", workbook_parts(per_part=True))
    package = XlsxPackage.open(path)
    edit_everything(package)
    package.save()

    assert_every_part_has_a_content_type(path)
    with zipfile.ZipFile(path) as zf:
        assert "xl/worksheets/_rels/sheet1.xml.rels" in zf.namelist()
        assert content_type(zf, "xl/worksheets/_rels/sheet1.xml.rels") == CT["rels"]
        assert content_type(zf, "xl/workbook.xml") == CT["workbook"]
    book = openpyxl.load_workbook(path)
    assert book["清单"]["B2"].value == "长城汽车"
    assert book["清单"]["B3"].comment is not None
    assert python_calamine.CalamineWorkbook.from_path(str(path)).sheet_names == ["清单", "其他", "校验结果", "_xlcsr"]


def test_a_removed_part_takes_its_override_along(tmp_path: Path) -> None:
    path = write_book(tmp_path / "lo41.xlsx", workbook_parts(per_part=True))
    package = XlsxPackage.open(path)
    package.sheet("清单").add_notes({"B3": "x"})
    package.put_sheet("校验结果", [["行"]])
    package.save()
    package = XlsxPackage.open(path)
    package.sheet("清单").remove_notes()
    package.remove_sheet("校验结果")
    package.save()
    with zipfile.ZipFile(path) as zf:
        names = {n.lower() for n in zf.namelist()}
        overrides = [el.get("PartName").lstrip("/").lower()
                     for el in etree.fromstring(zf.read("[Content_Types].xml")).iter(f"{{{CT_NS}}}Override")]
    assert [o for o in overrides if o not in names] == []
    assert_every_part_has_a_content_type(path)


# --- the zip as stored ------------------------------------------------------------------------------

TIMESTAMP = struct.pack("<2HBI", 0x5455, 5, 1, 1_700_000_000)  # Info-ZIP extended timestamp
SPECIAL = {
    "xl/worksheets/sheet2.xml": {"method": zipfile.ZIP_STORED, "extra": TIMESTAMP, "comment": b"kept"},
    "docProps/app.xml": {"descriptor": True},
    "_rels/.rels": {"extra": TIMESTAMP},
    "xl/worksheets/sheet1.xml": {"extra": TIMESTAMP},
}


def test_untouched_entries_are_copied_as_stored_and_the_comment_survives(tmp_path: Path) -> None:
    path = write_book(tmp_path / "raw.xlsx", workbook_parts(), comment=b"archive comment", **SPECIAL)
    before = raw_entries(path)
    package = XlsxPackage.open(path)
    package.sheet("清单").set_value("B2", "长城汽车")
    package.put_sheet("校验结果", [["行", "问题"], [2, "x"]])
    package.save()

    after = raw_entries(path)
    rewritten = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                 "xl/worksheets/sheet1.xml", "xl/styles.xml"}
    assert {n for n in before if after[n] != before[n]} == rewritten
    assert set(after) - set(before) == {"xl/worksheets/sheet3.xml"}
    assert list(after)[: len(before)] == list(before)  # the source's order, new parts appended
    with zipfile.ZipFile(path) as zf:
        assert zf.comment == b"archive comment"
        assert zf.testzip() is None
        assert zf.getinfo("docProps/app.xml").flag_bits & 0x08
        edited = zf.getinfo("xl/worksheets/sheet1.xml")
        assert edited.extra == TIMESTAMP and edited.date_time == (2025, 1, 1, 12, 0, 0)  # kept when rewritten
    assert openpyxl.load_workbook(path)["清单"]["B2"].value == "长城汽车"
    assert python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("其他").to_python() == [[7.0]]


def test_the_same_input_with_no_change_writes_nothing(tmp_path: Path) -> None:
    path = write_book(tmp_path / "same.xlsx", workbook_parts(), comment=b"c", **SPECIAL)
    data = path.read_bytes()
    package = XlsxPackage.open(path)
    package.sheet("清单").set_value("B2", "上汽")
    package.define_name("x", "'清单'!$A$1")
    package.save()
    package = XlsxPackage.open(path)
    assert package.define_name("x", "'清单'!$A$1") is False
    package.sheet("清单").set_value("B2", "上汽")
    assert package.save() is None
    assert path.read_bytes() != data  # the first save wrote the name …
    written = path.read_bytes()
    assert XlsxPackage.open(path).save() is None and path.read_bytes() == written  # … the second nothing


# --- damaged zips -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("twin", "words"), [("xl/worksheets/sheet2.xml", ("两次", "twice")),
                                             ("XL/Worksheets/Sheet2.XML", ("大小写", "case"))],
                         ids=["duplicate", "case-colliding"])
def test_duplicate_entry_names_are_refused_as_corrupt(tmp_path: Path, twin: str, words: tuple[str, str]) -> None:
    parts = workbook_parts()
    entries = [Entry(n, d) for n, d in parts.items()] + [Entry(twin, b"<worksheet/>")]
    path = tmp_path / "twins.xlsx"
    path.write_bytes(build_zip(entries))
    assert_refused(path, "已损坏（", "is corrupt (", *words)


def test_a_crc_error_in_a_part_the_command_reads_is_refused(tmp_path: Path) -> None:
    path = write_book(tmp_path / "crc.xlsx", workbook_parts(),
                      **{"xl/worksheets/sheet1.xml": {"method": zipfile.ZIP_STORED, "bad_crc": True}})
    package = XlsxPackage.open(path)
    with pytest.raises(WorkbookUnreadable, match=r"^工作簿 crc\.xlsx 已损坏（部件 xl/worksheets/sheet1\.xml .*CRC"):
        package.sheet("清单")

    path = write_book(tmp_path / "crc.xlsx", workbook_parts(), **{"xl/workbook.xml": {"bad_crc": True}})
    assert_refused(path, "xl/workbook.xml", "CRC")


def test_a_damaged_part_nobody_reads_is_kept_as_it_was(tmp_path: Path) -> None:
    path = write_book(tmp_path / "keep.xlsx", workbook_parts(), **{"xl/worksheets/sheet2.xml": {"bad_crc": True}})
    before = raw_entries(path)["xl/worksheets/sheet2.xml"]
    package = XlsxPackage.open(path)
    package.sheet("清单").set_value("B2", "长城汽车")
    package.save()
    assert raw_entries(path)["xl/worksheets/sheet2.xml"] == before


def test_damaged_deflate_data_is_refused(tmp_path: Path) -> None:
    path = write_book(tmp_path / "inflate.xlsx", workbook_parts(),
                      **{"xl/workbook.xml": {"method": zipfile.ZIP_DEFLATED}})
    data = bytearray(path.read_bytes())
    start = data.index(b"xl/workbook.xml") + len("xl/workbook.xml")
    data[start : start + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    assert_refused(path, "xl/workbook.xml")


@pytest.mark.parametrize("keep", [0.6, 0.95])
def test_a_truncated_zip_is_refused_in_one_line(tmp_path: Path, keep: float) -> None:
    data = build_zip([Entry(n, d) for n, d in workbook_parts().items()])
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: int(len(data) * keep)])
    message = assert_refused(path, "已损坏（", "is corrupt (")
    assert "EOCD" not in message and "not a zip file" not in message.lower()


def test_a_zip_whose_directory_does_not_match_its_data_is_refused(tmp_path: Path) -> None:
    data = build_zip([Entry(n, d) for n, d in workbook_parts().items()])
    path = tmp_path / "short.xlsx"
    broken = bytearray(data)
    struct.pack_into("<I", broken, len(data) - 22 + 16, len(data))  # the directory starts beyond the file
    path.write_bytes(bytes(broken))
    assert_refused(path, "已损坏（", "is corrupt (")

    broken = bytearray(data)  # an entry that claims more compressed data than the file holds
    record = data.rindex(b"xl/worksheets/sheet1.xml") - 46
    assert broken[record : record + 4] == b"PK\1\2"
    struct.pack_into("<I", broken, record + 20, len(data))
    path.write_bytes(bytes(broken))
    assert_refused(path, "xl/worksheets/sheet1.xml", "已损坏（", "is corrupt (")


@pytest.mark.parametrize("part", ["xl/workbook.xml", "[Content_Types].xml"])
def test_damaged_xml_in_a_part_read_at_open_is_refused(tmp_path: Path, part: str) -> None:
    parts = workbook_parts()
    parts[part] = parts[part][:-20]
    path = write_book(tmp_path / "xml.xlsx", parts)
    assert_refused(path, part, "XML")


def test_damaged_styles_are_refused_when_a_command_needs_them(tmp_path: Path) -> None:
    parts = workbook_parts()
    parts["xl/styles.xml"] = parts["xl/styles.xml"].replace(b"</fonts>", b"")
    path = write_book(tmp_path / "styles.xlsx", parts)
    package = XlsxPackage.open(path)
    with pytest.raises(WorkbookUnreadable, match=r"部件 xl/styles\.xml 的 XML 已损坏.* / Workbook styles\.xlsx is corrupt"):
        package.sheet("清单").set_fill("A2", "FFFF0000")


def test_encrypted_and_legacy_files_are_named_for_what_they_are(tmp_path: Path) -> None:
    cfb = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    (tmp_path / "locked.xlsx").write_bytes(cfb + "EncryptedPackage".encode("utf-16-le"))
    (tmp_path / "old.xlsx").write_bytes(cfb)
    assert_refused(tmp_path / "locked.xlsx", "密码", "password")
    assert_refused(tmp_path / "old.xlsx", ".xls", "save it as .xlsx")


# --- the corpus: real workbooks through real commands ----------------------------------------------

REAL = ["33-strict-sample.xlsx", "35-strict-t-d.xlsx", "43-lo41-inline.xlsx", "61-gsheets-datatypes.xlsx"]
COMMANDS = {"validate": ["validate", "--json"], "mark": ["validate", "--mark"], "assign": ["assign"],
            "highlight": ["highlight"]}


@pytest.fixture(scope="module")
def corpus() -> Path:
    needs(all((CORPUS / name).is_file() for name in REAL), f"the shared corpus {CORPUS}")
    return CORPUS


def run(book: Path, command: str) -> int:
    verb, *options = COMMANDS[command]
    result = CliRunner().invoke(app, [verb, str(book), *options, "--today", "2026-11-25"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("name", REAL)
def test_real_workbooks_are_edited_losslessly(corpus: Path, tmp_path: Path, name: str, command: str) -> None:
    book = tmp_path / name
    shutil.copyfile(corpus / name, book)
    before = raw_entries(book)
    assert run(book, command) == 1  # the registers carry planted errors
    if command == "validate":
        assert book.read_bytes() == (corpus / name).read_bytes()
        return

    after = raw_entries(book)
    assert set(before) <= set(after)
    with zipfile.ZipFile(book) as zf:
        for part in zf.namelist():
            if after[part] != before.get(part):  # rewritten or new: the package's own flavour
                if "strict" in name:
                    assert T_MAIN.encode() not in zf.read(part) and T_REL.encode() not in zf.read(part), part
    about = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
             "xl/worksheets/sheet1.xml", "xl/worksheets/_rels/sheet1.xml.rels"}  # the register is sheet1.xml
    assert {p for p in before if after[p] != before[p]} <= about
    assert_every_part_has_a_content_type(book)
    calamine = python_calamine.CalamineWorkbook.from_path(str(book))
    assert "清单" in calamine.sheet_names and "_xlcsr" in calamine.sheet_names
    if "strict" not in name:
        assert "清单" in openpyxl.load_workbook(book).sheetnames
    again = XlsxPackage.open(book)
    assert again.strict is ("strict" in name)
    assert again.sheet_state("_xlcsr") == "veryHidden"

    written = book.read_bytes()
    run(book, command)
    assert book.read_bytes() == written  # a second run that changes nothing writes nothing


def test_libreoffice_opens_the_edited_real_workbooks(corpus: Path, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    needs(soffice is not None, "LibreOffice (soffice)")
    books = []
    for name in REAL:
        book = tmp_path / name
        shutil.copyfile(corpus / name, book)
        for command in ("mark", "assign", "highlight"):
            run(book, command)
        books.append(book)
    out = tmp_path / "csv"
    every_sheet = 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1'
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
                    every_sheet, "--outdir", str(out), *map(str, books)], check=True, capture_output=True, timeout=300)
    for book in books:
        assert "案件号" in (out / f"{book.stem}-清单.csv").read_text(encoding="utf-8"), book.name
        assert "客户名称" in (out / f"{book.stem}-校验结果.csv").read_text(encoding="utf-8"), book.name
