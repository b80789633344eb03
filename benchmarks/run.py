"""The benchmark: every command over registers of each size, as whole processes, against baselines.

    $ python benchmarks/run.py --rows 1000 10000 100000
    $ python benchmarks/run.py --rows 100000 --only assign highlight --repeat 3
    $ python benchmarks/run.py --rows 1000 --keep /tmp/bench > table.md
    $ python benchmarks/run.py --rows 100000 --open 1.0 --no-settings --only remind highlight

For each size a register is built once (big_register.py; cached in the temp folder per size and
options, not timed). Each row of COMMANDS then runs as its own process (`python -m xlcsr …`,
`python baselines.py …` or `python ribbon.py …`) in a fresh folder holding a copy of the register,
an xlcsr.toml listing it (no SMTP: an outbox), the cells assign will number and the hand edits; a row
with a setup (track, collect) first prepares that folder, untimed, as a user would. Seconds are wall
time from start to exit; peak MB is that child's own ru_maxrss (os.wait4); output is the bytes of
the file the command writes, else of its stdout. The ribbon rows report on one click instead
(ribbon.py: xlcsr's seconds inside it, its peak memory, its xlwings calls, the cells it changed).
The ratio divides by the python-calamine read of the same register, so figures from a busy machine
still compare. The table goes to the terminal (stderr) and, as markdown, to stdout.

A new command joins with one line in COMMANDS.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from big_register import (
    CACHE_DIR,
    COL,
    INVALID_EVERY,
    INVALID_FROM,
    REGISTER_HEADER_ROW,
    TODAY,
    UNNUMBERED_EVERY,
    UNNUMBERED_FROM,
    Options,
    cached,
)
from rich.console import Console
from rich.table import Table

from xlcsr.domain.records import column_letter
from xlcsr.domain.vocab import CHANGELOG_SHEET, CONFIG_FILE, REGISTER_FILE, REGISTER_SHEET

HERE = Path(__file__).resolve().parent
BASELINES = HERE / "baselines.py"
RIBBON = HERE / "ribbon.py"
DAY = TODAY.isoformat()
T = ("--today", DAY)
EDITS_FILE = "edits.json"  # [[cell, case number], …]: the cells assign numbers, for the edit baselines
HAND_EDITS_FILE = "hand-edits.json"  # [[cell, text], …]: the 要求描述 cells a user retypes between two tracks
HAND_EDIT_EVERY, HAND_EDIT_FROM = 100, 25  # 1% (1,000 of 100,000), numbered and valid rows: 25 % 20 != 7, != 50
CLICK = ("--cache", "{cache}", *T)  # ribbon.py keeps the register loaded into the fake in the cache folder


@dataclass(frozen=True)
class Bench:
    """One row of the table: what to run, which exits mean it ran, what it writes.

    `argv` follows `python -m xlcsr` (program "xlcsr"), `python baselines.py` ("baseline") or
    `python ribbon.py` ("ribbon": one click in the fake Excel, which reports its own figures), with
    {book} (the register's copy), {out} (a file to create), {outdir} (a folder to create), {config},
    {outbox}, {edits}, {handedits}, {hlcells} and {cache} filled in.
    `setup` is a `python baselines.py` argv (SETUPS there, same placeholders) run first in the folder,
    untimed; it must exit 0. `writes` is "book" or "out" when the output is that file; `numbers` checks
    afterwards that the 1% cells hold the numbers assign gives them; `logged` that 变更记录 holds one
    row per hand edit, with its new text; `needs` is a module that must be installed.
    """

    name: str
    argv: tuple[str, ...]
    program: str = "xlcsr"
    ok: tuple[int, ...] = (0,)
    writes: str | None = None
    numbers: bool = False
    needs: str | None = None
    setup: tuple[str, ...] = ()
    logged: bool = False


DENOMINATOR = "calamine read"
COMMANDS: tuple[Bench, ...] = (
    Bench(DENOMINATOR, ("calamine-read", "{book}"), program="baseline"),
    Bench("openpyxl read-only read", ("openpyxl-read", "{book}"), program="baseline"),
    Bench("validate --json", ("validate", "{book}", "--json", *T), ok=(0, 1)),
    Bench("validate --mark", ("validate", "{book}", "--mark", *T), ok=(0, 1), writes="book"),
    Bench("columns", ("columns", "{book}"), ok=(0, 1)),
    Bench("assign", ("assign", "{book}", *T), ok=(0, 1), writes="book", numbers=True),
    Bench("highlight", ("highlight", "{book}", *T), ok=(0, 1), writes="book"),
    Bench("remind --dry-run", ("remind", "{book}", "--dry-run", "--outbox", "{outbox}", "--config", "{config}", *T),
          ok=(0, 1)),
    Bench("run --once --dry-run", ("run", "--config", "{config}", "--once", "--dry-run", *T), ok=(0, 1)),
    Bench("import", ("import", "{book}", "--out", "{out}", *T), ok=(0, 1), writes="out"),
    Bench("signoff", ("signoff", "{book}", "--out", "{outdir}", *T), ok=(0, 1), writes="book"),
    Bench("collect", ("collect", "{book}", "{outdir}", *T), writes="book",
          setup=("signoff-filled", "{book}", "{outdir}", *T)),
    Bench("history", ("history", "{book}", "CSR-2017-0001")),
    Bench("diff (the register with itself)", ("diff", "{book}", "{book}")),
    Bench("restore --list", ("restore", "{book}", "--list")),
    Bench("doctor", ("doctor", "--config", "{config}"), ok=(0, 1)),
    Bench("track", ("track", "{book}", *T), writes="book", logged=True,
          setup=("track-baseline", "{book}", "{handedits}", *T)),
    Bench("ooxml patch of assign's cells", ("ooxml-patch", "{book}", "{edits}"), program="baseline", writes="book",
          numbers=True),
    Bench("wolfxl edit of assign's cells", ("wolfxl-edit", "{book}", "{edits}"), program="baseline", writes="book",
          numbers=True, needs="wolfxl"),
    Bench("wolfxl edit of highlight's cells", ("wolfxl-edit", "{book}", "{hlcells}"), program="baseline",
          writes="book", needs="wolfxl", setup=("highlight-cells", "{book}", "{hlcells}", *T)),
    Bench("openpyxl edit of assign's cells", ("openpyxl-edit", "{book}", "{edits}"), program="baseline",
          writes="book", numbers=True),
    Bench("ribbon validate", ("validate", "{book}", *CLICK), program="ribbon", needs="xlwings"),
    Bench("ribbon assign", ("assign", "{book}", "--edits", "{edits}", *CLICK), program="ribbon", needs="xlwings"),
    Bench("ribbon highlight", ("highlight", "{book}", *CLICK), program="ribbon", needs="xlwings"),
    Bench("ribbon remind (preview, cancel)", ("remind", "{book}", *CLICK), program="ribbon", needs="xlwings"),
)
PROGRAMS = {"baseline": BASELINES, "ribbon": RIBBON}  # else `python -m xlcsr`
LIBRARIES = ("xlcsr", "python-calamine", "openpyxl", "wolfxl", "lxml", "xlsxwriter", "xlwings", "typer", "rich",
             "pydantic")


@dataclass
class Sample:
    """One run of one command."""

    seconds: float
    peak_mb: float
    exit: int
    output: int
    output_kind: str  # "file" or "stdout" (bytes), "cells" (changed by a ribbon click)
    problem: str = ""  # why this run does not count: unexpected exit, cells not written, timeout
    stderr_tail: str = ""
    calls: int | None = None  # xlwings calls, for a ribbon click
    detail: str = ""  # for the terminal


@dataclass
class Row:
    bench: Bench
    samples: list[Sample] = field(default_factory=list)
    skipped: str = ""

    @property
    def best(self) -> Sample | None:
        return min(self.samples, key=lambda s: (bool(s.problem), s.seconds)) if self.samples else None


# ---------------------------------------------------------------- running


def child_env() -> dict[str, str]:
    """The environment without SMTP settings, so remind and run never reach a mail server."""
    return {k: v for k, v in os.environ.items() if not k.startswith("XLCSR_SMTP_")}


# Runs the command and reports on it. The runner itself does not spawn the command: on Linux a child's
# ru_maxrss starts from its parent's high-water mark (kept across fork and exec), and the runner's has
# the register build in it. This small process is the parent instead; its own ~15 MB is the floor.
WRAPPER = r"""
import json, os, subprocess, sys, threading, time
timeout, out, err, argv = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
with open(out, "wb") as stdout, open(err, "wb") as stderr:
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
    timer = threading.Timer(timeout, child.kill)
    timer.start()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    timer.cancel()
child.returncode = os.waitstatus_to_exitcode(status)
print(json.dumps({"seconds": seconds, "maxrss_kb": usage.ru_maxrss, "exit": child.returncode}))
"""


def measure(argv: Sequence[str], cwd: Path, timeout: float) -> tuple[float, float, int, int, str]:
    """Run `argv` in `cwd`: (seconds, peak MB of this child alone, exit code, stdout bytes, stderr tail)."""
    out, err = cwd / "stdout.txt", cwd / "stderr.txt"
    wrapper = subprocess.run([sys.executable, "-c", WRAPPER, str(timeout), str(out), str(err), *argv], cwd=cwd,
                             env=child_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True)
    report = json.loads(wrapper.stdout)
    tail = err.read_text("utf-8", errors="replace").strip().splitlines()[-3:]
    return report["seconds"], report["maxrss_kb"] / 1024, report["exit"], out.stat().st_size, "\n".join(tail)


def prepare(folder: Path, register: Path, info: dict[str, object]) -> dict[str, str]:
    """A fresh folder with the register's copy, xlcsr.toml, the edits; the placeholders for argv."""
    folder.mkdir(parents=True)
    book = folder / REGISTER_FILE
    shutil.copyfile(register, book)
    config = folder / CONFIG_FILE
    config.write_text(f'registers = ["{REGISTER_FILE}"]\noutbox = "outbox"\n', "utf-8")  # no [smtp]: an outbox
    edits = folder / EDITS_FILE
    edits.write_text(json.dumps(info["unnumbered"], ensure_ascii=False), "utf-8")
    hand = folder / HAND_EDITS_FILE
    hand.write_text(json.dumps(hand_edits(int(info["rows"])), ensure_ascii=False), "utf-8")  # type: ignore[call-overload]
    return {"book": str(book), "out": str(folder / "导入的清单.xlsx"), "config": str(config),
            "outbox": str(folder / "outbox"), "edits": str(edits), "handedits": str(hand), "cache": str(CACHE_DIR),
            "outdir": str(folder / "会签"), "hlcells": str(folder / "highlight-cells.json")}


def hand_edits(rows: int) -> list[list[str]]:
    """The 要求描述 of every 100th row retyped (a new text each), over the whole sheet: [[cell, text], …]."""
    assert (HAND_EDIT_FROM - INVALID_FROM) % INVALID_EVERY and HAND_EDIT_FROM % UNNUMBERED_EVERY != UNNUMBERED_FROM
    letter = column_letter(COL["requirement"])
    return [[f"{letter}{REGISTER_HEADER_ROW + 1 + i}", f"按客户 {DAY} 来函修订：要求第 {k + 1} 处更新，以新版协议为准"]
            for k, i in enumerate(range(HAND_EDIT_FROM, rows, HAND_EDIT_EVERY))]


def command_line(bench: Bench, places: dict[str, str]) -> list[str]:
    args = [part.format(**places) for part in bench.argv]
    if bench.program in PROGRAMS:
        return [sys.executable, str(PROGRAMS[bench.program]), *args]
    return [sys.executable, "-m", "xlcsr", *args]


def numbers_written(book: Path, info: dict[str, object]) -> str:
    """'' when every cell assign numbers holds its number, else what is wrong."""
    import python_calamine

    rows = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name(REGISTER_SHEET).to_python()
    wrong = 0
    cells = info["unnumbered"]
    assert isinstance(cells, list)
    for ref, number in cells:
        r, c = int(ref[1:]) - 1, 0  # the case number is column A
        if r >= len(rows) or str(rows[r][c]) != number:
            wrong += 1
    return f"{wrong} of {len(cells)} cells not written" if wrong else ""


def changes_logged(book: Path, edits: Path) -> str:
    """'' when 变更记录 holds exactly one row per hand edit, each with its new text, else what is wrong."""
    import python_calamine

    rows = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name(CHANGELOG_SHEET).to_python()
    logged = [row for row in rows[1:] if any(cell not in ("", None) for cell in row)]  # row 1 is the header
    wanted = [text for _, text in json.loads(edits.read_text("utf-8"))]
    if len(logged) != len(wanted):
        return f"{len(logged):,} rows in {CHANGELOG_SHEET}, not {len(wanted):,}"
    missing = len(set(wanted) - {str(row[4]) for row in logged})  # 新值
    return f"{missing} of {len(wanted)} edits not logged" if missing else ""


def set_up(bench: Bench, places: dict[str, str], folder: Path, timeout: float) -> str:
    """Run the row's setup in its folder, untimed: '' when it went well, else why the row does not count."""
    argv = [sys.executable, str(BASELINES), *(part.format(**places) for part in bench.setup)]
    try:
        done = subprocess.run(argv, cwd=folder, env=child_env(), stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        (folder / "setup.txt").write_text("", "utf-8")
        return f"setup killed after {timeout:.0f} s"
    (folder / "setup.txt").write_text(done.stdout + done.stderr, "utf-8")
    return "" if done.returncode == 0 else f"setup {bench.setup[0]} exit {done.returncode}"


def run_one(bench: Bench, register: Path, info: dict[str, object], folder: Path, timeout: float) -> Sample:
    places = prepare(folder, register, info)
    if bench.setup and (problem := set_up(bench, places, folder, timeout)):
        tail = (folder / "setup.txt").read_text("utf-8", errors="replace").strip().splitlines()[-3:]
        return Sample(0.0, 0.0, -1, 0, "stdout", problem, "\n".join(tail))
    seconds, peak, code, stdout_bytes, tail = measure(command_line(bench, places), folder, timeout)
    problem = "" if code in bench.ok else f"exit {code}"
    if seconds >= timeout:
        problem = f"killed after {timeout:.0f} s"
    output, kind = stdout_bytes, "stdout"
    if bench.writes:
        written = Path(places[bench.writes])
        output, kind = (written.stat().st_size, "file") if written.exists() else (0, "file")
    if bench.numbers and not problem:
        problem = numbers_written(Path(places["book"]), info)
    if bench.logged and not problem:
        problem = changes_logged(Path(places["book"]), Path(places["handedits"]))
    sample = Sample(seconds, peak, code, output, kind, problem, tail if problem else "")
    if bench.program == "ribbon":
        clicked(sample, folder / "stdout.txt")
    return sample


def clicked(sample: Sample, stdout: Path) -> None:
    """A ribbon row's figures are its click's (ribbon.py's JSON line), not its process's."""
    try:
        click = json.loads(stdout.read_text("utf-8"))
    except ValueError:
        sample.problem = sample.problem or "no report from ribbon.py"
        return
    sample.seconds, sample.peak_mb, sample.calls = click["seconds"], click["peak_mb"], click["calls"]
    sample.output, sample.output_kind = click["cells_changed"], "cells"
    sample.detail = (f" (the click {click['click_seconds']:.2f} s, in the fake {click['fake_seconds']:.2f} s; "
                     f"imports {click['import_seconds']:.2f} s and FakeExcel.from_file {click['load_seconds']:.1f} s "
                     f"before it), {click['calls']:,} xlwings calls")


def selected(only: Sequence[str] | None) -> list[Bench]:
    """The rows whose name starts with one of `only` (all without it), the denominator always first."""
    if not only:
        return list(COMMANDS)
    wanted = [o.lower() for o in only]
    unknown = [o for o in wanted if not any(b.name.lower().startswith(o) for b in COMMANDS)]
    if unknown:
        names = ", ".join(b.name for b in COMMANDS)
        raise SystemExit(f"no command named {', '.join(unknown)}; the commands are: {names}")
    return [b for b in COMMANDS if b.name == DENOMINATOR or any(b.name.lower().startswith(o) for o in wanted)]


def bench_size(rows: int, options: Options, benches: list[Bench], repeat: int, work: Path, timeout: float,
               console: Console) -> tuple[dict[str, object], list[Row]]:
    console.print(f"[bold]{rows:,} rows[/bold]: building the register (cached, not timed) …")
    started = time.perf_counter()
    register, info = cached(rows, options)
    console.print(f"  {register} ({register.stat().st_size:,} bytes, {time.perf_counter() - started:.1f} s)")
    results = []
    for bench in benches:
        row = Row(bench)
        if bench.needs and importlib.util.find_spec(bench.needs) is None:
            row.skipped = f"{bench.needs} is not installed (pip install {bench.needs})"
            console.print(f"  {bench.name}: skipped, {row.skipped}")
            results.append(row)
            continue
        for k in range(repeat):
            folder = work / f"{rows}" / f"{_slug(bench.name)}-{k + 1}"
            sample = run_one(bench, register, info, folder, timeout)
            row.samples.append(sample)
            note = f"  [red]{sample.problem}[/red]" if sample.problem else ""
            console.print(f"  {bench.name}: {sample.seconds:.2f} s{sample.detail}, {sample.peak_mb:.0f} MB, "
                          f"exit {sample.exit}{note}")
            if repeat > 1 and k < repeat - 1:
                shutil.rmtree(folder, ignore_errors=True)
        results.append(row)
    return {**info, "path": str(register)}, results


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name).strip("-")


# ---------------------------------------------------------------- the table

HEADERS = ("command", "exit", "seconds", "× calamine read", "peak MB", "xlwings calls", "output")


def table_rows(results: list[Row]) -> list[tuple[str, ...]]:
    base = next((r.best for r in results if r.bench.name == DENOMINATOR), None)
    lines = []
    for row in results:
        best = row.best
        if best is None:
            continue  # left out: see left_out()
        expected = " (expected)" if best.exit and best.exit in row.bench.ok else ""
        status = f"{best.exit}{expected}" + (f" ✗ {best.problem}" if best.problem else "")
        ratio = f"{best.seconds / base.seconds:.1f}" if base and base.seconds else "—"
        calls = "—" if best.calls is None else f"{best.calls:,}"
        lines.append((row.bench.name, status, f"{best.seconds:.2f}", ratio, f"{best.peak_mb:.0f}", calls,
                      f"{best.output:,} {best.output_kind}"))
    return lines


def markdown(rows: int, info: dict[str, object], results: list[Row]) -> str:
    invalid = info["invalid"]
    assert isinstance(invalid, dict)
    options = f", {info['options']}" if info.get("options") else ""
    head = (f"### {rows:,} rows{options} — register {int(info['bytes']):,} bytes, "
            f"{sum(invalid.values()):,} invalid rows, {int(info['open']):,} open ({int(info['overdue']):,} overdue), "
            f"{len(info['unnumbered']):,} to number\n\n")  # type: ignore[arg-type]
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "|".join(["---"] + ["---:"] * (len(HEADERS) - 1)) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in table_rows(results)]
    notes = "".join(f"\n{note}\n" for note in left_out(results))
    return head + "\n".join(lines) + "\n" + notes


def left_out(results: list[Row]) -> list[str]:
    return [f"_{row.bench.name}: left out, {row.skipped}._" for row in results if row.skipped]


def rich_table(rows: int, results: list[Row]) -> Table:
    table = Table(title=f"{rows:,} rows")
    for i, header in enumerate(HEADERS):
        table.add_column(header, justify="left" if i == 0 else "right")
    for cells in table_rows(results):
        table.add_row(*cells, style="red" if "✗" in cells[1] else None)
    return table


def machine() -> str:
    versions = []
    for name in LIBRARIES:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    return (f"{datetime.now():%Y-%m-%d %H:%M} · {platform.system()} {platform.machine()} · nproc {os.cpu_count()} · "
            f"Python {platform.python_version()} · " + ", ".join(versions))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 10_000, 100_000], metavar="N",
                        help="register sizes (default: 1000 10000 100000)")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="only the commands whose name starts with NAME (the calamine read always runs)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep the registers and every command's folder (its output) in DIR")
    parser.add_argument("--repeat", type=int, default=1, metavar="K", help="best of K runs (default 1)")
    parser.add_argument("--timeout", type=float, default=1800, metavar="S", help="kill a run after S seconds")
    parser.add_argument("--open", type=float, metavar="SHARE", dest="open_share",
                        help="the share of cases left open, 0 to 1 (default: by age, as a plant keeps them, ~11%%)")
    parser.add_argument("--no-settings", action="store_true", help="a register without its 设置 sheet")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.open_share is not None and not 0 <= args.open_share <= 1:
        parser.error("--open is a share between 0 and 1")
    options = Options(args.open_share, settings_sheet=not args.no_settings)
    benches = selected(args.only)
    console = Console(stderr=True)
    if not console.is_terminal:
        console = Console(stderr=True, width=140)  # a log file: room for the table
    about = machine()  # when the run started
    console.print(about)
    sections, failed = [], False
    with tempfile.TemporaryDirectory(prefix="xlcsr-bench-run-") as temp:
        work = args.keep.resolve() if args.keep else Path(temp)
        if args.keep:
            work.mkdir(parents=True, exist_ok=True)
            for old in (work / str(rows) for rows in args.rows):
                shutil.rmtree(old, ignore_errors=True)
        for rows in args.rows:
            info, results = bench_size(rows, options, benches, args.repeat, work, args.timeout, console)
            if args.keep:
                shutil.copyfile(str(info["path"]), work / f"register-{rows}.xlsx")
            console.print(rich_table(rows, results))
            for note in left_out(results):
                console.print(note)
            for row in results:
                best = row.best
                if best and best.problem:
                    failed = True
                    console.print(f"[red]{row.bench.name}: {best.problem}[/red]\n{best.stderr_tail}")
            sections.append(markdown(rows, info, results))
    print(f"_{about}; best of {args.repeat}; `--today {DAY}`._\n\n" + "\n".join(sections), end="")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
