"""评审记录表 per case (`xlcsr record`): filled from 会签记录, sealed, printed to PDF, read back after a meeting."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pypdf
import pytest
import python_calamine
from books import needs
from openpyxl.cell.cell import MergedCell
from typer.testing import CliRunner

from xlcsr.app.review_record import write_records
from xlcsr.app.signoff import collect_signoffs
from xlcsr.cli.app import app
from xlcsr.cli.record import record_command
from xlcsr.domain.errors import SignoffRefused
from xlcsr.domain.signoff import Entry, Kind
from xlcsr.domain.vocab import APPROVALS, REVIEW_OPINIONS, REVIEW_SHEET, SEAL_SHEET, SIGNOFF_LOG_SHEET, STATE_SHEET
from xlcsr.files.new_books import make_register
from xlcsr.files.reader import read_register
from xlcsr.files.review_forms import read_review_record
from xlcsr.files.seal_key import seal_key
from xlcsr.rules.signoff import fingerprint, register_id
from xlcsr.rules.validate import validate_register
from xlcsr.workbook.signoff_log import entry_row, log_header
from xlcsr.workbook.state import state_from_rows, state_rows

TODAY = date(2026, 11, 25)
REGISTER_ID = "5b7e0c4f1a2d4e6f8091a2b3c4d5e6f7"
REQUIREMENT = ("PPAP 第3级提交：全尺寸报告、材料证明、过程能力 Cpk≥1.67；\n"
               "首批样件随附 IMDS 编号，包装按客户标准 QS-PK-07 执行。")
CASES = [
    dict(case_no="CSR-2026-0001", customer="比亚迪", product="BYD-X1 支架", requirement=REQUIREMENT, category="产品",
         source="技术协议", source_ref="TA-2026-01 A版", received=date(2026, 11, 2), priority="高",
         due=date(2026, 12, 15), departments="技术部、品质部、生产部", owner="李强", status="评审中",
         contract_type="特殊", revision=2),
    dict(case_no="CSR-2026-0002", customer="吉利汽车", product="GL-SX11", requirement="盐雾试验 480 小时",
         category="产品", source="质量协议", source_ref="QA-2026-03", received=date(2026, 11, 4), priority="中",
         due=date(2026, 12, 20), departments="技术部、采购部", owner="张伟", status="评审中", contract_type="常规"),
    dict(case_no="CSR-2026-0003", customer="长城汽车", product="CC-7", requirement="包装防锈 VCI 袋", category="包装",
         source="技术协议", received=date(2026, 11, 5), priority="低", due=date(2026, 12, 30), departments="品质部",
         owner="张伟", status="待处理", contract_type="常规"),
]
# (case, department, kind, answer, note, reviewer, day); the last one answered text since changed: stale
ANSWERS = [
    ("CSR-2026-0001", "技术部", Kind.REVIEW, "可满足", "", "李强", date(2026, 11, 10)),
    ("CSR-2026-0001", "品质部", Kind.REVIEW, "有条件满足", "需新增三坐标检具，12 月初到位", "张伟", date(2026, 11, 12)),
    ("CSR-2026-0002", "技术部", Kind.REVIEW, "可满足", "", "李强", date(2026, 11, 11)),
    ("CSR-2026-0002", "采购部", Kind.REVIEW, "不能满足", "VCI 材料供应商未认可", "陈静", date(2026, 11, 13)),
]
STALE = ("CSR-2026-0001", "生产部", Kind.REVIEW, "可满足", "", "刘洋", date(2026, 11, 9))
FORM_DEPARTMENTS = ["市场部", "技术部", "品质部", "生产部", "采购部", "财务部"]  # 设置's, without 总经理
FIRST_ROW = 16  # xlcsr.workbook.forms: the row after the review header (15)
GM_ROW = FIRST_ROW + len(FORM_DEPARTMENTS) + 1  # after the section title: decision, signature, date; then 说明


def make_book(folder: Path, *, with_id: bool = True, cases: list[dict[str, object]] = CASES) -> Path:
    """A register with three cases, 会签记录 rows (one stale), and, with `with_id`, an id and its key."""
    folder.mkdir(parents=True, exist_ok=True)
    path = make_register(folder / "顾客特殊要求清单.xlsx", rows=cases)
    register = read_register(path)
    _, records = validate_register(register, today=TODAY)
    by_case = {r.case_no: r for r in records}
    assert set(by_case) == {c["case_no"] for c in cases}
    wb = openpyxl.load_workbook(path)
    if SIGNOFF_LOG_SHEET not in wb.sheetnames:  # a register of before sign-off
        wb.create_sheet(SIGNOFF_LOG_SHEET).append(log_header())
    log = wb[SIGNOFF_LOG_SHEET]
    for case, dept, kind, answer, note, reviewer, day in (a for a in ANSWERS if a[0] in by_case):
        record = by_case[case]
        log.append(entry_row(Entry(case, record.revision or 1, fingerprint(record, dept, register.settings), dept,
                                   kind, answer, note, reviewer, day, f"{dept}-20261105.xlsx",
                                   datetime(2026, 11, 14, 9, 30))))
    case, dept, kind, answer, note, reviewer, day = STALE
    log.append(entry_row(Entry(case, 1, "0000000000000000", dept, kind, answer, note, reviewer, day,
                               "生产部-20261105.xlsx", datetime(2026, 11, 14, 9, 30))))
    if with_id:
        state = wb.create_sheet(STATE_SHEET)
        for row in state_rows({"signoff": {"register_id": REGISTER_ID}}):
            state.append(row)
        state.sheet_state = "veryHidden"
    wb.save(path)
    if with_id:
        seal_key(path, REGISTER_ID, create=True)
    return path


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return make_book(tmp_path / "reg")


def record_of(book: Path, case: str = "CSR-2026-0001", **options: object) -> Path:
    result = write_records(book, [case], out=book.parent / "out", today=TODAY, **options)
    assert result.unknown == [] and len(result.written) == 1, result
    return result.written[0]


def calamine_rows(path: Path, sheet: str = REVIEW_SHEET) -> list[list[object]]:
    return python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(
        skip_empty_area=False)


def cell(rows: list[list[object]], ref: str) -> object:
    col, row = ord(ref[0]) - 65, int(ref[1:])
    value = rows[row - 1][col] if row <= len(rows) and col < len(rows[row - 1]) else ""
    return value.date() if isinstance(value, datetime) else value


def as_date(value: object) -> object:
    return value.date() if isinstance(value, datetime) else value


def key_for(book: Path):  # noqa: ANN201 - the collect side: the key beside the register
    return lambda rid: seal_key(book, rid)


def read(form: Path, book: Path, *, register: str | None = REGISTER_ID):  # noqa: ANN201
    return read_review_record(form, register_id=register, key_for=key_for(book))


# ---------------------------------------------------------------- what the form shows


def test_each_department_row_shows_its_current_answer_read_by_openpyxl_and_calamine(book: Path) -> None:
    form = record_of(book)
    assert form.name == "评审记录表-CSR-2026-0001.xlsx"
    ws = openpyxl.load_workbook(form)[REVIEW_SHEET]
    rows = calamine_rows(form)
    for values in (lambda ref: ws[ref].value, lambda ref: cell(rows, ref)):
        assert [values(f"A{r}") for r in range(FIRST_ROW, FIRST_ROW + 6)] == FORM_DEPARTMENTS
        answers = {values(f"A{r}"): tuple(as_date(values(f"{c}{r}")) or None for c in "BCEF")
                   for r in range(FIRST_ROW, FIRST_ROW + 6)}
        assert answers == {
            "市场部": ("不涉及", None, None, None),
            "技术部": ("可满足", None, "李强", date(2026, 11, 10)),
            "品质部": ("有条件满足", "需新增三坐标检具，12 月初到位", "张伟", date(2026, 11, 12)),
            "生产部": (None, None, None, None),  # its answer was for text since changed: open again
            "采购部": ("不涉及", None, None, None),
            "财务部": ("不涉及", None, None, None),
        }
    # the header block
    assert [cell(rows, ref) for ref in ("B3", "E3", "B4", "E4", "B5", "E5", "B6", "A8")] == [
        "市场部", date(2026, 11, 2), "比亚迪", "特殊", "CSR-2026-0001", "BYD-X1 支架", "技术协议：TA-2026-01 A版",
        REQUIREMENT]
    assert "截止日期：2026-12-15" in cell(rows, "A7")


def test_the_footer_gives_the_revision_and_the_fingerprints(book: Path) -> None:
    form = record_of(book)
    register = read_register(book)
    record = next(r for r in validate_register(register, today=TODAY)[1] if r.case_no == "CSR-2026-0001")
    plain, dated = fingerprint(record, "技术部", register.settings), fingerprint(record, "生产部", register.settings)
    ws = openpyxl.load_workbook(form)[REVIEW_SHEET]
    last = ws.print_area.split(":")[-1].replace("$", "")
    trail = cell(calamine_rows(form), f"A{last[1:]}")
    assert "版本号：2" in trail and plain in trail and dated in trail and "2026-11-25" in trail
    assert "CSR-2026-0001" in ws.oddFooter.left.text and "2" in ws.oddFooter.left.text


def test_the_general_manager_signs_only_a_special_contract(book: Path) -> None:
    special = openpyxl.load_workbook(record_of(book, "CSR-2026-0001"))[REVIEW_SHEET]
    regular = openpyxl.load_workbook(record_of(book, "CSR-2026-0002"))[REVIEW_SHEET]
    gm = GM_ROW
    assert special[f"A{gm}"].value == "审批结论" and special[f"A{gm + 1}"].value == "说明"
    assert [special[f"{c}{gm}"].value for c in "BDF"] == [None, None, None]
    assert all(not special[f"{c}{gm}"].protection.locked for c in "BDF")
    assert not special[f"B{gm + 1}"].protection.locked
    lists = {str(dv.sqref): dv.formula1 for dv in special.data_validations.dataValidation}
    assert lists[f"B{gm}"] == '"' + ",".join(APPROVALS) + '"'
    assert regular[f"B{gm}"].value == "不适用（常规合同）" and regular[f"B{gm}"].protection.locked
    assert all(regular[f"{c}{gm}"].protection.locked for c in "DF")
    assert f"B{gm}" not in {str(dv.sqref) for dv in regular.data_validations.dataValidation}
    payload = seal_of(record_of(book, "CSR-2026-0002"))
    assert [p["department"] for p in payload["departments"]] == ["技术部", "采购部"]
    assert [p["department"] for p in seal_of(record_of(book, "CSR-2026-0001"))["departments"]] == [
        "技术部", "品质部", "生产部", "总经理"]


def test_only_unanswered_cells_are_open_with_dropdowns_and_the_page_is_a4_one_page_wide(book: Path) -> None:
    wb = openpyxl.load_workbook(record_of(book))
    ws = wb[REVIEW_SHEET]
    assert ws.protection.sheet
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) and ws.page_setup.orientation == "portrait"
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    last = int(ws.print_area.split("$")[-1])
    assert ws.print_area.endswith(f"$A$1:$F${last}") and last == GM_ROW + 3
    open_cells = sorted(c.coordinate for row in ws.iter_rows(min_row=1, max_row=last, max_col=6) for c in row
                        if not isinstance(c, MergedCell) and not c.protection.locked)
    production, gm = FIRST_ROW + 3, GM_ROW
    assert open_cells == sorted([f"B{production}", f"C{production}", f"E{production}", f"F{production}",
                                 f"B{gm}", f"D{gm}", f"F{gm}", f"B{gm + 1}"])
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists == {f"B{production}": '"' + ",".join(REVIEW_OPINIONS) + '"',
                     f"B{gm}": '"' + ",".join(APPROVALS) + '"'}
    assert wb[SEAL_SHEET].sheet_state == "veryHidden"


def test_the_rows_come_from_the_settings_and_grow_and_shrink_with_them(tmp_path: Path) -> None:
    from xlcsr.domain.settings import DEFAULT_SETTINGS, Department

    def settings_with(names: list[str]):  # noqa: ANN202
        return DEFAULT_SETTINGS.model_copy(update={
            "departments": tuple(Department(name=n) for n in names),
            "people": tuple(p for p in DEFAULT_SETTINGS.people if p.department in names)})

    for names in (["技术部", "品质部", "总经理"], ["市场部", "技术部", "品质部", "物流部", "模具部", "生产部", "采购部",
                                           "财务部", "总经理"]):
        folder = tmp_path / str(len(names))
        folder.mkdir()
        path = make_register(folder / "清单.xlsx", settings_with(names),
                             rows=[dict(CASES[0], departments="技术部、品质部", owner="")])
        wb = openpyxl.load_workbook(path)
        state = wb.create_sheet(STATE_SHEET)
        for row in state_rows({"signoff": {"register_id": REGISTER_ID}}):
            state.append(row)
        wb.save(path)
        form = write_records(path, ["CSR-2026-0001"], out=folder, today=TODAY).written[0]
        rows = calamine_rows(form)
        reviewing = [n for n in names if n != "总经理"]
        assert [cell(rows, f"A{r}") for r in range(FIRST_ROW, FIRST_ROW + len(reviewing))] == reviewing
        assert cell(rows, f"A{FIRST_ROW + len(reviewing)}") == "总经理批准（特殊合同必填）"
        assert cell(rows, "B3") == ("市场部" if "市场部" in names else "")  # 识别部门
        assert [p["department"] for p in seal_of(form)["departments"]] == ["技术部", "品质部", "总经理"]


def test_file_names_never_overwrite_and_all_takes_the_cases_with_answers(book: Path) -> None:
    out = book.parent / "out"
    first = write_records(book, ["CSR-2026-0001"], out=out, today=TODAY)
    again = write_records(book, ["csr-2026-0001 ", "CSR-2099-0001"], out=out, today=TODAY)
    assert [p.name for p in first.written + again.written] == ["评审记录表-CSR-2026-0001.xlsx",
                                                               "评审记录表-CSR-2026-0001-2.xlsx"]
    assert again.unknown == ["CSR-2099-0001"] and not again.ok
    assert again.to_rows() == [["CSR-2026-0001", "评审记录表-CSR-2026-0001-2.xlsx", ""],
                               ["CSR-2099-0001", "不在清单中（或该行有错误）", ""]]
    every = write_records(book, [], out=out, all_cases=True, today=TODAY)
    assert every.cases == ["CSR-2026-0001", "CSR-2026-0002"] and every.ok  # 0003 has no answers yet
    assert [p.name for p in every.written] == ["评审记录表-CSR-2026-0001-3.xlsx", "评审记录表-CSR-2026-0002.xlsx"]


def test_a_register_without_an_id_gets_one_and_the_form_is_sealed_with_its_key(tmp_path: Path) -> None:
    book = make_book(tmp_path / "new", with_id=False)
    assert register_id(read_register(book)) is None
    form = record_of(book)
    ident = register_id(read_register(book))
    assert ident and seal_of(form)["register"] == ident
    assert read(form, book, register=ident) == []  # sealed, verified, nothing filled yet


def test_pdf_missing_is_said_and_the_forms_are_written_anyway(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(book.parent / "nowhere"))
    result = write_records(book, ["CSR-2026-0001"], out=book.parent / "out", pdf=True, today=TODAY)
    assert result.pdf_missing and result.pdfs == [] and len(result.written) == 1 and not result.ok
    assert "soffice" in result.summary() and "soffice" in result.summary("en")


@pytest.mark.soffice
def test_libreoffice_prints_one_page_wide_a4_with_every_answer(book: Path) -> None:
    needs(shutil.which("soffice") is not None, "LibreOffice (soffice)")
    result = write_records(book, ["CSR-2026-0001"], out=book.parent / "out", pdf=True, today=TODAY)
    assert result.ok and [p.name for p in result.pdfs] == ["评审记录表-CSR-2026-0001.pdf"]
    pdf = pypdf.PdfReader(result.pdfs[0])
    assert len(pdf.pages) == 1
    box = pdf.pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 1 and abs(float(box.height) - 841.9) < 1  # A4 portrait
    text = "".join(pdf.pages[0].extract_text().split())
    for department in FORM_DEPARTMENTS:
        assert department in text
    for answer in ("可满足", "有条件满足", "不涉及", "需新增三坐标检具", "李强", "张伟", "2026-11-10"):
        assert answer in text
    assert "CSR-2026-0001" in text and "版本号：2" in text


@pytest.mark.soffice
def test_a_long_requirement_stays_one_page_wide(tmp_path: Path) -> None:
    needs(shutil.which("soffice") is not None, "LibreOffice (soffice)")
    long = "；".join(f"第{i}条：尺寸公差按图纸 GB/T 1804-m 执行" for i in range(120))
    book = make_book(tmp_path / "long", cases=[dict(CASES[0], requirement=long)])
    result = write_records(book, ["CSR-2026-0001"], out=tmp_path / "out", pdf=True, today=TODAY)
    pages = pypdf.PdfReader(result.pdfs[0]).pages
    assert all(abs(float(p.mediabox.width) - 595.3) < 1 for p in pages)
    text = "".join(p.extract_text() for p in pages)
    assert "第119条" in text and "财务部" in text  # the whole requirement, and the columns on the pages


# ---------------------------------------------------------------- a meeting form read back


def fill_meeting(form: Path, target: Path | None = None) -> Path:
    """Fill the open cells as a meeting would: 生产部 answers, 总经理 approves."""
    wb = openpyxl.load_workbook(form)
    ws = wb[REVIEW_SHEET]
    production, gm = FIRST_ROW + 3, GM_ROW
    ws[f"B{production}"], ws[f"E{production}"], ws[f"F{production}"] = "可满足", "刘洋", datetime(2026, 11, 24)
    ws[f"C{production}"] = "按 12 月排产"
    ws[f"B{gm}"], ws[f"D{gm}"], ws[f"F{gm}"] = "批准", "周建国", datetime(2026, 11, 24)
    ws[f"B{gm + 1}"] = "同意，按评审意见执行"
    wb.save(target or form)
    return target or form


MEETING = [("生产部", Kind.REVIEW, "可满足", "按 12 月排产", "刘洋", date(2026, 11, 24)),
           ("总经理", Kind.APPROVAL, "批准", "同意，按评审意见执行", "周建国", date(2026, 11, 24))]


def answers_of(filled: list) -> list[tuple[object, ...]]:  # noqa: ANN001
    return [(f.department, a.kind, a.answer, a.note, a.reviewer, a.day) for f in filled for a in f.answers]


def test_a_filled_meeting_form_reads_back_one_filled_per_department(book: Path) -> None:
    form = fill_meeting(record_of(book))
    filled = read(form, book)
    assert answers_of(filled) == MEETING
    assert [(f.file, f.sheet) for f in filled] == [(form.name, REVIEW_SHEET)] * 2
    gm = filled[1]
    assert gm.items[("CSR-2026-0001", Kind.APPROVAL)].department == "总经理"
    assert gm.answers[0].cells == {"answer": "B23", "reviewer": "D23", "day": "F23", "note": "B24", "case_no": "B5"}
    assert filled[0].answers[0].cells["answer"] == "B19"


def test_a_meeting_form_collected_moves_the_case_on(book: Path) -> None:
    form = fill_meeting(record_of(book))
    result = collect_signoffs(book, [form], today=TODAY, clock=lambda: datetime(2026, 11, 25, 10, 0))
    assert result.refused == [] and result.problems == []
    assert [(e.department, e.answer, e.reviewer, e.file) for e in result.applied] == [
        ("生产部", "可满足", "刘洋", form.name), ("总经理", "批准", "周建国", form.name)]
    register = read_register(book)
    status = next(r for r in register.rows if r.text("case_no") == "CSR-2026-0001").text("status")
    assert status == "处理中"
    again = collect_signoffs(book, [form], today=TODAY, clock=lambda: datetime(2026, 11, 25, 11, 0))
    assert again.applied == [] and again.plan.repeated == 2


@pytest.mark.soffice
def test_a_meeting_form_resaved_by_libreoffice_still_reads(book: Path, tmp_path: Path) -> None:
    needs(shutil.which("soffice") is not None, "LibreOffice (soffice)")
    form = fill_meeting(record_of(book))
    out = tmp_path / "resaved"
    command = ["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--convert-to",
               "xlsx", "--outdir", str(out), str(form)]
    subprocess.run(command, capture_output=True, timeout=180, check=True)
    assert answers_of(read(out / form.name, book)) == MEETING


# ---------------------------------------------------------------- refusals


def seal_of(form: Path) -> dict:  # type: ignore[type-arg]
    return state_from_rows(calamine_rows(form, SEAL_SHEET))["payload"]  # type: ignore[return-value]


def refusal(form: Path, book: Path, **options: object) -> str:
    with pytest.raises(SignoffRefused) as caught:
        read(form, book, **options)
    message = str(caught.value)
    assert "\n" not in message and " / " in message and form.name in message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message.split(" / ")[0])  # Chinese first
    return message


def test_an_edited_locked_cell_is_refused_naming_it_and_both_values(book: Path) -> None:
    form = fill_meeting(record_of(book))
    wb = openpyxl.load_workbook(form)
    wb[REVIEW_SHEET]["B4"] = "吉利汽车"
    wb.save(form)
    message = refusal(form, book)
    assert f"{REVIEW_SHEET}!B4" in message and "比亚迪" in message and "吉利汽车" in message


def test_an_answer_typed_over_a_locked_answer_is_refused(book: Path) -> None:
    form = record_of(book)
    wb = openpyxl.load_workbook(form)
    wb[REVIEW_SHEET][f"B{FIRST_ROW + 1}"] = "不能满足"  # 技术部 answered 可满足 before the meeting
    wb[REVIEW_SHEET][f"B{FIRST_ROW}"] = "可满足"  # 市场部 is not involved
    wb.save(form)
    message = refusal(form, book)
    assert f"!B{FIRST_ROW}" in message and "不涉及" in message


def test_an_altered_seal_is_refused(book: Path) -> None:
    form = record_of(book)
    wb = openpyxl.load_workbook(form)
    seal = wb[SEAL_SHEET]
    for row in seal.iter_rows():
        if row[0].value == "payload":
            row[1].value = row[1].value.replace("生产部", "财务部")  # open another department's cells
    wb.save(form)
    message = refusal(form, book)
    assert "封签校验失败" in message and "does not verify" in message


def test_a_form_for_another_register_or_without_its_key_or_seal_is_refused(book: Path, tmp_path: Path) -> None:
    form = record_of(book)
    assert "不是为本清单签发" in refusal(form, book, register="0123456789abcdef0123456789abcdef")
    assert "尚未签发" in refusal(form, book, register=None)
    moved = tmp_path / "moved"
    moved.mkdir()
    copy = moved / book.name
    shutil.copy(book, copy)  # without its .xlcsr folder
    message = refusal(form, copy)
    assert ".xlcsr" in message and "xlcsr record" in message and "forged" not in message
    wb = openpyxl.load_workbook(form)
    del wb[SEAL_SHEET]
    wb.save(form)
    assert "没有 xlcsr 的封签" in refusal(form, book)


# ---------------------------------------------------------------- the command


def test_the_command_writes_the_forms_and_exits_by_what_it_found(book: Path) -> None:
    runner = CliRunner()
    out = book.parent / "cli"
    done = runner.invoke(app, ["record", str(book), "CSR-2026-0001", "--out", str(out), "--today", "2026-11-25"])
    assert done.exit_code == 0, done.output
    assert "评审记录表-CSR-2026-0001.xlsx" in done.output and (out / "评审记录表-CSR-2026-0001.xlsx").is_file()
    unknown = runner.invoke(app, ["record", str(book), "CSR-2099-0009", "--out", str(out)])
    assert unknown.exit_code == 1 and "CSR-2099-0009" in unknown.output
    nothing = runner.invoke(app, ["record", str(book), "--out", str(out)])
    assert nothing.exit_code == 2
    every = runner.invoke(app, ["record", str(book), "--all", "--out", str(out), "--lang", "en"])
    assert every.exit_code == 0 and "2 review record(s) written" in every.output
    english = calamine_rows(out / "评审记录表-CSR-2026-0002.xlsx")
    assert cell(english, "A15") == "Department" and cell(english, f"B{FIRST_ROW}") == "Not involved"
    assert cell(english, f"B{GM_ROW}") == "Not needed (regular contract)"
    helped = runner.invoke(app, ["record", "--help"])
    assert helped.exit_code == 0
    assert record_command.__doc__.strip().splitlines()[-1].strip().startswith("Example: xlcsr record ")
