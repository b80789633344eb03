"""Sign-off workbooks as files: written with openpyxl, filled as a user would, sealed, read back with calamine."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from books import needs

from xlcsr.domain.dates import parse_date
from xlcsr.domain.errors import OutputRefused, SignoffRefused
from xlcsr.domain.signoff import Kind, SignoffItem
from xlcsr.domain.vocab import SEAL_SHEET, SIGNOFF_SHEET, STORE_DIR
from xlcsr.files.signoff_books import read_signoff_book, write_signoff_book
from xlcsr.workbook.signoff_book import read_answers, signoff_layout

REGISTER_ID = "4f1c2b7e9d0a4c3b8e1f6a5d2c7b9e01"
KEY = bytes(range(32))
ISSUED = date(2026, 11, 25)
REGISTER_NAME = "顾客特殊要求清单.xlsx"


def fields(customer: str, requirement: str, *, due: str = "2026-12-15", revision: str = "1") -> dict[str, str]:
    return {"customer": customer, "product": "GL-SX11", "requirement": requirement, "category": "产品",
            "source": "技术协议", "source_ref": "TA-2026-07 B版", "received": "2026-11-03", "due": due,
            "revision": revision}


TECH_ITEMS = [
    SignoffItem("CSR-2026-0001", "技术部", Kind.REVIEW, 1, "a1b2c3d4e5f60718",
                fields("吉利汽车", "PPAP 第3级提交，含全尺寸报告\n及材料证明")),
    SignoffItem("CSR-2026-0002", "技术部", Kind.REVIEW, 2, "1122334455667788",
                fields("比亚迪", "=盐雾试验 480 小时", due="", revision="2")),
    SignoffItem("CSR-2026-0003", "技术部", Kind.ROLLOUT, 1, "99aabbccddeeff00", fields("长城汽车", "包装防锈 VCI 袋")),
]
GM_ITEMS = [SignoffItem("CSR-2026-0004", "总经理", Kind.APPROVAL, 1, "0f0e0d0c0b0a0908",
                        fields("上汽", "特殊合同：年降 3%"))]


def tech_book(folder: Path, name: str = "技术部-2026-11-25.xlsx") -> Path:
    return write_signoff_book(folder / name, register_id=REGISTER_ID, department="技术部", issued=ISSUED,
                              register_name=REGISTER_NAME, items=TECH_ITEMS, key=KEY)


def gm_book(folder: Path) -> Path:
    return write_signoff_book(folder / "总经理-2026-11-25.xlsx", register_id=REGISTER_ID, department="总经理",
                              issued=ISSUED, register_name=REGISTER_NAME, items=GM_ITEMS, key=KEY)


def read(path: Path, *, register_id: str | None = REGISTER_ID, key: bytes | None = KEY):  # noqa: ANN201
    return read_signoff_book(path, register_id=register_id, key_for=lambda rid: key if rid == REGISTER_ID else None)


def fill(path: Path) -> None:
    """Answer 技术部's sheet as a user would in Excel: picked words, names, a real date and a date typed as text."""
    wb = openpyxl.load_workbook(path)
    ws = wb[SIGNOFF_SHEET]
    ws["K6"], ws["M6"], ws["N6"] = "可满足", "张伟", datetime(2026, 11, 20)
    ws["N6"].number_format = "yyyy/m/d"
    ws["K7"], ws["L7"], ws["M7"], ws["N7"] = "有条件满足", "盐雾 480 h 需外委试验", "张伟", "2026/11/20"
    ws["K11"], ws["L11"], ws["M11"], ws["N11"] = "已落实", "WI-CSR-003 C版", "李强", datetime(2026, 11, 21)
    wb.save(path)


FILLED = [  # (case, kind, answer, note, reviewer, day, cells of answer and day)
    ("CSR-2026-0001", Kind.REVIEW, "可满足", "", "张伟", date(2026, 11, 20), "K6", "N6"),
    ("CSR-2026-0002", Kind.REVIEW, "有条件满足", "盐雾 480 h 需外委试验", "张伟", date(2026, 11, 20), "K7", "N7"),
    ("CSR-2026-0003", Kind.ROLLOUT, "已落实", "WI-CSR-003 C版", "李强", date(2026, 11, 21), "K11", "N11"),
]


def answered(filled) -> list[tuple[object, ...]]:  # noqa: ANN001 - a Filled
    return [(a.case_no, a.kind, a.answer, a.note, a.reviewer, parse_date(a.day), a.cells["answer"], a.cells["day"])
            for a in filled.answers]


def used_cells(ws) -> list:  # noqa: ANN001, ANN201 - openpyxl
    return [cell for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column) for cell in row
            if cell.value is not None or cell.coordinate in ANSWER_CELLS]


ANSWER_CELLS = {f"{c}{r}" for r in (6, 7, 11) for c in "KLMN"}


# --- the layout, as cell values ------------------------------------------------------------------


def test_layout_places_sections_items_and_answer_cells() -> None:
    layout = signoff_layout("技术部", ISSUED, REGISTER_NAME, TECH_ITEMS)
    assert layout.rows[0][0] == "顾客特殊要求会签表 — 技术部"
    assert all(word in layout.rows[1][0] for word in ("技术部", "2026-11-25", REGISTER_NAME))
    assert [layout.rows[r - 1][0] for r in layout.section_rows] == ["一、评审", "二、落实确认"]
    assert layout.rows[4] == ["案件号", "客户名称", "产品/项目", "要求描述", "类别", "来源", "来源文件及版本", "接收日期",
                              "截止日期", "版本号", "评审意见", "说明", "评审人", "评审日期"]
    assert layout.rows[9][10:] == ["落实结果", "更改的文件及版本", "确认人", "确认日期"]
    assert [(row, item.case_no) for row, item in layout.placed] == [
        (6, "CSR-2026-0001"), (7, "CSR-2026-0002"), (11, "CSR-2026-0003")]
    assert set(layout.answer_cells) == ANSWER_CELLS
    assert layout.choices == {"K6:K7": ("可满足", "有条件满足", "不能满足"), "K11:K11": ("已落实",)}
    assert layout.date_ranges == ["N6:N7", "N11:N11"]
    assert layout.rows[5][7] == date(2026, 11, 3) and layout.rows[5][9] == 1  # a date and a number, as shown


def test_layout_of_the_general_manager_asks_for_approval_in_english_too() -> None:
    layout = signoff_layout("总经理", ISSUED, REGISTER_NAME, GM_ITEMS)
    assert [layout.rows[r - 1][0] for r in layout.section_rows] == ["一、批准（特殊合同）"]
    assert layout.rows[4][10:] == ["批准意见", "说明", "批准人", "批准日期"]
    assert layout.choices == {"K6:K6": ("批准", "不批准")}
    assert layout.print_rows == "1:5"
    english = signoff_layout("总经理", ISSUED, REGISTER_NAME, GM_ITEMS, lang="en")
    assert english.rows[4][:2] == ["Case No.", "Customer"] and english.rows[4][10] == "Decision"
    assert english.placed == layout.placed and english.choices == layout.choices


def test_read_answers_compares_as_text() -> None:
    layout = signoff_layout("技术部", ISSUED, REGISTER_NAME, TECH_ITEMS)
    values = [list(row) for row in layout.rows]
    values[5][7] = 46329.0  # 2026-11-03 as a serial number
    values[5][9] = 1.0
    values[6][9] = "2"  # the revision typed as text
    values[5][8] = datetime(2026, 12, 15)
    values[10][7] = "2026-11-03"
    values[5][3] = "PPAP 第3级提交，含全尺寸报告\r\n及材料证明 "  # Windows line end, a trailing space
    assert read_answers(values, layout.placed)[1] == []
    values[6][3] = "盐雾试验 240 小时"
    values[10][8] = 46400.0
    answers, edited = read_answers(values, layout.placed)
    assert edited == [("D7", "=盐雾试验 480 小时", "盐雾试验 240 小时"), ("I11", "2026-12-15", "46400")]
    assert [(a.row, a.answer, a.day, a.cells["note"]) for a in answers] == [(6, "", None, "L6"), (7, "", None, "L7"),
                                                                            (11, "", None, "L11")]


# --- the file as written -------------------------------------------------------------------------


def test_only_the_answer_cells_are_unlocked(tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(tech_book(tmp_path))[SIGNOFF_SHEET]
    assert ws.protection.sheet
    cells = used_cells(ws)
    assert {c.coordinate for c in cells if not c.protection.locked} == ANSWER_CELLS
    assert len(cells) > len(ANSWER_CELLS) + 40  # the title, headers and case cells, all locked
    assert ws["D6"].value == "PPAP 第3级提交，含全尺寸报告\n及材料证明" and ws["D6"].alignment.wrap_text
    assert ws["D7"].value == "=盐雾试验 480 小时" and ws["D7"].data_type == "s"  # text, not a formula
    assert ws["H6"].value == datetime(2026, 11, 3) and ws["H6"].number_format == "yyyy-mm-dd"


def test_dropdowns_date_checks_and_print_setup(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(tech_book(tmp_path))
    ws = wb[SIGNOFF_SHEET]
    checks = {(dv.type, str(dv.sqref), dv.formula1) for dv in ws.data_validations.dataValidation}
    assert checks == {("list", "K6:K7", '"可满足,有条件满足,不能满足"'), ("list", "K11", '"已落实"'),
                      ("date", "N6:N7", "36526"), ("date", "N11", "36526")}
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == int(ws.PAPERSIZE_A4)
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$2"
    assert wb.sheetnames == [SIGNOFF_SHEET, SEAL_SHEET] and wb[SEAL_SHEET].sheet_state == "veryHidden"
    assert [row[0] for row in wb[SEAL_SHEET].iter_rows(values_only=True)] == ["mac", "payload"]


def test_the_general_managers_book_asks_for_approval(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(gm_book(tmp_path))
    ws = wb[SIGNOFF_SHEET]
    assert ws["A4"].value == "一、批准（特殊合同）" and ws["K5"].value == "批准意见" and ws["A6"].value == "CSR-2026-0004"
    assert {(str(dv.sqref), dv.formula1) for dv in ws.data_validations.dataValidation if dv.type == "list"} == {
        ("K6", '"批准,不批准"')}
    assert {c.coordinate for c in used_cells(ws) if not c.protection.locked} == {"K6", "L6", "M6", "N6"}
    assert ws.max_row == 6 and ws.print_title_rows == "$1:$5"
    assert wb[SEAL_SHEET].sheet_state == "veryHidden"


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    book = tech_book(tmp_path)
    before = book.read_bytes()
    with pytest.raises(OutputRefused, match="已存在"):
        tech_book(tmp_path)
    assert book.read_bytes() == before
    with pytest.raises(OutputRefused, match=".xlsx"):
        tech_book(tmp_path, "技术部.xls")


# --- filled and read back ------------------------------------------------------------------------


def test_the_answers_come_back_with_their_cells(tmp_path: Path) -> None:
    book = tech_book(tmp_path)
    fill(book)
    filled = read(book)
    assert (filled.file, filled.sheet, filled.department, filled.date1904) == (book.name, SIGNOFF_SHEET, "技术部", False)
    assert filled.items == {(i.case_no, i.kind): i for i in TECH_ITEMS}
    assert answered(filled) == FILLED
    assert filled.answers[1].day == "2026/11/20"  # as typed: collection parses it
    assert filled.answers[0].cells == {"case_no": "A6", "answer": "K6", "note": "L6", "reviewer": "M6", "day": "N6"}


def test_an_unfilled_book_reads_as_blank_answers(tmp_path: Path) -> None:
    filled = read(gm_book(tmp_path))
    assert [(a.case_no, a.kind, a.answer, a.reviewer, a.day, a.row) for a in filled.answers] == [
        ("CSR-2026-0004", Kind.APPROVAL, "", "", None, 6)]


@pytest.mark.parametrize("name", ["会签.xlsx", "技术部-2026-11-25 - 副本.xlsx", "副本 技术部-2026-11-25.xlsx",
                                  "2026-11-25.xlsx"])
def test_a_name_that_claims_no_other_department_is_fine(tmp_path: Path, name: str) -> None:
    book = tech_book(tmp_path)
    fill(book)
    assert answered(read(book.rename(tmp_path / name))) == FILLED


def test_a_locked_cell_retyped_as_the_same_value_is_fine(tmp_path: Path) -> None:
    book = tech_book(tmp_path)
    wb = openpyxl.load_workbook(book)
    ws = wb[SIGNOFF_SHEET]
    ws["J6"], ws["H7"] = "1", "2026-11-03"
    wb.save(book)
    assert len(read(book).answers) == 3


# --- refused -------------------------------------------------------------------------------------


def refusal(book: Path, **how: object) -> str:
    with pytest.raises(SignoffRefused) as caught:
        read(book, **how)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "\n" not in message and " / " in message and book.name in message
    return message


def edit(book: Path, sheet: str, ref: str, change) -> None:  # noqa: ANN001 - a function of the old value
    wb = openpyxl.load_workbook(book)
    wb[sheet][ref] = change(wb[sheet][ref].value)
    wb.save(book)


def test_an_edited_locked_cell_is_named(tmp_path: Path) -> None:
    book = tech_book(tmp_path)
    fill(book)
    edit(book, SIGNOFF_SHEET, "D7", lambda _: "盐雾试验 240 小时")
    message = refusal(book)
    assert "会签!D7" in message and "=盐雾试验 480 小时" in message and "盐雾试验 240 小时" in message


def test_an_edited_date_or_case_is_refused(tmp_path: Path) -> None:
    book = tech_book(tmp_path)
    edit(book, SIGNOFF_SHEET, "I6", lambda _: datetime(2027, 1, 31))
    assert "I6" in refusal(book) and "2027-01-31" in refusal(book)
    other = tech_book(tmp_path, "技术部-2026-11-26.xlsx")
    edit(other, SIGNOFF_SHEET, "A11", lambda _: "CSR-2026-0009")
    assert "A11" in refusal(other) and "CSR-2026-0003" in refusal(other)


def test_a_renamed_copy_for_another_department(tmp_path: Path) -> None:
    book = tech_book(tmp_path)
    fill(book)
    message = refusal(book.rename(tmp_path / "品质部-2026-11-25.xlsx"))
    assert "品质部" in message and "技术部" in message and "renamed copy" in message


def test_a_book_for_another_register(tmp_path: Path) -> None:
    book = tech_book(tmp_path)
    assert "不是为本清单签发" in refusal(book, register_id="0" * 32)
    assert "尚未签发过会签表" in refusal(book, register_id=None)


def test_a_key_not_beside_the_register_is_not_a_forgery(tmp_path: Path) -> None:
    book = tech_book(tmp_path)
    message = refusal(book, key=None)
    assert STORE_DIR in message and "xlcsr signoff" in message
    assert not any(word in message.lower() for word in ("伪造", "forged", "forgery", "校验失败", "altered"))


def test_an_altered_seal_does_not_verify(tmp_path: Path) -> None:
    book = tech_book(tmp_path)
    fill(book)
    row = next(r for r in openpyxl.load_workbook(book)[SEAL_SHEET].iter_rows() if r[0].value == "payload")
    edit(book, SEAL_SHEET, row[1].coordinate, lambda text: text.replace("2026-11-25", "2026-11-26"))
    assert "封签校验失败" in refusal(book)
    assert "does not verify" in refusal(tech_book(tmp_path, "技术部-2.xlsx"), key=bytes(32))  # another key


def test_a_damaged_or_missing_seal_is_not_a_signoff_book(tmp_path: Path) -> None:
    book = tech_book(tmp_path)
    edit(book, SEAL_SHEET, "B2", lambda text: text[:-5])
    assert "无法读取" in refusal(book)
    gone = tech_book(tmp_path, "技术部-2026-11-26.xlsx")
    wb = openpyxl.load_workbook(gone)
    del wb[SEAL_SHEET]
    wb.save(gone)
    assert "不是 xlcsr 会签表" in refusal(gone)
    plain = tmp_path / "技术部-2026-11-27.xlsx"
    openpyxl.Workbook().save(plain)
    assert "not an xlcsr sign-off workbook" in refusal(plain)


# --- saved by LibreOffice ------------------------------------------------------------------------


@pytest.mark.soffice
def test_a_book_saved_by_libreoffice_reads_the_same(tmp_path: Path) -> None:
    needs(shutil.which("soffice") is not None, "LibreOffice (soffice)")
    book = tech_book(tmp_path / "in")
    fill(book)
    out = tmp_path / "out"
    command = ["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
               "--convert-to", "xlsx", "--outdir", str(out), str(book)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    saved = out / book.name
    assert saved.is_file(), result.stdout + result.stderr
    assert answered(read(saved)) == FILLED
    wb = openpyxl.load_workbook(saved)
    assert wb[SEAL_SHEET].sheet_state in ("hidden", "veryHidden")
    ws = wb[SIGNOFF_SHEET]
    assert ws.protection.sheet and not ws["K6"].protection.locked and ws["D6"].protection.locked
