"""An uploaded file read into rows of cell text, whatever it claims to be.

The kind is decided by the file's first bytes, never its name: banks' ".xls" downloads are
often tab-separated text (SBI) or HTML tables, and a renamed PNG must be refused with a message
a person understands. Work is capped (rows, cell length, unpacked size) so a hostile upload
costs bounded time and memory. Spreadsheet formulas are never evaluated: a formula cell is read
as its formula text, which the row reader then refuses."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from html.parser import HTMLParser
from itertools import islice

import openpyxl
import xlrd  # type: ignore[import-untyped]

from gql_server.core.statements.records import StatementError

MAX_ROWS = 500_000
MAX_CELL_CHARS = 2_000
MAX_COLUMNS = 64
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024

_DELIMITERS = (",", "\t", ";", "|")
_REFUSED_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"%PDF", "a PDF document (download the statement as CSV or Excel instead)"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)


class FileKind(StrEnum):
    TEXT = "TEXT"  # CSV/TSV, whatever the extension
    XLSX = "XLSX"
    XLS = "XLS"
    HTML = "HTML"
    XML = "XML"
    JSON = "JSON"


@dataclass(frozen=True)
class Table:
    """Rows of stripped cell text, with the row number a person sees for each row."""

    kind: FileKind
    rows: tuple[tuple[str, ...], ...]
    numbers: tuple[int, ...]


def sniff_kind(data: bytes, file_name: str) -> FileKind:
    """What the bytes are, by their magic numbers; anything that is not a table or AA data
    is a StatementError naming what it is."""
    head = data[:8]
    for magic, what in _REFUSED_MAGIC:
        if head.startswith(magic):
            raise StatementError(f"{file_name} is {what}, not a bank statement")
    if head.startswith(b"PK\x03\x04"):
        return FileKind.XLSX
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return FileKind.XLS
    text_head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text_head:
        raise StatementError(f"{file_name} is empty")
    if b"\x00" in text_head:
        raise StatementError(f"{file_name} is a binary file, not a bank statement")
    if text_head.startswith((b"{", b"[")):
        return FileKind.JSON
    if text_head.startswith(b"<"):
        lowered = text_head[:2048].lower()
        is_html = b"<html" in lowered or b"<table" in lowered or b"<!doctype html" in lowered
        return FileKind.HTML if is_html else FileKind.XML
    return FileKind.TEXT


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) first; Windows-1252 is what Excel on Windows writes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_table(data: bytes, file_name: str, max_rows: int = MAX_ROWS) -> Table:
    """The first sheet (or the only table) of a CSV/TSV, XLSX, XLS or HTML file as text rows."""
    kind = sniff_kind(data, file_name)
    if kind is FileKind.XLSX:
        return _collect(kind, _xlsx_rows(data, file_name), max_rows, file_name)
    if kind is FileKind.XLS:
        return _collect(kind, _xls_rows(data, file_name), max_rows, file_name)
    if kind is FileKind.HTML:
        return _collect(kind, _html_rows(decode_text(data)), max_rows, file_name)
    if kind is FileKind.TEXT:
        return _collect(kind, _delimited_rows(decode_text(data), file_name), max_rows, file_name)
    raise StatementError(f"{file_name} holds {kind.value} data, not a table of transactions")


def _collect(
    kind: FileKind, rows: Iterable[tuple[int, list[object]]], max_rows: int, file_name: str
) -> Table:
    cells: list[tuple[str, ...]] = []
    numbers: list[int] = []
    for number, values in rows:
        if len(cells) >= max_rows:
            raise StatementError(
                f"{file_name} has more than {max_rows:,} rows; split it into smaller statements"
            )
        cells.append(_trimmed(cell_text(value) for value in values[:MAX_COLUMNS]))
        numbers.append(number)
    return Table(kind=kind, rows=tuple(cells), numbers=tuple(numbers))


def _trimmed(cells: Iterable[str]) -> tuple[str, ...]:
    row = list(cells)
    while row and not row[-1]:
        row.pop()
    return tuple(row)


def cell_text(value: object) -> str:
    """One cell as text: spreadsheet dates become ISO dates, numbers keep their exact digits,
    and text is stripped and clipped one character past the cap so the row reader can refuse
    it without holding an unbounded string."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep="T", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value).strip()[: MAX_CELL_CHARS + 1]


def _delimited_rows(text: str, file_name: str) -> Iterator[tuple[int, list[object]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    start = 1
    try:
        for row in reader:
            yield start, list(row)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise StatementError(f"line {start} of {file_name} cannot be read: {exc}") from exc


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the most lines into the same number of cells: a preamble of
    'Account No : 123' lines splits into one cell under any delimiter and does not vote."""
    sample = list(islice(io.StringIO(text, newline=""), 200))
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        try:
            widths = Counter(len(r) for r in csv.reader(sample, delimiter=delimiter) if len(r) > 1)
        except csv.Error:
            continue
        if widths:
            width, count = widths.most_common(1)[0]
            if (count, width) > best_score:
                best, best_score = delimiter, (count, width)
    return best


def _check_zip(data: bytes, file_name: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise StatementError(f"{file_name} is a damaged zip/Excel file") from exc
    if not any(info.filename == "xl/workbook.xml" for info in infos):
        raise StatementError(f"{file_name} is a zip archive, not an Excel workbook")
    if sum(info.file_size for info in infos) > MAX_UNZIPPED_BYTES:
        raise StatementError(f"{file_name} unpacks to more than 200 MB; it is not a statement")


def _xlsx_rows(data: bytes, file_name: str) -> Iterator[tuple[int, list[object]]]:
    """data_only=False on purpose: with data_only=True a formula cell yields Excel's cached
    result (or nothing), so '=HYPERLINK(...)' would turn into its text silently. Reading the
    formula text lets the row reader refuse it. openpyxl never evaluates formulas."""
    _check_zip(data, file_name)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types on malformed workbooks
        raise StatementError(f"{file_name} cannot be read as an Excel workbook") from exc
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(values)
    finally:
        book.close()


def _xls_rows(data: bytes, file_name: str) -> Iterator[tuple[int, list[object]]]:
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
        sheet = book.sheet_by_index(0)
    except Exception as exc:  # xlrd raises many types on malformed or encrypted files
        raise StatementError(
            f"{file_name} cannot be read as an Excel 97-2003 workbook (is it password-protected?)"
        ) from exc
    for index in range(sheet.nrows):
        yield index + 1, [_xls_value(cell, book.datemode) for cell in sheet.row(index)]


def _xls_value(cell: xlrd.sheet.Cell, datemode: int) -> object:
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(cell.value, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return str(cell.value)
    if cell.ctype == xlrd.XL_CELL_NUMBER and float(cell.value).is_integer():
        return int(cell.value)
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return "#ERROR"
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    return cell.value


class _TableCollector(HTMLParser):
    """Cells of every <tr> in an HTML page: what banks' 'Excel' downloads often are."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[object]] = []
        self._row: list[object] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._close_row()
            self._row = []
        elif tag in ("td", "th"):
            self._close_cell()
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._close_cell()
        elif tag in ("tr", "table"):
            self._close_row()

    def handle_data(self, data: str) -> None:
        if self._cell is not None and sum(map(len, self._cell)) <= MAX_CELL_CHARS:
            self._cell.append(data)

    def _close_cell(self) -> None:
        if self._cell is not None:
            if self._row is None:
                self._row = []
            self._row.append(" ".join("".join(self._cell).split()))
        self._cell = None

    def _close_row(self) -> None:
        self._close_cell()
        if self._row is not None and len(self.rows) <= MAX_ROWS:
            self.rows.append(self._row)  # one past the cap is enough for the cap to refuse
        self._row = None

    def finish(self) -> None:
        self.close()
        self._close_row()


def _html_rows(text: str) -> Iterator[tuple[int, list[object]]]:
    collector = _TableCollector()
    collector.feed(text)
    collector.finish()
    yield from enumerate(collector.rows, start=1)
