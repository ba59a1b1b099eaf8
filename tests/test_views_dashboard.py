"""The dashboard's programme figures are the programme's own: the same numbers as /programme/."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from roadmap.models import Membership, Milestone, Organization
from roadmap.programme.models import Designation
from roadmap.programme.snapshots import take_snapshot
from roadmap.programme.steps import Cell, record_steps
from roadmap.standardization import generate
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

SAPPORO = "011002"


@pytest.fixture
def reported():
    """One prefecture's programme with a few steps reported; returns the reporting owner."""
    generate(limit_prefectures=1, max_municipalities=2)
    Designation.objects.all().delete()
    body = Organization.objects.get(code=SAPPORO)
    owner = MembershipFactory(organization=body, role=Membership.Role.OWNER).user
    report(owner, body, {1: "done", 2: "done", 3: "in_progress"}, on=days_ago(3))
    return owner, body


def days_ago(days):
    return timezone.localdate() - timedelta(days=days)


def report(owner, body, states, system=1, on=None):
    milestone = Milestone.objects.get(owner=body, business_system=system)
    cells = [Cell(milestone.pk, n, s) for n, s in states.items()]
    record_steps(cells=cells, user=owner, on=on or timezone.localdate())


def rate_rows(html, table_caption):
    """Return the rows (name, systems, completion, in progress, not started) of one table."""
    table = html[html.index(table_caption) :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", table, re.S)
    cells = [re.findall(r">([^<>]+)<", "<x>" + row) for row in rows]
    return [[cell.strip() for cell in row if cell.strip()] for row in cells]


CAPTION = "Rates by prefecture, the prefecture's own systems and its municipalities'"


def test_dashboard_shows_the_programme_pages_rates_by_prefecture(client, reported):
    dashboard = client.get("/dashboard/?lang=en").content.decode()
    programme = client.get("/programme/?lang=en").content.decode()
    rows = rate_rows(dashboard, CAPTION)
    assert rows == rate_rows(programme, CAPTION)
    [[name, systems, completion, *_]] = rows
    assert (name, systems) == ("Hokkaido", "42")
    assert completion != "0.0%"
    # The map's tile and the bar write the same rate as the table.
    tile = re.search(r">Hokkaido</text>\s*<text[^>]*>([^<]+)<", dashboard)
    assert tile.group(1) == completion
    bars = dashboard[dashboard.index('aria-labelledby="prefecture-bars-title"') :]
    assert f">{completion}</text>" in bars[: bars.index("</svg>")]


def test_dashboard_as_of_a_snapshot_shows_that_snapshots_figures(client, reported):
    owner, body = reported
    day = timezone.localdate() - timedelta(days=1)
    take_snapshot(as_of=day)
    report(owner, body, dict.fromkeys(range(1, 41), "done"), system=2)
    query = f"as_of={day.isoformat()}&lang=en"
    then = rate_rows(client.get(f"/dashboard/?{query}").content.decode(), CAPTION)
    assert then == rate_rows(client.get(f"/programme/?{query}").content.decode(), CAPTION)
    now = rate_rows(client.get("/dashboard/?lang=en").content.decode(), CAPTION)
    assert then != now
    assert now == rate_rows(client.get("/programme/?lang=en").content.decode(), CAPTION)


def test_dashboard_draws_the_trend_where_snapshots_exist_with_its_table(client, reported):
    owner, body = reported
    take_snapshot(as_of=days_ago(2))
    report(owner, body, dict.fromkeys(range(1, 41), "done"), system=2, on=days_ago(1))
    take_snapshot(as_of=days_ago(1))
    html = client.get("/dashboard/?lang=en").content.decode()
    assert html.count('<circle class="trend-point"') == 2
    caption = "National completion rate by snapshot"
    trend = rate_rows(html, caption)
    assert [row[0] for row in trend] == [days_ago(2).isoformat(), days_ago(1).isoformat()]
    assert trend == rate_rows(client.get("/programme/?lang=en").content.decode(), caption)
    assert trend[0][1] != trend[1][1]


def test_dashboard_refuses_a_malformed_or_unknown_snapshot(client, reported):
    assert client.get("/dashboard/?as_of=yesterday").status_code == 400
    assert client.get("/dashboard/?as_of=2020-01-31").status_code == 404
