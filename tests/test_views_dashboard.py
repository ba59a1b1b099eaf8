"""The dashboard: the programme's own figures, and a kept body never shown once out of date."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from roadmap.models import Indicator, Membership, Milestone, Organization
from roadmap.programme.designations import designate
from roadmap.programme.models import Designation, SystemTally
from roadmap.programme.snapshots import take_snapshot
from roadmap.programme.steps import Cell, record_steps, report_body
from roadmap.services.indicators import record_measurement
from roadmap.services.milestones import set_status
from roadmap.standardization import generate
from tests.editions import earlier_edition, import_sample
from tests.factories import IndicatorFactory, MembershipFactory

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


# The kept body: shown until something it shows is written, never after ----------------------


def body(client, path="/dashboard/?lang=en"):
    """Return the dashboard's body as served: what follows the menu, up to the footer."""
    html = client.get(path).content.decode()
    return html[html.index("<h1>") : html.index("</main>")]


def assert_shown_at_once(client, write, path="/dashboard/?lang=en"):
    """``write`` changes the served body at once, to what a body rendered afresh shows."""
    before = body(client, path)
    assert body(client, path) == before
    write()
    after = body(client, path)
    cache.clear()
    assert after == body(client, path)
    assert after != before


def rename_prefecture():
    Organization.objects.filter(code="010006").update(name_en="Hokkaido Prefecture")


def report_a_step(owner, body_):
    # The milestone stays in progress: only the programme's rates move.
    report(owner, body_, {4: "done"})


def save_the_grid(owner, body_):
    milestone = Milestone.objects.get(owner=body_, business_system=1)
    report_body(body=body_, states={(1, 5): "done"}, seen={1: milestone.version}, user=owner)


def change_a_status(owner, body_):
    milestone = Milestone.objects.get(owner=body_, business_system=3)
    set_status(milestone=milestone, status=Milestone.Status.CANCELLED, user=owner)


def snapshot(owner, body_):
    take_snapshot(as_of=days_ago(1))


def designate_a_system(owner, body_):
    milestone = Milestone.objects.get(owner=body_, business_system=2)
    designate(milestone=milestone, reason=1, phrase="2030年度末", basis="Mainframe.", user=owner)


def repair_the_tallies(owner, body_):
    SystemTally.objects.update(complete=0)


WRITES = {
    "status change": change_a_status,
    "step report": report_a_step,
    "grid save": save_the_grid,
    "snapshot": snapshot,
    "designation": designate_a_system,
    "tally written by hand": repair_the_tallies,
    "organization rename": lambda owner, body_: rename_prefecture(),
}


@pytest.mark.parametrize("kind", WRITES)
def test_the_kept_dashboard_shows_a_write_at_once(client, reported, kind):
    owner, body_ = reported
    assert_shown_at_once(client, lambda: WRITES[kind](owner, body_))


def test_the_kept_dashboard_as_of_a_snapshot_shows_a_later_snapshot_at_once(client, reported):
    take_snapshot(as_of=days_ago(2))
    path = f"/dashboard/?as_of={days_ago(2).isoformat()}&lang=en"
    assert_shown_at_once(client, lambda: take_snapshot(as_of=days_ago(1)), path)


def test_the_kept_dashboard_shows_a_measurement_and_an_indicator_change_at_once(client):
    indicator = IndicatorFactory()
    assert_shown_at_once(
        client,
        lambda: record_measurement(
            indicator=indicator,
            measured_on=date(2025, 4, 1),
            value=Decimal(180),
            source="白書",
            user=None,
        ),
    )
    assert_shown_at_once(
        client, lambda: Indicator.objects.filter(pk=indicator.pk).update(target_value=300)
    )


def test_the_kept_dashboard_shows_a_new_edition_at_once(client):
    earlier_edition()
    assert_shown_at_once(client, import_sample)


def test_the_kept_dashboard_is_kept_per_language_and_address(client, reported):
    english = body(client, "/dashboard/?lang=en")
    japanese = body(client, "/dashboard/?lang=ja")
    assert "By area" in english
    assert "By area" not in japanese
    assert body(client, "/dashboard/?lang=en") == english
    assert body(client, "/dashboard/?lang=en&status=done") != english


def test_the_dashboard_answers_304_until_something_it_shows_changes(client, reported):
    owner, body_ = reported
    etag = client.get("/dashboard/")["ETag"]
    unchanged = client.get("/dashboard/", headers={"if-none-match": etag})
    assert unchanged.status_code == 304
    assert unchanged["ETag"] == etag
    report_a_step(owner, body_)
    changed = client.get("/dashboard/", headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_the_dashboards_etag_differs_by_language_and_reader(client, reported):
    owner, _body = reported
    etag = client.get("/dashboard/")["ETag"]
    assert client.get("/dashboard/?lang=en")["ETag"] != etag
    client.force_login(owner)
    signed_in = client.get("/dashboard/", headers={"if-none-match": etag})
    assert signed_in.status_code == 200
    assert signed_in["ETag"] != etag


def test_a_kept_dashboard_still_gives_each_reader_a_page_of_their_own(client, reported):
    owner, _body = reported
    client.get("/dashboard/?lang=en")
    client.force_login(owner)
    page = client.get("/dashboard/?lang=en").content.decode()
    assert "Notifications" in page
    assert 'name="csrfmiddlewaretoken"' in page
