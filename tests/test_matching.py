"""Row matching for track and diff: by case number, else by content and neighbours; re-sorts are no change."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from xlcsr.domain.changes import Action, RowState
from xlcsr.domain.fields import FIELDS
from xlcsr.rules.matching import Delta, deltas, match_rows, summary

BYD = {"case_no": "CSR-2026-0001", "customer": "比亚迪", "requirement": "PPAP 3级提交", "received": "2026-11-03",
       "departments": "品质部、技术部", "status": "待处理"}
GEELY = {"case_no": "CSR-2026-0002", "customer": "吉利汽车", "requirement": "IMDS 材料数据上报",
         "received": "2026-11-05", "due": "2026-11-20"}
GWM = {"customer": "长城汽车", "requirement": "包装标签按 VDA 4902", "received": "2026-10-12", "owner": "李四"}
AUDIT = {"case_no": "CSR-2026-0003", "customer": "比亚迪", "requirement": "年度过程审核", "received": "2026-09-01",
         "status": "处理中"}
CHERY = {"customer": "奇瑞汽车", "requirement": "8D 报告 24 小时内回复", "received": "2026-08-15", "priority": "高"}
REGISTER = [BYD, GEELY, GWM, AUDIT, CHERY]


def sheet(rows: list[dict[str, str]]) -> list[RowState]:
    """Rows as the snapshot keeps them, from sheet row 4 down."""
    return [RowState(4 + i, dict(fields)) for i, fields in enumerate(rows)]


def changed(rows: list[dict[str, str]], index: int, **fields: str) -> list[dict[str, str]]:
    out = [dict(r) for r in rows]
    for key, value in fields.items():
        if value:
            out[index][key] = value
        else:
            out[index].pop(key, None)
    return out


def brief(found: list[Delta]) -> list[tuple[str, str, str, str]]:
    return [(d.action.name, d.field, d.before, d.after) for d in found]


def test_a_field_edit_is_one_edit_with_old_and_new_text() -> None:
    old, new = sheet(REGISTER), sheet(changed(REGISTER, 1, due="2026-11-27"))
    assert deltas(old, new) == [Delta(Action.EDIT, old[1], new[1], "due", "2026-11-20", "2026-11-27")]


def test_a_field_filled_or_emptied_reads_as_empty_text_on_the_other_side() -> None:
    new = sheet(changed(REGISTER, 2, due="2026-12-01", owner=""))
    assert brief(deltas(sheet(REGISTER), new)) == [("EDIT", "due", "", "2026-12-01"), ("EDIT", "owner", "李四", "")]


def test_edits_of_a_row_come_in_field_order_and_the_revision_is_one_of_them() -> None:
    new = sheet(changed(REGISTER, 0, revision="2", requirement="PPAP 4级提交", customer="比亚迪汽车"))
    assert [d.field for d in deltas(sheet(REGISTER), new)] == ["customer", "requirement", "revision"]


def test_a_row_inserted_in_the_middle_is_one_added_and_nothing_else() -> None:
    inserted = {"customer": "上汽大众", "requirement": "Formel Q 能力评估", "received": "2026-11-10"}
    new = sheet([BYD, GEELY, inserted, GWM, AUDIT, CHERY])
    assert deltas(sheet(REGISTER), new) == [Delta(Action.ADDED, None, new[2], after="上汽大众 · Formel Q 能力评估")]


def test_a_row_deleted_is_one_removed_with_its_summary() -> None:
    old = sheet(REGISTER)
    assert deltas(old, sheet([BYD, GWM, AUDIT, CHERY])) == [
        Delta(Action.REMOVED, old[1], None, before="CSR-2026-0002 · 吉利汽车 · IMDS 材料数据上报")]


def test_a_removed_row_is_listed_where_it_stood() -> None:
    extra = {"case_no": "CSR-2026-0004", "customer": "上汽大众", "requirement": "Formel Q 能力评估"}
    new = sheet([changed([BYD], 0, status="评审中")[0], GWM, AUDIT, changed([CHERY], 0, priority="中")[0], extra])
    assert [(d.action.name, (d.new or d.old).fields["customer"]) for d in deltas(sheet(REGISTER), new)] == [
        ("EDIT", "比亚迪"), ("REMOVED", "吉利汽车"), ("EDIT", "奇瑞汽车"), ("ADDED", "上汽大众")]


def test_a_removed_first_row_comes_first() -> None:
    assert brief(deltas(sheet(REGISTER), sheet(changed(REGISTER[1:], 3, priority="低")))) == [
        ("REMOVED", "", "CSR-2026-0001 · 比亚迪 · PPAP 3级提交", ""), ("EDIT", "priority", "高", "低")]


def test_any_re_sort_is_no_change() -> None:
    old = sheet(REGISTER)
    assert deltas(old, sheet(REGISTER[::-1])) == []
    assert deltas(old, sheet(sorted(REGISTER, key=lambda r: r["received"]))) == []
    assert deltas(old, sheet([GWM, CHERY, BYD, GEELY, AUDIT])) == []


def test_the_matching_names_the_rows_by_index() -> None:
    found = match_rows(sheet(REGISTER), sheet([CHERY, {"customer": "上汽大众", "requirement": "Formel Q"}, BYD, GWM]))
    assert (found.pairs, found.added, found.removed) == ([(4, 0), (0, 2), (2, 3)], [1], [1, 3])


def test_a_changed_case_number_is_one_renumbering_only() -> None:
    old, new = sheet(REGISTER), sheet(changed(REGISTER, 1, case_no="CSR-2026-0012"))
    assert deltas(old, new) == [Delta(Action.RENUMBERED, old[1], new[1], "case_no", "CSR-2026-0002", "CSR-2026-0012")]


def test_a_renumbered_case_re_sorted_and_edited_is_a_renumbering_and_the_edit() -> None:
    edited = changed(REGISTER, 0, case_no="CSR-2026-0009", status="评审中")
    assert brief(deltas(sheet(REGISTER), sheet(edited[::-1]))) == [
        ("RENUMBERED", "case_no", "CSR-2026-0001", "CSR-2026-0009"), ("EDIT", "status", "待处理", "评审中")]


def test_a_renumbered_case_with_its_requirement_edited_in_place_is_still_a_renumbering() -> None:
    edited = changed(REGISTER, 0, case_no="CSR-2026-0010", requirement="PPAP 4级提交")
    assert [d.action.name for d in deltas(sheet(REGISTER), sheet(edited))] == ["RENUMBERED", "EDIT"]


def test_a_new_case_put_where_one_was_deleted_is_not_a_renumbering() -> None:
    other = {"case_no": "CSR-2026-0009", "customer": "比亚迪", "requirement": "全尺寸检验报告", "received": "2026-11-20",
             "departments": "品质部、技术部", "status": "待处理"}
    assert [d.action.name for d in deltas(sheet(REGISTER), sheet([other, *REGISTER[1:]]))] == ["REMOVED", "ADDED"]


def test_a_reworded_unnumbered_row_in_place_is_an_edit() -> None:
    full = {"customer": "长城汽车", "product": "门板总成", "requirement": "首件检验", "received": "2026-10-20",
            "departments": "品质部", "owner": "李四", "status": "处理中"}
    rows = [BYD, full, AUDIT]
    assert brief(deltas(sheet(rows), sheet(changed(rows, 1, requirement="首件及末件检验")))) == [
        ("EDIT", "requirement", "首件检验", "首件及末件检验")]


def test_numbering_an_unnumbered_row_is_an_edit_of_its_case_number() -> None:
    assert brief(deltas(sheet(REGISTER), sheet(changed(REGISTER, 4, case_no="CSR-2026-0004")))) == [
        ("EDIT", "case_no", "", "CSR-2026-0004")]


def test_rows_numbered_by_assign_with_their_due_date_and_status_filled_are_edits_of_those_rows() -> None:
    assigned = changed(REGISTER, 2, case_no="CSR-2026-0004", due="2026-10-26", status="待处理")
    assigned = changed(assigned, 4, case_no="CSR-2026-0005", due="2026-08-22", status="待处理")
    assert [(d.new.position, d.field, d.before, d.after) for d in deltas(sheet(REGISTER), sheet(assigned))] == [
        (6, "case_no", "", "CSR-2026-0004"), (6, "due", "", "2026-10-26"), (6, "status", "", "待处理"),
        (8, "case_no", "", "CSR-2026-0005"), (8, "due", "", "2026-08-22"), (8, "status", "", "待处理")]


def test_a_cleared_case_number_is_a_renumbering_to_nothing() -> None:
    assert brief(deltas(sheet(REGISTER), sheet(changed(REGISTER, 3, case_no="")))) == [
        ("RENUMBERED", "case_no", "CSR-2026-0003", "")]


def test_of_two_identical_unnumbered_rows_one_edited_is_one_edit() -> None:
    rows = [BYD, GWM, dict(GWM), AUDIT]
    for index in (1, 2):
        assert brief(deltas(sheet(rows), sheet(changed(rows, index, owner="王五")))) == [
            ("EDIT", "owner", "李四", "王五")]


def test_an_unnumbered_row_edited_and_moved_between_the_same_neighbours_is_an_edit() -> None:
    small = {"customer": "长城汽车", "requirement": "首件检验", "received": "2026-10-20"}
    old = [BYD, GWM, small, AUDIT]
    new = [BYD, changed([small], 0, received="2026-10-21")[0], GWM, AUDIT]
    assert brief(deltas(sheet(old), sheet(new))) == [("EDIT", "received", "2026-10-20", "2026-10-21")]


def test_an_unnumbered_row_edited_in_a_re_sorted_register_is_found_by_its_content() -> None:
    edited = changed(REGISTER, 4, priority="中")
    assert brief(deltas(sheet(REGISTER), sheet([edited[4], *edited[:4]][::-1]))) == [("EDIT", "priority", "高", "中")]


def test_a_deleted_and_an_inserted_row_that_differ_are_not_an_edit() -> None:
    other = {"customer": "长城汽车", "requirement": "禁用物质声明", "received": "2026-11-18", "owner": "赵六"}
    assert [d.action.name for d in deltas(sheet(REGISTER), sheet([BYD, GEELY, other, AUDIT, CHERY]))] == [
        "REMOVED", "ADDED"]


def test_a_case_number_used_twice_pairs_its_rows_by_content() -> None:
    copy = changed([BYD], 0, requirement="PPAP 3级提交（补充）")[0]
    rows = [BYD, GEELY, copy, AUDIT]
    assert deltas(sheet(rows), sheet([copy, AUDIT, GEELY, BYD])) == []
    assert brief(deltas(sheet(rows), sheet(changed(rows, 2, owner="张三")))) == [("EDIT", "owner", "", "张三")]
    assert [d.action.name for d in deltas(sheet(REGISTER), sheet([BYD, copy, *REGISTER[1:]]))] == ["ADDED"]


def test_the_first_rows_of_a_number_used_twice_pair_by_it_whatever_their_content() -> None:
    copy = changed([BYD], 0, requirement="PPAP 3级提交（补充）")[0]
    new = changed([BYD, GEELY, copy], 0, customer="比亚迪汽车", requirement="PPAP 4级", received="2026-11-04")
    assert brief(deltas(sheet([BYD, GEELY, copy]), sheet(new))) == [
        ("EDIT", "customer", "比亚迪", "比亚迪汽车"), ("EDIT", "requirement", "PPAP 3级提交", "PPAP 4级"),
        ("EDIT", "received", "2026-11-03", "2026-11-04")]


def test_an_edited_row_deep_in_a_long_unnumbered_block_grown_at_both_ends_is_an_edit() -> None:
    block = [{"customer": "长城汽车", "requirement": f"要求 {i}", "received": "2026-10-12"} for i in range(60)]
    grown = [{"customer": "上汽大众", "requirement": f"新要求 {i}"} for i in range(40)]
    edited = changed(block, 30, received="2026-10-13")
    found = deltas(sheet([BYD, *block, AUDIT]), sheet([BYD, *grown[:20], *edited, *grown[20:], AUDIT]))
    assert [d.action.name for d in found].count("ADDED") == 40
    assert [brief([d])[0] for d in found if d.action is not Action.ADDED] == [
        ("EDIT", "received", "2026-10-12", "2026-10-13")]


def test_a_summary_is_number_customer_and_the_requirement_cut_short() -> None:
    text = "PPAP 3级提交，" + "含全尺寸报告" * 10
    assert summary(RowState(9, {"customer": "比亚迪", "requirement": text})) == f"比亚迪 · {text[:40]}…"
    assert summary(RowState(9, {"case_no": "CSR-2026-0001", "customer": "比亚迪", "requirement": "PPAP\n3级"})) == \
        "CSR-2026-0001 · 比亚迪 · PPAP 3级"
    assert summary(RowState(9, {"product": "门板总成"})) == "门板总成"


# --- properties over random registers

CUSTOMERS = ("比亚迪", "吉利汽车", "长城汽车")
REQUIREMENTS = ("PPAP 3级", "IMDS 上报", "8D 报告", "包装标签")
DATES = ("2026-11-03", "2026-11-04", "")
STATUSES = ("待处理", "处理中", "")
EDITABLE = ("customer", "requirement", "received", "status", "owner", "revision")
KEY_ORDER = [f.key for f in FIELDS]


@st.composite
def registers(draw: st.DrawFn) -> list[dict[str, str]]:
    size = draw(st.integers(0, 14))
    rows = []
    for i in range(size):
        fields = {"case_no": f"CSR-2026-{i + 1:04d}" if draw(st.booleans()) else "",
                  "customer": draw(st.sampled_from(CUSTOMERS)), "requirement": draw(st.sampled_from(REQUIREMENTS)),
                  "received": draw(st.sampled_from(DATES)), "status": draw(st.sampled_from(STATUSES))}
        rows.append({k: v for k, v in fields.items() if v})
    return rows


@given(registers(), st.randoms(use_true_random=False))
def test_a_shuffled_register_has_no_change(rows: list[dict[str, str]], rng: random.Random) -> None:
    shuffled = rows[:]
    rng.shuffle(shuffled)
    assert deltas(sheet(rows), sheet(shuffled)) == []


@given(registers(), st.data())
def test_a_row_inserted_anywhere_is_one_added(rows: list[dict[str, str]], data: st.DataObject) -> None:
    fields = {"customer": data.draw(st.sampled_from(CUSTOMERS)), "requirement": data.draw(st.sampled_from(REQUIREMENTS))}
    if data.draw(st.booleans()):
        fields["case_no"] = "CSR-2027-0001"
    at = data.draw(st.integers(0, len(rows)))
    found = deltas(sheet(rows), sheet([*rows[:at], fields, *rows[at:]]))
    assert [(d.action, d.new.fields) for d in found] == [(Action.ADDED, fields)]


@given(registers(), st.data())
def test_a_row_deleted_anywhere_is_one_removed(rows: list[dict[str, str]], data: st.DataObject) -> None:
    if not rows:
        return
    at = data.draw(st.integers(0, len(rows) - 1))
    found = deltas(sheet(rows), sheet(rows[:at] + rows[at + 1:]))
    assert [(d.action, d.old.fields) for d in found] == [(Action.REMOVED, rows[at])]


@settings(max_examples=200)
@given(registers(), st.data())
def test_k_fields_edited_on_numbered_rows_are_exactly_k_edits(rows: list[dict[str, str]], data: st.DataObject) -> None:
    cells = [(i, key) for i, r in enumerate(rows) if r.get("case_no") for key in EDITABLE]
    chosen = data.draw(st.lists(st.sampled_from(cells), unique=True, max_size=6)) if cells else []
    new = [dict(r) for r in rows]
    expected = []
    for i, key in sorted(chosen, key=lambda c: (c[0], KEY_ORDER.index(c[1]))):
        before = rows[i].get(key, "")
        after = data.draw(st.sampled_from(["", "已修改", before + "（改）"]).filter(lambda v, b=before: v != b))
        new[i][key] = after
        expected.append(("EDIT", key, before, after))
    new = [{k: v for k, v in r.items() if v} for r in new]
    assert brief(deltas(sheet(rows), sheet(new))) == expected


@given(registers(), registers())
def test_any_two_registers_match_one_to_one_and_the_deltas_rebuild_the_new_one(
        old: list[dict[str, str]], new: list[dict[str, str]]) -> None:
    before, after = sheet(old), sheet(new)
    found = match_rows(before, after)
    assert sorted([o for o, _ in found.pairs] + found.removed) == list(range(len(old)))
    assert [n for _, n in found.pairs] == sorted(set(range(len(new))) - set(found.added))
    rebuilt = {n: dict(old[o]) for o, n in found.pairs}
    by_row = {id(after[n]): n for n in rebuilt}
    listed = deltas(before, after, found)
    for d in listed:
        if d.action in (Action.EDIT, Action.RENUMBERED):
            rebuilt[by_row[id(d.new)]][d.field] = d.after
    assert {n: {k: v for k, v in r.items() if v} for n, r in rebuilt.items()} == {n: new[n] for n in rebuilt}
    assert [d.action for d in listed].count(Action.ADDED) == len(found.added)
    assert [d.action for d in listed].count(Action.REMOVED) == len(found.removed)


def test_a_short_unnumbered_row_reworded_in_its_slot_is_an_edit() -> None:
    short = {"customer": "比亚迪", "requirement": "PPAP 3级", "received": "2026-10-08", "departments": "品质部"}
    other = {"customer": "吉利汽车", "requirement": "RoHS 报告", "received": "2026-09-01", "departments": "品质部"}
    found = deltas(sheet([short, other]), sheet([{**short, "requirement": "PPAP 4级"}, other]))
    assert [(d.action.name, d.field, d.before, d.after) for d in found] == [("EDIT", "requirement", "PPAP 3级", "PPAP 4级")]
