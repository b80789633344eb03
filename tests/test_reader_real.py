"""The file reader on workbooks as users' programs save them, and the clear refusal of the rest.

Formulas are found in sheets whose rows and cells carry no `r`; Excel 4.0 macro sheets and dialog
sheets beside the register no longer make the workbook unreadable; a password-protected workbook,
an .xls, .xlsb or .ods (whatever its name), a folder, a missing, empty, text, non-Excel or cut-off
file is refused by every command with exit code 2, one line on stderr, Chinese first, no library
text, and nothing written. The bad files of ../shared/corpus/bad are run too when the corpus is here
(read from there, never copied into the repository).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import olefile
import openpyxl
import pytest
from books import CORPUS, GOOD_ROW, TODAY, needs, row, write_register
from lxml import etree
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from typer.testing import CliRunner

from xlcsr.cli.app import app
from xlcsr.domain.vocab import STATE_SHEET
from xlcsr.excel.addin.cfb import compound_file
from xlcsr.files.reader import _cfb_names, read_register
from xlcsr.ooxml.cells import split_ref
from xlcsr.rules.validate import validate_register

COMMANDS = {
    "validate": ["validate", "--json"],
    "mark": ["validate", "--mark"],
    "assign": ["assign"],
    "highlight": ["highlight"],
}
LIBRARY_TEXT = ("Traceback", "EOCD", "Unrecognized", "sheet:type", "BadZip", "Zip archive", "calamine",
                "CFB", "OLE", "EncryptedPackage", "File not found", "Error(")
CJK = re.compile(r"[\u4e00-\u9fff]")
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def invoke(book: Path, command: str) -> tuple[int, str, str]:
    verb, *options = COMMANDS[command]
    result = CliRunner().invoke(app, [verb, str(book), *options, "--today", TODAY])
    return result.exit_code, result.stdout, result.stderr


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file and folder under `folder` with its bytes: what a refusal must leave as it was."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def assert_refused(book: Path, *words: str) -> str:
    """Every command exits 2 with one Chinese-first line on stderr and writes nothing; the line."""
    folder = book.parent if book.parent.exists() else book.parent.parent
    before = tree(folder)
    lines = set()
    for command in COMMANDS:
        code, out, err = invoke(book, command)
        assert code == 2, (command, code, out, err)
        assert out == "", (command, out)
        assert len(err.splitlines()) == 1 and err.endswith("\n"), (command, err)
        line = err.rstrip("\n")
        assert line.startswith("错误 / error: "), line
        message = line.removeprefix("错误 / error: ").replace(str(book), "").replace(book.name, "")
        zh, _, en = message.partition(" / ")
        assert CJK.search(zh) and en and not CJK.search(re.sub(r"'[^']*'", "", en)), line  # sheet names aside
        assert not any(text in message for text in LIBRARY_TEXT), line
        for word in words:
            assert word in line, (word, line)
        assert tree(folder) == before, command
        lines.add(line)
    assert len(lines) == 1, lines
    return lines.pop()


def rewrite(book: Path, changes: dict[str, bytes | None]) -> Path:
    """`book` with some zip entries replaced (None: removed) or added, the others as they were."""
    with zipfile.ZipFile(book) as zf:
        entries = [(info, zf.read(info)) for info in zf.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        names = set()
        for info, data in entries:
            names.add(info.filename)
            if info.filename in changes:
                if changes[info.filename] is None:
                    continue
                data = changes[info.filename]
            out.writestr(info, data)
        for name, data in changes.items():
            if name not in names and data is not None:
                out.writestr(name, data)
    book.write_bytes(buffer.getvalue())
    return book


def zip_of(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data, zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)
    return path


def register(path: Path) -> Path:
    return write_register(path, [GOOD_ROW, row(客户名称="长城汽车"), GOOD_ROW])


# --- formulas in sheets without r attributes ----------------------------------------------------


def _without_positions(xml: bytes, *, rows: bool, cells: bool, formula_at: str) -> bytes:
    """The sheet with a real formula in `formula_at`, then rows and/or cells stripped of `r`.

    Gaps are filled with empty <row/> and <c/> elements first, so that every row and cell keeps its
    place the way ECMA-376 reads a sheet without positions.
    """
    root = etree.fromstring(xml)
    data = root.find(f"{{{MAIN}}}sheetData")
    target = split_ref(formula_at)
    expected_row = 1
    for row_element in list(data):
        number = int(row_element.get("r"))
        for _ in range(expected_row, number):
            row_element.addprevious(etree.Element(f"{{{MAIN}}}row"))
        expected_row = number + 1
        expected_col = 1
        for cell in list(row_element):
            at = split_ref(cell.get("r"))
            for _ in range(expected_col, at[1]):
                cell.addprevious(etree.Element(f"{{{MAIN}}}c"))
            expected_col = at[1] + 1
            if at == target:
                for child in list(cell):
                    cell.remove(child)
                cell.set("t", "str")
                etree.SubElement(cell, f"{{{MAIN}}}f").text = '"见技术协议第"&"3.2条"'
                etree.SubElement(cell, f"{{{MAIN}}}v").text = "见技术协议第3.2条"
            if cells:
                del cell.attrib["r"]
        if rows:
            del row_element.attrib["r"]
            row_element.attrib.pop("spans", None)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


@pytest.mark.parametrize("rows, cells", [(True, True), (True, False), (False, True)],
                         ids=["rows-and-cells", "rows", "cells"])
def test_a_formula_in_a_sheet_without_r_attributes_is_seen(tmp_path: Path, rows: bool, cells: bool) -> None:
    book = register(tmp_path / "r.xlsx")
    with zipfile.ZipFile(book) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    rewrite(book, {"xl/worksheets/sheet1.xml": _without_positions(sheet, rows=rows, cells=cells, formula_at="D5")})

    code, out, _ = invoke(book, "validate")
    assert code == 1
    errors = [(e["row"], e["field"], e["code"]) for e in json.loads(out)["errors"]]
    assert errors == [(5, "requirement", "formula")]
    assert read_register(book).rows[1].formulas == {"requirement"}


def test_formula_positions_follow_the_cell_before_when_only_some_cells_have_r(tmp_path: Path) -> None:
    book = register(tmp_path / "r.xlsx")
    with zipfile.ZipFile(book) as zf:
        root = etree.fromstring(zf.read("xl/worksheets/sheet1.xml"))
    data = root.find(f"{{{MAIN}}}sheetData")
    fifth = next(r for r in data if r.get("r") == "5")
    for cell in fifth:  # B5 keeps its r; C5, D5 … follow it
        if cell.get("r") not in ("A5", "B5"):
            del cell.attrib["r"]
    d5 = fifth[3] if fifth[0].get("r") == "A5" else fifth[2]
    for child in list(d5):
        d5.remove(child)
    d5.set("t", "str")
    etree.SubElement(d5, f"{{{MAIN}}}f").text = '"a"&"b"'
    etree.SubElement(d5, f"{{{MAIN}}}v").text = "ab"
    rewrite(book, {"xl/worksheets/sheet1.xml": etree.tostring(root)})
    assert [r.formulas for r in read_register(book).rows] == [frozenset(), {"requirement"}, frozenset()]


# --- the 1904 date system ------------------------------------------------------------------------


def test_dates_of_a_1904_workbook_are_read_as_the_dates_excel_shows(tmp_path: Path) -> None:
    book = write_register(tmp_path / "mac.xlsx", [GOOD_ROW, row(客户名称="长城汽车", 截止日期=date(2026, 12, 1))])
    wb = openpyxl.load_workbook(book)
    wb.epoch = CALENDAR_MAC_1904  # dates are written as 1904 serials from here on
    ws = wb["清单"]
    ws["F5"] = (date(2026, 11, 4) - date(1904, 1, 1)).days  # a plain serial number, read per the workbook
    wb.save(book)
    with zipfile.ZipFile(book) as zf:
        assert b'date1904="1"' in zf.read("xl/workbook.xml")

    code, out, _ = invoke(book, "validate")
    assert code == 0, out
    _, records = validate_register(read_register(book), today=date(2026, 11, 25))
    assert [(r.received, r.due) for r in records] == [(date(2026, 11, 3), None),
                                                      (date(2026, 11, 4), date(2026, 12, 1))]


# --- macro sheets and dialog sheets ------------------------------------------------------------

MACRO_SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               b'<xm:macrosheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
               b'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><sheetData>'
               b'<row r="1"><c r="A1" t="str"><f>RETURN()</f><v>0</v></c></row></sheetData></xm:macrosheet>')
DIALOG_SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<dialogsheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<sheetViews><sheetView workbookViewId="0"/></sheetViews></dialogsheet>')


def with_macro_and_dialog_sheets(book: Path) -> Path:
    """`book` with an Excel 4.0 macro sheet and a dialog sheet between 清单 and 设置, as Mac Excel saves them."""
    with zipfile.ZipFile(book) as zf:
        workbook = etree.fromstring(zf.read("xl/workbook.xml"))
        rels = etree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        types = etree.fromstring(zf.read("[Content_Types].xml"))
    sheets = workbook.find(f"{{{MAIN}}}sheets")
    extra = [("Macro1", "rIdM1", "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet",
              "macrosheets/sheet1.xml", "application/vnd.ms-excel.macrosheet+xml"),
             ("Dialog1", "rIdD1", f"{REL}/dialogsheet", "dialogsheets/sheet1.xml",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.dialogsheet+xml")]
    for offset, (name, rid, kind, target, content_type) in enumerate(extra, start=1):
        sheet = etree.Element(f"{{{MAIN}}}sheet", name=name, sheetId=str(90 + offset))
        sheet.set(f"{{{REL}}}id", rid)
        sheets.insert(offset, sheet)
        etree.SubElement(rels, rels[0].tag, Id=rid, Type=kind, Target=target)
        etree.SubElement(types, f"{{{types.nsmap[None]}}}Override", PartName=f"/xl/{target}",
                         ContentType=content_type)
    # a name scoped to 设置, which now stands fourth: its index must follow the sheets calamine reads
    names = workbook.find(f"{{{MAIN}}}definedNames")
    if names is None:
        names = etree.Element(f"{{{MAIN}}}definedNames")
        sheets.addnext(names)
    etree.SubElement(names, f"{{{MAIN}}}definedName", name="局部", localSheetId="3").text = "'设置'!$A$1"
    etree.SubElement(names, f"{{{MAIN}}}definedName", name="宏名", localSheetId="1").text = "Macro1!$A$1"
    return rewrite(book, {
        "xl/workbook.xml": etree.tostring(workbook, xml_declaration=True, encoding="UTF-8", standalone=True),
        "xl/_rels/workbook.xml.rels": etree.tostring(rels, xml_declaration=True, encoding="UTF-8"),
        "[Content_Types].xml": etree.tostring(types, xml_declaration=True, encoding="UTF-8"),
        "xl/macrosheets/sheet1.xml": MACRO_SHEET,
        "xl/dialogsheets/sheet1.xml": DIALOG_SHEET,
    })


def test_a_workbook_with_macro_and_dialog_sheets_is_read_and_edited(tmp_path: Path) -> None:
    book = with_macro_and_dialog_sheets(register(tmp_path / "r.xlsm"))
    source = read_register(book)
    assert source.sheet == "清单" and not source.settings.from_defaults  # 设置 found under its name
    assert [r.text("customer") for r in source.rows] == ["吉利汽车", "长城汽车", "吉利汽车"]

    code, out, _ = invoke(book, "validate")
    assert code == 0, out
    code, out, err = invoke(book, "assign")
    assert code == 0, out + err
    assert [r.text("case_no") for r in read_register(book).rows] == ["CSR-2026-0001", "CSR-2026-0002",
                                                                     "CSR-2026-0003"]
    with zipfile.ZipFile(book) as zf:
        assert zf.read("xl/macrosheets/sheet1.xml") == MACRO_SHEET
        assert zf.read("xl/dialogsheets/sheet1.xml") == DIALOG_SHEET
        listed = [s.get("name") for s in etree.fromstring(zf.read("xl/workbook.xml")).iter(f"{{{MAIN}}}sheet")]
    assert listed == ["清单", "Macro1", "Dialog1", "设置", STATE_SHEET]
    for command in ("mark", "highlight"):
        code, out, err = invoke(book, command)
        assert code in (0, 1), command + out + err


# --- refusals ---------------------------------------------------------------------------------


def encrypted(path: Path) -> Path:
    """What Excel writes for a workbook with a password to open: an OLE file with an EncryptedPackage."""
    path.write_bytes(compound_file({
        "\x06DataSpaces/Version": b"\x3c\x00\x00\x00" + "Microsoft.Container.DataSpaces".encode("utf-16-le"),
        "\x06DataSpaces/DataSpaceMap": b"\x08\x00\x00\x00\x01\x00\x00\x00",
        "EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00" + b"<encryption/>" * 40,
        "EncryptedPackage": b"\x00\x10\x00\x00\x00\x00\x00\x00" + os.urandom(5000),
    }))
    return path


def legacy_xls(path: Path) -> Path:
    """A BIFF8 .xls as far as its container tells: an OLE file with a Workbook stream."""
    path.write_bytes(compound_file({"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00" + b"\0" * 5000,
                                    "\x05SummaryInformation": b"\xfe\xff" + b"\0" * 200}))
    return path


def office_document(target: str) -> bytes:
    return (f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
            f'Target="{target}"/></Relationships>').encode()


def cut_off(book: Path) -> Path:
    """The first 3/5 of `book`, as a copy or download that stopped half way leaves it."""
    data = book.read_bytes()
    book.write_bytes(data[:len(data) * 3 // 5])
    return book


def cut_part(book: Path, part: str = "xl/worksheets/sheet1.xml") -> bytes:
    with zipfile.ZipFile(book) as zf:
        data = zf.read(part)
    return data[:len(data) // 2]


BAD_INPUTS: dict[str, tuple[Callable[[Path], object], tuple[str, ...]]] = {
    "encrypted.xlsx": (encrypted, ("受密码保护", "password-protected", "without a password")),
    "legacy.xls": (legacy_xls, (".xls（Excel 97-2003", "save it as .xlsx")),
    "legacy-named.xlsx": (legacy_xls, ("实为 .xls", "is really an .xls", "save it as .xlsx")),
    "word.xlsx": (lambda p: p.write_bytes(compound_file({"WordDocument": b"\xec\xa5" + b"\0" * 600})),
                  ("不是 Excel 工作簿", "not an Excel workbook")),
    "binary.xlsb": (lambda p: zip_of(p, {
        "[Content_Types].xml": b"<Types/>",
        "_rels/.rels": office_document("xl/workbook.bin"),
        "xl/workbook.bin": b"\x83\x01\x00"}), (".xlsb", "save it as .xlsx")),
    "binary-named.xlsx": (lambda p: zip_of(p, {"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x83"}),
                          ("实为 .xlsb", "is really an .xlsb")),
    "calc.ods": (lambda p: zip_of(p, {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                                      "content.xml": b"<office:document-content/>"}),
                 (".ods", "OpenDocument", "save it as .xlsx")),
    "writer.xlsx": (lambda p: zip_of(p, {"mimetype": b"application/vnd.oasis.opendocument.text"}),
                    ("not an Excel workbook",)),
    "web-page.xls": (lambda p: p.write_text("<html><body><table><tr><td>客户</td></tr></table></body></html>",
                                            encoding="utf-8"), ("网页", "web page (HTML)")),
    "empty.xlsx": (lambda p: p.write_bytes(b""), ("空文件", "empty (0 bytes)")),
    "text.xlsx": (lambda p: p.write_text("案件号,客户名称\nCSR-2026-0001,吉利汽车\n", encoding="utf-8"),
                  ("文本文件", "text file")),
    "random.xlsx": (lambda p: p.write_bytes(bytes(range(256)) * 8), ("not an Excel workbook",)),
    "not-ooxml.xlsx": (lambda p: zip_of(p, {"readme.txt": b"hello"}), ("not an Excel workbook",)),
    "docx.xlsx": (lambda p: zip_of(p, {
        "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                               b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                               b'officedocument.wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels": office_document("word/document.xml"),
        "word/document.xml": b"<w:document/>"}), ("not an Excel workbook",)),
    "truncated.xlsx": (lambda p: cut_off(register(p)), ("损坏或不完整", "damaged or incomplete")),
    "cut-workbook-part.xlsx": (lambda p: rewrite(register(p), {"xl/workbook.xml": b"<workbook><sheets>"}),
                               ("damaged",)),
    "cut-sheet-part.xlsx": (lambda p: rewrite(register(p), {"xl/worksheets/sheet1.xml": cut_part(p)}),
                            ("工作表「清单」已损坏", "sheet '清单'", "is damaged")),
    "cut-rels-beside-macros.xlsm": (
        lambda p: rewrite(with_macro_and_dialog_sheets(register(p)), {"xl/_rels/workbook.xml.rels": b"<Rel"}),
        ("damaged",)),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_an_input_xlcsr_cannot_use_is_refused_clearly_and_left_alone(tmp_path: Path, name: str) -> None:
    make, words = BAD_INPUTS[name]
    book = tmp_path / name
    make(book)
    assert_refused(book, name, *words)


def test_a_folder_named_like_a_workbook_is_a_folder_not_a_missing_file(tmp_path: Path) -> None:
    folder = tmp_path / "x.xlsx"
    folder.mkdir()
    (folder / "inside.txt").write_text("keep", encoding="utf-8")
    line = assert_refused(folder, "是文件夹", "is a folder")
    assert "找不到" not in line and "not found" not in line


def test_a_missing_workbook_is_not_found_and_nothing_is_created(tmp_path: Path) -> None:
    assert_refused(tmp_path / "missing.xlsx", "找不到工作簿", "not found")
    assert list(tmp_path.iterdir()) == []


def test_the_message_is_one_line_whatever_its_length_and_is_not_read_as_markup(tmp_path: Path) -> None:
    folder = tmp_path / ("[bold]很长的文件夹名称" + "x" * 120)
    folder.mkdir()
    line = assert_refused(folder / "missing.xlsx")
    assert str(folder / "missing.xlsx") in line and len(line) > 200


def test_argument_errors_are_still_typers_own(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "r.xlsx"), "--today", "2026-13-01"])
    assert result.exit_code == 2 and "Usage:" in result.output and "YYYY-MM-DD" in result.output
    assert "错误 / error:" not in result.output


def test_the_compound_file_reader_lists_what_olefile_lists(tmp_path: Path) -> None:
    files = [encrypted(tmp_path / "e.xlsx"), legacy_xls(tmp_path / "l.xls")]
    files += sorted((CORPUS / "bad").glob("*")) if (CORPUS / "bad").is_dir() else []
    for path in files:
        if not olefile.isOleFile(str(path)):
            continue
        with olefile.OleFileIO(str(path)) as ole:
            expected = {part.lower() for entry in ole.listdir(streams=True, storages=True) for part in entry}
        assert _cfb_names(path.read_bytes()) == expected, path.name


# --- the shared corpus ------------------------------------------------------------------------


def _bad_corpus() -> list[str]:
    return sorted(p.name for p in (CORPUS / "bad").glob("*")) if (CORPUS / "bad").is_dir() else []


@pytest.fixture(scope="module")
def corpus() -> Path:
    needs(bool(_bad_corpus()), f"the shared corpus {CORPUS / 'bad'}")
    return CORPUS


BAD_CORPUS = {
    "encrypted": ("受密码保护", "password-protected"),
    "legacy": (".xls（Excel 97-2003", "save it as .xlsx"),
    "binary": (".xlsb", "save it as .xlsx"),
    "xlsb-named-xlsx": ("实为 .xlsb", "is really an .xlsb"),
    "opendocument": (".ods", "save it as .xlsx"),
    "register-saved-as.ods": (".ods", "save it as .xlsx"),
    "register-saved-as.xls": (".xls（Excel 97-2003", "save it as .xlsx"),
}


@pytest.mark.parametrize("name", _bad_corpus() or ["(corpus missing)"])
def test_every_bad_file_of_the_corpus_is_refused_clearly(corpus: Path, name: str, tmp_path: Path) -> None:
    book = tmp_path / name
    shutil.copy(corpus / "bad" / name, book)
    words = next(words for prefix, words in BAD_CORPUS.items() if name.startswith(prefix))
    assert_refused(book, name, *words)
    assert book.read_bytes() == (corpus / "bad" / name).read_bytes()


def test_a_cut_off_register_of_the_corpus_is_refused_as_incomplete(corpus: Path, tmp_path: Path) -> None:
    book = tmp_path / "29-mac-1904.xlsx"
    shutil.copy(corpus / book.name, book)
    assert_refused(cut_off(book), "损坏或不完整", "damaged or incomplete")
