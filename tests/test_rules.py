"""The register rules on in-memory rows: every error code, choices in both languages, records."""

from __future__ import annotations

from datetime import date

import pytest

from xlcsr.domain.issues import TEMPLATES, Code, Issue
from xlcsr.domain.records import Column, Register, SourceRow
from xlcsr.domain.settings import DEFAULT_SETTINGS, Settings
from xlcsr.rules.validate import validate_register

KEYS = ("case_no", "customer", "requirement", "category", "source", "received", "priority", "due",
        "departments", "owner", "status", "contract_type", "closed")
GOOD = {"customer": "吉利汽车", "requirement": "PPAP 3级", "received": date(2026, 11, 3),
        "category": "产品", "departments": "技术部、品质部", "owner": "李强", "status": "处理中"}


def register_of(*rows: dict[str, object], settings: Settings = DEFAULT_SETTINGS,
                formulas: dict[int, set[str]] | None = None) -> Register:
    columns = {key: Column(key, key, index) for index, key in enumerate(KEYS)}
    source = [SourceRow(number=4 + n, values=dict(row), formulas=frozenset((formulas or {}).get(n, ())))
              for n, row in enumerate(rows)]
    return Register(path="mem.xlsx", sheet="清单", header_row=3, columns=columns, extra_columns=[],
                    rows=source, settings=settings)


def found(*rows: dict[str, object], **kwargs: object) -> list[tuple[int | None, str | None, str]]:
    report, _ = validate_register(register_of(*rows, **kwargs))  # type: ignore[arg-type]
    return [(i.row, i.field, str(i.code)) for i in report.errors]


def test_a_good_row_is_clean_and_typed() -> None:
    report, records = validate_register(register_of(GOOD))
    assert report.valid and report.rows == 1
    assert records[0].departments == ("技术部", "品质部")
    assert records[0].received == date(2026, 11, 3)


@pytest.mark.parametrize(("change", "expected"), [
    ({"customer": ""}, [(4, "customer", "missing")]),
    ({"requirement": "  "}, [(4, "requirement", "missing")]),
    ({"received": ""}, [(4, "received", "missing")]),
    ({"received": "2026-02-30"}, [(4, "received", "bad_date")]),
    ({"due": "下周"}, [(4, "due", "bad_date")]),
    ({"category": "安全"}, [(4, "category", "bad_choice")]),
    ({"source": "邮件"}, [(4, "source", "bad_choice")]),
    ({"priority": "超高"}, [(4, "priority", "bad_choice")]),  # 紧急 is a synonym of 高 (issue 9)
    ({"status": "完成了"}, [(4, "status", "bad_choice")]),
    ({"contract_type": "框架"}, [(4, "contract_type", "bad_choice")]),
    ({"due": "2026-11-02"}, [(4, "due", "date_order")]),
    ({"status": "已完成", "closed": "2026/11/1"}, [(4, "closed", "date_order")]),
    ({"status": "已完成"}, [(4, "closed", "closed_without_date")]),
    ({"departments": "技术部、研发部"}, [(4, "departments", "unknown_department")]),
    ({"owner": "孙悟空"}, [(4, "owner", "unknown_owner")]),
    ({"case_no": "2026-001"}, [(4, "case_no", "bad_case_no")]),
    ({"requirement": '=HYPERLINK("http://x","y")'}, [(4, "requirement", "formula")]),
    ({"remarks": "@SUM(A1)", "customer": "+cmd|calc"},
     [(4, "remarks", "formula"), (4, "customer", "formula")]),
])
def test_each_error_code(change: dict[str, object], expected: list[tuple[int, str, str]]) -> None:
    assert found({**GOOD, **change}) == expected


def test_plain_text_starting_with_a_sign_and_a_number_is_not_a_formula() -> None:
    assert found({**GOOD, "requirement": "-40℃~125℃ 工作温度"}) == []
    assert found({**GOOD, "requirement": "- 包装须防潮"}) == []


def test_a_real_formula_cell_in_a_text_field() -> None:
    assert found({**GOOD, "customer": "吉利汽车"}, formulas={0: {"customer"}}) == [(4, "customer", "formula")]


def test_a_duplicate_case_number_flags_every_later_use_and_the_first_holder_keeps_it() -> None:
    rows = [{**GOOD, "case_no": "CSR-2026-0001"}, {**GOOD, "case_no": "csr-2026-0001"}, GOOD,
            {**GOOD, "case_no": "CSR-2026-0001"}]
    assert found(*rows) == [(5, "case_no", "duplicate"), (7, "case_no", "duplicate")]
    report, records = validate_register(register_of(*rows))
    assert [r.row for r in records] == [4, 6]
    assert report.errors[1].message == "案件号「CSR-2026-0001」重复，已用于第 4、5 行"


def test_english_choices_are_accepted_and_normalised() -> None:
    report, records = validate_register(register_of(
        {**GOOD, "status": "in progress", "priority": "High", "contract_type": "Special"}))
    assert report.valid
    assert (records[0].status, records[0].priority, records[0].contract_type) == ("处理中", "高", "特殊")


def test_every_date_form_is_accepted() -> None:
    for value in (date(2026, 11, 3), 46329.0, "2026-11-03", "2026/11/3", "2026.11.3", "2026年11月3日"):
        _, records = validate_register(register_of({**GOOD, "received": value}))
        assert records[0].received == date(2026, 11, 3), value


def test_owners_are_checked_against_the_default_people_when_there_is_no_settings_sheet() -> None:
    defaults = DEFAULT_SETTINGS.model_copy(update={"from_defaults": True})
    report, _ = validate_register(register_of({**GOOD, "owner": "孙悟空"}, settings=defaults))
    assert [(i.row, i.field, str(i.code)) for i in report.errors] == [(4, "owner", "unknown_owner")]
    assert sorted({str(w.code) for w in report.warnings}) == ["default_settings", "placeholder_email"]


def test_issue_json_names_row_column_field_code_and_chinese_message() -> None:
    report, _ = validate_register(register_of({**GOOD, "customer": ""}))
    assert report.to_json()["errors"] == [{
        "row": 4, "column": "B", "field": "customer", "code": "missing", "value": "",
        "message": "客户名称不能为空", "message_en": "Customer is required"}]


def test_every_code_has_a_message_template() -> None:
    for code in Code:
        zh, en = TEMPLATES[code]
        issue = Issue.make(code, row=1, column="A", field="customer", value="v", extra="x")
        assert issue.message and issue.message_en and zh and en


def test_a_default_priority_missing_from_the_priorities_is_a_settings_error_not_a_recursion() -> None:
    from pydantic import ValidationError

    from xlcsr.domain.settings import Priority

    with pytest.raises(ValidationError, match="默认优先级「中」不在优先级中"):
        Settings(priorities=(Priority(name="急", english="Urgent", sla_days=2),))
    custom = Settings(priorities=(Priority(name="急", english="Urgent", sla_days=2),), default_priority="urgent")
    assert custom.sla_days("急") == 2 and custom.sla_days("不存在") == 2 and DEFAULT_SETTINGS.sla_days("LOW") == 20
