import csv
import io
import re
import zipfile
from datetime import date

import pytest
from django.utils import translation
from python_calamine import CalamineWorkbook

from roadmap.exports import MILESTONE_COLUMNS, WORKBOOK_COLUMNS
from roadmap.imports import ImportRejected, import_milestones
from roadmap.models import Milestone
from roadmap.services.milestones import set_status
from roadmap.tabular import column_letter, read_table
from roadmap.xlsx import Sheet, workbook
from tests.factories import MembershipFactory, MilestoneFactory, bulk_milestones

pytestmark = pytest.mark.django_db

XLSX_QUERIES = 2  # the count of changes (the ETag), the rows
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheets(response) -> list[list[list]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    return [book.get_sheet_by_index(i).to_python() for i in range(len(book.sheet_names))]


def rows(response) -> list[dict]:
    header, *values = sheets(response)[0]
    return [dict(zip(header, row, strict=True)) for row in values]


def part(response, name) -> str:
    return zipfile.ZipFile(io.BytesIO(response.content)).read(name).decode()


def test_workbook_has_the_csv_columns_in_order_then_the_extra_ones(client):
    MilestoneFactory()
    response = client.get("/milestones.xlsx")
    header = sheets(response)[0][0]
    csv_header = next(csv.reader(io.StringIO(client.get("/milestones.csv").getvalue().decode())))
    assert response["Content-Type"] == XLSX_TYPE
    assert 'filename="milestones.xlsx"' in response["Content-Disposition"]
    assert header[: len(MILESTONE_COLUMNS)] == [name.lstrip("\ufeff") for name in csv_header]
    assert header == [column.name for column in WORKBOOK_COLUMNS]
    assert header[-2:] == ["fiscal_year", "window"]


def test_cells_are_typed_dates_numbers_booleans_and_text(client, settings):
    settings.SITE_URL = "https://roadmap.example.go.jp"
    milestone = MilestoneFactory(title_ja="住民記録", overdue_since=date(2026, 4, 1))
    [row] = rows(client.get("/milestones.xlsx"))
    assert row["id"] == milestone.pk
    assert row["deadline"] == date(2026, 3, 31)
    assert row["overdue_since"] == date(2026, 4, 1)
    assert row["soft"] is False and row["overdue"] is True
    assert row["title_ja"] == "住民記録"
    assert row["fiscal_year"] == "2025年度（令和7年度）"
    assert row["window"] == "〜2026-03-31"
    assert row["url"] == f"https://roadmap.example.go.jp/milestones/{milestone.pk}/"


@pytest.mark.parametrize("dangerous", ['=HYPERLINK("http://x")', "+1", "-1+2", "@SUM(A1)"])
def test_text_that_looks_like_a_formula_stays_text(client, dangerous):
    MilestoneFactory(title_ja=dangerous)
    response = client.get("/milestones.xlsx")
    assert rows(response)[0]["title_ja"] == dangerous
    sheet = part(response, "xl/worksheets/sheet1.xml")
    assert "<f>" not in sheet
    assert re.search(r'<c r="C2" t="inlineStr"><is><t>', sheet)


def test_header_is_bold_frozen_and_filtered_with_set_widths(client):
    bulk_milestones(3)
    response = client.get("/milestones.xlsx")
    sheet = part(response, "xl/worksheets/sheet1.xml")
    last = column_letter(len(WORKBOOK_COLUMNS) - 1)
    assert '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' in sheet
    assert f'<autoFilter ref="A1:{last}4"/>' in sheet
    assert '<col min="3" max="3" width="50" customWidth="1"/>' in sheet
    assert '<c r="A1" t="inlineStr" s="2">' in sheet
    assert '<xf numFmtId="0" fontId="1"' in part(response, "xl/styles.xml")
    assert "_xlnm._FilterDatabase" in part(response, "xl/workbook.xml")


def test_second_sheet_states_the_filters_the_time_and_the_source(client, settings):
    settings.SITE_URL = "https://roadmap.example.go.jp"
    MilestoneFactory(status=Milestone.Status.IN_PROGRESS)
    MilestoneFactory()
    response = client.get("/milestones.xlsx?status=in_progress&lang=en")
    about = dict(sheets(response)[1][1:])
    assert about["filters / 条件"] == "status=in_progress"
    assert about["rows / 件数"] == 1
    assert about["source / 出典"] == (
        "https://roadmap.example.go.jp/milestones.xlsx?status=in_progress&lang=en"
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d JST", about["as of / 時点"])


def test_workbook_applies_the_filters_and_refuses_unknown_ones(client):
    MilestoneFactory(title_ja="対象", status=Milestone.Status.IN_PROGRESS)
    MilestoneFactory(title_ja="対象外")
    titles = [r["title_ja"] for r in rows(client.get("/milestones.xlsx?status=in_progress"))]
    assert titles == ["対象"]
    refused = client.get("/milestones.xlsx?stauts=done")
    assert refused.status_code == 400
    assert refused["Content-Type"].startswith("text/plain")
    assert "stauts" in refused.content.decode()


def test_unchanged_workbook_is_answered_not_modified(client, django_assert_num_queries):
    milestone = MilestoneFactory()
    etag = client.get("/milestones.xlsx")["ETag"]
    with django_assert_num_queries(1):
        assert client.get("/milestones.xlsx", HTTP_IF_NONE_MATCH=etag).status_code == 304
    owner = MembershipFactory(organization=milestone.owner).user
    set_status(milestone=milestone, status=Milestone.Status.DONE, user=owner)
    assert client.get("/milestones.xlsx", HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.parametrize("count", [10, 1000])
def test_workbook_costs_the_same_queries_whatever_the_number_of_milestones(
    client, django_assert_num_queries, count
):
    bulk_milestones(count)
    with django_assert_num_queries(XLSX_QUERIES):
        assert len(rows(client.get("/milestones.xlsx"))) == count


# Round trip ----------------------------------------------------------------------------------


def edited(data: bytes, change) -> bytes:
    """Return the exported workbook with its first sheet's rows passed through ``change``."""
    table = read_table(data)
    body = [change(dict(zip(table.header, row.cells, strict=True))) for row in table.rows]
    values = [[row[name] for name in table.header] for row in body]
    return workbook([Sheet("Milestones", table.header, [12] * len(table.header), values)])


def test_an_exported_workbook_imported_back_unchanged_changes_nothing(client):
    MilestoneFactory.create_batch(3)
    before = list(Milestone.objects.values_list("pk", "version", "updated_at"))
    result = import_milestones(io.BytesIO(client.get("/milestones.xlsx").content))
    assert (result.created, result.updated, len(result.unchanged)) == ([], [], 3)
    assert list(Milestone.objects.values_list("pk", "version", "updated_at")) == before


def test_an_edited_cell_imported_back_changes_exactly_that(client):
    first, second = MilestoneFactory(), MilestoneFactory()
    exported = client.get("/milestones.xlsx").content

    def retitle(row):
        if row["ref"] == first.ref:
            row["title_ja"] = "住民記録（改）"
        return row

    owner = MembershipFactory(organization=first.owner).user
    result = import_milestones(io.BytesIO(edited(exported, retitle)), user=owner)
    assert result.updated == [first.ref]
    first.refresh_from_db()
    assert first.title_ja == "住民記録（改）"
    latest = first.history.first()
    assert (latest.history_type, latest.history_user, latest.title_ja) == (
        "~",
        owner,
        first.title_ja,
    )
    assert Milestone.objects.get(pk=second.pk).version == second.version


def test_an_edited_deadline_cell_is_refused_rather_than_lost(client):
    milestone = MilestoneFactory()
    exported = client.get("/milestones.xlsx").content

    def move(row):
        row["deadline"] = date(2027, 3, 31)
        return row

    with translation.override("en"):
        with pytest.raises(ImportRejected) as error:
            import_milestones(io.BytesIO(edited(exported, move)))
        [message] = [str(e) for e in error.value.errors]
    assert message.startswith(
        f"sheet Milestones, cell P2 (deadline): milestone {milestone.ref!r} has deadline "
        "2026-03-31; the tracker works it out from the phrase"
    )


# The plan, its initiatives, the owners, the milestones, the recurring commitments, the Diet
# sessions and the events: one query each, however many rows; no transaction, no write.
REIMPORT_QUERIES = 7


@pytest.mark.parametrize("count", [3, 300])
def test_an_unchanged_workbook_imported_back_costs_fixed_queries_and_writes_nothing(
    client, django_assert_num_queries, count
):
    from bench.benchmarks import counted_writes

    bulk_milestones(count)
    data = client.get("/milestones.xlsx").content
    with counted_writes() as writes, django_assert_num_queries(REIMPORT_QUERIES):
        result = import_milestones(io.BytesIO(data))
    assert (result.created, result.updated, len(result.unchanged)) == ([], [], count)
    assert writes == []
