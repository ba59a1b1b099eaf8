import re
from datetime import date

import pytest
from django.db import connection

from roadmap import dashboard, tallies
from roadmap.models import DeadlineRevision, Milestone, Organization
from roadmap.standard_systems import PREFECTURE_SYSTEMS, STANDARD_SYSTEMS
from tests.factories import InitiativeFactory, MilestoneFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

# Every request: the count of changes, which keys the kept body and makes the ETag.
TAG = 1
# Every body rendered: fiscal years, designations (kept per reason), indicators (their
# measurements: one more when there are any), the programme's rates by prefecture (their
# prefectures' names: one more when there are any) and the snapshots. The owners to choose from
# are fetched apart (tests/test_owners.py).
EVERY_BODY = 5
# The state, stored rows, area titles, prefectures, owners count, owners page.
DASHBOARD_QUERIES = TAG + 6 + EVERY_BODY
# The state; counting: areas, area titles, owners, 2 progress; storing: savepoint, lock the state,
# delete, insert, mark counted, release; then the stored figures as above but the state. On
# PostgreSQL the count is made under an advisory lock: taken and given back (tallies.py).
COUNTING_QUERIES = TAG + 1 + 5 + 6 + 5 + EVERY_BODY
COUNTING_LOCK_QUERIES = 2
# Filtered, counted per request: areas, area titles, owners count, owners page, 2 progress,
# prefectures.
FILTERED_QUERIES = TAG + 7 + EVERY_BODY

Status = Milestone.Status
DONE = {"status": Status.DONE, "completed_on": date(2025, 1, 1)}


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def only(rows, **match):
    """Return the one row whose keys have the given values."""
    [row] = [row for row in rows if all(row[k] == v for k, v in match.items())]
    return row


def test_there_are_twenty_standard_systems_numbered_one_to_twenty():
    assert [s.number for s in STANDARD_SYSTEMS] == list(range(1, 21))
    assert [s.name_ja for s in STANDARD_SYSTEMS if s.number in PREFECTURE_SYSTEMS] == [
        "児童扶養手当",
        "生活保護",
    ]


def test_by_area_counts_statuses_of_an_area_and_everything_below_it():
    InitiativeFactory(number="5", title_ja="地方公共団体のDX", parent=None)
    MilestoneFactory(initiative=InitiativeFactory(number="5.1"), **DONE)
    MilestoneFactory(initiative=InitiativeFactory(number="5.1.4"), status=Status.IN_PROGRESS)
    MilestoneFactory(initiative=InitiativeFactory(number="50"))
    rows = dashboard.by_area(Milestone.objects.all())
    five = only(rows, area="5")
    assert (five["total"], five["done"], five["in_progress"], five["planned"]) == (2, 1, 1, 0)
    assert five["initiative"].title_ja == "地方公共団体のDX"
    assert [row["area"] for row in rows] == ["5", "50"]


def test_completed_on_or_before_the_deadline_is_on_time_and_after_is_late():
    MilestoneFactory(
        deadline=date(2025, 3, 31), status=Status.DONE, completed_on=date(2025, 3, 31)
    )
    MilestoneFactory(deadline=date(2025, 3, 31), status=Status.DONE, completed_on=date(2025, 4, 1))
    [row] = dashboard.by_area(Milestone.objects.all())
    assert (row["on_time"], row["late"]) == (1, 1)


def test_slipped_counts_milestones_whose_deadline_was_ever_moved_later_once_each():
    initiative = InitiativeFactory(number="1.1")
    later_twice, earlier, _untouched = MilestoneFactory.create_batch(3, initiative=initiative)
    for milestone, old, new in [
        (later_twice, date(2025, 3, 31), date(2026, 3, 31)),
        (later_twice, date(2026, 3, 31), date(2027, 3, 31)),
        (earlier, date(2026, 3, 31), date(2025, 3, 31)),
    ]:
        DeadlineRevision.objects.create(
            milestone=milestone,
            old_deadline=old,
            new_deadline=new,
            new_phrase="x",
            reason="r",
            kind=DeadlineRevision.Kind.SLIP,
        )
    [row] = dashboard.by_area(Milestone.objects.all())
    assert (row["total"], row["slipped"]) == (3, 1)


def test_by_owner_counts_overdue_and_cancelled_per_organization():
    owner = OrganizationFactory(code="digital")
    MilestoneFactory(owner=owner, overdue_since=date(2025, 4, 1))
    MilestoneFactory(owner=owner, status=Status.CANCELLED)
    MilestoneFactory()
    row = only(list(dashboard.by_owner(Milestone.objects.all())), owner__code="digital")
    assert (row["total"], row["overdue"], row["cancelled"]) == (2, 1, 1)


@pytest.fixture
def programme():
    """A prefecture and three municipalities at different stages of migrating two systems."""
    pref = OrganizationFactory(code="130001", name_ja="東京都", kind=Organization.Kind.PREFECTURE)
    towns = [
        OrganizationFactory(code=f"13{n}", kind=Organization.Kind.MUNICIPALITY, parent=pref)
        for n in ("1016", "1024", "1032")
    ]
    states = {towns[0]: (DONE, DONE), towns[1]: (DONE, {}), towns[2]: ({}, {})}
    for town, (first, second) in states.items():
        MilestoneFactory(owner=town, business_system=1, **first)
        MilestoneFactory(owner=town, business_system=2, **second)
    MilestoneFactory(owner=pref, business_system=15, status=Status.IN_PROGRESS)
    MilestoneFactory(owner=towns[2], business_system=3, status=Status.CANCELLED)
    MilestoneFactory(business_system=1, **DONE)  # a ministry's, not a local body's
    return pref


def test_bodies_by_prefecture_count_municipalities_under_their_prefecture(programme):
    [tokyo] = dashboard.progress_by_prefecture(Milestone.objects.all())
    assert tokyo.organization == programme
    assert (tokyo.bodies, tokyo.done, tokyo.in_progress, tokyo.not_started) == (4, 1, 2, 1)
    assert tokyo.percent_done == 25.0


def test_bodies_by_system_count_each_bodys_milestones_of_that_system(programme):
    rows = {row.key: row for row in dashboard.progress_by_system(Milestone.objects.all())}
    assert (rows[1].done, rows[1].in_progress, rows[1].not_started) == (2, 0, 1)
    assert (rows[2].done, rows[2].not_started) == (1, 2)
    assert (rows[15].in_progress, rows[15].system.name_ja) == (1, "児童扶養手当")
    assert 3 not in rows  # only a cancelled milestone


def test_dashboard_page_shows_the_counts_and_progress(client, programme):
    page = text(client.get("/dashboard/"))
    assert "東京都 4 1 2 1 25.0%" in page
    assert "1. 住民基本台帳 3 2 0 1" in page
    assert "全団体 4 1 2 1 25.0%" in page


def test_dashboard_applies_the_filters(client, programme):
    page = text(client.get("/dashboard/?status=done"))
    assert "東京都 2 2 0 0 100.0%" in page


def test_dashboard_refuses_bad_filters(client):
    response = client.get("/dashboard/?overdue=maybe")
    assert response.status_code == 400
    assert "overdue=maybe" in text(response)


def programme_at_scale(count):
    """Create ``count`` programme milestones over prefectures and municipalities."""
    prefectures = [
        OrganizationFactory(code=f"{p:02d}0000", kind=Organization.Kind.PREFECTURE)
        for p in range(1, 4)
    ]
    towns = [
        OrganizationFactory(
            code=f"{p:02d}{t:04d}", kind=Organization.Kind.MUNICIPALITY, parent=prefectures[p - 1]
        )
        for p in range(1, 4)
        for t in range(1, 11)
    ]
    initiative = InitiativeFactory(number="5.1")
    statuses = [Status.PLANNED, Status.IN_PROGRESS, Status.DONE]
    Milestone.objects.bulk_create(
        Milestone(
            ref=f"p-{i:05d}",
            owner=towns[i % len(towns)],
            initiative=initiative,
            title_ja=f"標準化{i}",
            business_system=i % 20 + 1,
            reference_date=date(2024, 6, 21),
            window_end=date(2026, 3, 31),
            deadline=date(2026, 3, 31),
            precision=Milestone.Precision.FISCAL_YEAR,
            rule="fy-by",
            status=statuses[i % 3],
            completed_on=date(2025, 1, 1) if statuses[i % 3] == Status.DONE else None,
        )
        for i in range(count)
    )


@pytest.mark.parametrize("count", [10, 1000])
def test_dashboard_costs_the_same_queries_whatever_the_number_of_milestones(
    client, django_assert_num_queries, count
):
    programme_at_scale(count)
    # After a change: the state, the fresh count and storing it, then reading what was stored.
    locking = COUNTING_LOCK_QUERIES if connection.vendor == "postgresql" else 0
    with django_assert_num_queries(COUNTING_QUERIES + locking):
        assert client.get("/dashboard/").status_code == 200
    # Unchanged since, another language: the stored figures alone.
    with django_assert_num_queries(DASHBOARD_QUERIES):
        assert client.get("/dashboard/?lang=en").status_code == 200
    with django_assert_num_queries(DASHBOARD_QUERIES):
        assert client.get("/dashboard/?lang=en&page=1").status_code == 200
    # Unchanged since, shown before: the kept body.
    with django_assert_num_queries(TAG):
        assert client.get("/dashboard/").status_code == 200


def test_a_filtered_dashboard_costs_the_same_queries_whatever_the_number_of_milestones(
    client, django_assert_num_queries
):
    programme_at_scale(1000)
    with django_assert_num_queries(FILTERED_QUERIES):
        assert client.get("/dashboard/?status=planned").status_code == 200
    with django_assert_num_queries(FILTERED_QUERIES):
        assert client.get("/dashboard/?status=in_progress").status_code == 200
    with django_assert_num_queries(TAG):
        assert client.get("/dashboard/?status=planned").status_code == 200


def test_dashboard_draws_status_bars_with_the_counts_written_on_them(client, programme):
    html = client.get("/dashboard/").content.decode()
    chart = html[html.index('aria-labelledby="area-chart-title"') :]
    chart = chart[: chart.index("</svg>")]
    counts = re.findall(
        r'<text class="segment-count segment-count-(\w+)"[^>]*>(\d+)</text>', chart
    )
    assert ("done", "4") in counts


def test_dashboard_without_programme_reports_says_so_and_draws_no_map(client, programme):
    page = text(client.get("/dashboard/?lang=en"))
    assert "No step of the standardization programme has been reported yet." in page
    assert "No snapshot has been taken yet." in page


def test_the_programme_scope_is_stated_as_officially_counted_beside_the_generated_count(client):
    page = text(client.get("/dashboard/?lang=en"))
    assert "about 34,592 systems by the official count" in page
    assert "This tracker holds 34,914" in page
    assert "only the systems the bodies actually run" in page


def test_the_owner_table_is_paged_by_the_owners_stored_as_owners_come_and_go(client):
    owners = OrganizationFactory.create_batch(3)
    milestones = [MilestoneFactory(owner=owner) for owner in owners]
    assert tallies.current().owners.count() == 3
    milestones[0].delete()
    milestones[1].delete()
    figures = tallies.current()
    assert figures.owners.count() == len(figures.owners[0:10]) == 1
    MilestoneFactory.create_batch(2)
    assert tallies.current().owners.count() == 3
