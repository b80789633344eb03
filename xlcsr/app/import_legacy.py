"""`xlcsr import`: an old list, in any layout and format, becomes a new register from the template.

    >>> result = import_legacy(Path("旧清单.xls"), Path("顾客特殊要求清单.xlsx"), today=date(2026, 11, 25))
    >>> result.rows, [problem.cell for problem in result.problems]
    (42, ['F7', 'N12'])

The old list is read by `xlcsr.files.legacy` (.xls, .xlsx/.xlsm, .xlsb, .ods, CSV in UTF-8 or GBK)
and its register found as everywhere else (`find_register`: title rows, blank rows, 编制/审核/批准
lines, headers by alias or the user's 列映射). What goes where is `plan_import`, plain functions over
cell values:

- every data row becomes a row of the new register, in order; mapped columns go into the
  template's columns, the other columns (their header and every value) follow the template's;
  a column without a header that holds values is kept too, headed by its letter;
- text stays text (a CSV's `007` stays `007`), numbers stay numbers, a merged cell's value is
  given to every row it spans;
- dates are parsed as everywhere else; a value that is not a date is kept as written and reported;
- a status, priority, contract type, category or source word becomes the configured value it
  stands for (进行中 → 处理中, High → 高); an unknown word is kept as written and reported, and so
  is a case number that does not follow the configured pattern (an old 编号 such as `12`).

Each report names the old list's file, sheet and cell. The new file is never written over an
existing one; a new register is validated once written, so the output says what is left to fix.

At scale (100,000 rows): the old list's sheet is parsed once; each date and choice word is mapped
once (`ValueMapper`); the old list's cells are let go before the new register is written, in one
stream (`new_books.new_register`), and its 清单 is validated as written, not read back; the plan's
rows are packed once written (`ImportPlan.pack`); Python's cycle collector rests meanwhile
(`collector_paused`).
"""

from __future__ import annotations

import gc
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from xlcsr.domain.case_pattern import CasePattern
from xlcsr.domain.dates import parse_date
from xlcsr.domain.errors import OutputRefused
from xlcsr.domain.fields import FIELD_BY_KEY, Kind
from xlcsr.domain.issues import Code, Issue, ValidationReport
from xlcsr.domain.records import Column, Register, cell_text, column_letter
from xlcsr.domain.settings import DEFAULT_SETTINGS, Settings
from xlcsr.domain.vocab import CONTRACT_TYPES, OWN_SHEETS, REGISTER_FILE, REGISTER_SHEET, SETTINGS_SHEET, STATUSES
from xlcsr.files.legacy import Merged, open_legacy
from xlcsr.files.new_books import FIRST_DATA_ROW, new_register
from xlcsr.rules.choices import choice_value
from xlcsr.rules.validate import validate_register
from xlcsr.workbook.locate import SheetSource, find_register

_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters a workbook cannot hold
_KIND_NAMES = {"csv": "CSV", "xls": ".xls", "xlsx": ".xlsx", "xlsm": ".xlsm", "xlsb": ".xlsb", "ods": ".ods"}


# --- the plan: plain functions over cell values -----------------------------------------------


@dataclass
class ImportPlan:
    """The new register's rows, what was translated, and what could not be mapped (at the old list's cells)."""

    mapped: list[Column]  # the old list's columns that go into the template's, by key
    extra: list[Column]  # the old list's columns kept after the template's
    rows: list[Mapping[str, object]] = field(default_factory=list)  # by field key: dicts, `Row`s once packed
    extras: list[list[object]] = field(default_factory=list)  # values of the extra columns, per row
    sources: list[int] = field(default_factory=list)  # the old list's row number of each new row
    problems: list[Issue] = field(default_factory=list)  # row and column: the old list's cell
    translated: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (key, word, value) → cells
    skipped: list[int] = field(default_factory=list)  # rows with values only in columns no field maps
    filled: int = 0  # cells given the value of the merged cell above them
    cleaned: int = 0  # cells that held control characters a workbook cannot hold (removed)
    _new_rows: dict[int, int] = field(default_factory=dict, repr=False, compare=False)  # source row → new row

    @property
    def extra_headers(self) -> list[str]:
        return [column.header for column in self.extra]

    def new_row(self, source_row: int) -> int:
        """The row of the new register that the old list's `source_row` went to."""
        if len(self._new_rows) != len(self.sources):
            self._new_rows = {source: FIRST_DATA_ROW + i for i, source in enumerate(self.sources)}
        return self._new_rows[source_row]

    def pack(self) -> None:
        """The rows as `Row`s, once written: the values of each, the keys shared (half a dict's memory)."""
        keys = tuple(self.rows[0]) if self.rows else ()
        self.rows = [Row(keys, tuple(row.values())) if tuple(row) == keys else row for row in self.rows]


class Row(Mapping[str, object]):
    """A planned row, read-only: its values by the keys it shares with the other rows."""

    __slots__ = ("_keys", "_values")

    def __init__(self, keys: tuple[str, ...], values: tuple[object, ...]):
        self._keys, self._values = keys, values

    def __getitem__(self, key: str) -> object:
        try:
            return self._values[self._keys.index(key)]
        except ValueError:
            raise KeyError(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return repr(dict(self))


def plan_import(register: Register, rows: Sequence[Sequence[object]], *, settings: Settings = DEFAULT_SETTINGS,
                merged: Merged = (), lang: str = "zh", data: Sequence[int] | None = None) -> ImportPlan:
    """What the new register holds for the old list `register` found in `rows` (its sheet's values from A1).

    `data` are the numbers of its data rows, when `register.rows` is let go of (default: theirs).
    """
    grid = fill_merged(rows, merged, below=register.header_row - 1)
    mapped = sorted(register.columns.values(), key=lambda c: c.index)
    data = [row.number for row in register.rows] if data is None else data
    plan = ImportPlan(mapped, extra_columns(register, grid, data, lang))
    listed = set(data)
    plan.filled = sum(1 for r, _ in grid.filled if r + 1 in listed)
    mapper = ValueMapper(settings, date1904=register.date1904, lang=lang)
    columns = [(column, column.key or "", column.index, column.key not in _WORDS and column.key != "case_no")
               for column in mapped]
    for number in data:
        values = grid.rows[number - 1]
        width = len(values)
        record: dict[str, object] = {}
        for column, key, index, text in columns:
            value = values[index] if index < width else None
            if type(value) is str:
                if not value.isprintable() and _XML_ILLEGAL.search(value):  # isprintable: a quick no
                    value, plan.cleaned = _XML_ILLEGAL.sub("", value), plan.cleaned + 1
                if text:  # the most common cell, as mapper.map would map it
                    record[key] = value if value.strip() else None
                    continue
            record[key], problem, translated = mapper.map(key, value)
            if problem:
                code, detail = problem
                plan.problems.append(Issue.make(code, row=number, column=column.letter, field=key,
                                                value=cell_text(value), extra=detail))
            elif translated:
                plan.translated[(key, *translated)] += 1
        plan.rows.append(record)
        plan.extras.append([_extra(plan, values[c.index] if c.index < width else None) for c in plan.extra])
        plan.sources.append(number)
    listed.update(register.note_rows)
    plan.skipped = [i + 1 for i in range(register.header_row, len(rows))
                    if i + 1 not in listed and any(cell_text(v) for v in rows[i])]
    return plan


def _extra(plan: ImportPlan, value: object) -> object:
    value, cleaned = clean(value)
    plan.cleaned += cleaned
    return extra_value(value)


_WORDS = {key for key, f in FIELD_BY_KEY.items() if f.kind in (Kind.CHOICE, Kind.DATE)}  # few values, many cells
_NEVER_BLANK = {int, float, bool, date, datetime}


def map_value(key: str, value: object, settings: Settings, *, date1904: bool = False,
              lang: str = "zh") -> tuple[object, tuple[Code, str] | None]:
    """The value field `key` gets for an old list's cell value, and the problem (code, detail) if it did not map.

    A value that does not map is kept as written.
    """
    mapped, problem, _ = ValueMapper(settings, date1904=date1904, lang=lang).map(key, value)
    return mapped, problem


class ValueMapper:
    """`map_value` over the cells of one import: the case pattern compiled once, each date and choice
    word (few, in many cells) mapped once."""

    def __init__(self, settings: Settings, *, date1904: bool = False, lang: str = "zh"):
        self.settings, self.date1904, self.lang = settings, date1904, lang
        self.pattern = CasePattern(settings.case_pattern)
        self._known: dict[tuple[str, type, object], tuple[object, tuple[Code, str] | None, tuple[str, str] | None]] = {}

    def map(self, key: str, value: object) -> tuple[object, tuple[Code, str] | None, tuple[str, str] | None]:
        """(value, problem, (word, configured value) when a choice word was translated)."""
        kind = type(value)
        if value is None or (kind is str and not value.strip()) or (
                kind not in _NEVER_BLANK and kind is not str and cell_text(value) == ""):
            return None, None, None
        if key == "case_no" and not self.pattern.matches(cell_text(value)):
            return _plain_number(value), (Code.BAD_CASE_NO, self.pattern.shown), None
        if key not in _WORDS:
            return _plain_number(value), None, None
        try:
            return self._known[(key, kind, value)]
        except KeyError:
            found = self._known[(key, kind, value)] = self._word(key, value)
            return found
        except TypeError:  # a value that cannot be a key
            return self._word(key, value)

    def _word(self, key: str, value: object) -> tuple[object, tuple[Code, str] | None, tuple[str, str] | None]:
        if FIELD_BY_KEY[key].kind is Kind.DATE:
            try:
                return parse_date(value, date1904=self.date1904), None, None
            except ValueError:
                return (value if isinstance(value, str) else cell_text(value)), (Code.BAD_DATE, ""), None
        text = cell_text(value)
        found = choice_value(self.settings, key, text)
        if found is None:
            return value, (Code.BAD_CHOICE, "、".join(allowed_values(self.settings, key))), None
        shown = shown_value(self.settings, key, found, self.lang)
        return shown, None, ((text, shown) if shown != text else None)


def extra_value(value: object) -> object:
    """A value of a column the template lacks, as it will be written: as it was (whole numbers as int)."""
    if value is None or (isinstance(value, str) and value == ""):
        return None
    return _plain_number(value)


def allowed_values(settings: Settings, key: str) -> list[str]:
    """The configured values of choice field `key`, as messages list them."""
    return {
        "category": list(settings.categories),
        "source": list(settings.sources),
        "priority": [p.name for p in settings.priorities],
        "status": list(STATUSES),
        "contract_type": list(CONTRACT_TYPES),
    }[key]


def shown_value(settings: Settings, key: str, value: str, lang: str) -> str:
    """A configured value as an English register's dropdowns show it (its English name), else as it is."""
    if lang != "en":
        return value
    english = {"status": STATUSES, "contract_type": CONTRACT_TYPES,
               "priority": {p.name: p.english for p in settings.priorities}}.get(key, {})
    return english.get(value, value)


def clean(value: object) -> tuple[object, int]:
    """`value` without the control characters a workbook cannot hold; 1 when some were removed."""
    if isinstance(value, str) and not value.isprintable() and _XML_ILLEGAL.search(value):
        return _XML_ILLEGAL.sub("", value), 1
    return value, 0


@dataclass
class Grid:
    rows: list[Sequence[object]]
    filled: set[tuple[int, int]] = field(default_factory=set)  # (row, column), 0-based


def fill_merged(rows: Sequence[Sequence[object]], merged: Merged, *, below: int) -> Grid:
    """`rows` with the value of each merged cell below row `below` (0-based) given to every row it spans.

    Only down its first column: a cell merged across columns does not spill into the next fields.
    """
    grid = Grid(list(rows))  # a row is copied when a value is given to it
    for (top, left), (bottom, _) in merged:
        if top <= below or top >= len(grid.rows):
            continue
        value = _at(grid.rows[top], left)
        if cell_text(value) == "":
            continue
        for r in range(top + 1, min(bottom, len(grid.rows) - 1) + 1):
            if cell_text(_at(grid.rows[r], left)) == "":
                row = grid.rows[r] = list(grid.rows[r])
                row.extend([""] * (left + 1 - len(row)))
                row[left] = value
                grid.filled.add((r, left))
    return grid


def extra_columns(register: Register, grid: Grid, data: Sequence[int], lang: str = "zh") -> list[Column]:
    """The columns kept after the template's: the unknown (and repeated) headers, and headerless columns with values."""
    used = {c.index for c in register.columns.values()} | {c.index for c in register.extra_columns}
    width = max((len(grid.rows[n - 1]) for n in data), default=0)
    blank = [Column(None, f"Column {column_letter(i)}" if lang == "en" else f"{column_letter(i)}列", i)
             for i in range(width) if i not in used
             and any(cell_text(_at(grid.rows[n - 1], i)) for n in data)]
    return sorted([*register.extra_columns, *blank], key=lambda c: c.index)


def _at(row: Sequence[object], index: int) -> object:
    return row[index] if index < len(row) else None


def _plain_number(value: object) -> object:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


# --- the command ------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What import read, wrote and could not map; `ok` when every value mapped."""

    source: Path
    target: Path
    kind: str  # csv, xls, xlsx, xlsm, xlsb, ods
    encoding: str | None  # a CSV's: UTF-8, UTF-8 (BOM), GBK or GB18030
    sheet: str
    header_row: int
    plan: ImportPlan
    validation: ValidationReport
    settings_from_file: bool = False  # the old list's own 设置 sheet was carried over
    other_sheets: list[str] = field(default_factory=list)  # sheets of the old list not imported

    @property
    def rows(self) -> int:
        return len(self.plan.rows)

    @property
    def problems(self) -> list[Issue]:
        return self.plan.problems

    @property
    def problem_rows(self) -> list[int]:
        return sorted({issue.row for issue in self.problems if issue.row})

    @property
    def ok(self) -> bool:
        return not self.problems

    def where(self, issue: Issue, lang: str = "zh") -> str:
        """The old list's cell of `issue`: file, sheet and cell."""
        if lang == "en":
            return f"{self.source.name} sheet {self.sheet} {issue.cell}"
        return f"{self.source.name}「{self.sheet}」{issue.cell}"

    def to_rows(self, lang: str = "zh") -> list[list[object]]:
        """One row per value that did not map: old cell, new cell, field, problem, value."""
        en = lang == "en"
        letters = {key: column_letter(i) for i, key in enumerate(FIELD_BY_KEY)}
        rows = []
        for issue in self.problems:
            new = f"{letters[issue.field or '']}{self.plan.new_row(issue.row or 0)}"
            kept = "; kept as written" if en else "；已原样保留"
            rows.append([self.where(issue, lang), new, issue.label(lang), issue.text(lang) + kept, issue.value])
        return rows

    def problem_lines(self, lang: str = "zh") -> list[str]:
        """One line per value that did not map: the old list's cell, the new cell, what is wrong."""
        if lang == "en":
            return [f"{where} → {REGISTER_SHEET}!{new}: {problem}" for where, new, _, problem, _ in self.to_rows(lang)]
        return [f"{where} → 「{REGISTER_SHEET}」{new}：{problem}" for where, new, _, problem, _ in self.to_rows(lang)]

    def lines(self, lang: str = "zh") -> list[str]:
        """What was read and written, for the terminal and the ribbon (the problems themselves: `to_rows`)."""
        en = lang == "en"
        kind = _KIND_NAMES.get(self.kind, self.kind)
        if self.encoding:
            kind += f", encoding {self.encoding}" if en else f"，编码 {self.encoding}"
        plan = self.plan
        out = [f"Read {self.source.name} ({kind}), sheet {self.sheet}, header in row {self.header_row}" if en
               else f"读取 {self.source.name}（{kind}）工作表「{self.sheet}」，表头在第 {self.header_row} 行"]
        pairs = [f"{c.header} → {_header(c.key, lang)}" for c in plan.mapped if c.header != _header(c.key, lang)]
        if pairs:
            out.append("Columns: " + "; ".join(pairs) if en else "列映射：" + "；".join(pairs))
        if plan.extra:
            headers = ", ".join(plan.extra_headers) if en else "、".join(plan.extra_headers)
            out.append(f"Kept {len(plan.extra)} columns of your own after the template's: {headers}" if en
                       else f"保留 {len(plan.extra)} 个自定义列（在模板列之后）：{headers}")
        for (key, word, value), count in sorted(plan.translated.items()):
            out.append(f"{_header(key, lang)}: {word} → {value} ({count} row{'s' if count > 1 else ''})" if en
                       else f"{_header(key, lang)}：{word} → {value}（{count} 行）")
        if plan.filled:
            out.append(f"{plan.filled} cells took the value of the merged cell above them" if en
                       else f"{plan.filled} 个单元格取了其所在合并单元格的值")
        if plan.cleaned:
            out.append(f"{plan.cleaned} cells held control characters, which were removed" if en
                       else f"{plan.cleaned} 个单元格含不可见的控制字符，已删除")
        if plan.skipped:
            out.append(f"Not rows (values only in columns no field maps): row {_ranges(plan.skipped)}" if en
                       else f"第 {_ranges(plan.skipped)} 行只在未映射的列中有值，不是清单行，未导入")
        if self.other_sheets:
            names = ", ".join(self.other_sheets) if en else "、".join(f"「{s}」" for s in self.other_sheets)
            out.append(f"Other sheets, not imported: {names} (choose one with --sheet)" if en
                       else f"其他工作表未导入：{names}（可用 --sheet 指定）")
        if self.settings_from_file:
            out.append(f"The {SETTINGS_SHEET} sheet of the old list was carried over" if en
                       else f"已沿用旧清单的「{SETTINGS_SHEET}」工作表")
        return out

    def summary(self, lang: str = "zh") -> list[str]:
        """What was written, how many rows did not map, and what validate says of the new register."""
        en = lang == "en"
        last = FIRST_DATA_ROW + self.rows - 1
        where = (f" (rows {FIRST_DATA_ROW}–{last} of {REGISTER_SHEET})" if en
                 else f"（「{REGISTER_SHEET}」第 {FIRST_DATA_ROW}–{last} 行）") if self.rows else ""
        out = [f"Wrote {self.target}: {self.rows} rows{where}" if en
               else f"已写入 {self.target}：{self.rows} 行{where}"]
        if self.problems:
            out.append(f"{len(self.problem_rows)} rows of {self.source.name} hold values that could not be mapped; "
                       "they were kept as written" if en
                       else f"{self.source.name} 中有 {len(self.problem_rows)} 行的值无法映射，已原样保留")
        check = self.validation.summary(lang)
        if not self.validation.valid:
            check += (f" (details: xlcsr validate {self.target.name})" if en
                      else f"（详情：xlcsr validate {self.target.name}）")
        out.append(("New register: " if en else "新清单校验：") + check)
        return out


def import_legacy(legacy: Path, out: Path, *, today: date, sheet: str | None = None,
                  lang: str = "zh") -> ImportResult:
    """Write the old list `legacy` as a new register `out` (a folder: the register's file name in it).

    Refuses (nothing written) when `out` exists or is not an .xlsx, or the old list cannot be read.
    """
    target = import_target(out)
    with collector_paused():
        source = open_legacy(Path(legacy))
        register = find_register(source, sheet)
        carried = not register.settings.from_defaults
        settings = register.settings if carried else DEFAULT_SETTINGS
        data = [row.number for row in register.rows]
        register = replace(register, rows=[])  # the plan reads the sheet's values: the rows' copies go
        plan = plan_import(register, source.values(register.sheet), settings=settings,
                           merged=source.merged(register.sheet), lang=lang, data=data)
        others = other_sheets(source, register.sheet)
        read = (source.kind, source.encoding, register.sheet, register.header_row)
        del source, register  # the old list's cells, let go before the new register is written and checked
        import_target(target)  # still free just before writing
        target.parent.mkdir(parents=True, exist_ok=True)
        report = write_checked(target, plan, settings, lang=lang, today=today)
    return ImportResult(Path(legacy), target, *read, plan, report, carried, others)


def write_checked(target: Path, plan: ImportPlan, settings: Settings, *, lang: str, today: date) -> ValidationReport:
    """Write `plan` as the new register `target`, and validate it as written (its 清单 not read back)."""
    new = new_register(target, settings, plan.rows, lang=lang, extra_headers=plan.extra_headers,
                       extra_rows=plan.extras)
    plan.pack()
    written = find_register(new)
    del new  # its cells, once found
    return validate_register(written, today=today)[0]


def other_sheets(source: SheetSource, imported: str) -> list[str]:
    """The old list's sheets besides `imported` that hold values (not Excel's empty Sheet2), not xlcsr's own."""
    return [name for name in source.sheet_names() if name != imported and name not in OWN_SHEETS
            and any(cell_text(v) for row in source.values(name) for v in row)]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused: an import makes millions of objects without cycles, and each
    pass of the collector walks all of them (seconds over 100,000 rows). Refcounting still frees them.

    Afterwards what was made joins the collector's oldest generation (freeze, unfreeze) rather than
    its youngest, whose next pass would walk it all at once.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def import_target(out: Path) -> Path:
    """The file import writes: `out`, or the register's file name in the folder `out`; never an existing file."""
    out = Path(out)
    target = out / REGISTER_FILE if out.is_dir() else out
    if target.suffix.lower() != ".xlsx":
        raise OutputRefused(f"新清单应为 .xlsx 文件：{target.name} / the new register must be an .xlsx file: "
                            f"{target.name}")
    if target.exists() or target.is_symlink():
        raise OutputRefused(f"{target} 已存在，未覆盖，也未写入任何文件：请换一个文件名 / {target} already exists; "
                            "it was not overwritten and nothing was written: choose another name")
    return target


def free_target(folder: Path, today: date) -> Path:
    """A register file name in `folder` that is not taken: 顾客特殊要求清单-导入-YYYYMMDD[-n].xlsx."""
    stem = f"{Path(REGISTER_FILE).stem}-导入-{today:%Y%m%d}"
    target, n = folder / f"{stem}.xlsx", 2
    while target.exists():
        target, n = folder / f"{stem}-{n}.xlsx", n + 1
    return target


def _header(key: str | None, lang: str) -> str:
    known = FIELD_BY_KEY[key or ""]
    return known.english if lang == "en" else known.header


def _ranges(numbers: Sequence[int]) -> str:
    """3、5–7、10 for [3, 5, 6, 7, 10]."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return "、".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)

