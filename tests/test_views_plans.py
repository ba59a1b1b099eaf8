"""The editions page and an edition's changes as a page, CSV and JSON."""

import csv
import io
from datetime import date

import pytest

from roadmap.exports import XLSX_TYPE
from roadmap.models import Milestone
from roadmap.tabular import read_table
from tests.editions import earlier_edition, import_sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def editions():
    earlier_edition()
    import_sample()


def test_the_api_answers_the_documented_shape_against_the_previous_edition(client, editions):
    data = client.get("/api/plans/sample-2025/changes/").json()
    assert (data["plan"], data["since"]) == ("sample-2025", "sample-2024")
    assert data["counts"] == {
        "moved_later": 2,
        "moved_earlier": 1,
        "dropped": 2,
        "added": 1,
        "reworded": 1,
        "unchanged": 2,
    }
    later = next(c for c in data["changes"] if c["ref"] == "sample-later")
    assert later == {
        "ref": "sample-later",
        "class": "moved_later",
        "old_phrase": "2024年度中に",
        "new_phrase": "2025年度中に",
        "old_deadline": "2025-03-31",
        "new_deadline": "2026-03-31",
        "shift_days": 365,
    }
    dropped = next(c for c in data["changes"] if c["ref"] == "sample-drop")
    assert (dropped["class"], dropped["new_phrase"], dropped["shift_days"]) == (
        "dropped",
        None,
        None,
    )


def test_changes_since_an_edition_with_nothing_before_it_are_all_added(client, editions):
    data = client.get("/api/plans/sample-2024/changes/").json()
    assert data["since"] is None
    assert data["counts"]["added"] == 8


def test_since_must_name_an_earlier_edition(client, editions):
    response = client.get("/api/plans/sample-2024/changes/?since=sample-2025")
    assert response.status_code == 400
    assert "since" in response.json()["error"]
    assert client.get("/plans/sample-2025/changes/?since=nope").status_code == 400


def test_since_compares_with_the_edition_it_names(client, editions):
    data = client.get("/api/plans/sample-2025/changes/?since=sample-2024").json()
    assert data["since"] == "sample-2024"


def test_an_unknown_edition_is_not_found_and_an_unknown_parameter_refused(client, editions):
    assert client.get("/plans/no-such/changes/").status_code == 404
    response = client.get("/plans/sample-2025/changes/?status=done")
    assert response.status_code == 400
    assert "status" in response.content.decode()


def test_the_page_groups_by_class_and_initiative_with_both_wordings(client, editions):
    html = client.get("/plans/sample-2025/changes/?lang=en").content.decode()
    assert html.index('id="class-moved_later"') < html.index('id="class-dropped"')
    assert "2025年度までに" in html and "2025年度末までに" in html
    assert "+365 days" in html
    assert "(was sample-old-name)" in html


def test_the_page_costs_a_fixed_number_of_queries(client, editions, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert client.get("/plans/sample-2025/changes/").status_code == 200


def test_the_csv_lists_every_change_with_its_shift(client, editions):
    response = client.get("/plans/sample-2025/changes.csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 9
    earlier = next(row for row in rows if row["ref"] == "sample-earlier")
    assert (earlier["class"], earlier["shift_days"], earlier["old_deadline"]) == (
        "moved_earlier",
        "-365",
        "2027-03-31",
    )
    renamed = next(row for row in rows if row["ref"] == "sample-renamed")
    assert renamed["renamed_from"] == "sample-old-name"


def test_the_editions_page_lists_each_edition_with_its_changes(client, editions):
    html = client.get("/plans/").content.decode()
    first, second = '"initiative">sample-2025<', '"initiative">sample-2024<'
    assert html.index(first) < html.index(second)
    assert "/plans/sample-2025/changes/" in html


def test_a_dropped_milestone_stays_readable(client, editions):
    dropped = Milestone.objects.get(ref="sample-drop")
    html = client.get(f"/milestones/{dropped.pk}/").content.decode()
    assert "sample-2025" in html  # the cancellation's comment names the edition


def test_the_milestone_page_lists_its_wording_in_each_edition(client, editions):
    reworded = Milestone.objects.get(ref="sample-reword")
    html = client.get(f"/milestones/{reworded.pk}/?lang=en").content.decode()
    section = html[html.index('id="editions-heading"') :]
    assert section.index("2025年度までに") < section.index("2025年度末までに")


def test_the_workbook_of_changes_has_the_csv_columns_as_typed_cells(client, editions):
    response = client.get("/plans/sample-2025/changes.xlsx")
    assert response["Content-Type"] == XLSX_TYPE
    table = read_table(response.content)
    csv_header = client.get("/plans/sample-2025/changes.csv").content.decode("utf-8-sig")
    assert ",".join(table.header) == csv_header.splitlines()[0]
    earlier = next(row for row in table.rows if row.text("ref") == "sample-earlier")
    assert (earlier.text("class"), earlier.value("shift_days")) == ("moved_earlier", -365)
    assert earlier.value("old_deadline") == date(2027, 3, 31)
