"""Write an .xlsx workbook of plain tables, fast enough for every milestone at once.

Each sheet is a table: a bold header row, frozen, with an auto-filter, given column widths, and
typed cells: dates as date cells, numbers as numbers, True/False as booleans and everything else
as text. Text is always written as text, so a title starting with ``=`` is shown, never run.

The SpreadsheetML is written directly, row by row: XlsxWriter (constant memory) and openpyxl
(write-only) took about 7 and 11 times as long for the 35,000-row milestone export, over its
3-second goal (README, "Excel workbooks").
"""

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from roadmap.cells import column_letter

EXCEL_EPOCH = date(1899, 12, 30)
ROWS_PER_WRITE = 500
# Characters XML 1.0 does not allow; a spreadsheet would refuse the whole file.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
DATE_STYLE, HEADER_STYLE = 1, 2
NAMESPACE = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Sheet:
    """A named table: column names and widths (in characters) and the rows below them."""

    name: str
    header: Sequence[str]
    widths: Sequence[int]
    rows: Iterable[Sequence]
    last_row: int = 1


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """Return the .xlsx file of ``sheets``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        package.writestr("[Content_Types].xml", _content_types(len(sheets)))
        package.writestr("_rels/.rels", _package_relations())
        package.writestr("xl/_rels/workbook.xml.rels", _workbook_relations(len(sheets)))
        package.writestr("xl/styles.xml", STYLES)
        for number, sheet in enumerate(sheets, start=1):
            with package.open(f"xl/worksheets/sheet{number}.xml", "w") as part:
                _write_sheet(part, sheet, selected=number == 1)
        # Written last: it names each sheet's filtered range, known once the rows are written.
        package.writestr("xl/workbook.xml", _workbook(sheets))
    return buffer.getvalue()


def _write_sheet(part, sheet: Sheet, *, selected: bool) -> None:
    letters = [column_letter(i) for i in range(len(sheet.header))]
    part.write(_sheet_head(sheet, selected).encode())
    header = "".join(
        _text_cell(f"{letter}1", name, HEADER_STYLE)
        for letter, name in zip(letters, sheet.header, strict=True)
    )
    part.write(f'<row r="1">{header}</row>'.encode())
    number, lines = 1, []
    for number, values in enumerate(sheet.rows, start=2):
        cells = "".join(
            _cell(f"{letter}{number}", value)
            for letter, value in zip(letters, values, strict=True)
        )
        lines.append(f'<row r="{number}">{cells}</row>')
        if len(lines) == ROWS_PER_WRITE:
            part.write("".join(lines).encode())
            lines = []
    part.write("".join(lines).encode())
    # Filtering is scoped to the table written, from its header to its last row.
    part.write(f'</sheetData><autoFilter ref="A1:{letters[-1]}{number}"/></worksheet>'.encode())
    sheet.last_row = number


def _sheet_head(sheet: Sheet, selected: bool) -> str:
    columns = "".join(
        f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>'
        for i, width in enumerate(sheet.widths, start=1)
    )
    tab = ' tabSelected="1"' if selected else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<worksheet xmlns="{NAMESPACE}" xmlns:r="{RELATIONSHIPS}">'
        f'<sheetViews><sheetView workbookViewId="0"{tab}>'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{columns}</cols><sheetData>'
    )


def _cell(ref: str, value) -> str:
    """Return the XML of one cell holding ``value`` with the type it has in Python."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, datetime):
        raise TypeError("write date-times as text or dates: a cell holds no time zone")
    if isinstance(value, date):
        return f'<c r="{ref}" s="{DATE_STYLE}"><v>{(value - EXCEL_EPOCH).days}</v></c>'
    return _text_cell(ref, str(value))


def _text_cell(ref: str, text: str, style: int = 0) -> str:
    text = escape(_NOT_XML.sub("", text))
    space = ' xml:space="preserve"' if text != text.strip() else ""
    styled = f' s="{style}"' if style else ""
    return f'<c r="{ref}" t="inlineStr"{styled}><is><t{space}>{text}</t></is></c>'


def _workbook(sheets: Sequence[Sheet]) -> str:
    names = "".join(
        f'<sheet name={quoteattr(sheet.name)} sheetId="{i}" r:id="rId{i}"/>'
        for i, sheet in enumerate(sheets, start=1)
    )
    # Excel finds a sheet's auto-filter range through this hidden name.
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{escape(_quoted(sheet.name))}!$A$1:${column_letter(len(sheet.header) - 1)}$"
        f"{sheet.last_row}</definedName>"
        for i, sheet in enumerate(sheets)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<workbook xmlns="{NAMESPACE}" xmlns:r="{RELATIONSHIPS}">'
        f"<bookViews><workbookView/></bookViews><sheets>{names}</sheets>"
        f"<definedNames>{filters}</definedNames></workbook>"
    )


def _quoted(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _content_types(count: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, count + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{sheets}</Types>"
    )


def _package_relations() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    )


def _workbook_relations(count: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{i}" Type="{RELATIONSHIPS}/worksheet" '
        f'Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, count + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">{sheets}'
        f'<Relationship Id="rId{count + 1}" Type="{RELATIONSHIPS}/styles" '
        'Target="styles.xml"/></Relationships>'
    )


STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<styleSheet xmlns="{NAMESPACE}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
