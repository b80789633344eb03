"""The register's 会签记录 sheet: one row per answer collected, append-only, as cell values.

    >>> [zh for zh, _ in LOG_HEADERS][:4]
    ['案件号', '版本号', '指纹', '部门']
    >>> entries_from_rows(rows)[0].answer
    '可满足'

Row 1 is the header; each entry below it keeps the case, revision and fingerprint it was given for,
who answered what and when, the file it came from and when it was collected, and whether it counts
(有效) or was answered for text since changed (已失效). A row that does not read as an entry (the
user typed into the sheet) is skipped, never guessed at.
"""

from __future__ import annotations

from collections.abc import Sequence

from xlcsr.domain.dates import parse_date, parse_moment
from xlcsr.domain.records import cell_text
from xlcsr.domain.signoff import Entry, EntryState, Kind

LOG_HEADERS: tuple[tuple[str, str], ...] = (
    ("案件号", "Case No."), ("版本号", "Revision"), ("指纹", "Fingerprint"), ("部门", "Department"),
    ("类型", "Kind"), ("答复", "Answer"), ("说明", "Note"), ("评审人", "Reviewer"), ("评审日期", "Date"),
    ("来源文件", "File"), ("收集时间", "Collected at"), ("状态", "State"),
)
LOG_WIDTHS = {1: 16, 2: 7, 3: 18, 4: 10, 5: 7, 6: 12, 7: 40, 8: 10, 9: 12, 10: 28, 11: 18, 12: 8}


def log_header(lang: str = "zh") -> list[str]:
    return [en if lang == "en" else zh for zh, en in LOG_HEADERS]


def entry_row(entry: Entry) -> list[object]:
    """The cells of an entry's row: dates as dates, the rest as text."""
    return [entry.case_no, entry.revision, entry.fingerprint, entry.department, str(entry.kind), entry.answer,
            entry.note, entry.reviewer, entry.day, entry.file, entry.collected_at.replace(microsecond=0),
            str(entry.state)]


def entries_from_rows(rows: Sequence[Sequence[object]], date1904: bool = False) -> list[Entry]:
    """The entries of the sheet's rows (row 1 the header), each with its sheet row."""
    entries = []
    for number, row in enumerate(rows[1:], start=2):
        entry = _entry(number, list(row) + [None] * (len(LOG_HEADERS) - len(row)), date1904)
        if entry is not None:
            entries.append(entry)
    return entries


def _entry(number: int, cells: list[object], date1904: bool) -> Entry | None:
    case_no, revision, print_, department, kind, answer, note, reviewer, day, file, at, state = \
        cells[:len(LOG_HEADERS)]
    texts = [cell_text(v) for v in (case_no, print_, department, kind, answer)]
    if not all(texts):
        return None
    try:
        when = parse_date(day, date1904=date1904)
        collected = parse_moment(at, date1904=date1904)
        return Entry(texts[0], int(float(cell_text(revision) or 1)), texts[1], texts[2], Kind(texts[3]), texts[4],
                     cell_text(note), cell_text(reviewer), when, cell_text(file), collected,
                     EntryState(cell_text(state) or EntryState.APPLIED), number)
    except ValueError:
        return None

