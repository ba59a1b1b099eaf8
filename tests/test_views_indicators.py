"""Indicators on the dashboard and milestone pages, in the API and in the CSV."""

import csv
import io
from datetime import date

import pytest
from django.db import connection

from roadmap.models import Indicator
from tests.factories import IndicatorFactory, MeasurementFactory, MilestoneFactory

pytestmark = pytest.mark.django_db

# Queries with indicators to show (and no programme to look up prefectures for). The first
# request after the indicators' milestones changed also counts the figures afresh and stores
# them (see tests/test_dashboard.py, COUNTING_QUERIES); the filter form reads the fiscal years;
# the programme's rates by prefecture and its snapshots; and first of all the count of changes
# that keys the kept body (tests/test_dashboard.py, TAG).
DASHBOARD_QUERIES = 23
# milestone, revisions, comments, steps, editions, history, indicators, measurements
MILESTONE_QUERIES = 8
API_QUERIES = 2  # indicators with their initiative, owner and milestone; their measurements


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: date(2025, 4, 1))


def behind_indicator(**fields):
    indicator = IndicatorFactory(name_ja="電子申請率", name_en="E-application rate", **fields)
    MeasurementFactory(indicator=indicator, measured_on=date(2025, 3, 1), value=120, source="調査")
    return indicator


def test_the_dashboard_shows_each_indicator_with_its_grade_figures_and_chart(client):
    indicator = behind_indicator()
    response = client.get("/dashboard/?lang=en")
    page = response.content.decode()
    section = page[page.index(f'id="indicator-{indicator.ref}"') :]
    section = section[: section.index("</article>")]
    assert "E-application rate" in section and "Behind" in section
    assert "20% of the way to the target, 50% of the time gone" in section
    assert "120 cases" in section and "200 cases" in section and "2026-03-31" in section
    assert '<svg class="indicator-svg"' in section and 'aria-hidden="true"' in section
    assert section.count('<circle class="measurement"') == 1


def test_the_dashboard_indicators_follow_the_owner_filter(client):
    shown, hidden = behind_indicator(), IndicatorFactory()
    page = client.get(f"/dashboard/?owner={shown.owner.code}").content.decode()
    assert f"indicator-{shown.ref}" in page and f"indicator-{hidden.ref}" not in page


def test_a_milestone_page_shows_the_indicators_of_its_initiative(client):
    indicator = behind_indicator()
    milestone = MilestoneFactory(initiative=indicator.initiative)
    other = MilestoneFactory()
    assert (
        f"indicator-{indicator.ref}" in client.get(milestone.get_absolute_url()).content.decode()
    )
    assert "indicator-" not in client.get(other.get_absolute_url()).content.decode()


def test_the_api_lists_indicators_with_grade_and_measurements(client, settings):
    settings.SITE_URL = "https://tracker.example.go.jp"
    indicator = behind_indicator()
    body = client.get("/api/indicators/").json()
    assert body["count"] == 1
    [result] = body["results"]
    assert result["ref"] == indicator.ref and result["grade"] == "behind"
    assert (result["progress_percent"], result["elapsed_percent"]) == (20, 50)
    assert result["target"] == {"value": "200", "phrase": "2025年度まで", "on": "2026-03-31"}
    assert result["measurements"] == [{"on": "2025-03-01", "value": "120", "source": "調査"}]
    assert result["url"] == f"https://tracker.example.go.jp/dashboard/#indicator-{indicator.ref}"


def test_the_csv_has_one_line_per_indicator_with_its_grade(client):
    indicator = behind_indicator(source_text="=HYPERLINK(1)")
    response = client.get("/indicators.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["ref"], r["grade"], r["latest_value"], r["target_value"]) for r in rows] == [
        (indicator.ref, "behind", "120", "200")
    ]
    assert rows[0]["source_text"] == "'=HYPERLINK(1)"


@pytest.mark.parametrize("query", ["status=done", "owner=nobody", "area=5x"])
def test_indicator_lists_refuse_what_they_cannot_read(client, query):
    assert client.get(f"/api/indicators/?{query}").status_code == 400
    assert client.get(f"/indicators.csv?{query}").status_code == 400


@pytest.mark.parametrize("count", [1, 5])
def test_pages_cost_the_same_queries_whatever_the_number_of_indicators(
    client, django_assert_num_queries, count
):
    milestone = MilestoneFactory()
    for _ in range(count):
        behind_indicator(initiative=milestone.initiative)
    with django_assert_num_queries(API_QUERIES):
        assert client.get("/api/indicators/").status_code == 200
    with django_assert_num_queries(MILESTONE_QUERIES):
        assert client.get(milestone.get_absolute_url()).status_code == 200
    # On PostgreSQL the count is made under an advisory lock (tests/test_dashboard.py).
    locking = 2 if connection.vendor == "postgresql" else 0
    with django_assert_num_queries(DASHBOARD_QUERIES + locking):
        assert client.get("/dashboard/").status_code == 200
    assert Indicator.objects.count() == count
