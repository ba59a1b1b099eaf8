import io
import struct
import zipfile
from datetime import date

import pytest

from roadmap.tabular import CellError, TableError, column_letter, read_table
from roadmap.xlsx import Sheet, workbook

# The refusals are read as an English reader reads them (test_imports covers Japanese).
pytestmark = pytest.mark.usefixtures("in_english")

HEADER = ["ref", "count", "due", "phrase"]


def xlsx(*rows, header=HEADER, name="Milestones"):
    return workbook([Sheet(name, header, [10] * len(header), rows)])


def with_part(data: bytes, name: str, content: bytes) -> bytes:
    """Return the workbook ``data`` with one more part in its package."""
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as package:
        package.writestr(name, content)
    return buffer.getvalue()


def refusal(data, **limits) -> str:
    with pytest.raises(TableError) as error:
        read_table(data)
    return str(error.value)


def test_csv_rows_keep_their_line_numbers_across_quoted_newlines():
    table = read_table('\ufeffref,phrase\na,"two\nlines"\n\nb,2025年度\n'.encode())
    assert table.header == ["ref", "phrase"]
    assert [row.number for row in table.rows] == [2, 5]
    assert str(table.rows[1].place("phrase")) == "line 5, column phrase"


def test_csv_cells_protected_by_the_export_are_read_without_the_apostrophe():
    table = read_table(b"ref,title\na,'=1+1\nb,'plain\n")
    assert [row.text("title") for row in table.rows] == ["=1+1", "'plain"]


def test_workbook_cells_keep_their_types_and_a1_places():
    table = read_table(xlsx(["m-1", 3, date(2026, 3, 31), "=SUM(A1)"]))
    row = table.rows[0]
    assert (table.format, table.sheet, row.number) == ("xlsx", "Milestones", 2)
    assert (row.text("ref"), row.text("count"), row.date("due")) == ("m-1", "3", date(2026, 3, 31))
    assert row.text("phrase") == "=SUM(A1)"
    assert str(row.place("due")) == "sheet Milestones, cell C2 (due)"


def test_blank_rows_are_skipped_and_later_rows_keep_their_row_numbers():
    table = read_table(xlsx(["a", 1, None, ""], [None, None, None, None], ["b", 2, None, ""]))
    assert [row.number for row in table.rows] == [2, 4]


@pytest.mark.parametrize(
    "text, day",
    [
        ("2026-03-31", date(2026, 3, 31)),
        ("2026/3/31", date(2026, 3, 31)),
        ("2026年3月31日", date(2026, 3, 31)),
        ("令和8年3月31日", date(2026, 3, 31)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("R8.3.31", date(2026, 3, 31)),
        ("Ｒ８．３．３１", date(2026, 3, 31)),
        ("h31/4/30", date(2019, 4, 30)),
    ],
)
def test_text_dates_in_western_and_japanese_era_forms_are_read(text, day):
    assert read_table(xlsx(["a", 1, text, ""])).rows[0].date("due") == day


@pytest.mark.parametrize("text", ["R8.2.30", "来年", "2026-13-01"])
def test_a_cell_that_is_no_date_is_named_with_what_to_write(text):
    row = read_table(xlsx(["a", 1, text, ""])).rows[0]
    with pytest.raises(CellError) as error:
        row.date("due")
    assert str(error.value).startswith("sheet Milestones, cell C2 (due): ")
    assert repr(text) in str(error.value)


def test_phrase_columns_write_dates_the_way_plans_do_and_keep_wording():
    table = read_table(
        xlsx(
            ["a", 1, None, date(2026, 3, 31)],
            ["b", 1, None, "R8.3.31"],
            ["c", 1, None, "令和8年度末"],
        )
    )
    assert [row.phrase("phrase") for row in table.rows] == [
        "2026年3月31日",
        "2026年3月31日",
        "令和8年度末",
    ]


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(settings):
    settings.ROADMAP_IMPORT_MAX_BYTES = 100
    assert (
        refusal(b"ref\n" + b"a\n" * 100) == "The file is 0.0 MB; at most 0.0 MB can be imported."
    )


def test_too_many_rows_are_refused_in_csv_and_workbooks(settings):
    settings.ROADMAP_IMPORT_MAX_ROWS = 2
    message = "The file has more than 2 rows; split it into smaller files."
    assert refusal(b"ref\na\nb\nc\n") == message
    assert refusal(xlsx(*[["a", 1, None, ""]] * 3)) == message


def test_a_sheet_reaching_far_down_is_refused_before_it_is_parsed(settings):
    settings.ROADMAP_IMPORT_MAX_ROWS = 1000
    data = _rewrite_sheet(
        xlsx(["a", 1, None, ""]), lambda xml: xml.replace(b'<row r="2">', b'<row r="1048576">')
    )
    assert refusal(data) == "The file has more than 1,000 rows; split it into smaller files."


def test_a_sheet_wider_than_the_limit_is_refused():
    data = _rewrite_sheet(
        xlsx(["a", 1, None, ""]), lambda xml: xml.replace(b'r="B2"', b'r="XFD2"')
    )
    assert refusal(data) == "The sheet uses columns up to XFD; at most 100 columns are read."


def test_a_zip_bomb_is_refused_by_its_unpacked_size(settings):
    settings.ROADMAP_IMPORT_MAX_UNPACKED_BYTES = 1_000_000
    data = with_part(xlsx(["a", 1, None, ""]), "xl/media/padding.bin", bytes(2_000_000))
    assert refusal(data) == "The workbook unpacks to more than 1.0 MB; it cannot be imported."


def test_a_part_that_unpacks_to_more_than_its_header_says_is_refused():
    data = with_part(xlsx(["a", 1, None, ""]), "xl/media/padding.bin", bytes(2_000_000))
    data = _understate_last_part(data, 1000)
    assert refusal(data) == "The file is neither UTF-8 CSV nor a readable .xlsx workbook."


def test_a_macro_enabled_workbook_is_refused():
    data = with_part(xlsx(["a", 1, None, ""]), "xl/vbaProject.bin", b"\x00" * 10)
    assert refusal(data).startswith("The workbook contains macros (.xlsm).")


def test_a_password_protected_workbook_is_refused_with_what_to_do():
    encrypted = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "EncryptionInfo".encode("utf-16-le")
    )
    assert refusal(encrypted).startswith("The workbook is protected with a password.")


def test_an_old_xls_workbook_is_refused_with_what_to_do():
    assert refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)) == (
        "This is an Excel 97–2003 workbook (.xls). Save it as .xlsx and import that."
    )


@pytest.mark.parametrize(
    "data", [b"PK\x03\x04 broken", xlsx(["a", 1, None, ""])[:300], b"PK\x03\x04" + bytes(40)]
)
def test_a_malformed_workbook_gets_a_sentence(data):
    assert refusal(data).startswith("The file is neither UTF-8 CSV nor a readable .xlsx workbook")


def test_a_workbook_with_an_empty_first_row_is_refused():
    data = xlsx(["a", 1, None, ""], header=["", "", "", ""])
    assert refusal(data) == "sheet Milestones: row 1 should hold the column names."


def test_column_letters_follow_a1_style():
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


def _rewrite_sheet(data: bytes, change) -> bytes:
    source, buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            content = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                content = change(content)
            target.writestr(part.filename, content)
    return buffer.getvalue()


def _understate_last_part(data: bytes, size: int) -> bytes:
    """Return the package with its last part's uncompressed size written as ``size``."""
    data = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).infolist()[-1]
    struct.pack_into("<I", data, info.header_offset + 22, size)
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, size)
    return bytes(data)


def test_xml_entities_are_never_expanded():
    laughs = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10 if n else "lol"}">' for n in range(10))
    prolog = f'<?xml version="1.0"?><!DOCTYPE bomb [{laughs}]>'.encode()

    def change(xml):
        xml = xml.replace(xml[: xml.index(b"?>") + 2], prolog)
        return xml.replace(b"<t>a</t>", b"<t>&l9;</t>")

    message = refusal(_rewrite_sheet(xlsx(["a", 1, None, ""]), change))
    assert message.startswith("The file is neither UTF-8 CSV nor a readable .xlsx workbook")
    assert "entity" in message
