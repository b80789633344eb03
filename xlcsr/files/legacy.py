"""An old list in any format as a `SheetSource`: .xlsx/.xlsm, .xls, .xlsb, .ods or CSV text.

    >>> source = open_legacy(Path("旧清单.csv"))
    >>> source.kind, source.encoding, source.sheet_names()
    ('csv', 'GBK', ['旧清单'])

What a file is comes from its bytes, never only from its name: a zip or an OLE compound file is a
workbook (an .xlsx/.xlsm through `reader.FileSource`, with its formulas and date system; an .xls,
.xlsb or .ods through python-calamine), anything else is delimited text. Text is read as UTF-8
(with or without a byte-order mark) or as GB18030/GBK, the encoding Excel writes CSV in on Chinese
Windows — detected, never guessed: a file that decodes as neither, or whose GB18030 reading is not
Chinese text, is refused with one line. CSV values stay text (`007` stays `007`); the delimiter is
the one of `,` `;` and tab that splits the rows into columns (an Excel `sep=` first line wins);
`="007"`, Excel's way of keeping a code as text in a CSV, is read as `007`.

`merged(sheet)` gives the merged ranges ((first row, first column), (last row, last column),
0-based), so the import can give every row of a merged cell its value. A workbook's sheet is parsed
once (calamine parses it again on every `get_sheet_by_name`): finding the register, planning the
import and the merged ranges all use that one reading.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import python_calamine
from lxml import etree

from xlcsr.domain.errors import FormatNotEdited, LegacyUnreadable, WorkbookEncrypted
from xlcsr.files.reader import Background, FileSource, check_workbook

Merged = list[tuple[tuple[int, int], tuple[int, int]]]

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_DELIMITERS = (",", "\t", ";")
_SEP_LINE = re.compile(r"^\ufeff?sep=(.)\s*$")
_EXCEL_TEXT = re.compile(r'^="(.*)"$', re.S)  # ="007" in a CSV: Excel's text
_SHEET_NAME_MAX = 31  # Excel names a CSV's sheet after the file, cut to 31 characters
_CHINESE_SHARE = 0.9  # of the non-ASCII characters of a GB18030 reading, this many must be GB2312 text
_ODS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"

UTF8, UTF8_BOM, GBK, GB18030 = "UTF-8", "UTF-8 (BOM)", "GBK", "GB18030"


def open_legacy(path: Path) -> FileSource | CalamineSource | CsvSource:
    """The old list at `path` as a `SheetSource` with `kind`, `encoding` and `merged`; one-line error otherwise."""
    path = Path(path)
    head = _head(path)
    if not head or head.startswith((_CFB_MAGIC, *_ZIP_MAGIC)) or _is_markup(head):
        try:
            check_workbook(path)  # missing, a folder, empty, encrypted, damaged, a web page …: its message
        except FormatNotEdited:
            if head.startswith(_CFB_MAGIC):
                return CalamineSource(path, "xls")
            if head.startswith(_ZIP_MAGIC):
                return CalamineSource(path, "ods" if _is_ods(path) else "xlsb")
            raise
        return XlsxSource(path)
    return CsvSource(path)


class XlsxSource(FileSource):
    """An .xlsx/.xlsm list: the register reader's source, with the merged ranges calamine knows."""

    encoding: str | None = None

    def __init__(self, path: Path):
        super().__init__(path)
        self.kind = "xlsm" if path.suffix.lower() == ".xlsm" else "xlsx"
        self._sheets = _Sheets(self.book)
        self._looking: dict[str, Background[set[str]]] = {}  # formulas looked for while calamine parses

    def values(self, sheet: str) -> list[list[object]]:
        return self._sheets.values(sheet, super().values)

    def rows(self, sheet: str) -> Iterator[list[object]]:
        """The rows of `values(sheet)` (the import plans from those same values, so they are read once);
        the sheet's formulas are looked for meanwhile, while calamine parses."""
        if sheet not in self._looking:
            self._looking[sheet] = Background(lambda: FileSource.formulas(self, sheet))
        return iter(self.values(sheet))

    def formulas(self, sheet: str) -> set[str]:
        looking = self._looking.pop(sheet, None)
        return looking.result() if looking is not None else super().formulas(sheet)

    def merged(self, sheet: str) -> Merged:
        return self._sheets.merged(sheet)


class CalamineSource:
    """An .xls, .xlsb or .ods list read by python-calamine (values only: formulas show their results)."""

    encoding: str | None = None

    def __init__(self, path: Path, kind: str):
        self.path, self.kind, self.label = path, kind, str(path)
        try:
            self.book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))
        except python_calamine.PasswordError as exc:
            raise WorkbookEncrypted(
                f"{path.name} 受密码保护：请在 Excel 中打开并另存为不设密码的文件后再导入 / "
                f"{path.name} is password-protected: save it without a password, then import it") from exc
        except Exception as exc:  # calamine raises several kinds for damaged files
            raise LegacyUnreadable(
                f"无法读取 {path.name}（{_KINDS[kind]}）：内容已损坏，请在 Excel 或 WPS 中打开修复后另存 / "
                f"cannot read {path.name} (.{kind}): its content is damaged; let Excel or WPS repair it and "
                "save it") from exc

        self._sheets = _Sheets(self.book)

    def sheet_names(self) -> list[str]:
        return list(self.book.sheet_names)

    def values(self, sheet: str) -> list[list[object]]:
        return self._sheets.values(sheet, self._damaged)

    def _damaged(self, sheet: str) -> list[list[object]]:
        raise LegacyUnreadable(f"{self.path.name} 的工作表「{sheet}」已损坏，无法读取 / "
                               f"sheet '{sheet}' of {self.path.name} is damaged and cannot be read")

    def formulas(self, sheet: str) -> set[str]:
        return set()

    def date1904(self) -> bool:
        return False  # calamine turns date cells into dates in the file's own date system

    def modified_by(self) -> str:
        return ""

    def merged(self, sheet: str) -> Merged:
        if self.kind == "ods":
            return _ods_merged(self.path, sheet)
        return self._sheets.merged(sheet)


_KINDS = {"xls": ".xls（Excel 97-2003 工作簿）", "xlsb": ".xlsb（Excel 二进制工作簿）",
          "ods": ".ods（OpenDocument 表格）"}


class CsvSource:
    """A CSV (or tab-separated) text file: one sheet named after the file, every value text."""

    kind = "csv"

    def __init__(self, path: Path):
        self.path, self.label = path, str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise LegacyUnreadable(f"无法读取 {path.name}（{exc.strerror}） / "
                                   f"cannot read {path.name} ({exc.strerror})") from exc
        text, self.encoding = decode_text(data, path.name)
        self.delimiter, self.table = parse_delimited(text)
        self.sheet = path.stem[:_SHEET_NAME_MAX] or "CSV"

    def sheet_names(self) -> list[str]:
        return [self.sheet]

    def values(self, sheet: str) -> list[list[object]]:
        return self.table if sheet == self.sheet else []  # type: ignore[return-value]

    def formulas(self, sheet: str) -> set[str]:
        return set()

    def date1904(self) -> bool:
        return False

    def modified_by(self) -> str:
        return ""

    def merged(self, sheet: str) -> Merged:
        return []


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in: UTF-8 (BOM or not), GBK or GB18030; else refused."""
    if data.startswith(_UTF16_BOMS):
        raise LegacyUnreadable(
            f"{name} 是 UTF-16（Unicode 文本）编码：请在 Excel 中另存为「CSV UTF-8（逗号分隔）」或 .xlsx 后再导入 / "
            f"{name} is UTF-16 (Unicode text): save it from Excel as CSV UTF-8 or .xlsx, then import it")
    if data.startswith(_UTF8_BOM):
        try:
            return data[len(_UTF8_BOM):].decode("utf-8"), UTF8_BOM
        except UnicodeDecodeError as exc:
            raise _unknown_encoding(name) from exc
    if b"\0" in data:
        raise LegacyUnreadable(f"{name} 既不是工作簿也不是文本文件（CSV），无法导入 / "
                               f"{name} is neither a workbook nor a text (CSV) file; it cannot be imported")
    try:
        return data.decode("utf-8"), UTF8
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise _unknown_encoding(name) from exc
    if not _reads_as_chinese(text):
        raise _unknown_encoding(name)
    return text, GBK if _encodes(text, "gbk") else GB18030


def _reads_as_chinese(text: str) -> bool:
    """A GB18030 reading is Chinese text, not another encoding's bytes that happen to decode.

    Text Excel writes in GBK is almost all GB2312 characters; Latin-1, Big5 or Shift-JIS bytes read
    as GB18030 give mostly rare extension characters, private-use characters or control codes.
    """
    others = [ch for ch in text if ord(ch) > 0x7F]
    if any(0xE000 <= ord(ch) <= 0xF8FF or 0x80 <= ord(ch) <= 0x9F for ch in others):
        return False
    common = sum(1 for ch in others if _encodes(ch, "gb2312"))
    return common >= _CHINESE_SHARE * len(others)


def _encodes(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _unknown_encoding(name: str) -> LegacyUnreadable:
    return LegacyUnreadable(
        f"{name} 的编码既不是 UTF-8 也不是 GB18030/GBK，无法可靠读取：请在 Excel 中另存为「CSV UTF-8（逗号分隔）」"
        f"或 .xlsx 后再导入 / {name} is neither UTF-8 nor GB18030/GBK text and cannot be read reliably: save it "
        "from Excel as CSV UTF-8 or .xlsx, then import it")


def parse_delimited(text: str) -> tuple[str, list[list[str]]]:
    """The delimiter and the rows of CSV text; `sep=;` on the first line names the delimiter."""
    first, _, rest = text.partition("\n")
    declared = _SEP_LINE.match(first.rstrip("\r"))
    if declared:
        text, candidates = rest, (declared[1],)
    else:
        candidates = _DELIMITERS
    best = max(candidates, key=lambda d: _columns_score(text, d))  # ties: the first, a comma
    rows = [[_cell(value) for value in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=best)]
    return best, rows


def _columns_score(text: str, delimiter: str) -> int:
    """How many of the first rows this delimiter splits into three or more columns."""
    rows = csv.reader(io.StringIO(text[:65536], newline=""), delimiter=delimiter)
    return sum(1 for _, row in zip(range(100), rows) if len(row) >= 3)


def _cell(value: str) -> str:
    match = _EXCEL_TEXT.match(value)
    return match[1].replace('""', '"') if match else value


# --- bytes ------------------------------------------------------------------------------------


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(4096)
    except OSError:
        return b""  # check_workbook says why


def _is_markup(head: bytes) -> bool:
    """A web page or XML spreadsheet (often saved as .xls by other programs): the reader's refusal says so."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<?xml", b"<html", b"<!doctype", b"<table"))


def _is_ods(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as package:
            return b"opendocument.spreadsheet" in package.read("mimetype")[:200]
    except (KeyError, zipfile.BadZipFile, OSError):
        return False


class _Sheets:
    """Each sheet of a calamine workbook parsed once (a second `get_sheet_by_name` parses it again): its
    values and merged ranges kept until the source is dropped."""

    def __init__(self, book: python_calamine.CalamineWorkbook):
        self.book = book
        self._read: dict[str, tuple[list[list[object]], Merged]] = {}

    def values(self, sheet: str, damaged: Callable[[str], list[list[object]]]) -> list[list[object]]:
        """The values of `sheet`; what `damaged(sheet)` says (an error, no values) when calamine cannot read it."""
        if sheet not in self._read:
            try:
                found = self.book.get_sheet_by_name(sheet)
                self._read[sheet] = (found.to_python(skip_empty_area=False), _merged_ranges(found))
            except Exception:  # calamine raises several kinds
                return damaged(sheet)
        return self._read[sheet][0]

    def merged(self, sheet: str) -> Merged:
        if sheet not in self._read:
            self.values(sheet, lambda _: [])
        return self._read[sheet][1] if sheet in self._read else []


def _merged_ranges(sheet: python_calamine.CalamineSheet) -> Merged:
    try:
        return list(sheet.merged_cell_ranges or [])
    except Exception:  # calamine knows no merged cells for this format or sheet: none are filled
        return []


def _ods_merged(path: Path, sheet: str) -> Merged:
    """The merged ranges of an .ods sheet (calamine does not give them): spanned cells of content.xml."""
    try:
        with zipfile.ZipFile(path) as package:
            root = etree.fromstring(package.read("content.xml"))
    except (KeyError, zipfile.BadZipFile, OSError, etree.XMLSyntaxError):
        return []
    try:
        return _spans(root, sheet)
    except ValueError:  # a span or repeat that is not a number: no merged ranges rather than none at all
        return []


def _spans(root: etree._Element, sheet: str) -> Merged:
    table_tag, row_tag = f"{{{_ODS}}}table", f"{{{_ODS}}}table-row"
    cell_tags = (f"{{{_ODS}}}table-cell", f"{{{_ODS}}}covered-table-cell")
    for table in root.iter(table_tag):
        if table.get(f"{{{_ODS}}}name") != sheet:
            continue
        ranges: Merged = []
        row = 0
        for tr in table.iter(row_tag):
            if next(tr.iterancestors(table_tag)) is not table:
                continue  # a table inside a cell
            col = 0
            for cell in tr:
                if cell.tag not in cell_tags:
                    continue
                rows_spanned = int(cell.get(f"{{{_ODS}}}number-rows-spanned", "1"))
                cols_spanned = int(cell.get(f"{{{_ODS}}}number-columns-spanned", "1"))
                if rows_spanned > 1 or cols_spanned > 1:
                    ranges.append(((row, col), (row + rows_spanned - 1, col + cols_spanned - 1)))
                col += int(cell.get(f"{{{_ODS}}}number-columns-repeated", "1"))
            row += int(tr.get(f"{{{_ODS}}}number-rows-repeated", "1"))
        return ranges
    return []
