"""Read a CSV file or an Excel workbook as one table of rows that know where they came from.

Every importer reads its file through ``read_table``: CSV (UTF-8, with or without a byte-order
mark) or ``.xlsx`` (the first sheet), header on the first line or row. Each row keeps its line
(CSV) or its sheet and row (workbook), so that a problem is reported where the user will look
for it: ``line 4, column phrase`` or ``sheet Milestones, cell K4 (phrase)``.

Cells are read as typed values and turned into what a column needs by ``Row.text``,
``Row.date`` and ``Row.phrase`` (by the rules of roadmap.cells): date cells and text dates,
including the Japanese eras (令和8年3月31日, R8.3.31), become dates; a phrase column keeps
wording such as 令和8年度末 for roadmap.periods to resolve and writes a date cell as 2026年3月31日.
Every refusal is a sentence in the reader's language.

Limits are checked before anything is parsed: the file's size, the number of rows, the width of
the sheet and, for a workbook, the unpacked size of every part (a zip bomb), each of which is
decompressed and counted once before the spreadsheet reader sees it. Password-protected
workbooks, macro-enabled workbooks, old .xls and .xlsb files are refused with a sentence saying
what to do instead. Workbooks are parsed by python-calamine (Rust), whose XML reader expands no
entities.
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from django.conf import settings
from django.utils.translation import gettext
from python_calamine import CalamineError, CalamineWorkbook

from roadmap.cells import (
    cell_date,
    cell_text,
    column_letter,
    column_number,
    japanese_date,
    parse_short_date,
)

ZIP_MAGIC = b"PK\x03\x04"
# Encrypted Office files and old .xls workbooks are OLE compound documents.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
MAX_PARTS = 10_000
MAX_COLUMNS = 100
READ_CHUNK = 1 << 20
_ROW_NUMBER = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br=\"(\d+)\"")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b")
# Cell references of two or more letters (AA1 onwards): rows number theirs with digits alone.
_WIDE_CELL = re.compile(rb" r=\"([A-Z]{2,3})\d")
_SHEET_TARGET = re.compile(r'Target="([^"]+)"')


class TableError(ValueError):
    """The file cannot be read as a table; the message says where and why."""


class CellError(ValueError):
    """One cell's value does not fit its column; ``place`` says where it is."""

    def __init__(self, place: "Place", message: str):
        self.place = place
        self.message = message
        super().__init__(f"{place}: {message}")


@dataclass(frozen=True)
class Place:
    """A line or row of the file, and optionally one of its columns, as the user sees it."""

    sheet: str | None
    row: int
    column: int | None = None
    name: str | None = None

    def __str__(self):
        where = {"sheet": self.sheet, "row": self.row, "column": self.name}
        if self.sheet is None:
            if self.name:
                return gettext("line %(row)d, column %(column)s") % where
            return gettext("line %(row)d") % where
        if self.column is None:
            if self.name:
                return gettext("sheet %(sheet)s, row %(row)d, column %(column)s") % where
            return gettext("sheet %(sheet)s, row %(row)d") % where
        where["cell"] = f"{column_letter(self.column)}{self.row}"
        return gettext("sheet %(sheet)s, cell %(cell)s (%(column)s)") % where

    def line(self) -> str:
        """Return the line or row alone, as a later row names an earlier one: line 4, row 4."""
        if self.sheet is None:
            return gettext("line %(row)d") % {"row": self.row}
        return gettext("row %(row)d") % {"row": self.row}


@dataclass
class Row:
    """One non-blank line or row: its cells by position and where it is in the file."""

    table: "Table"
    number: int
    cells: list

    def place(self, name: str | None = None) -> Place:
        return Place(self.table.sheet, self.number, self.table.positions.get(name), name)

    def value(self, name: str):
        """Return the cell under ``name`` as read (None when the column is absent or short)."""
        index = self.table.positions.get(name)
        return self.cells[index] if index is not None and index < len(self.cells) else None

    def text(self, name: str) -> str:
        """Return the cell under ``name`` as text, stripped; numbers without a needless .0."""
        return cell_text(self.value(name), csv=self.table.sheet is None)

    def date(self, name: str) -> date | None:
        """Return the cell under ``name`` as a date, or None when it is empty."""
        try:
            return cell_date(self.value(name))
        except ValueError as error:
            raise CellError(self.place(name), str(error)) from None

    def phrase(self, name: str) -> str:
        """Return the cell under ``name`` as deadline wording: a date becomes 2026年3月31日."""
        value = self.value(name)
        if isinstance(value, date):
            return japanese_date(cell_date(value))
        text = self.text(name)
        day = parse_short_date(text)
        return japanese_date(day) if day else text


@dataclass
class Table:
    """The header and the non-blank rows of a file's first sheet."""

    format: str
    sheet: str | None
    header: list[str]
    rows: list[Row]

    def place(self, name: str | None = None) -> Place:
        """Return the place of the header, or of one of its columns."""
        return Place(self.sheet, 1, self.positions.get(name), name)

    @cached_property
    def positions(self) -> dict[str, int]:
        """Return the position of each column by name (the first, if a name repeats)."""
        positions = {}
        for index, name in enumerate(self.header):
            positions.setdefault(name, index)
        return positions


# Reading ------------------------------------------------------------------------------------


def read_table(file) -> Table:
    """Read the CSV file or workbook ``file`` (bytes or a binary file) within the limits."""
    data = _read_limited(file)
    if data.startswith(OLE_MAGIC):
        raise TableError(_encrypted_or_old(data))
    if data.startswith(ZIP_MAGIC):
        return _read_workbook(data)
    return _read_csv(data)


def _read_limited(file) -> bytes:
    """Return the file's bytes, refusing a file over the size limit without reading it all."""
    limit = settings.ROADMAP_IMPORT_MAX_BYTES
    size = getattr(file, "size", None)
    if size is None or size <= limit:
        data = file if isinstance(file, bytes) else file.read(limit + 1)
        size = len(data)
    if size > limit:
        raise TableError(too_large(size, limit))
    if not data.strip():
        raise TableError(gettext("The file is empty."))
    return data


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def too_large(size: int, limit: int) -> str:
    """Return the refusal of a file of ``size`` bytes, over the ``limit``."""
    return gettext("The file is %(size)s; at most %(limit)s can be imported.") % {
        "size": megabytes(size),
        "limit": megabytes(limit),
    }


def _encrypted_or_old(data: bytes) -> str:
    if ENCRYPTION_STREAM in data:
        return gettext(
            "The workbook is protected with a password. Save a copy without a password "
            "(File, Info, Protect Workbook) and import that."
        )
    return gettext("This is an Excel 97–2003 workbook (.xls). Save it as .xlsx and import that.")


def _read_csv(data: bytes) -> Table:
    """Return the table of a UTF-8 CSV file, with line numbers as a text editor counts them."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        message = gettext("the file is not UTF-8 text (nor an .xlsx workbook).")
        raise TableError(f"{Place(None, line)}: {message}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    table = Table("csv", None, [], [])
    header = None
    while True:
        line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            message = gettext("not valid CSV (%(error)s).") % {"error": error}
            raise TableError(f"{Place(None, line)}: {message}") from None
        if header is None:
            header = table.header = [name.strip() for name in record]
        elif any(value.strip() for value in record):
            table.rows.append(Row(table, line, record))
            _check_row_count(len(table.rows))
    return table


def _check_row_count(rows: int) -> None:
    limit = settings.ROADMAP_IMPORT_MAX_ROWS
    if rows > limit:
        raise TableError(
            gettext("The file has more than %(limit)s rows; split it into smaller files.")
            % {"limit": f"{limit:,}"}
        )


def _read_workbook(data: bytes) -> Table:
    """Return the table of the workbook's first sheet, after checking the package."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        _check_package(package)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, KeyError, OSError):
        raise TableError(_not_a_workbook()) from None
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        name = workbook.sheet_names[0]
        cells = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, IndexError, ValueError) as error:
        raise TableError(_not_a_workbook(error)) from None
    return _table_of(name, cells)


def _not_a_workbook(error=None) -> str:
    if error:
        return gettext(
            "The file is neither UTF-8 CSV nor a readable .xlsx workbook (%(error)s)."
        ) % {"error": error}
    return gettext("The file is neither UTF-8 CSV nor a readable .xlsx workbook.")


def _check_package(package: zipfile.ZipFile) -> str:
    """Refuse macros, binary workbooks and bombs; return the first sheet's part name."""
    parts = package.infolist()
    names = {part.filename for part in parts}
    if len(parts) > MAX_PARTS:
        raise TableError(_not_a_workbook())
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise TableError(
            gettext(
                "The workbook contains macros (.xlsm). Save it as an Excel Workbook (.xlsx) "
                "without macros and import that."
            )
        )
    if "xl/workbook.bin" in names:
        raise TableError(
            gettext("This is a binary workbook (.xlsb). Save it as .xlsx and import that.")
        )
    if "xl/workbook.xml" not in names:
        raise TableError(_not_a_workbook())
    _check_unpacked_size(package, parts)
    sheet_part = _first_sheet_part(package)
    _check_sheet_extent(package, sheet_part)
    return sheet_part


def _check_unpacked_size(package: zipfile.ZipFile, parts) -> None:
    """Refuse a package that unpacks to more than the limit, counting what really comes out."""
    limit = settings.ROADMAP_IMPORT_MAX_UNPACKED_BYTES
    declared = sum(part.file_size for part in parts)
    if declared <= limit:
        # zipfile stops at each part's declared size and checks its CRC, so a lying header
        # fails here rather than in the spreadsheet reader.
        declared = sum(_unpacked_size(package, part, limit) for part in parts)
    if declared > limit:
        raise TableError(
            gettext("The workbook unpacks to more than %(limit)s; it cannot be imported.")
            % {"limit": megabytes(limit)}
        )


def _unpacked_size(package: zipfile.ZipFile, part, limit: int) -> int:
    size = 0
    with package.open(part) as stream:
        while chunk := stream.read(READ_CHUNK):
            size += len(chunk)
            if size > limit:
                break
    return size


def _first_sheet_part(package: zipfile.ZipFile) -> str:
    """Return the part of the first sheet: the workbook lists sheets, its relations locate them."""
    workbook = package.read("xl/workbook.xml").decode("utf-8", "replace")
    first = re.search(r"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"", workbook)
    relations = package.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    for relation in re.finditer(r"<(?:\w+:)?Relationship\b[^>]*>", relations):
        if (
            first
            and f'Id="{first[1]}"' in relation[0]
            and (target := _SHEET_TARGET.search(relation[0]))
        ):
            path = target[1].lstrip("/")
            return path if path.startswith("xl/") else f"xl/{path}"
    raise TableError(_not_a_workbook())


def _check_sheet_extent(package: zipfile.ZipFile, sheet_part: str) -> None:
    """Refuse a sheet with too many rows or columns, scanning its XML without parsing it."""
    last_row = rows = widest = 0
    tail = b""
    with package.open(sheet_part) as stream:
        while chunk := stream.read(READ_CHUNK):
            # A tag cut at the chunk boundary is seen whole in the next round.
            cut = chunk.rfind(b"<")
            text, tail = tail + chunk[:cut], chunk[cut:]
            last_row = max([last_row, *map(int, _ROW_NUMBER.findall(text))])
            rows += len(_ROW_TAG.findall(text))
            widest = max([widest, *(column_number(c) for c in _WIDE_CELL.findall(text))])
        text = tail
        last_row = max([last_row, *map(int, _ROW_NUMBER.findall(text))])
        rows += len(_ROW_TAG.findall(text))
    # The header row is not counted.
    _check_row_count(max(last_row, rows) - 1)
    if widest > MAX_COLUMNS:
        raise TableError(
            gettext("The sheet uses columns up to %(column)s; at most %(limit)d columns are read.")
            % {"column": column_letter(widest - 1), "limit": MAX_COLUMNS}
        )


def _table_of(sheet: str, cells: list[list]) -> Table:
    """Return the table of a sheet's cells: header on row 1, blank rows left out."""
    table = Table("xlsx", sheet, [], [])
    if not cells or not any(_filled(value) for value in cells[0]):
        message = gettext("sheet %(sheet)s: row 1 should hold the column names.")
        raise TableError(message % {"sheet": sheet})
    header = [cell_text(value) for value in cells[0]]
    while header and not header[-1]:
        header.pop()
    table.header = header
    for number, values in enumerate(cells[1:], start=2):
        if any(_filled(value) for value in values):
            table.rows.append(Row(table, number, values))
    return table


def _filled(value) -> bool:
    return value is not None and value != "" and not (isinstance(value, str) and not value.strip())
