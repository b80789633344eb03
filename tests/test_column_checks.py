"""validate over a read table (the column sweep, then the suspect rows one by one) gives exactly what the
row-by-row checks give: the same issues in the same order, the same records, on any mix of values."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import event, given, settings
from hypothesis import strategies as st

from xlcsr.domain.records import Column, Register, SourceRow
from xlcsr.domain.settings import DEFAULT_SETTINGS
from xlcsr.rules.column_checks import ColumnSweep
from xlcsr.rules.row_checks import RowChecks
from xlcsr.rules.validate import check_register, validate_register
from xlcsr.workbook.locate import _Body

TODAY = date(2026, 11, 25)
DAY = st.dates(date(2026, 10, 1), date(2026, 12, 31))

GOOD = {  # values no check finds fault with: most rows of a register are made of them
    "case_no": ["", "CSR-2026-0001", "CSR-2026-0002"], "customer": ["吉利汽车", "比亚迪"],
    "requirement": ["PPAP 3级", "  Cpk≥1.67 "], "category": ["产品", ""], "source": ["技术协议", ""],
    "received": [date(2026, 11, 3), date(2026, 10, 8)], "priority": ["高", "紧急", "", "中"],
    "due": ["", date(2026, 11, 20)], "departments": ["技术部、品质部", "品质部", ""], "owner": ["李强", ""],
    "status": ["处理中", "", "跟进中", "评审中", "待处理"], "contract_type": ["常规", "特殊", ""],
    "closed": [""], "remarks": ["", "备注"], "revision": ["", "2", 2.0, 3], "product": ["", "GL-SX11", 7.0],
}
ODD = {  # values a check may find fault with, or that only the row-by-row checks read (text dates, formulas)
    "case_no": st.sampled_from(["csr-2026-0002", "2026-001", "=A1", " CSR-2026-0001"]),
    "customer": st.sampled_from(["", " ", "+cmd|calc", "-5", 12345.0, True]),
    "requirement": st.sampled_from(["", '=HYPERLINK("x")', "@SUM(A1)"]),
    "category": st.sampled_from(["安全", "Product", True, 1.0, "@产品"]),
    "source": st.sampled_from(["邮件"]),
    "received": st.one_of(DAY, st.sampled_from(["", "2026/11/3", "2026-02-30", 46329.0, "下周", None]),
                          st.just(datetime(2026, 11, 3, 8, 30))),
    "priority": st.sampled_from(["超高", 1]),
    "due": st.one_of(DAY, st.sampled_from(["2026-11-02", 46300.0])),
    "departments": st.sampled_from(["技术部、研发部", "技术部/ 品质部", "技术部，，品质部", "-品质部"]),
    "owner": st.sampled_from(["孙悟空", "张伟", 3.0, "+李强"]),
    "status": st.sampled_from(["已完成", "完成了", "已取消", 1.0, "Closed", "=处理中"]),
    "contract_type": st.sampled_from(["框架"]),
    "closed": st.one_of(DAY, st.sampled_from(["2026/11/1", None, "x"])),
    "remarks": st.sampled_from(["=1+1"]),
    "revision": st.sampled_from(["x", "-1", "=2"]),
    "product": st.sampled_from([date(2026, 1, 1), "@x"]),
}
RARELY = st.lists(st.booleans(), min_size=5, max_size=5).map(all)  # about one in 32


def _value(key: str) -> st.SearchStrategy[object]:
    return st.tuples(RARELY, st.sampled_from(GOOD[key]), ODD[key]).map(lambda t: t[2] if t[0] else t[1])


ROW = st.fixed_dictionaries({key: _value(key) for key in GOOD})
KEYS = tuple(GOOD)


def _registers(rows: list[dict[str, object]], formulas: dict[int, frozenset[str]],
               signoff: bool) -> tuple[Register, Register]:
    """The same rows read column by column (as from a sheet) and made row by row (no table)."""
    columns = {key: Column(key, key, index) for index, key in enumerate(KEYS)}
    grid = [[values[key] for key in KEYS] for values in rows]
    body = _Body(columns, [], formulas)
    body.read(grid, first=4)
    plain = [SourceRow(row.number, dict(zip(KEYS, grid[row.number - 4], strict=True)), row.formulas)
             for row in body.data]
    common = dict(path="mem.xlsx", sheet="清单", header_row=3, columns=columns, extra_columns=[],
                  settings=DEFAULT_SETTINGS,
                  signoffs=[] if signoff else None)  # a 会签记录 sheet: the review warnings look
    return (Register(rows=body.data, table=body.table, **common),  # type: ignore[arg-type]
            Register(rows=plain, **common))  # type: ignore[arg-type]


def _seen(report) -> list[tuple]:  # noqa: ANN001 - a ValidationReport
    return [(i.row, i.column, i.field, str(i.code), i.value, i.text("zh"), i.text("en")) for i in report.issues]


@settings(max_examples=100, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=12), st.data(), st.booleans())
def test_the_sweep_finds_what_the_row_checks_find(rows: list[dict[str, object]], data: st.DataObject,
                                                    signoff: bool) -> None:
    formulas = data.draw(st.dictionaries(st.integers(4, 4 + len(rows)), st.frozensets(
        st.sampled_from(KEYS), min_size=1, max_size=2), max_size=2))
    swept, plain = _registers(rows, formulas, signoff)
    assert swept.read_table is not None and plain.read_table is None
    swept_rows = len(swept.rows) - len(ColumnSweep(RowChecks(swept), swept.table).suspects)  # type: ignore[arg-type]
    event(f"rows the sweep passed: {min(swept_rows, 3)}+")
    for today in (TODAY, None):
        (report, records), (expected, expected_records) = (validate_register(swept, today),
                                                           validate_register(plain, today))
        assert _seen(report) == _seen(expected)
        assert records == expected_records
        assert _seen(check_register(swept, today)) == _seen(check_register(plain, today))


def test_a_register_whose_rows_were_replaced_is_checked_row_by_row() -> None:
    good = {key: "" for key in KEYS} | {"customer": "吉利汽车", "requirement": "PPAP", "received": date(2026, 11, 3)}
    swept, _ = _registers([good, good | {"owner": "孙悟空"}], {}, False)
    swept.rows = swept.rows[1:]
    assert swept.read_table is None
    report, records = validate_register(swept, TODAY)
    assert [(i.row, str(i.code)) for i in report.errors] == [(5, "unknown_owner")] and records == []
    assert swept.texts_of("owner") == ["孙悟空"]


def test_a_future_date_is_a_warning_of_a_swept_row_too() -> None:
    good = {key: "" for key in KEYS} | {"customer": "吉利汽车", "requirement": "PPAP",
                                         "received": TODAY + timedelta(days=3)}
    swept, plain = _registers([good], {}, False)
    assert [str(i.code) for i in validate_register(swept, TODAY)[0].issues if i.row] == ["future_date"]
    assert _seen(validate_register(swept, TODAY)[0]) == _seen(validate_register(plain, TODAY)[0])
