"""The 设置 sheet: written with openpyxl, read back through python-calamine, bad values named by cell."""

from __future__ import annotations

import copy
import re
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from xlcsr.domain.errors import BadSettings
from xlcsr.domain.settings import DEFAULT_SETTINGS, CalendarDay, Department, Person, Priority, Settings
from xlcsr.files.settings_writer import write_settings_sheet
from xlcsr.workbook.settings_sheet import (
    BLOCK_COLUMNS,
    LIST_NAMES,
    PARAMS,
    list_range,
    settings_from_rows,
)

CUSTOM = Settings(
    categories=("产品", "包装", "其他"),
    sources=("图纸", "客户门户"),
    departments=(Department(name="营业科", head="孙丽", email="sun.li@example.com"),
                 Department(name="品质科", manager_email="boss@example.com; vice@example.com")),
    people=(Person(name="孙丽", department="营业科", email="sun.li@example.com"), Person(name="临时工")),
    priorities=(Priority(name="紧急", english="Urgent", sla_days=0),
                Priority(name="一般", english="Normal", sla_days=15)),
    default_priority="一般",
    holidays=(CalendarDay(day=date(2027, 1, 1), note="元旦"),),
    workdays=(),
    case_pattern="QR{seq:05d}",
    lead_days=0,
    escalation_days=2,
    review_days=7,
)


def _save_settings(path: Path, settings: Settings, lang: str = "zh") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "设置"
    write_settings_sheet(ws, settings, lang=lang)
    wb.save(path)
    return path


def _calamine_rows(path: Path, sheet: str = "设置") -> list[list[object]]:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def _with(rows: list[list[object]], **cells: object) -> list[list[object]]:
    """A copy of `rows` with cells set by A1 reference, growing the grid as needed."""
    grid = copy.deepcopy(rows)
    for ref, value in cells.items():
        letters, number = coordinate_from_string(ref)
        r, c = number - 1, column_index_from_string(letters) - 1
        while len(grid) <= r:
            grid.append([""] * len(grid[0]))
        for row in grid:
            row.extend([""] * (c + 1 - len(row)))
        grid[r][c] = value
    return grid


def _shown(value: object) -> str:
    return value.strftime("%Y-%m-%d") if isinstance(value, datetime) else str(value or "")


def _bad(rows: list[list[object]]) -> str:
    with pytest.raises(BadSettings) as info:
        settings_from_rows(rows)
    return str(info.value)


@pytest.fixture(scope="module")
def default_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _save_settings(tmp_path_factory.mktemp("settings") / "default.xlsx", DEFAULT_SETTINGS)


@pytest.fixture(scope="module")
def default_rows(default_book: Path) -> list[list[object]]:
    return _calamine_rows(default_book)


# ---------------------------------------------------------------- round trips and layout


def test_default_settings_round_trip(default_rows: list[list[object]]) -> None:
    assert settings_from_rows(default_rows) == DEFAULT_SETTINGS


def test_english_sheet_round_trip(tmp_path: Path) -> None:
    rows = _calamine_rows(_save_settings(tmp_path / "en.xlsx", DEFAULT_SETTINGS, lang="en"))
    assert rows[1][0] == "【Categories】" and rows[2][column_index_from_string("P") - 1] == "SLA (working days)"
    assert settings_from_rows(rows) == DEFAULT_SETTINGS


def test_custom_settings_round_trip(tmp_path: Path) -> None:
    assert settings_from_rows(_calamine_rows(_save_settings(tmp_path / "c.xlsx", CUSTOM))) == CUSTOM


def test_layout_block_titles_headers_and_parameters(default_rows: list[list[object]]) -> None:
    titles = {default_rows[1][c]: c for c in range(len(default_rows[1])) if default_rows[1][c]}
    assert titles == {"【类别】": 0, "【来源】": 2, "【部门】": 4, "【人员】": 9, "【优先级】": 13,
                      "【节假日】": 17, "【调休上班日】": 20, "【参数】": 23, "【列映射】": 27, "【值映射】": 30}
    keys = ["categories", "sources", "departments", "people", "priorities", "holidays", "workdays", "parameters",
            "columns", "values"]
    assert {k: v - 1 for k, v in BLOCK_COLUMNS.items()} == dict(zip(keys, titles.values()))
    assert default_rows[2][4:8] == ["部门", "部门负责人", "部门邮箱", "经理邮箱"]
    assert default_rows[2][9:12] == ["姓名", "所属部门", "邮箱"]
    assert default_rows[2][13:16] == ["优先级", "英文", "时限(工作日)"]
    assert default_rows[2][23:26] == ["参数", "值", "说明"]
    assert default_rows[2][27:29] == ["表头", "字段"] and default_rows[2][30:33] == ["字段", "原值", "映射为"]
    assert [default_rows[r][23] for r in range(3, 10)] == [p.zh for p in PARAMS]
    assert [p.zh for p in PARAMS] == ["案件号格式", "默认优先级", "提醒提前天数", "升级天数", "评审期限(工作日)",
                                         "邮件每类最多案件数", "日期相关部门"]
    assert default_rows[9][24] == "生产部、采购部"
    assert default_rows[3][24] == "CSR-{year}-{seq:04d}"
    assert isinstance(default_rows[3][17], date)  # holidays are real dates


def test_defined_names_point_at_the_lists(default_book: Path, default_rows: list[list[object]]) -> None:
    wb = openpyxl.load_workbook(default_book)
    names = {name: dn.attr_text for name, dn in wb.defined_names.items()}
    assert names == {name: list_range(name) for name in LIST_NAMES}
    assert names["xlcsr_类别"] == "设置!$A$4:$A$200"
    expected = {
        "xlcsr_类别": list(DEFAULT_SETTINGS.categories),
        "xlcsr_来源": list(DEFAULT_SETTINGS.sources),
        "xlcsr_部门": [d.name for d in DEFAULT_SETTINGS.departments],
        "xlcsr_人员": [p.name for p in DEFAULT_SETTINGS.people],
        "xlcsr_优先级": [p.name for p in DEFAULT_SETTINGS.priorities],
    }
    for name, ref in names.items():
        _, cells = ref.split("!")
        first, last = cells.replace("$", "").split(":")
        col = column_index_from_string(coordinate_from_string(first)[0]) - 1
        top, bottom = coordinate_from_string(first)[1], coordinate_from_string(last)[1]
        values = [default_rows[r][col] for r in range(top - 1, min(bottom, len(default_rows)))]
        assert [v for v in values if v != ""] == expected[name], name


def test_sheet_is_frozen_wide_enough_and_printable(default_book: Path) -> None:
    ws = openpyxl.load_workbook(default_book)["设置"]
    assert ws.freeze_panes == "A4"
    assert ws["A2"].font.b and ws["E3"].fill.fgColor.rgb.endswith("DDEBF7")
    for col in range(1, ws.max_column + 1):
        letter = openpyxl.utils.get_column_letter(col)
        texts = [_shown(ws.cell(r, col).value) for r in range(3, ws.max_row + 1)]
        longest = max(sum(2 if ord(ch) > 0x2E7F else 1 for ch in t) for t in texts)
        assert ws.column_dimensions[letter].width >= min(longest, 57), letter
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage


def test_settings_sheet_has_dropdowns_for_department_and_default_priority(default_book: Path) -> None:
    ws = openpyxl.load_workbook(default_book)["设置"]
    found = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert found == {"K4:K200": "xlcsr_部门", "Y5": "xlcsr_优先级"}


# ---------------------------------------------------------------- robust reading


def test_blocks_moved_around_in_excel_still_read(default_book: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(default_book)
    ws = wb["设置"]
    ws.move_range("X2:Z8", rows=2, cols=6)        # 【参数】 one block further right, two rows lower
    ws.move_range("A2:A14", rows=0, cols=33)      # 【类别】 far right
    ws.move_range("R2:S40", rows=1, cols=0)       # 【节假日】 one row lower
    ws.insert_rows(1)                              # and a new first row above everything
    wb.save(tmp_path / "moved.xlsx")
    rows = _calamine_rows(tmp_path / "moved.xlsx")
    assert rows[2][0] == "" and rows[2][33] == "【类别】" and rows[4][29] == "【参数】"
    assert settings_from_rows(rows) == DEFAULT_SETTINGS


def test_hand_made_sheet_with_english_headers_reordered_columns_and_missing_blocks() -> None:
    rows = [
        ["", "", "", "", "", "", "", "", "", ""],
        ["[Parameters]", "", "", "【People】", "", "", "", "", "【 Departments 】", ""],
        ["Value", "Parameter", "", "E-mail", "Name", "我的备注", "Department", "", "Department", ""],
        [7.0, "review_days", "", "x@example.com", "张三", "随便", "品质部", "", "品质部", ""],
        ["Medium", "默认优先级", "", "", "", "", "", "", "", ""],
        ["", "", "", "", "", "", "", "", "", ""],
        ["99", "lead_days", "", "", "李四", "", "", "", "技术部", ""],  # after each block's end
    ]
    settings = settings_from_rows(rows)
    assert settings.review_days == 7 and settings.default_priority == "中"
    assert settings.lead_days == DEFAULT_SETTINGS.lead_days
    assert settings.people == (Person(name="张三", department="品质部", email="x@example.com"),)
    assert settings.departments == (Department(name="品质部"),)
    assert settings.categories == DEFAULT_SETTINGS.categories  # a missing block keeps its default
    assert settings.holidays == DEFAULT_SETTINGS.holidays


@pytest.mark.parametrize("value", [
    date(2026, 11, 3), datetime(2026, 11, 3), 46329.0, 46329, "2026-11-03", "2026/11/3", "2026.11.3",
    "2026年11月3日", " 2026年11月3 ",
])
def test_holiday_dates_in_every_accepted_form(default_rows: list[list[object]], value: object) -> None:
    settings = settings_from_rows(_with(default_rows, R4=value))
    assert settings.holidays[0].day == date(2026, 11, 3)


@pytest.mark.parametrize("value, days", [(5.0, 5), (0, 0), ("12", 12), ("１２", 12)])
def test_sla_accepts_whole_numbers_and_number_text(default_rows: list[list[object]], value: object,
                                                    days: int) -> None:
    assert settings_from_rows(_with(default_rows, P4=value)).sla_days("高") == days


def test_default_priority_in_english_is_stored_by_its_chinese_name(default_rows: list[list[object]]) -> None:
    assert settings_from_rows(_with(default_rows, Y5="high")).default_priority == "高"


def test_blank_english_priority_name_falls_back_to_the_chinese_one(default_rows: list[list[object]]) -> None:
    assert settings_from_rows(_with(default_rows, O6="")).priorities[2].english == "低"


def test_a_sheet_with_no_blocks_is_bad_settings() -> None:
    assert "找不到任何设置块" in _bad([["类别", "来源"], ["产品", "图纸"]])


# ---------------------------------------------------------------- bad values name their cell

BAD_CELLS = {
    "holiday text": ({"R5": "国庆节"}, "设置!R5", "不是日期"),
    "impossible date": ({"R5": "2026-13-01"}, "设置!R5", "不是日期"),
    "fractional serial": ({"U4": 46329.5}, "设置!U4", "不是日期"),
    "duplicate holiday": ({"R5": date(2026, 1, 1)}, "设置!R5", "重复"),
    "holiday and workday": ({"U4": date(2026, 10, 1)}, "设置!U4", "同时"),
    "negative SLA": ({"P5": -1}, "设置!P5", "整数"),
    "fractional SLA": ({"P5": 2.5}, "设置!P5", "整数"),
    "SLA in words": ({"P6": "五天"}, "设置!P6", "整数"),
    "empty SLA": ({"P6": ""}, "设置!P6", "整数"),
    "pattern without seq": ({"Y4": "CSR-{year}"}, "设置!Y4", "{seq}"),
    "pattern unknown field": ({"Y4": "CSR-{yr}-{seq:04d}"}, "设置!Y4", "案件号格式"),
    "pattern bad spec": ({"Y4": "CSR-{seq:04q}"}, "设置!Y4", "案件号格式"),
    "pattern unbalanced": ({"Y4": "CSR-{seq"}, "设置!Y4", "案件号格式"),
    "person in unknown department": ({"K5": "销售部"}, "设置!K5", "不在【部门】中"),
    "duplicate person": ({"J5": "王芳"}, "设置!J5", "重复"),
    "duplicate department": ({"E6": "市场部"}, "设置!E6", "重复"),
    "duplicate category": ({"A5": "产品"}, "设置!A5", "重复"),
    "duplicate source": ({"C6": "技术协议"}, "设置!C6", "重复"),
    "duplicate priority": ({"N5": "高"}, "设置!N5", "重复"),
    "duplicate english priority": ({"O5": "high"}, "设置!O5", "重复"),
    "unknown default priority": ({"Y5": "紧急"}, "设置!Y5", "默认优先级"),
    "negative lead days": ({"Y6": -3}, "设置!Y6", "整数"),
    "escalation days text": ({"Y7": "x"}, "设置!Y7", "整数"),
    "fractional review days": ({"Y8": 1.5}, "设置!Y8", "整数"),
    "unknown parameter": ({"X9": "提醒时间", "Y9": 1}, "设置!X9", "未知参数"),
    "duplicate parameter": ({"X9": "升级天数", "Y9": 1}, "设置!X9", "两次"),
    "bad e-mail": ({"G4": "wang.fang"}, "设置!G4", "邮箱"),
    "bad manager e-mail": ({"H5": "a@b.com; nobody"}, "设置!H5", "邮箱"),
    "row without a name": ({"F11": "某人"}, "设置!E11", "为空"),
    "renamed header": ({"P3": "天数"}, "设置!N3", "时限"),
    "second block title": ({"AE40": "【类别】"}, "设置!AE40", "两次"),
}


@pytest.mark.parametrize("cells, ref, words", BAD_CELLS.values(), ids=BAD_CELLS.keys())
def test_bad_value_names_sheet_and_cell_chinese_first(default_rows: list[list[object]],
                                                      cells: dict[str, object], ref: str, words: str) -> None:
    chinese, english = _bad(_with(default_rows, **cells)).split(" / ", 1)
    assert chinese.startswith(f"{ref}：")
    assert words in chinese
    assert re.search("[A-Za-z]{4}", english)


def test_an_emptied_category_block_is_bad(default_rows: list[list[object]]) -> None:
    rows = _with(default_rows, **{f"A{r}": "" for r in range(4, 15)})
    assert _bad(rows).startswith("设置!A2：")


def test_default_priority_missing_from_a_changed_priority_block(default_rows: list[list[object]]) -> None:
    rows = _with(default_rows, N5="普通", X5="", Y5="", Z5="")  # the 默认优先级 row removed
    assert _bad(rows).startswith("设置!N2：默认优先级「中」不在【优先级】中")


def test_bad_value_in_a_real_file_is_found(default_book: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(default_book)
    wb["设置"]["N5"] = "高"
    wb.save(tmp_path / "bad.xlsx")
    assert _bad(_calamine_rows(tmp_path / "bad.xlsx")).startswith("设置!N5：优先级「高」重复")
