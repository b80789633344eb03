"""Reading at the speed of the reader: the register streamed once, formulas found without parsing
the sheet, and commands that start without loading what they do not use.

The block scan of the sheet XML (`formula_cells`) must find exactly what the full parse finds, for
sheets as any program writes them (prefixes, shared formulas, cells without `r`, extension lists,
long inline strings across block boundaries); rows streamed from calamine are the rows it lists;
a register read from streamed rows is the one read from whole values.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from datetime import date, datetime
from itertools import zip_longest
from pathlib import Path

import openpyxl
import pytest
from books import CORPUS, GOOD_ROW, needs, row, write_register
from hypothesis import given, settings
from hypothesis import strategies as st

from xlcsr.domain.records import SourceRow, Table, column_texts
from xlcsr.files import reader
from xlcsr.files.reader import FileSource, formula_cells, parsed_formula_cells, read_register
from xlcsr.rules.validate import check_register, validate_register
from xlcsr.workbook.locate import find_register

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def sheet_xml(rows: str, *, prefix: str = "", tail: str = "") -> bytes:
    p = f"{prefix}:" if prefix else ""
    ns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    return (f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {ns} '
            f'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><{p}sheetData>{rows}'
            f"</{p}sheetData>{tail}</{p}worksheet>").encode()


def both(xml: bytes) -> tuple[set[str] | None, set[str]]:
    return formula_cells(io.BytesIO(xml)), parsed_formula_cells(io.BytesIO(xml))


# --- formulas: the block scan against the full parse ----------------------------------------------


def test_a_sheet_without_formulas_has_none_and_is_not_parsed() -> None:
    fast, full = both(sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>3</v></c></row>'))
    assert fast == full == set()


@pytest.mark.parametrize("prefix", ["", "x"])
def test_formula_cells_are_placed_by_their_own_r(prefix: str) -> None:
    p = f"{prefix}:" if prefix else ""
    rows = (f'<{p}row r="4"><{p}c r="A4"><{p}v>1</{p}v></{p}c><{p}c r="D4" t="str"><{p}f>"a"&amp;"b"</{p}f>'
            f'<{p}v>ab</{p}v></{p}c></{p}row><{p}row r="5"><{p}c r="$E$5"><{p}f t="shared" si="0"/>'
            f"<{p}v>2</{p}v></{p}c></{p}row>")
    fast, full = both(sheet_xml(rows, prefix=prefix))
    assert fast == full == {"D4", "E5"}


def test_formulas_of_the_extension_list_after_the_cells_are_not_cells() -> None:
    tail = ('<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}"><x14:dataValidations '
            'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:dataValidation>'
            "<x14:formula1><xm:f>设置!$A$4:$A$20</xm:f></x14:formula1></x14:dataValidation>"
            "</x14:dataValidations></ext></extLst>")
    fast, full = both(sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>', tail=tail))
    assert fast == full == set()


@pytest.mark.parametrize("rows", [
    '<row r="3"><c><f>1+1</f><v>2</v></c></row>',  # no r: placed by the cells before it
    '<row r="3"><c r="A3"/><c><f>1+1</f></c></row>',
    '<row r="3"><c r="zz"><f>1+1</f></c></row>',  # a broken r
    '<row r="3"><!-- <c r="A3"><f>1</f></c> --><c r="B3"><f>1+1</f></c></row>',  # a comment
])
def test_a_formula_the_scan_cannot_place_falls_back_to_the_full_parse(rows: str) -> None:
    fast, full = both(sheet_xml(rows))
    assert fast is None and full


def test_a_formula_cell_cut_by_a_block_boundary_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "_BLOCK", 7)
    long_text = "见技术协议 c> :f " * 40
    rows = (f'<row r="1"><c r="A1" t="inlineStr"><is><t>{long_text}</t></is></c>'
            f'<c r="B1"><f>A1&amp;"x"</f><v>y</v></c></row><row r="2"><c r="C2"><f>1</f></c></row>')
    fast, full = both(sheet_xml(rows))
    assert fast == full == {"B1", "C2"}


_CELL = st.tuples(st.booleans(), st.booleans(), st.sampled_from(["", " ", "\n  "]),
                  st.sampled_from(["", "c>", ":f", "<&>"]))  # has r, has formula, spacing, text


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(st.booleans(), st.lists(_CELL, max_size=5)), max_size=6),
       prefix=st.sampled_from(["", "x"]), block=st.integers(5, 60))
def test_the_block_scan_finds_what_the_full_parse_finds(rows: list, prefix: str, block: int) -> None:
    p = f"{prefix}:" if prefix else ""
    text = []
    for number, (row_r, cells) in enumerate(rows, start=1):
        text.append(f'<{p}row r="{number}">' if row_r else f"<{p}row>")
        for col, (has_r, formula, space, words) in enumerate(cells, start=1):
            ref = f' r="{chr(64 + col)}{number}"' if has_r else ""
            inner = f"{space}<{p}f>A1</{p}f>" if formula else ""
            value = f'<{p}is><{p}t>{words.replace("&", "&amp;").replace("<", "&lt;")}</{p}t></{p}is>'
            text.append(f'<{p}c{ref} t="inlineStr">{inner}{value}</{p}c>')
        text.append(f"</{p}row>")
    xml = sheet_xml("".join(text), prefix=prefix)
    old = reader._BLOCK
    reader._BLOCK = block
    try:
        fast, full = both(xml)
    finally:
        reader._BLOCK = old
    assert fast is None or fast == full


# --- rows streamed from calamine ------------------------------------------------------------------


def test_streamed_rows_are_the_values_from_a1_also_when_the_data_starts_further_in(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "清单"
    ws["C3"], ws["D4"], ws["E6"] = "a", 1, date(2026, 11, 3)
    wb.create_sheet("空")
    wb.save(tmp_path / "b.xlsx")
    source = FileSource(tmp_path / "b.xlsx")
    for sheet in ("清单", "空"):
        assert list(source.rows(sheet)) == source.values(sheet)


_CELL = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([1.0, 2.5, 46329.0, float("nan")]),
                  st.dates(date(2020, 1, 1), date(2020, 1, 5)), st.just(datetime(2026, 11, 3, 8, 30)),
                  st.sampled_from(["", " ", "  PPAP  ", "CSR-2026-0001", "吉利汽车", "2026/11/3", "1"]))


@given(st.lists(st.lists(_CELL, max_size=6), min_size=1, max_size=8))
def test_rows_read_column_by_column_are_the_rows_made_from_their_values(grid: list[list[object]]) -> None:
    keys = ("case_no", "customer", "product", "received", "status", "revision")
    cells = list(zip_longest(*grid, fillvalue=""))
    dates: dict[date, str] = {}
    texts, raws = {}, {}
    for index, key in enumerate(keys):
        texts[key], raw = column_texts(cells[index] if index < len(cells) else ("",) * len(grid), dates)
        if raw is not None:
            raws[key] = raw
    table = Table(list(range(7, 7 + len(grid))), texts, raws, {})
    for taken, values in zip(table.rows, grid, strict=True):
        made = SourceRow(taken.number, dict(zip(keys, values)))
        assert taken.texts == made.texts
        assert all(_same(taken.raw(k), made.raw(k)) for k in keys)


def _same(a: object, b: object) -> bool:
    return a is b or (type(a) is type(b) and a == b)


def test_a_register_from_streamed_rows_is_the_register_from_whole_values(tmp_path: Path) -> None:
    rows = [GOOD_ROW, row(客户名称="长城汽车", 截止日期=date(2026, 11, 2)), [""] * 13, row(接收日期="下周")]
    book = write_register(tmp_path / "r.xlsx", rows, notes=["编制：王芳"])

    class ValuesOnly:  # the workbook as the Excel front sees it: whole sheets, no rows()
        def __init__(self, source: FileSource):
            self.source, self.label = source, source.label

        def __getattr__(self, name: str) -> object:
            if name == "rows":
                raise AttributeError(name)
            return getattr(self.source, name)

    streamed, whole = read_register(book), find_register(ValuesOnly(FileSource(book)))
    for name in ("sheet", "header_row", "columns", "extra_columns", "note_rows", "width", "samples", "state"):
        assert getattr(streamed, name) == getattr(whole, name), name
    assert [(r.number, r.texts, r.formulas) for r in streamed.rows] == [
        (r.number, r.texts, r.formulas) for r in whole.rows]


def test_the_report_without_records_is_the_report_with_them(tmp_path: Path) -> None:
    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW, row(负责人="孙悟空"), row(接收日期="2026-12-01")])
    register = read_register(book)
    report, records = validate_register(register, today=date(2026, 11, 25))
    assert check_register(register, today=date(2026, 11, 25)) == report and len(records) == 2


# --- what a command imports -----------------------------------------------------------------------


def _imported(tmp_path: Path, *argv: str) -> set[str]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "xlcsr", *argv], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    return {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}


def test_the_version_and_a_read_only_command_load_only_what_they_use(tmp_path: Path) -> None:
    heavy = {"openpyxl", "numpy", "jinja2", "xlcsr.excel", "xlcsr.excel.addin", "xlcsr.app.import_legacy",
             "xlcsr.files.new_books"}
    assert not _imported(tmp_path, "--version") & (heavy | {"xlcsr.app.commands", "python_calamine"})
    book = write_register(tmp_path / "r.xlsx", [GOOD_ROW])
    loaded = _imported(tmp_path, "validate", str(book), "--json", "--today", "2026-11-25")
    assert "python_calamine" in loaded
    assert not loaded & (heavy | {"xlcsr.ooxml.package", "xlcsr.files.register_writer", "smtplib"})


# --- the shared corpus: files other programs saved ------------------------------------------------


def _corpus_books() -> list[Path]:
    return sorted(p for p in CORPUS.glob("*.xls[xm]") if p.is_file()) if CORPUS.is_dir() else []


@pytest.mark.parametrize("book", _corpus_books() or [Path("(corpus missing)")], ids=lambda p: p.name)
def test_every_sheet_of_the_corpus_streams_as_listed_and_scans_as_parsed(book: Path) -> None:
    needs(book.is_file(), f"the shared corpus {CORPUS}")
    source = FileSource(book)
    for sheet in source.sheet_names():
        assert list(source.rows(sheet)) == source.values(sheet), sheet
        part = source._workbook_xml().worksheets.get(sheet)
        if part is not None:
            with zipfile.ZipFile(book) as package:
                fast, full = formula_cells(package.open(part)), parsed_formula_cells(package.open(part))
            assert fast is None or fast == full, sheet
            assert source.formulas(sheet) == full, sheet


# --- the nightly run reads a register it does not write once -------------------------------------


def test_the_dry_run_reads_each_register_once_and_reminds_from_that_read(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from xlcsr.app.config import load_config
    from xlcsr.app.nightly import run_once

    overdue = row(截止日期=date(2026, 11, 10), 负责人="李强", 处理状态="处理中")
    write_register(tmp_path / "a.xlsx", [GOOD_ROW, overdue])
    write_register(tmp_path / "b.xlsx", [overdue, row(接收日期="下周")])
    (tmp_path / "xlcsr.toml").write_text('registers = ["a.xlsx", "b.xlsx"]\n', encoding="utf-8")
    opened: list[str] = []
    real_init = FileSource.__init__

    def counting(self: FileSource, path: Path) -> None:
        opened.append(Path(path).name)
        real_init(self, path)

    monkeypatch.setattr(FileSource, "__init__", counting)
    summary = run_once(load_config(tmp_path / "xlcsr.toml", env={}), today=date(2026, 11, 25),
                       clock=lambda: datetime(2026, 11, 25, 2, 0), dry_run=True)
    assert sorted(opened) == ["a.xlsx", "b.xlsx"]
    assert [(r.rows, len(r.invalid_rows)) for r in summary.registers] == [(2, 0), (2, 1)]
    assert [r.mails_planned for r in summary.registers] == [2, 2]  # 李强 and his manager, for each register


def test_the_rows_of_a_table_are_made_when_asked_for_and_stay_the_same_rows() -> None:
    keys = ("customer", "received")
    texts, raws = {}, {}
    for key, cells in zip(keys, (["吉利汽车", " 比亚迪 ", "蔚来"], [date(2026, 11, 3), "", 46329.0]), strict=True):
        texts[key], raw = column_texts(cells, {})
        if raw is not None:
            raws[key] = raw
    rows = Table([4, 5, 7], texts, raws, {7: frozenset({"customer"})}).rows
    assert rows[-1] is rows[2] and list(rows)[1] is rows[1] and rows[1:] == [rows[1], rows[2]]
    assert [row.number for row in rows] == [4, 5, 7] and rows[2].formulas == {"customer"}
    assert rows[1].texts == {"customer": "比亚迪"} and rows[2].raw("received") == 46329.0
    assert rows == list(rows) and rows != [rows[0]]
    with pytest.raises(IndexError):
        rows[3]


def test_a_register_let_go_is_freed_at_once_though_frozen_out_of_the_collector(tmp_path: Path) -> None:
    """Nothing of a read register refers back to what refers to it: the nightly runner and the ribbon's
    Python read registers for days, and `bulk` freezes what a read builds (a cycle would never go)."""
    import gc

    from xlcsr.rules.changes import states_of

    book = write_register(tmp_path / "r.xlsx", [row(), row(客户名称=""), row(处理状态="不知道")] * 20)

    def read_and_use() -> None:
        register = read_register(book)
        validate_register(register, today=date(2026, 11, 25))
        states_of(register)
        [r.texts for r in register.rows]

    read_and_use()  # caches filled, modules imported
    before = gc.get_freeze_count()
    read_and_use()
    assert gc.get_freeze_count() == before


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["case_no", "customer", "requirement", "remarks"]),
                                st.text(min_size=1), max_size=4), max_size=8), st.data())
def test_packed_states_unpack_to_the_states_and_share_their_twins_texts(fields: list[dict[str, str]],
                                                                        data: st.DataObject) -> None:
    """The first register of a diff, packed and unpacked: the same rows (any text, NUL too), and a text
    equal to its twin's (the row of the other register with the same number) is the twin's object."""
    from xlcsr.domain.changes import PackedStates, RowState

    keys = sorted({key for f in fields for key in f})
    states = [RowState(i + 4, {k: v for k, v in f.items()}) for i, f in enumerate(fields)]
    packed = PackedStates([s.position for s in states], {k: [s.fields.get(k, "") for s in states] for k in keys})
    assert packed.unpack() == states
    like = [RowState(s.position, {k: "".join(list(v)) for k, v in s.fields.items()})  # equal, not the same objects
            for s in data.draw(st.permutations(states))]
    unpacked = packed.unpack(like)
    assert unpacked == states
    twin = {s.case_no: s.fields for s in reversed(like) if s.case_no}
    for state in unpacked:
        for key, text in state.fields.items():
            theirs = twin.get(state.case_no, {}).get(key) if state.case_no else None
            assert (text is theirs) == (theirs == text), (key, text)
