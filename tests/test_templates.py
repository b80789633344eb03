"""New workbooks: read back with openpyxl and python-calamine, and printed by LibreOffice when present."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import python_calamine

from xlcsr.app.commands import init_workbooks
from xlcsr.domain.errors import WorkbookLocked
from xlcsr.domain.fields import FIELDS
from xlcsr.domain.settings import DEFAULT_SETTINGS
from xlcsr.domain.vocab import APPROVALS, CONTRACT_TYPES, REGISTER_FILE, REVIEW_FILE, REVIEW_OPINIONS, STATUSES
from xlcsr.files.new_books import make_register, make_review_form
from xlcsr.workbook.changelog import CHANGELOG_HEADERS
from xlcsr.workbook.forms import REVIEW_CELLS, review_departments
from xlcsr.workbook.settings_sheet import settings_from_rows

REPO = Path(__file__).resolve().parents[1]
LETTER = {f.key: openpyxl.utils.get_column_letter(i) for i, f in enumerate(FIELDS, start=1)}
ROWS = [
    {"customer": "比亚迪", "product": "BMS 控制器", "requirement": "=PPAP 提交等级 3 级",
     "category": "质量体系", "source": "质量协议", "received": date(2026, 11, 3), "priority": "高",
     "due": "2026/11/10", "departments": ["技术部", "品质部"], "owner": "张伟", "status": "待处理",
     "revision": 1},
    {"customer": "吉利", "requirement": "包装须使用可回收周转箱", "received": "不是日期"},
]


def _calamine(path: Path, sheet: str) -> list[list[object]]:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def _validations(ws) -> dict[str, object]:  # noqa: ANN001 - an openpyxl worksheet
    return {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}


def _inline(values) -> str:  # noqa: ANN001
    return '"' + ",".join(values) + '"'


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_register(tmp_path_factory.mktemp("reg") / REGISTER_FILE, rows=ROWS)


@pytest.fixture(scope="module")
def register_en(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_register(tmp_path_factory.mktemp("reg_en"), lang="en")


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_review_form(tmp_path_factory.mktemp("review"))


# ---------------------------------------------------------------- the register


def test_register_sheets_title_and_form_number(register: Path) -> None:
    wb = openpyxl.load_workbook(register)
    assert wb.sheetnames == ["清单", "设置", "变更记录", "会签记录"]
    assert [c.value for c in wb["会签记录"][1]][:4] == ["案件号", "版本号", "指纹", "部门"]
    ws = wb["清单"]
    assert ws["A1"].value == "顾客特殊要求清单" and ws["A1"].font.b
    assert "QR-CSR-01" in ws["A2"].value and "版本" in ws["A2"].value
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:R1", "A2:R2"}


def test_register_header_row_in_both_readers(register: Path, register_en: Path) -> None:
    rows = _calamine(register, "清单")
    assert rows[2] == [f.header for f in FIELDS]
    ws = openpyxl.load_workbook(register)["清单"]
    header = [ws.cell(3, c) for c in range(1, len(FIELDS) + 1)]
    assert [c.value for c in header] == [f.header for f in FIELDS]
    assert all(c.font.b and c.border.left.style == "thin" and c.alignment.wrap_text for c in header)
    assert all(c.alignment.horizontal == "center" and c.fill.fgColor.rgb.endswith("DDEBF7") for c in header)
    assert _calamine(register_en, "清单")[2] == [f.english for f in FIELDS]


def test_register_data_rows(register: Path) -> None:
    rows = _calamine(register, "清单")
    first = dict(zip([f.key for f in FIELDS], rows[3]))
    assert first["received"] == date(2026, 11, 3) and first["due"] == date(2026, 11, 10)
    assert first["departments"] == "技术部、品质部" and first["revision"] == 1
    assert first["requirement"] == "=PPAP 提交等级 3 级"  # text, not a formula
    second = dict(zip([f.key for f in FIELDS], rows[4]))
    assert second["received"] == "不是日期" and second["case_no"] == ""
    ws = openpyxl.load_workbook(register)["清单"]
    assert ws[f"{LETTER['requirement']}4"].data_type == "s"
    assert isinstance(ws[f"{LETTER['received']}4"].value, datetime)


def test_unknown_field_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nonsense"):
        make_register(tmp_path / "x.xlsx", rows=[{"customer": "A", "nonsense": 1}])


def test_register_formats_over_the_data_area(register: Path) -> None:
    ws = openpyxl.load_workbook(register)["清单"]
    for key in ("received", "due", "closed"):
        assert {ws[f"{LETTER[key]}{r}"].number_format for r in range(4, 1004)} == {"yyyy-mm-dd"}, key
    for key in ("requirement", "remarks"):
        assert all(ws[f"{LETTER[key]}{r}"].alignment.wrap_text for r in range(4, 1004)), key


def test_register_freeze_widths_and_print_setup(register: Path) -> None:
    ws = openpyxl.load_workbook(register)["清单"]
    assert ws.freeze_panes == "B4"
    widths = {f.key: ws.column_dimensions[LETTER[f.key]].width for f in FIELDS}
    assert min(widths.values()) >= 8 and widths["requirement"] >= 40 and widths["remarks"] >= 25
    assert ws.print_title_rows == "$1:$3"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9  # A4
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.auto_filter.ref.startswith("A3:R")


def test_register_dropdowns(register: Path) -> None:
    found = _validations(openpyxl.load_workbook(register)["清单"])
    expected = {
        "category": "xlcsr_类别", "source": "xlcsr_来源", "priority": "xlcsr_优先级",
        "departments": "xlcsr_部门", "owner": "xlcsr_人员",
        "status": _inline(STATUSES), "contract_type": _inline(CONTRACT_TYPES),
    }
    assert {ref: dv.formula1 for ref, dv in found.items()} == {
        f"{LETTER[k]}4:{LETTER[k]}1003": v for k, v in expected.items()}
    for ref, dv in found.items():
        assert dv.type == "list" and dv.allow_blank
        assert dv.showErrorMessage is (not ref.startswith(LETTER["departments"])), ref


def test_register_dropdown_names_resolve_to_the_settings_lists(register: Path) -> None:
    wb = openpyxl.load_workbook(register)
    settings_rows = _calamine(register, "设置")
    wanted = {"xlcsr_类别": list(DEFAULT_SETTINGS.categories), "xlcsr_来源": list(DEFAULT_SETTINGS.sources),
              "xlcsr_部门": [d.name for d in DEFAULT_SETTINGS.departments],
              "xlcsr_人员": [p.name for p in DEFAULT_SETTINGS.people],
              "xlcsr_优先级": [p.name for p in DEFAULT_SETTINGS.priorities]}
    for name, values in wanted.items():
        sheet, cells = wb.defined_names[name].attr_text.split("!")
        assert sheet == "设置"
        col = openpyxl.utils.column_index_from_string(cells.split("$")[1]) - 1
        assert [r[col] for r in settings_rows[3:] if r[col] != ""] == values, name
    assert settings_from_rows(settings_rows) == DEFAULT_SETTINGS


def test_english_register_uses_english_choice_values(register_en: Path) -> None:
    assert register_en.name == REGISTER_FILE
    found = {dv.formula1 for dv in _validations(openpyxl.load_workbook(register_en)["清单"]).values()}
    assert _inline(STATUSES.values()) in found and _inline(CONTRACT_TYPES.values()) in found
    assert _inline(p.english for p in DEFAULT_SETTINGS.priorities) in found
    assert _calamine(register_en, "设置")[1][0] == "【Categories】"
    assert settings_from_rows(_calamine(register_en, "设置")) == DEFAULT_SETTINGS


def test_changelog_sheet_headers(register: Path, register_en: Path) -> None:
    assert _calamine(register, "变更记录")[0] == [zh for zh, _ in CHANGELOG_HEADERS]
    assert [zh for zh, _ in CHANGELOG_HEADERS] == ["时间", "案件号", "字段", "原值", "新值", "版本", "修改人", "来源"]
    assert _calamine(register_en, "变更记录")[0] == [en for _, en in CHANGELOG_HEADERS]
    ws = openpyxl.load_workbook(register)["变更记录"]
    assert ws.freeze_panes == "A2" and ws["A1"].font.b


# ---------------------------------------------------------------- the review form


def test_review_form_fields_and_layout(review: Path) -> None:
    assert review.name == REVIEW_FILE
    ws = openpyxl.load_workbook(review)["评审记录"]
    assert ws["A1"].value == "顾客特殊要求评审记录表" and "QR-CSR-02" in ws["A2"].value
    rows = _calamine(review, "评审记录")
    labels = {v for row in rows for v in row if v}
    assert {"识别部门", "识别日期", "客户", "合同类型", "案件号", "产品/项目", "来源文件及版本",
            "部门", "评审意见", "说明", "评审人", "日期", "签名", "编制：", "审核：", "批准："} <= labels
    assert any("总经理批准" in str(v) and "特殊合同" in str(v) for v in labels)
    assert "A8:F13" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A8"].alignment.wrap_text


def test_review_form_one_row_per_department(review: Path) -> None:
    departments = review_departments(DEFAULT_SETTINGS)
    assert departments == ["市场部", "技术部", "品质部", "生产部", "采购部", "财务部"]
    rows = _calamine(review, "评审记录")
    first, last = REVIEW_CELLS["reviews"].split(":")
    top, bottom = int(first[1:]), int(last[1:])
    assert [rows[r - 1][0] for r in range(top, bottom + 1)] == departments
    assert rows[top - 2][:2] == ["部门", "评审意见"]
    ws = openpyxl.load_workbook(review)["评审记录"]
    assert all(ws[f"{c}{r}"].border.bottom.style == "thin" for r in range(top, bottom + 1) for c in "ABCDEF")


def test_review_form_dropdowns(review: Path) -> None:
    ws = openpyxl.load_workbook(review)["评审记录"]
    found = {ref: dv.formula1 for ref, dv in _validations(ws).items()}
    assert found[REVIEW_CELLS["contract_type"]] == _inline(CONTRACT_TYPES)
    first, last = REVIEW_CELLS["reviews"].split(":")
    assert found[f"B{first[1:]}:B{last[1:]}"] == _inline(REVIEW_OPINIONS)
    assert REVIEW_OPINIONS == ("可满足", "有条件满足", "不能满足")
    assert found[REVIEW_CELLS["gm_decision"]] == _inline(APPROVALS) == '"批准,不批准"'


def test_review_form_names_its_input_cells(review: Path) -> None:
    wb = openpyxl.load_workbook(review)
    names = {name: dn.attr_text for name, dn in wb.defined_names.items()}
    assert names["xlcsr_case_no"] == "评审记录!$B$5"
    assert set(names) == {f"xlcsr_{key}" for key in REVIEW_CELLS}
    ws = wb["评审记录"]
    assert ws["A5"].value == "案件号" and ws["D4"].value == "合同类型"


def test_review_form_print_setup(review: Path) -> None:
    ws = openpyxl.load_workbook(review)["评审记录"]
    assert ws.page_setup.orientation == "portrait" and ws.page_setup.paperSize == 9  # A4
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 1)
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_area


def test_english_review_form(tmp_path: Path) -> None:
    rows = _calamine(make_review_form(tmp_path, lang="en"), "评审记录")
    labels = {v for row in rows for v in row if v}
    assert {"Customer", "Case No.", "Department", "Opinion", "Reviewer"} <= labels


# ---------------------------------------------------------------- files


def test_init_workbooks_writes_both_and_never_overwrites(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "forms"
    paths, kept = init_workbooks(folder)
    assert paths == [folder / REGISTER_FILE, folder / REVIEW_FILE] and kept == []
    assert all(p.stat().st_size > 0 for p in paths)
    umask = os.umask(0)
    os.umask(umask)
    assert paths[0].stat().st_mode & 0o777 == 0o666 & ~umask
    paths[0].write_bytes(b"the user's own register")
    assert init_workbooks(folder) == ([], paths)
    assert paths[0].read_bytes() == b"the user's own register"
    assert [p.name for p in folder.iterdir()] and not list(folder.glob(".xlcsr-*"))


def test_a_workbook_open_in_excel_is_not_written(tmp_path: Path) -> None:
    (tmp_path / f"~${REGISTER_FILE}").write_text("")
    with pytest.raises(WorkbookLocked):
        make_register(tmp_path)
    assert not (tmp_path / REGISTER_FILE).exists()


def test_module_command_refreshes_a_folder(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "xlcsr.files.new_books", str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True, check=True)
    assert REGISTER_FILE in done.stdout and (tmp_path / REVIEW_FILE).is_file()


@pytest.mark.parametrize("name, sheet", [(REGISTER_FILE, "清单"), (REVIEW_FILE, "评审记录")])
def test_committed_workbooks_match_a_fresh_build(tmp_path: Path, name: str, sheet: str) -> None:
    committed = REPO / "workbooks" / name
    fresh = init_workbooks(tmp_path)[0][0 if name == REGISTER_FILE else 1]
    assert committed.is_file(), "run: python -m xlcsr.files.new_books workbooks/"
    old, new = (python_calamine.CalamineWorkbook.from_path(str(p)) for p in (committed, fresh))
    assert old.sheet_names == new.sheet_names
    for each in new.sheet_names:
        assert _calamine(committed, each) == _calamine(fresh, each), f"{name}!{each} is stale"


@pytest.mark.soffice
@pytest.mark.parametrize("make", [make_register, make_review_form], ids=["register", "review"])
def test_libreoffice_prints_the_template(tmp_path: Path, make, to_pdf) -> None:  # noqa: ANN001
    assert to_pdf(make(tmp_path)).stat().st_size > 1000
