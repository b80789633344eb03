"""One ribbon click on a register open in the test suite's fake Excel: xlcsr's seconds, xlwings calls, memory.

    $ python benchmarks/ribbon.py validate 顾客特殊要求清单.xlsx --today 2026-11-25
    $ python benchmarks/ribbon.py assign BOOK --edits edits.json --cache /tmp/xlcsr-bench   # run.py's way

There is no Excel on Linux, so the workbook is loaded into `tests/fake_excel.py` (xlwings App, Book,
Sheet and Range fakes over an in-memory table, counting every call on them) and the button runs
unchanged through `xlcsr.excel.dispatch`, as the add-in's RunPython would run it. remind is answered
"cancel" at its preview. Loading the fake is not timed. With --cache the loaded table is kept as a
pickle keyed by the workbook's bytes and fake_excel.py; the process then starts again (exec) and
unpickles it, so openpyxl's freed memory is not resident under the click, and the next button on the
same register starts at once. Prints one JSON line:

- seconds: xlcsr's own Python time in the click: the click's wall time less the time spent inside
  the fake's objects (what Excel and xlwings' COM marshalling would spend instead). About 10 µs of
  unittest.mock dispatch per call stays in it (0.25 s per 25,000 calls). The modules a button needs
  are imported before the click (dispatch imports them on the first click of a fresh interpreter,
  as RunPython starts one): import_seconds is that import, not in seconds.
- calls: the xlwings calls the click made (the fake's counter, plus `.api` on books and ranges),
  and calls_by_kind for each property or method.
- peak_mb: what the Python process would hold at most: its resident size once xlcsr, xlwings and
  the fake are imported, plus the click's rise above the loaded fake (the high-water mark is reset
  through /proc/self/clear_refs just before the click). The fake's own allocations during the click
  are in it, so it is an upper bound: the ranges xlcsr holds (the used range of 清单 all through the
  click; the fake's list of its cells is a `_Rectangle` here, made cell by cell when asked for) and
  the transient ones.
- cells_changed: cells whose value, formula, fill or note the click changed, over every sheet.

The fake builds every Range with `mock.create_autospec`, which inspects each xlwings method's
signature: about 50 ms a range, 9 minutes for the 10,000 ranges validate asks for when marking
5,000 problems. Here it gets `NonCallableMagicMock(spec_set=…)` instead, which refuses the same
unknown attributes but skips the signatures (under 1 ms); the calls, the cells written and xlcsr's
seconds are the same either way, and --autospec keeps the fake as the tests use it.

Exits 1 (with the reason on stderr) when the click did not do what it should: an error message,
remind neither cancelled at its preview nor saying there is nothing to send, assign without the
expected numbers in the fake's cells.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib
import json
import os
import pickle
import sys
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import fake_excel  # noqa: E402  (from tests/, above)
import xlwings  # noqa: E402, F401  (imported by the fake anyway; counted in the imports' memory)
from fake_excel import FakeExcel  # noqa: E402

from xlcsr.domain.vocab import REGISTER_SHEET  # noqa: E402
from xlcsr.excel import dispatch  # noqa: E402

BUTTONS = ("validate", "assign", "highlight", "remind")
CANCEL = "cancel"  # remind's answer at its preview: nothing is sent
CANCELLED = "已取消"  # how remind's message starts when the preview was cancelled
NOTHING_TO_SEND = ("没有可发送的提醒", "今天没有需要发送的提醒")  # … and when there was nothing to ask about


class BenchFake(FakeExcel):
    """The test suite's fake Excel, timing itself and counting `.api` (the object model) as a call too.

    It also lets go of the ranges xlcsr has dropped (see `_WeakRanges`), as Excel would.
    """

    def __init__(self, name: str, fullname: str) -> None:
        super().__init__(name, fullname)
        self._ranges = _WeakRanges()
        self.fake_seconds = 0.0
        self._inside = 0

    def _timed(self, action: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: object, **kwargs: object) -> object:
            if self._inside:  # a fake call made by the fake itself: its time is already counted
                return action(*args, **kwargs)
            self._inside += 1
            started = time.perf_counter()
            try:
                return action(*args, **kwargs)
            finally:
                self.fake_seconds += time.perf_counter() - started
                self._inside -= 1

        return timed

    def _counted(self, name: str, action: Any) -> Any:
        return super()._counted(name, self._timed(action))

    def _property(self, fake: Any, name: str, get: Any, set_: Any = None) -> None:
        super()._property(fake, name, self._timed(get), None if set_ is None else self._timed(set_))

    def book(self) -> Any:
        book = super().book()
        self._property(book, "api", mock.MagicMock)  # no Workbook.Date1904 here: LiveBook takes 1900
        return book

    def _range(self, *args: Any, **kwargs: Any) -> Any:
        rng = super()._range(*args, **kwargs)
        self._property(rng, "api", mock.MagicMock)
        return rng


class _Rectangle(Sequence[tuple[int, int]]):
    """The (row, column) of each cell of a rectangle, row by row, made when asked for.

    The fake lists the cells of every used range it hands out: two million tuples at 100,000 rows
    (119 MB by tracemalloc at the end of a highlight click, which asks for the used range again once
    the 逾期天数 column is there), which no Excel puts in xlcsr's process. The same cells, in order."""

    def __init__(self, r1: int, c1: int, r2: int, c2: int):
        self.r1, self.c1, self.width = r1, c1, c2 - c1 + 1
        self.size = (r2 - r1 + 1) * self.width

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> tuple[int, int]:  # type: ignore[override]
        if not -self.size <= index < self.size:
            raise IndexError(index)
        row, col = divmod(index % self.size, self.width)
        return self.r1 + row, self.c1 + col

    def __iter__(self) -> Iterator[tuple[int, int]]:
        cols = range(self.c1, self.c1 + self.width)
        return ((r, c) for r in range(self.r1, self.r1 + self.size // self.width) for c in cols)


fake_excel._used_cells = lambda data: _Rectangle(*data.bounds())


class _WeakRanges(dict):  # type: ignore[type-arg]
    """FakeExcel._ranges (id of a Range → (range, sheet, cells)) holding the ranges weakly.

    The fake keeps every Range it hands out, for Range.copy and Table.resize to find theirs; each is
    a mock of about 100 KB, so the 10,000 ranges validate asks for at 100,000 rows would be 1 GB of
    the click's peak that no Excel puts in xlcsr's process. Here an entry goes with its range.
    """

    def __setitem__(self, key: int, entry: tuple[Any, Any, Any]) -> None:
        rng, data, cells = entry
        super().__setitem__(key, (weakref.ref(rng, lambda _: self.pop(key, None)), data, cells))

    def __getitem__(self, key: int) -> tuple[Any, Any, Any]:
        ref, data, cells = super().__getitem__(key)
        return ref(), data, cells


class _QuickMocks:
    """`unittest.mock` as the fake sees it, with create_autospec made cheap (see the module doc)."""

    PropertyMock = mock.PropertyMock

    @staticmethod
    def create_autospec(spec: Any, instance: bool = False, spec_set: bool = False) -> Any:
        assert instance and spec_set, "the fake makes instances with spec_set only"
        return mock.NonCallableMagicMock(spec_set=spec)


# ---------------------------------------------------------------- loading (not timed)


def pickled(book: Path, cache: Path) -> Path:
    """Where the loaded fake of `book` is kept: keyed by the workbook's bytes and fake_excel.py."""
    digest = hashlib.sha256(book.read_bytes() + Path(fake_excel.__file__).read_bytes()).hexdigest()[:16]
    return cache / f"fake-{digest}.pickle"


def load(book: Path) -> tuple[BenchFake, float]:
    """The workbook in the fake, loaded by FakeExcel.from_file, and the seconds that took."""
    started = time.perf_counter()
    loaded = FakeExcel.from_file(book)
    seconds = time.perf_counter() - started
    excel = BenchFake(book.name, str(book))
    excel.sheets, excel.names = loaded.sheets, loaded.names
    return excel, seconds


def keep(excel: BenchFake, seconds: float, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}")
    partial.write_bytes(pickle.dumps((excel.sheets, excel.names, seconds), protocol=pickle.HIGHEST_PROTOCOL))
    partial.replace(path)


def unpickle(book: Path, path: Path) -> tuple[BenchFake, float]:
    excel = BenchFake(book.name, str(book))
    excel.sheets, excel.names, seconds = pickle.loads(path.read_bytes())
    return excel, seconds


# ---------------------------------------------------------------- memory (Linux)


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(key)


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM back to the current VmRSS (Linux 4.0+)


# ---------------------------------------------------------------- what changed, what went wrong


Cells = dict[str, tuple[dict[Any, object], ...]]


def snapshot(excel: FakeExcel) -> Cells:
    return {name: (dict(s.values), dict(s.formulas), dict(s.colors), dict(s.notes)) for name, s in excel.sheets.items()}


def cells_changed(before: Cells, after: Cells) -> int:
    changed: set[tuple[str, object]] = set()
    for name, parts in after.items():
        for new, old in zip(parts, before.get(name, ({}, {}, {}, {}))):
            changed |= {(name, cell) for cell in new.keys() | old.keys() if new.get(cell) != old.get(cell)}
    return len(changed)


def problem(button: str, message: str, excel: FakeExcel, edits: Path | None) -> str:
    """'' when the click did what it should, else why not."""
    if message.startswith(("无法", "未知按钮")):
        return message
    asked = not excel.answers
    if button == "remind" and not message.startswith(CANCELLED if asked else NOTHING_TO_SEND):
        return f"remind did not stop at its preview: {message}"
    if button == "assign" and edits is not None:
        sheet = excel.sheets[REGISTER_SHEET]
        wrong = sum(1 for ref, number in json.loads(edits.read_text("utf-8"))
                    if sheet.values.get((int(ref[1:]), 1)) != number)  # the case number is column A
        if wrong:
            return f"{wrong} cells without the number assign gives them"
    return ""


# ---------------------------------------------------------------- one click


def click(button: str, excel: BenchFake, today: date, edits: Path | None, rss_imports: float) -> dict[str, object]:
    """Run the button on the loaded fake and measure it (see the module doc)."""
    fake = excel.book()
    excel.answers = [CANCEL]
    before = snapshot(excel)
    gc.collect()
    rss_loaded = _status_mb("VmRSS")
    reset_peak()
    started = time.perf_counter()
    message = dispatch(button, book=fake, today=today)
    click_seconds = time.perf_counter() - started
    hwm = _status_mb("VmHWM")
    return {
        "button": button,
        "seconds": round(click_seconds - excel.fake_seconds, 4),
        "click_seconds": round(click_seconds, 4),
        "fake_seconds": round(excel.fake_seconds, 4),
        "calls": excel.total_calls,
        "calls_by_kind": dict(excel.calls.most_common()),
        "peak_mb": round(rss_imports + max(0.0, hwm - rss_loaded), 1),
        "rss_imports_mb": round(rss_imports, 1),
        "rss_loaded_mb": round(rss_loaded, 1),
        "hwm_click_mb": round(hwm, 1),
        "cells_changed": cells_changed(before, snapshot(excel)),
        "message": message,
        "problem": problem(button, message, excel, edits),
    }


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    importlib.import_module("xlcsr.excel.button_actions")  # what dispatch imports on a first click
    import_seconds = time.perf_counter() - started
    rss_imports = _status_mb("VmRSS")  # xlcsr, xlwings and the fake imported
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("button", choices=BUTTONS)
    parser.add_argument("book", type=Path)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--edits", type=Path, help="assign's cells and numbers ([[cell, number], …]) to check")
    parser.add_argument("--cache", type=Path, metavar="DIR", help="keep (and reuse) the loaded fake in DIR")
    parser.add_argument("--autospec", action="store_true",
                        help="build the fake's objects with create_autospec, as the tests do (slow)")
    args = parser.parse_args(argv)
    if not args.autospec:
        fake_excel.mock = _QuickMocks  # type: ignore[assignment]
    book = args.book.resolve()
    if args.cache is None:  # openpyxl's freed memory is still resident: the click's rise may be understated
        excel, load_seconds = load(book)
    else:
        path = pickled(book, args.cache)
        if not path.exists():  # load it once, then start again without openpyxl's leftovers
            keep(*load(book), path)
            os.execv(sys.executable, [sys.executable, __file__, *(sys.argv[1:] if argv is None else argv)])
        excel, load_seconds = unpickle(book, path)
    report = click(args.button, excel, args.today, args.edits, rss_imports)
    report["load_seconds"] = round(load_seconds, 2)  # FakeExcel.from_file, when it ran
    report["import_seconds"] = round(import_seconds, 2)
    print(json.dumps(report, ensure_ascii=False))
    if report["problem"]:
        print(report["problem"], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
