"""Tamper evidence and the snapshot store: the hash chain over 变更记录 (each kind of edit named at its row)
and the change store beside the register (real SQLite files, shared with the sent log and the seal key)."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from xlcsr.domain.changes import Action, Change, RowState
from xlcsr.domain.errors import WriteFailed
from xlcsr.domain.issues import Code
from xlcsr.domain.vocab import MANUAL_SOURCE, STORE_DIR, STORE_FILE
from xlcsr.files.change_store import ChangeStore
from xlcsr.files.seal_key import seal_key
from xlcsr.mail.sent_log import SentLog
from xlcsr.rules.chain import GENESIS, Link, check_chain, extend, link
from xlcsr.workbook.changelog import canonical, change_row

T0 = datetime(2026, 11, 3, 8, 0, 0)


def texts(n: int) -> list[str]:
    """The canonical texts of n logged edits, as 变更记录 rows would hash."""
    return [canonical(change_row(Change(T0 + timedelta(minutes=i), f"CSR-2026-{i:04d}", "requirement",
                                        f"旧要求 {i}", f"新要求 {i}", revision=2, by="张三", source=MANUAL_SOURCE)))
            for i in range(1, n + 1)]


def sheet(rows: list[str], start: int = 2) -> list[tuple[int, str]]:
    return list(enumerate(rows, start=start))


def broken(rows: list[tuple[int, str]], links: list[Link]) -> tuple[str, str, str]:
    issue = check_chain(rows, links)
    assert issue is not None and issue.code is Code.LOG_TAMPERED
    return issue.value, issue.message, issue.message_en


# --- the chain ------------------------------------------------------------------------------------

def test_each_link_is_the_sha256_of_the_previous_hash_and_the_text() -> None:
    a, b = texts(2)
    links = extend([], [a, b])
    assert links[0] == Link(hashlib.sha256(a.encode("utf-8")).hexdigest(), a) and link(GENESIS, a) == links[0].hash
    assert links[1].hash == hashlib.sha256((links[0].hash + b).encode("utf-8")).hexdigest()
    assert extend(links[:1], [b]) == links[1:]  # appending continues the chain


def test_an_intact_log_and_an_empty_one_are_fine() -> None:
    rows = texts(4)
    assert check_chain(sheet(rows), extend([], rows)) is None
    assert check_chain([], []) is None
    assert check_chain([(2, rows[0]), (5, rows[1])], extend([], rows[:2])) is None  # blank rows between count not


def test_an_edited_row_is_named() -> None:
    rows = texts(4)
    edited = rows[:2] + [rows[2].replace("新要求 3", "新要求 3（改）")] + rows[3:]
    value, zh, en = broken(sheet(edited), extend([], rows))
    assert value == "4" and "第 4 行被修改" in zh and "row 4 of 变更记录 was edited" in en
    last = rows[:3] + [rows[3].replace("张三", "李四")]
    assert broken(sheet(last), extend([], rows))[:2] == ("5", "「变更记录」第 5 行被修改：记录不可修改，请从备份恢复或联系管理员")


def test_a_deleted_row_is_named_where_it_is_missing() -> None:
    rows = texts(5)
    value, zh, en = broken(sheet(rows[:1] + rows[2:]), extend([], rows))
    assert value == "3" and "被删除" in zh and "1 logged row was deleted" in en
    value, zh, en = broken(sheet(rows[:1] + rows[3:] + texts(7)[6:]), extend([], rows))  # two gone, then a new row
    assert value == "3" and "2 行记录被删除" in zh and "2 logged rows were deleted" in en


def test_swapped_rows_are_named_at_the_first_of_them() -> None:
    rows = texts(5)
    swapped = [rows[0], rows[1], rows[3], rows[2], rows[4]]
    value, zh, en = broken(sheet(swapped), extend([], rows))
    assert value == "4" and "顺序被调换" in zh and "reordered" in en
    moved_up = [rows[0], rows[4], rows[1], rows[2], rows[3]]
    assert broken(sheet(moved_up), extend([], rows))[:2] == ("3", "「变更记录」第 3 行顺序被调换：记录不可修改，请从备份恢复或联系管理员")


def test_a_row_added_by_hand_is_named_at_the_end_or_in_the_middle() -> None:
    rows = texts(3)
    own = canonical([T0, "CSR-2026-0099", "要求描述", "a", "b", "2", "王五", MANUAL_SOURCE])
    value, zh, en = broken(sheet(rows + [own]), extend([], rows))
    assert value == "5" and "不是 xlcsr 写入的" in zh and "not written by xlcsr" in en
    value, zh, _ = broken(sheet(rows[:1] + [own] + rows[1:]), extend([], rows))
    assert value == "3" and "不是 xlcsr 写入的" in zh
    assert broken(sheet(rows), [])[0] == "2"  # a log without any chain: nothing of it was written by xlcsr


def test_rows_missing_at_the_end_name_where_the_first_should_be() -> None:
    rows = texts(5)
    value, zh, en = broken(sheet(rows[:3]), extend([], rows))
    assert value == "5" and "第 5 行起缺少 2 行记录" in zh and "2 logged rows deleted at the end" in en
    assert broken([], extend([], rows))[0] == "2"  # the whole log emptied: from the first row below the header
    assert broken([(2, rows[0]), (9, rows[1])], extend([], rows[:3]))[0] == "10"


# --- the store ------------------------------------------------------------------------------------

def states(n: int, edit: dict[int, str] | None = None) -> list[RowState]:
    edit = edit or {}
    return [RowState(i + 5, {"case_no": f"CSR-2026-{i:06d}", "customer": "上汽大众汽车有限公司",
                             "requirement": edit.get(i, f"第 {i} 项：零件须按 PPAP 3级提交，包装防锈"),
                             "received": "2026-03-01", "departments": "技术部、品质部", "status": "处理中"})
            for i in range(n)]


def test_reading_a_store_that_does_not_exist_creates_nothing(tmp_path: Path) -> None:
    with ChangeStore.beside(tmp_path / "清单.xlsx") as store:
        assert store.snapshot("R") is None and store.links("R") == [] and store.history("R", "CSR-1") == []
        assert store.backup_commands() == {}
    assert list(tmp_path.iterdir()) == []


def test_a_store_made_by_the_sent_log_is_read_as_empty_then_shared(tmp_path: Path) -> None:
    book = tmp_path / "清单.xlsx"
    SentLog.beside(book).close()
    key = seal_key(book, "R", create=True)
    with ChangeStore.beside(book) as store:
        assert store.snapshot("R") is None
        store.save("R", states(3), texts(2), at=T0)
    assert seal_key(book, "R") == key
    with SentLog.beside(book, readonly=True) as log:
        assert log.entries() == []
    tables = {name for (name,) in sqlite3.connect(tmp_path / STORE_DIR / STORE_FILE).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sent", "seal_key", "change_snapshot", "change_history", "change_chain"} <= tables


def test_snapshot_and_chain_round_trip(tmp_path: Path) -> None:
    odd = [RowState(4, {}), RowState(6, {"requirement": "多行\n第二行\t制表", "remarks": "控制符\x1f也可以"}),
           RowState(7, {"customer": "A", "product": ""}), *states(3)]
    with ChangeStore.beside(tmp_path / "清单.xlsx") as store:
        store.save("R", odd, texts(2), at=T0)
        store.save("R", states(3), texts(3)[2:], at=T0 + timedelta(hours=1))
    with ChangeStore.beside(tmp_path / "清单.xlsx") as store:  # a new connection: nothing cached
        assert store.snapshot("R") == states(3)
        assert store.links("R") == extend([], texts(3))
        assert check_chain(sheet(texts(3)), store.links("R")) is None
        store.save("R", odd, [], at=T0 + timedelta(hours=2))
    with ChangeStore.beside(tmp_path / "清单.xlsx") as store:
        assert store.snapshot("R") == odd  # U+001F in a value: kept all the same


def test_two_registers_in_one_folder_keep_their_own(tmp_path: Path) -> None:
    with ChangeStore.beside(tmp_path / "清单A.xlsx") as store:
        store.save("A", states(2), texts(1), at=T0)
        store.save("B", states(5), [], at=T0)
        assert len(store.snapshot("A")) == 2 and len(store.snapshot("B")) == 5
        assert len(store.links("A")) == 1 and store.links("B") == []


def test_history_keeps_the_baseline_then_one_row_per_case_per_change(tmp_path: Path) -> None:
    loose = RowState(20, {"customer": "无编号客户", "requirement": "未编号的要求"})
    with ChangeStore.beside(tmp_path / "清单.xlsx") as store:
        store.save("R", [*states(3), loose], [], at=T0)
        moved = RowState(3, loose.fields)  # the row without a number moved up: no change
        store.save("R", [moved, *states(3, {1: "改过的要求"})], [], at=T0 + timedelta(days=1))
        store.save("R", [moved, *states(3, {1: "改过的要求"})[:1], RowState(9, {"case_no": "CSR-NEW"})], [],
                   at=T0 + timedelta(days=2))
        one = store.history("R", "CSR-2026-000001")
        assert [(at.day, fields.get("requirement")) for at, fields in one] == [
            (3, "第 1 项：零件须按 PPAP 3级提交，包装防锈"), (4, "改过的要求"), (5, None)]
        assert one[-1][1] == {}  # the case number vanished
        assert [at.day for at, _ in store.history("R", "CSR-2026-000000")] == [3]  # never changed
        assert store.history("R", "CSR-NEW") == [(T0 + timedelta(days=2), {"case_no": "CSR-NEW"})]
        assert store.history("R", "#20") == [(T0, loose.fields)] and store.history("R", "#3") == []
    rows = sqlite3.connect(tmp_path / STORE_DIR / STORE_FILE).execute(
        "SELECT key FROM change_history ORDER BY rowid").fetchall()
    assert [key for (key,) in rows] == ["CSR-2026-000001", "CSR-NEW", "CSR-2026-000001", "CSR-2026-000002"]


def test_another_front_saving_meanwhile_is_compared_against(tmp_path: Path) -> None:
    book = tmp_path / "清单.xlsx"
    with ChangeStore.beside(book) as mine, ChangeStore.beside(book) as other:
        mine.save("R", states(3), [], at=T0)
        assert mine.snapshot("R") == states(3)  # read (and kept) by this front
        other.save("R", states(3, {0: "由按钮修改"}), texts(1), at=T0 + timedelta(hours=1))
        mine.save("R", states(3, {0: "由按钮修改"}), texts(2)[1:], at=T0 + timedelta(hours=2))
        assert len(mine.history("R", "CSR-2026-000000")) == 2  # baseline + the button's change, not a third
        assert mine.links("R") == extend([], texts(2))


def test_a_staged_save_is_written_only_on_commit(tmp_path: Path) -> None:
    book = tmp_path / "清单.xlsx"
    with ChangeStore.beside(book) as store:
        store.save("R", states(2), texts(1), at=T0)
        pending = store.stage("R", states(4), texts(3)[1:], at=T0 + timedelta(hours=1))
        with pytest.raises(RuntimeError):
            store.stage("R", states(1), [], at=T0)
        pending.rollback()
        assert store.snapshot("R") == states(2) and store.links("R") == extend([], texts(1))
        with pytest.raises(OSError), store.stage("R", states(4), [], at=T0) as pending:
            raise OSError("the workbook could not be saved")
        assert store.snapshot("R") == states(2) and pending.done
        with store.stage("R", states(4), texts(3)[1:], at=T0 + timedelta(hours=2)) as pending:
            with ChangeStore.beside(book) as reader:
                assert reader.snapshot("R") == states(2)  # not visible before the commit
            pending.commit()
    with ChangeStore.beside(book) as store:
        assert store.snapshot("R") == states(4) and store.links("R") == extend([], texts(3))


def test_a_store_that_cannot_be_written_stops_before_the_workbook(tmp_path: Path) -> None:
    (tmp_path / STORE_DIR).write_text("not a folder")
    with ChangeStore.beside(tmp_path / "清单.xlsx") as store, pytest.raises(WriteFailed) as error:
        store.stage("R", states(1), [], at=T0)
    assert "nothing was written" in str(error.value) and " / " in str(error.value)


def test_the_backups_index(tmp_path: Path) -> None:
    book = tmp_path / "清单.xlsx"
    with ChangeStore.beside(book) as store:
        store.record_backup(tmp_path / ".xlcsr-backup" / "清单-20261103-080000-000000.xlsx", "xlcsr assign", T0)
        store.record_backup(Path("清单-20261104-080000-000000.xlsx"), "xlcsr collect", T0)
    with ChangeStore.beside(book) as store:
        assert store.backup_commands() == {"清单-20261103-080000-000000.xlsx": "xlcsr assign",
                                           "清单-20261104-080000-000000.xlsx": "xlcsr collect"}


def test_a_register_of_100000_rows(tmp_path: Path) -> None:
    book = tmp_path / "清单.xlsx"
    before = states(100_000)
    with ChangeStore.beside(book) as store:
        store.save("R", before, [], at=T0)
    changed = set(range(0, 100_000, 100))
    after = states(100_000, {i: f"第 {i} 项改为 PPAP 4级" for i in changed})
    with ChangeStore.beside(book) as store:
        started = time.perf_counter()
        assert store.snapshot("R") == before
        loaded = time.perf_counter()
        store.save("R", after, texts(1000), at=T0 + timedelta(days=1))
        saved = time.perf_counter()
    print(f"100,000 rows: snapshot {loaded - started:.2f} s, save with 1,000 changes {saved - loaded:.2f} s")
    with ChangeStore.beside(book) as store:
        assert store.snapshot("R") == after and len(store.links("R")) == 1000
    count = sqlite3.connect(tmp_path / STORE_DIR / STORE_FILE).execute("SELECT count(*) FROM change_history")
    assert count.fetchone()[0] == len(changed)
    assert (tmp_path / STORE_DIR / STORE_FILE).stat().st_size < 4_000_000  # small: blobs, not a row per cell


def test_actions_other_than_edits_hash_as_their_rows() -> None:
    removed = Change(T0, "CSR-2026-0001", "", "要求摘要", "", None, "张三", MANUAL_SOURCE, Action.REMOVED)
    text = canonical(change_row(removed))
    assert check_chain([(2, text)], extend([], [text])) is None
