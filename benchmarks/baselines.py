"""What the benchmark compares xlcsr with, each run by `run.py` as a process of its own.

    $ python benchmarks/baselines.py calamine-read 清单.xlsx
    $ python benchmarks/baselines.py wolfxl-edit 清单.xlsx edits.json     # edits: [["A54", "CSR-2019-0055"], …]

Each baseline imports only its own library (the process's peak memory is then the library's), does
its work on BOOK (the edit baselines save over it: the runner passes a copy) and prints one line.

The setups (SETUPS) prepare a row's folder before its timed command, untimed, as a user would have:

    $ python benchmarks/baselines.py track-baseline 清单.xlsx hand-edits.json --today 2026-11-25
    $ python benchmarks/baselines.py signoff-filled 清单.xlsx 会签 --today 2026-11-25
    $ python benchmarks/baselines.py highlight-cells 清单.xlsx highlight-cells.json --today 2026-11-25

the arguments after the file are passed to the xlcsr command the setup runs first.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

SHEET = "清单"  # xlcsr.domain.vocab.REGISTER_SHEET, not imported: importing xlcsr would cost memory here
SIGNOFF_SHEET = "会签"  # xlcsr.domain.vocab.SIGNOFF_SHEET: the sheet of a sign-off workbook
ANSWERS = (("落实", ("已落实", "QP-07 B版")), ("批准", ("批准", None)), ("", ("可满足", None)))  # by section label


def calamine_read(book: Path, _: Path | None) -> str:
    """The whole register sheet as Python values: the least any command that reads it must do."""
    import python_calamine

    rows = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name(SHEET).to_python()
    return f"{len(rows)} rows"


def openpyxl_read(book: Path, _: Path | None) -> str:
    """openpyxl's read-only mode over every row of the sheet."""
    import openpyxl

    wb = openpyxl.load_workbook(book, read_only=True)
    count = sum(1 for _ in wb[SHEET].iter_rows(values_only=True))
    wb.close()
    return f"{count} rows"


def openpyxl_edit(book: Path, edits: Path | None) -> str:
    """Full load, the edits as text cells, save: what a naive writer built on openpyxl costs."""
    import openpyxl

    wb = openpyxl.load_workbook(book)
    ws = wb[SHEET]
    cells = _edits(edits)
    for ref, value in cells:
        ws[ref].value = value
        ws[ref].data_type = "s"
    wb.save(book)
    return f"{len(cells)} cells"


def wolfxl_edit(book: Path, edits: Path | None) -> str:
    """wolfxl's modify mode (its patcher: unchanged parts kept), the edits, save."""
    import wolfxl

    wb = wolfxl.load_workbook(book, modify=True)
    ws = wb[SHEET]
    cells = _edits(edits)
    for ref, value in cells:
        ws[ref] = value
    wb.save(book)
    return f"{len(cells)} cells"


def ooxml_patch(book: Path, edits: Path | None) -> str:
    """xlcsr's own patch writer alone (xlcsr.ooxml), the edits, atomic save with backup: no reading rules."""
    from xlcsr.ooxml.package import XlsxPackage

    package = XlsxPackage.open(book)
    sheet = package.sheet(SHEET)
    cells = _edits(edits)
    for ref, value in cells:
        sheet.set_value(ref, value)
    package.save(book)
    return f"{len(cells)} cells"


def track_baseline(book: Path, edits: Path, xlcsr_args: list[str]) -> str:
    """`xlcsr track BOOK` once (the snapshot in .xlcsr/, the register id in _xlcsr; nothing logged), then
    the hand edits: each cell of EDITS retyped, saved through xlcsr's patch writer (openpyxl takes
    minutes over 100,000 rows; Excel would change the same cells)."""
    _xlcsr("track", str(book), *xlcsr_args, ok=(0,))
    return f"snapshot taken, then {ooxml_patch(book, edits)} edited by hand"


def highlight_cells(book: Path, out: Path, xlcsr_args: list[str]) -> str:
    """The cells `xlcsr highlight BOOK` writes (the 逾期天数 header and each open case's days, from its
    plan, not written), into OUT as [[cell, value], …]: what the wolfxl edit of highlight's cells writes.
    xlcsr's colour rules and legend are left out of it: that baseline does less than highlight."""
    from datetime import date

    from xlcsr.files.reader import read_register
    from xlcsr.rules.highlight import plan_highlight
    from xlcsr.rules.validate import validate_register

    today = date.fromisoformat(xlcsr_args[xlcsr_args.index("--today") + 1])
    register = read_register(book)
    plan = plan_highlight(register, validate_register(register, today=today)[1], today)
    letter = plan.column.letter
    cells = [[f"{letter}{register.header_row}", plan.column.header]] if plan.new_column else []
    cells += [[f"{letter}{row}", days] for row, days in sorted(plan.values.items()) if days is not None]
    out.write_text(json.dumps(cells, ensure_ascii=False), "utf-8")
    return f"{len(cells)} cells of highlight's plan"


def signoff_filled(book: Path, out: Path, xlcsr_args: list[str]) -> str:
    """`xlcsr signoff BOOK --out OUT`, then every item of every workbook in OUT answered in its yellow
    cells (K–N) as its department would: 可满足 (总经理: 批准; 落实确认: 已落实 with the document), the
    department head as reviewer, the issue day as the date; saved with openpyxl."""
    import openpyxl
    from big_register import _STAFF

    _xlcsr("signoff", str(book), "--out", str(out), *xlcsr_args, ok=(0, 1))
    day = _day(xlcsr_args)
    books = items = 0
    for path in sorted(out.glob("*.xlsx")):
        department = path.stem.rsplit("-", 1)[0]
        reviewer = _STAFF[department][0][0] if department in _STAFF else "评审人"
        wb = openpyxl.load_workbook(path)
        ws = wb[SIGNOFF_SHEET]
        answer = None  # the section's answer, from its label row (一、评审 …); its header row has K filled
        for row in ws.iter_rows(min_row=4, max_col=11):
            label, second, given = row[0].value, row[1].value, row[10].value
            if label and second is None:
                answer = next(given for word, given in ANSWERS if word in label)
            elif answer and label and given is None:
                r = row[0].row
                ws[f"K{r}"], ws[f"L{r}"], ws[f"M{r}"], ws[f"N{r}"] = answer[0], answer[1], reviewer, day
                items += 1
        wb.save(path)
        books += 1
    return f"{books} workbooks, {items} items answered"


def _xlcsr(*args: str, ok: tuple[int, ...]) -> None:
    done = subprocess.run([sys.executable, "-m", "xlcsr", *args], capture_output=True, text=True)
    if done.returncode not in ok:
        raise SystemExit(f"xlcsr {args[0]} exited {done.returncode}:\n{done.stdout}{done.stderr}")


def _day(xlcsr_args: list[str]) -> object:
    from datetime import date, datetime

    given = xlcsr_args[xlcsr_args.index("--today") + 1] if "--today" in xlcsr_args else None
    return datetime.combine(date.fromisoformat(given) if given else date.today(), datetime.min.time())


def _edits(path: Path | None) -> list[tuple[str, str]]:
    if path is None:
        raise SystemExit("this baseline needs the edits file (JSON: [[cell, text], …])")
    return [(ref, value) for ref, value in json.loads(path.read_text("utf-8"))]


BASELINES: dict[str, Callable[[Path, Path | None], str]] = {
    "calamine-read": calamine_read,
    "openpyxl-read": openpyxl_read,
    "openpyxl-edit": openpyxl_edit,
    "wolfxl-edit": wolfxl_edit,
    "ooxml-patch": ooxml_patch,
}
SETUPS: dict[str, Callable[[Path, Path, list[str]], str]] = {  # untimed, before a row's command (run.py's setup)
    "track-baseline": track_baseline,
    "signoff-filled": signoff_filled,
    "highlight-cells": highlight_cells,
}


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] in SETUPS:
        print(SETUPS[argv[0]](Path(argv[1]), Path(argv[2]), argv[3:]))
        return 0
    if len(argv) not in (2, 3) or argv[0] not in BASELINES:
        print(f"usage: baselines.py {{{','.join(BASELINES)}}} BOOK [EDITS.json]\n"
              f"       baselines.py {{{','.join(SETUPS)}}} BOOK FILE [XLCSR ARGS…]", file=sys.stderr)
        return 2
    print(BASELINES[argv[0]](Path(argv[1]), Path(argv[2]) if len(argv) == 3 else None))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
