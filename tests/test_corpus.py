"""Every register of ../shared/corpus (workbooks saved by Excel, WPS, LibreOffice, Numbers, Google
Sheets …) through every writing command, checked against expect.json and the promise of DESIGN.md:
the planted errors found, only the intended cells changed (read back with python-calamine and
openpyxl), every other zip entry identical as raw compressed bytes, a sound package, and a result
LibreOffice opens.

The corpus is other projects' test data: it is read from ../shared/corpus, never copied into the
repository. Without it these tests skip, except in CI, where they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from books import CORPUS, TODAY, needs
from lxml import etree
from typer.testing import CliRunner

from xlcsr.cli.app import app
from xlcsr.files.reader import open_calamine

COMMANDS = {
    "validate": ["validate", "--json"],
    "mark": ["validate", "--mark"],
    "assign": ["assign"],
    "highlight": ["highlight"],
}


def _expectations() -> dict[str, dict]:
    if not (CORPUS / "expect.json").is_file():
        return {}
    return json.loads((CORPUS / "expect.json").read_text(encoding="utf-8"))


EXPECT = _expectations()
NAMES = sorted(EXPECT) or ["(corpus missing)"]


@pytest.fixture(scope="module")
def corpus() -> Path:
    needs(bool(EXPECT), f"the shared corpus {CORPUS}")
    return CORPUS


def run(book: Path, command: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*COMMANDS[command][:1], str(book), *COMMANDS[command][1:], "--today", TODAY])
    return result.exit_code, result.output


# --- reading a package as it is --------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A zip entry as stored: its raw compressed bytes and what the central directory says of it."""

    raw: bytes
    method: int
    crc: int
    extra: bytes


def raw_entries(path: Path) -> dict[str, Entry]:
    data = path.read_bytes()
    entries = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            offset = info.header_offset
            name_len, extra_len = struct.unpack("<HH", data[offset + 26:offset + 30])
            start = offset + 30 + name_len + extra_len
            entries[info.filename] = Entry(data[start:start + info.compress_size], info.compress_type,
                                           info.CRC, info.extra)
    return entries


def xml(path: Path, part: str) -> etree._Element:
    with zipfile.ZipFile(path) as zf:
        return etree.fromstring(zf.read(part))


def local(element: etree._Element) -> str:
    return etree.QName(element).localname


def rels_of(path: Path, part: str) -> list[tuple[str, str, str]]:
    """(type's last segment, resolved target, target mode) of `part`'s relationships."""
    folder, name = part.rsplit("/", 1) if "/" in part else ("", part)
    rels_part = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
    with zipfile.ZipFile(path) as zf:
        if rels_part not in zf.namelist():
            return []
        root = etree.fromstring(zf.read(rels_part))
    found = []
    for rel in root:
        target = rel.get("Target", "")
        mode = rel.get("TargetMode", "Internal")
        if mode != "External":
            target = target.lstrip("/") if target.startswith("/") else os.path.normpath(
                f"{folder}/{target}" if folder else target).replace(os.sep, "/")
        found.append((rel.get("Type", "").rsplit("/", 1)[-1], target, mode))
    return found


def register_part(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    workbook = next(t for kind, t, _ in rels_of(path, "") if kind == "officeDocument")
    root = xml(path, workbook)
    rid = next(s.get(next(k for k in s.attrib if k.endswith("}id"))) for s in root.iter("{*}sheet")
               if s.get("name") == sheet)
    folder = workbook.rsplit("/", 1)[0]
    with zipfile.ZipFile(path) as zf:
        rels = etree.fromstring(zf.read(f"{folder}/_rels/{workbook.rsplit('/', 1)[1]}.rels"))
    target = next(r.get("Target") for r in rels if r.get("Id") == rid)
    part = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}"
    assert part in names
    return part


# --- what a command may touch ---------------------------------------------------------------------


def business(before: Path, after: Path, sheet: str) -> set[str]:
    """The parts a register command may rewrite: the register sheet, its rels and tables, the
    workbook, its rels, styles, content types and calcChain, and parts it adds."""
    part = register_part(before, sheet)
    folder, name = part.rsplit("/", 1)
    workbook = next(t for kind, t, _ in rels_of(before, "") if kind == "officeDocument")
    wfolder, wname = workbook.rsplit("/", 1)
    touched = {part, f"{folder}/_rels/{name}.rels", workbook, f"{wfolder}/_rels/{wname}.rels",
               "[Content_Types].xml", f"{wfolder}/calcChain.xml"}
    touched |= {t for kind, t, _ in rels_of(before, workbook) if kind == "styles"}
    touched |= {t for kind, t, _ in rels_of(before, part) if kind in ("table", "comments", "vmlDrawing")}
    with zipfile.ZipFile(before) as zb, zipfile.ZipFile(after) as za:
        touched |= set(za.namelist()) - set(zb.namelist())
    return touched


def calamine_sheets(path: Path) -> dict[str, list[list[object]]]:
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.CalamineError:  # an Excel 4 macro or dialog sheet: read the rest as xlcsr does
        book = open_calamine(path)
    sheets = {}
    for name in book.sheet_names:
        try:
            sheets[name] = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception:  # chart sheets have no cells
            sheets[name] = []
    return sheets


def cells(rows: list[list[object]]) -> dict[tuple[int, int], object]:
    return {(r, c): v for r, row in enumerate(rows, start=1) for c, v in enumerate(row, start=1) if v not in ("", None)}


def openpyxl_cells(path: Path) -> dict[str, dict[tuple[int, int], object]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: {(c.row, c.column): _comparable(c.value) for row in ws.iter_rows() for c in row
                       if c.value is not None} for ws in wb.worksheets}


def _comparable(value: object) -> object:
    """openpyxl's array and data-table formulas are objects without equality: compare their fields."""
    if isinstance(value, (str, int, float, bool)) or value is None or hasattr(value, "isoformat"):
        return value
    return type(value).__name__, sorted((k, str(v)) for k, v in vars(value).items())


def column_number(letter: str) -> int:
    n = 0
    for ch in letter:
        n = n * 26 + ord(ch) - 64
    return n


def intended(command: str, expect: dict, report: dict) -> tuple[set[tuple[int, int]], int | None]:
    """The register cells `command` may change, and from which column on it may add (highlight)."""
    if command in ("validate", "mark"):
        return set(), None
    if command == "highlight":
        return set(), expect["width"] + 1
    bad = {e["row"] for e in report["errors"]}
    rows = [r for r in range(expect["first_row"], expect["last_row"] + 1) if r not in bad]
    columns = [column_number(expect["columns"][k]) for k in ("case_no", "due", "status")]
    return {(r, c) for r in rows for c in columns}, None


# --- the checks -----------------------------------------------------------------------------------


WORKSHEET_ORDER = (
    "sheetPr dimension sheetViews sheetFormatPr cols sheetData sheetCalcPr sheetProtection protectedRanges "
    "scenarios autoFilter sortState dataConsolidate customSheetViews mergeCells phoneticPr conditionalFormatting "
    "dataValidations hyperlinks printOptions pageMargins pageSetup headerFooter rowBreaks colBreaks "
    "customProperties cellWatches ignoredErrors smartTags drawing legacyDrawing legacyDrawingHF drawingHF "
    "picture oleObjects controls webPublishItems tableParts extLst").split()
WORKBOOK_ORDER = (
    "fileVersion fileSharing workbookPr workbookProtection bookViews sheets functionGroups externalReferences "
    "definedNames calcPr oleSize customWorkbookViews pivotCaches smartTagPr smartTagTypes webPublishing "
    "fileRecoveryPr webPublishObjects extLst").split()
STYLES_ORDER = "numFmts fonts fills borders cellStyleXfs cellXfs cellStyles dxfs tableStyles colors extLst".split()


def in_schema_order(root: etree._Element, order: list[str]) -> bool:
    positions = [order.index(local(child)) for child in root if isinstance(child.tag, str) and local(child) in order]
    return positions == sorted(positions)


def content_typed(path: Path) -> set[str]:
    """The parts that [Content_Types].xml gives a type, by Default extension or Override."""
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        types = etree.fromstring(zf.read("[Content_Types].xml"))
    defaults = {d.get("Extension", "").lower() for d in types if local(d) == "Default"}
    overrides = {o.get("PartName", "").lstrip("/").lower() for o in types if local(o) == "Override"}
    return {n for n in names if n.rsplit(".", 1)[-1].lower() in defaults or n.lower() in overrides}


def assert_sound_package(before: Path, after: Path, sheet: str) -> None:
    with zipfile.ZipFile(after) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        lowered = [n.lower() for n in names]
        assert len(set(lowered)) == len(lowered), "duplicate or case-colliding entry names"
    typed = content_typed(after)
    had = content_typed(before)
    with zipfile.ZipFile(before) as zb:
        old_names = set(zb.namelist())
    for name in names:
        if name.endswith("/") or name == "[Content_Types].xml":
            continue
        if name not in old_names or name in had:  # a part the source left untyped (a "trash item") stays so
            assert name in typed, f"no content type: {name}"
    before_entries, after_entries = raw_entries(before), raw_entries(after)
    changed = [n for n in names if n.endswith(".rels") and (n not in before_entries or
                                                             before_entries[n].raw != after_entries[n].raw)]
    for rels_part in changed:
        source = rels_part.replace("_rels/", "").removesuffix(".rels").strip("/")
        for kind, target, mode in rels_of(after, source):
            assert mode == "External" or target in names, f"{rels_part}: {kind} → {target} is missing"
    part = register_part(after, sheet)
    assert in_schema_order(xml(after, part), WORKSHEET_ORDER), f"{part}: elements out of schema order"
    workbook = next(t for kind, t, _ in rels_of(after, "") if kind == "officeDocument")
    assert in_schema_order(xml(after, workbook), WORKBOOK_ORDER), f"{workbook}: elements out of schema order"
    for styles in (t for kind, t, _ in rels_of(after, workbook) if kind == "styles"):
        assert in_schema_order(xml(after, styles), STYLES_ORDER), f"{styles}: elements out of schema order"


def assert_only_intended_cells_changed(before: Path, after: Path, expect: dict, command: str, report: dict) -> None:
    sheet = expect["sheet"]
    allowed, from_column = intended(command, expect, report)
    old, new = calamine_sheets(before), calamine_sheets(after)
    for name, rows in old.items():
        assert name in new, f"sheet {name} disappeared"
        was, now = cells(rows), cells(new[name])
        if name != sheet:
            assert was == now, f"{command} changed sheet {name}"
            continue
        for key in set(was) | set(now):
            if key in allowed or (from_column and key[1] >= from_column):
                continue
            assert was.get(key) == now.get(key), f"{command} changed {name}!{key}: {was.get(key)!r} → {now.get(key)!r}"
    if expect["openpyxl_reads_input"]:
        old_cells, new_cells = openpyxl_cells(before), openpyxl_cells(after)
        for name, was in old_cells.items():
            now = new_cells[name]
            for key in set(was) | set(now):
                if name == sheet and (key in allowed or (from_column and key[1] >= from_column)):
                    continue
                assert was.get(key) == now.get(key), f"{command} changed {name}!{key} (openpyxl)"


def assert_untouched_entries_identical(before: Path, after: Path, sheet: str) -> None:
    touched = business(before, after, sheet)
    old, new = raw_entries(before), raw_entries(after)
    for name, entry in old.items():
        if name in touched:
            continue
        assert name in new, f"entry {name} was dropped"
        assert new[name] == entry, f"entry {name} was re-encoded"


def planted(expect: dict, key: str) -> list[tuple[int, str, str]]:
    return sorted((int(row), field, code) for row, items in expect[key].items() for field, code in items)


@pytest.mark.parametrize("name", NAMES)
def test_validate_finds_exactly_the_planted_errors_and_writes_nothing(corpus: Path, name: str, tmp_path: Path) -> None:
    expect = EXPECT[name]
    book = tmp_path / name
    shutil.copy(corpus / name, book)
    code, output = run(book, "validate")
    assert code == 1, output
    report = json.loads(output)
    assert sorted((e["row"], e["field"], e["code"]) for e in report["errors"]) == planted(expect, "rows")
    assert sorted((w["row"], w["field"], w["code"]) for w in report["warnings"] if w["row"]) == planted(expect, "warnings")
    assert book.read_bytes() == (corpus / name).read_bytes() and sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize("command", ["mark", "assign", "highlight"])
@pytest.mark.parametrize("name", NAMES)
def test_each_writing_command_changes_only_what_it_is_about(corpus: Path, name: str, command: str,
                                                             tmp_path: Path) -> None:
    expect = EXPECT[name]
    book = tmp_path / name
    shutil.copy(corpus / name, book)
    report_code, report_text = run(book, "validate")
    report = json.loads(report_text)
    code, output = run(book, command)
    assert code == 1, output  # every corpus register has planted errors: done, with problems
    assert book.read_bytes() != (corpus / name).read_bytes(), f"{command} wrote nothing"
    assert_sound_package(corpus / name, book, expect["sheet"])
    assert_untouched_entries_identical(corpus / name, book, expect["sheet"])
    assert_only_intended_cells_changed(corpus / name, book, expect, command, report)
    if command == "assign":
        assert_numbered_by_year_of_receipt(book, expect, report)


def assert_numbered_by_year_of_receipt(book: Path, expect: dict, report: dict) -> None:
    """Valid rows without a number got one from the year they were received (1904 workbooks too)."""
    rows = calamine_sheets(book)[expect["sheet"]]
    letter = column_number(expect["columns"]["case_no"]) - 1
    for row in expect["valid_rows"]:
        value = str(rows[row - 1][letter])
        assert re.fullmatch(r"CSR-\d{4}-\d{4}", value), f"row {row}: {value!r}"
        received = expect["received"].get(str(row))
        if received:
            assert value[4:8] == received[:4], f"row {row} received {received} but numbered {value}"


@pytest.fixture(scope="module")
def chained(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every register after validate --mark, assign and highlight in turn."""
    folder = tmp_path_factory.mktemp("chained")
    for name in EXPECT:
        shutil.copy(corpus / name, folder / name)
        for command in ("mark", "assign", "highlight"):
            code, output = run(folder / name, command)
            assert code == 1, f"{name} {command}: {output}"
    return folder


def test_libreoffice_opens_every_edited_register(chained: Path, tmp_path: Path) -> None:
    needs(shutil.which("soffice") is not None, "LibreOffice (soffice)")
    books = sorted(chained.glob("*.xls*"))
    out = tmp_path / "csv"
    result = subprocess.run(["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                             "--convert-to", "csv", "--outdir", str(out), *map(str, books)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    missing = [b.name for b in books if not (out / f"{b.stem}.csv").is_file()]
    assert missing == [], result.stdout + result.stderr
