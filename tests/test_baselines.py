"""Reading the timeline, API, CSV and calendar against a baseline edition."""

import csv
import io
from datetime import date

import pytest

from roadmap.models import Milestone
from roadmap.services.milestones import revise_deadline
from tests.editions import earlier_edition, import_sample
from tests.factories import MilestoneFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editions():
    earlier_edition()
    import_sample()


def api_item(client, ref, query=""):
    data = client.get(f"/api/milestones/?q={ref}{query}").json()
    return next(item for item in data["results"] if item["ref"] == ref)


def test_the_api_compares_with_the_baseline_edition(client, editions):
    item = api_item(client, "sample-later", "&baseline=sample-2024")
    assert (item["baseline_deadline"], item["slip_days"]) == ("2025-03-31", 365)


def test_a_milestone_absent_from_the_baseline_edition_has_no_slip(client, editions):
    item = api_item(client, "sample-added", "&baseline=sample-2024")
    assert (item["baseline_deadline"], item["slip_days"]) == (None, None)


def test_without_a_baseline_the_original_deadline_is_the_baseline(client, editions):
    item = api_item(client, "sample-diet")
    assert (item["baseline_deadline"], item["slip_days"]) == ("2025-06-22", 364)


def test_an_unknown_baseline_is_refused_everywhere(client, editions):
    for address in ("/", "/api/milestones/", "/milestones.csv", "/milestones.ics"):
        response = client.get(f"{address}?baseline=sample-1999")
        assert response.status_code == 400, address
        assert "sample-1999" in response.content.decode()


def test_the_csv_gains_the_baseline_and_the_slip(client, editions):
    response = client.get("/milestones.csv?baseline=sample-2024&q=sample-earlier")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    [row] = csv.DictReader(io.StringIO(text))
    assert (row["baseline_deadline"], row["slip_days"]) == ("2027-03-31", "-365")


def test_the_calendar_writes_the_slip_in_the_description(client, editions):
    response = client.get("/milestones.ics?baseline=sample-2024&q=sample-later")
    body = b"".join(response.streaming_content).decode()
    assert "基準の期限：2025-03-31（+365日）" in body.replace("\r\n ", "")


def test_the_timeline_draws_the_baseline_as_a_ghost_band_and_writes_the_slip(client, editions):
    html = client.get("/?baseline=sample-2024&q=sample-later&lang=en").content.decode()
    assert 'class="ghost"' in html
    assert "Slip: +365 days (baseline 2025-03-31)" in html
    legend = html.split('id="legend-baseline"')[1].split("</li>")[0]
    assert 'class="ghost"' in legend
    assert "the window in the edition “Priority Policy Program for Realizing a Digital" in legend


def test_the_timeline_marks_the_original_deadline_where_it_moved(client):
    milestone = MilestoneFactory(phrase="2024年度中", window_end=date(2025, 3, 31))
    revise_deadline(
        milestone=milestone, new_phrase="2025年度中", reason="遅延", kind="slip", user=None
    )
    html = client.get("/?lang=en").content.decode()
    assert 'class="ghost-mark"' in html
    assert "Slip: +365 days (baseline 2025-03-31)" in html
    legend = html.split('id="legend-baseline"')[1].split("</li>")[0]
    assert "the original deadline, where the deadline has moved" in legend


def test_a_milestone_on_time_has_no_ghost(client):
    MilestoneFactory()
    html = client.get("/").content.decode()
    assert 'class="ghost' not in html


def test_the_timeline_against_a_baseline_costs_the_same_queries(
    client, editions, django_assert_num_queries
):
    from tests.test_pages import TIMELINE_QUERIES

    # The owner choice, rendered by the first page after a change, is read as stored after.
    client.get("/")
    # The edition named is looked up once more than the plain timeline's queries.
    with django_assert_num_queries(TIMELINE_QUERIES + 1):
        assert client.get("/?baseline=sample-2024").status_code == 200
    assert Milestone.objects.count() == 9
