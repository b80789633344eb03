"""Writes that cost what they change: the patch writer works on row bytes, never on trees.

A column written into every row of a sheet builds no lxml element, leaves every other byte of the
sheet as it was, checks only the rows it rewrites, and is deflated from views of the source; cells
are found and written as bytes (`xlcsr.ooxml.rows`), also in rows other programs write oddly.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from books import member

from xlcsr.domain.errors import WorkbookUnreadable
from xlcsr.ooxml import deflate as deflating
from xlcsr.ooxml import sheet as sheet_module
from xlcsr.ooxml.package import XlsxPackage
from xlcsr.ooxml.rows import RowCodec, RowDamage

ROWS = 3000


@pytest.fixture
def big_xlsx(tmp_path: Path) -> Path:
    """3,000 rows of five columns (shared strings, styles), as xlsxwriter writes them."""
    import xlsxwriter

    path = tmp_path / "大表.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("清单")
    dated = wb.add_format({"num_format": "yyyy-mm-dd", "border": 1})
    for r in range(ROWS):
        ws.write_row(r, 0, [f"CSR-{r:05d}", "长城汽车" if r % 2 else "比亚迪", r * 1.5, "备注 & <说明>"])
        ws.write_number(r, 4, 46000 + r, dated)
    wb.close()
    return path


def sheet_xml(path: Path) -> bytes:
    return member(path, "xl/worksheets/sheet1.xml")


def rows_of(xml: bytes) -> list[bytes]:
    start = xml.index(b"<row ")
    return [b"<row " + part.rsplit(b"</row>", 1)[0] + b"</row>" for part in xml[start:].split(b"<row ")[1:]]


def test_a_column_written_into_every_row_builds_no_tree(big_xlsx: Path, monkeypatch: pytest.MonkeyPatch):
    package = XlsxPackage.open(big_xlsx)
    sheet = package.sheet("清单")

    def no_tree(*args: object, **kwargs: object) -> None:
        raise AssertionError("a row was parsed into a tree")

    monkeypatch.setattr(sheet_module.etree, "fromstring", no_tree)
    monkeypatch.setattr(sheet_module.etree, "Element", no_tree)
    for r in range(1, ROWS + 1):
        sheet.set_value(f"F{r}", r % 7 or None)  # a new column, mostly blank
        sheet.set_value(f"C{r}", r)  # an existing one
        assert sheet.style_of(f"E{r}") == sheet.style_of("E1")
    monkeypatch.undo()
    package.save()
    ws = openpyxl.load_workbook(big_xlsx, read_only=True)["清单"]
    for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
        assert row[:6] == (f"CSR-{r - 1:05d}", "长城汽车" if (r - 1) % 2 else "比亚迪", r, "备注 & <说明>",
                           openpyxl.utils.datetime.from_excel(46000 + r - 1), r % 7 or None)


def test_only_the_rows_written_change_and_only_they_are_checked(big_xlsx: Path, monkeypatch: pytest.MonkeyPatch):
    before = rows_of(sheet_xml(big_xlsx))
    checked: list[int] = []
    check = sheet_module.SheetPatch._check_well_formed
    monkeypatch.setattr(sheet_module.SheetPatch, "_check_well_formed",
                        lambda self, row, start, end: checked.append(row) or check(self, row, start, end))
    package = XlsxPackage.open(big_xlsx)
    sheet = package.sheet("清单")
    written = set(range(10, ROWS, 100))
    for r in range(1, ROWS + 1):
        assert sheet.value_kind(f"B{r}") == "s" and sheet.value_kind(f"Z{r}") == "empty"
        sheet.set_value(f"Z{r}", None)  # nothing to clear
        sheet.set_value(f"C{r}", (r - 1) * 1.5)  # what it holds already
        if r in written:
            sheet.set_value(f"B{r}", "吉利汽车")
    package.save()
    after = rows_of(sheet_xml(big_xlsx))
    assert sorted(checked) == sorted(written)
    assert {i for i, (old, new) in enumerate(zip(before, after, strict=True), start=1) if old != new} == written
    assert all("吉利汽车".encode() in after[r - 1] for r in written)


def test_pieces_are_views_of_the_source_and_the_part_is_inflated_once(big_xlsx: Path):
    package = XlsxPackage.open(big_xlsx)
    sheet = package.sheet("清单")
    assert package.read(sheet.part) is sheet.original
    sheet.set_value("A1500", "改")
    pieces = sheet.pieces()
    assert len(pieces) == 5 and all(isinstance(p, memoryview) for p in (pieces[1], pieces[3]))
    assert sum(len(p) for p in pieces[1:4]) < len(sheet.original) + 100
    assert b"".join(pieces) == sheet.to_bytes()


def test_a_large_part_is_deflated_in_blocks_into_one_stream(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(deflating, "_cores", lambda: 2)
    text = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i * 7919 % 100003) for i in range(150_000))
    pieces = [memoryview(text)[:1000], b"<!-- edited -->", memoryview(text)[1000:]]
    packed = deflating.deflate(pieces)
    whole = b"".join(pieces)
    assert len(whole) > 2 * deflating.SPLIT_ABOVE
    assert zlib.decompress(packed.data, -15) == whole
    assert (packed.crc, packed.size) == (zlib.crc32(whole), len(whole))
    single = deflating.zlib.compressobj(deflating.LEVEL, zlib.DEFLATED, -15)  # one pass of the same compressor
    assert len(packed.data) < 1.01 * len(single.compress(whole) + single.flush())


def test_a_saved_large_sheet_reads_back_in_zipfile(big_xlsx: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(deflating, "SPLIT_ABOVE", 1 << 16)
    monkeypatch.setattr(deflating, "BLOCK", 1 << 15)
    monkeypatch.setattr(deflating, "_cores", lambda: 2)
    package = XlsxPackage.open(big_xlsx)
    package.sheet("清单").set_value("F2", 5)
    expected = package.sheet("清单").to_bytes()
    package.save()
    with zipfile.ZipFile(big_xlsx) as zf:
        assert zf.testzip() is None and zf.read("xl/worksheets/sheet1.xml") == expected


# --- cells as bytes ---------------------------------------------------------------------------


CODEC = RowCodec(b"")


def put(row: bytes, number: int, col: int, cell: bytes) -> bytes:
    row = CODEC.edited(CODEC.opened(row), number)
    spot = CODEC.locate(row, number, col)
    if not spot.regular:
        row = CODEC.normalized(row, number)
        spot = CODEC.locate(row, number, col)
    return row[: spot.start] + cell + row[spot.end :]


@pytest.mark.parametrize("row, col, expected", [
    (b'<row r="5" spans="1:2"><c r="A5"><v>1</v></c></row>', 2,
     b'<row r="5"><c r="A5"><v>1</v></c><c r="B5"><v>9</v></c></row>'),
    (b'<row r="5"><c r="A5"><v>1</v></c><c r="C5"/></row>', 2,
     b'<row r="5"><c r="A5"><v>1</v></c><c r="B5"><v>9</v></c><c r="C5"/></row>'),
    (b'<row r="5"><c r="B5" s="2"><v>1</v></c></row>', 2, b'<row r="5"><c r="B5"><v>9</v></c></row>'),
    (b'<row r="5"/>', 2, b'<row r="5"><c r="B5"><v>9</v></c></row>'),
    (b'<row><c><v>1</v></c><c/><c t="s"><v>0</v></c></row>', 2,
     b'<row r="5"><c r="A5"><v>1</v></c><c r="B5"><v>9</v></c><c r="C5" t="s"><v>0</v></c></row>'),
    (b'<row r="5"><c s="1" r="C5"><v>1</v></c></row>', 2,
     b'<row r="5"><c r="B5"><v>9</v></c><c r="C5" s="1"><v>1</v></c></row>'),
    (b'<row r="5"><c r="A5" t="inlineStr"><is><r><rPr><color rgb="FF0000FF"/><charset val="134"/></rPr>'
     b"<t>x</t></r></is></c><extLst/></row>", 3,
     b'<row r="5"><c r="A5" t="inlineStr"><is><r><rPr><color rgb="FF0000FF"/><charset val="134"/></rPr>'
     b'<t>x</t></r></is></c><c r="C5"><v>9</v></c><extLst/></row>'),
], ids=["after the last", "between two", "replaced", "empty row", "cells without r", "r not first", "rich text"])
def test_cells_are_found_and_placed_in_row_bytes(row: bytes, col: int, expected: bytes):
    ref = b"%s5" % b"ABC"[col - 1 : col]
    assert put(row, 5, col, b'<c r="%s"><v>9</v></c>' % ref) == expected


@pytest.mark.parametrize("row", [
    b'<row r="5"><c r="A5"><v>1</v></c><c r="B9"><v>2</v></c></row>',
    b'<row r="5"><c r="C5"><v>1</v></c><c r="A5"><v>2</v></c><c r="Z5"/></row>',
    b'<row r="5"><c r="A5"><v>1</v></c><c r="A5"/></row>',
], ids=["another row", "out of order", "twice"])
def test_a_neighbour_out_of_place_is_damage(row: bytes):
    with pytest.raises(RowDamage):
        CODEC.locate(row, 5, 1)


def test_values_keep_the_cell_s_other_attributes_and_extension():
    cell = b'<x:c r="B2" s="3" t="s" cm="1"><x:f>A1</x:f><x:v>7</x:v><x:extLst><x:ext/></x:extLst></x:c>'
    codec = RowCodec(b"x:")
    assert codec.with_value(cell, "inlineStr", " a&b ") == (
        b'<x:c r="B2" s="3" t="inlineStr"><x:is><x:t xml:space="preserve"> a&amp;b </x:t></x:is>'
        b"<x:extLst><x:ext/></x:extLst></x:c>")
    assert codec.with_value(cell, None, "1.5") == b'<x:c r="B2" s="3"><x:v>1.5</x:v><x:extLst><x:ext/></x:extLst></x:c>'
    assert codec.with_value(b'<x:c r="B2" s="3" t="n"><x:v>1</x:v></x:c>', None, None) == b'<x:c r="B2" s="3"/>'
    assert codec.with_style(b'<x:c r="B2"/>', 4) == b'<x:c r="B2" s="4"/>'
    assert codec.with_style(b'<x:c r="B2" s="4"><x:v>1</x:v></x:c>', 0) == b'<x:c r="B2"><x:v>1</x:v></x:c>'
    assert codec.kind(cell) == "formula" and codec.style(cell) == 3


def test_a_damaged_row_far_from_the_written_cell_is_refused_when_rewritten(big_xlsx: Path):
    from books import replace_member

    replace_member(big_xlsx, "xl/worksheets/sheet1.xml",
                   lambda xml: xml.replace(b'<c r="D100" ', b'<c r="D100" s="1" s="1" ', 1))
    package = XlsxPackage.open(big_xlsx)
    sheet = package.sheet("清单")
    assert sheet.value_kind("A100") == "s"  # reading it is fine
    with pytest.raises(WorkbookUnreadable, match="第 100 行"):
        sheet.set_value("F100", 1)
