"""评审记录表 per case: the review form filled from the register and its 会签记录, sealed for a review meeting.

    >>> result = write_records(Path("顾客特殊要求清单.xlsx"), ["CSR-2026-0001"], out=Path("评审记录"),
    ...                        pdf=True, today=date(2026, 11, 25))
    >>> [p.name for p in result.written], [p.name for p in result.pdfs], result.unknown
    (['评审记录表-CSR-2026-0001.xlsx'], ['评审记录表-CSR-2026-0001.pdf'], [])

`xlcsr record` and the ribbon button 打印评审记录表 call `write_records`. It reads the register once,
takes the cases named (and with `all_cases` every case with answers in 会签记录, in register order),
and writes `out/评审记录表-<case>.xlsx` for each (never over a file: -2, -3 … are added). A case
number that is not a valid row of the register is listed in `unknown`, not an error. The forms are
sealed with the register's key, so a form filled at a review meeting (会议评审) is collected by
`xlcsr collect` like a sign-off workbook; a register that has no id yet gets one (written into its
`_xlcsr` state) the first time. With `pdf`, LibreOffice headless converts the forms when `soffice`
is on PATH; when it is not, the result says so (`pdf_missing`) and the forms are written all the same.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from xlcsr.app.commands import RegisterBook, as_book
from xlcsr.app.signoff import ensure_register_id
from xlcsr.domain.records import CsrRecord, Register
from xlcsr.domain.vocab import RECORD_STEM
from xlcsr.files.file_book import Clock
from xlcsr.files.review_forms import free_name, pdf_of, soffice, write_review_record
from xlcsr.rules.signoff import Ledger, ledger_of
from xlcsr.rules.validate import validate_register

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')  # characters a Windows file name cannot hold

ROW_HEADERS = {"zh": ["案件号", "评审记录表", "PDF"], "en": ["Case No.", "Review record", "PDF"]}


@dataclass
class RecordResult:
    """What record wrote: a form per case (and its PDF), and the case numbers the register does not have."""

    written: list[Path] = field(default_factory=list)
    pdfs: list[Path] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)  # the case of each form written, in order
    pdf_asked: bool = False
    pdf_missing: bool = False  # asked, but LibreOffice (soffice) is not on PATH
    converted: dict[Path, Path] = field(default_factory=dict)  # form → its PDF

    @property
    def pdf_failed(self) -> list[Path]:
        """Forms LibreOffice was asked to convert and did not."""
        return [p for p in self.written if p not in self.converted] if self.pdf_asked and not self.pdf_missing else []

    @property
    def ok(self) -> bool:
        return bool(self.written) and not self.unknown and not self.pdf_missing and not self.pdf_failed

    def to_rows(self, lang: str = "zh") -> list[list[object]]:
        """[case, form, PDF] per form written; [case, "not in the register", ""] per unknown case."""
        rows: list[list[object]] = [[case, path.name, self.converted[path].name if path in self.converted else ""]
                                    for case, path in zip(self.cases, self.written)]
        missing = "不在清单中（或该行有错误）" if lang != "en" else "not in the register (or its row has errors)"
        rows += [[case, missing, ""] for case in self.unknown]
        return rows

    def summary(self, lang: str = "zh") -> str:
        if lang == "en":
            text = f"{len(self.written)} review record(s) written"
            if self.pdf_asked:
                text += (", no PDF: LibreOffice (soffice) is not installed or not on PATH" if self.pdf_missing
                         else f", {len(self.pdfs)} PDF(s)" + (f", {len(self.pdf_failed)} failed to convert"
                                                            if self.pdf_failed else ""))
            return text + (f"; unknown cases: {', '.join(self.unknown)}" if self.unknown else "")
        text = f"已写出 {len(self.written)} 份评审记录表"
        if self.pdf_asked:
            failed = f"，{len(self.pdf_failed)} 份转换失败" if self.pdf_failed else ""
            text += ("，未生成 PDF：未安装 LibreOffice（PATH 中没有 soffice）" if self.pdf_missing
                     else f"，PDF {len(self.pdfs)} 份{failed}")
        return text + (f"；清单中没有这些案件：{'、'.join(self.unknown)}" if self.unknown else "")


def write_records(book: RegisterBook | Path, cases: Sequence[str], *, out: Path, all_cases: bool = False,
                  pdf: bool = False, today: date, lang: str = "zh", clock: Clock | None = None) -> RecordResult:
    """Write `out/评审记录表-<case>.xlsx` for each case named (with `all_cases`, each with answers in 会签记录)."""
    book = as_book(book, clock, command="record")
    register = book.read()
    _, records = validate_register(register, today=today)
    ledger = ledger_of(register, records)
    chosen, unknown = pick_cases(records, ledger, cases, all_cases=all_cases)
    if not chosen:
        return RecordResult(unknown=unknown, pdf_asked=pdf)
    ident, key = ensure_register_id(book, register)
    result = write_case_records(register, ledger, chosen, out=out, register_id=ident, key=key, today=today,
                                pdf=pdf, lang=lang)
    result.unknown = unknown
    return result


def pick_cases(records: Sequence[CsrRecord], ledger: Ledger, cases: Sequence[str], *,
               all_cases: bool = False) -> tuple[list[CsrRecord], list[str]]:
    """The records of the cases asked for, once each, and the case numbers not found (as typed).

    A case number matches as typed, else ignoring case and surrounding blanks.
    """
    by_case = {r.case_no: r for r in records if r.case_no}
    folded = {case.casefold(): r for case, r in by_case.items()}
    chosen: dict[str, CsrRecord] = {}
    unknown: list[str] = []
    for case in cases:
        record = by_case.get(case) or folded.get(case.strip().casefold())
        if record is None:
            if case not in unknown:
                unknown.append(case)
        else:
            chosen.setdefault(record.case_no, record)
    if all_cases:
        for record in records:
            if record.case_no and ledger.reviewed_here(record.case_no):
                chosen.setdefault(record.case_no, record)
    return list(chosen.values()), unknown


def write_case_records(register: Register, ledger: Ledger, records: Sequence[CsrRecord], *, out: Path,
                       register_id: str, key: bytes, today: date, pdf: bool = False,
                       lang: str = "zh") -> RecordResult:
    """The forms of `records`, sealed with `register_id`'s `key`, into `out`; with `pdf`, their PDFs."""
    out.mkdir(parents=True, exist_ok=True)
    result = RecordResult(pdf_asked=pdf)
    for record in records:
        target = free_name(out, f"{RECORD_STEM}-{_UNSAFE.sub('_', record.case_no)}", ".xlsx")
        result.written.append(write_review_record(target, register=register, record=record, ledger=ledger,
                                                  register_id=register_id, key=key, issued=today, lang=lang))
        result.cases.append(record.case_no)
    if pdf:
        program = soffice()
        if program is None:
            result.pdf_missing = True
        else:
            result.converted = pdf_of(result.written, out, program=program)
            result.pdfs = [result.converted[p] for p in result.written if p in result.converted]
    return result
