"""The dashboard's stored figures: always what a fresh count says, read without counting."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection

from roadmap import tallies
from roadmap.models import DashboardState, DashboardTally, Milestone, Organization
from roadmap.programme.models import SystemTally
from roadmap.programme.snapshots import take_snapshot
from roadmap.services.milestones import revise_deadline, set_status
from roadmap.services.scheduler import flag_overdue
from tests.factories import (
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db

Status = Milestone.Status


def stored_rows():
    return {
        section: list(
            DashboardTally.objects.filter(section=section)
            .order_by("position")
            .values_list("figures", flat=True)
        )
        for section in tallies.SECTIONS
    }


def assert_current():
    """The dashboard reads the stored figures; they equal a count from scratch."""
    tallies.current()
    assert stored_rows() == tallies.counted_afresh()


@pytest.fixture
def plan():
    prefecture = OrganizationFactory(code="130001", kind=Organization.Kind.PREFECTURE)
    town = OrganizationFactory(
        code="131016", kind=Organization.Kind.MUNICIPALITY, parent=prefecture
    )
    owner = MembershipFactory(organization=town)
    initiative = InitiativeFactory(number="5.1")
    milestones = [
        MilestoneFactory(
            owner=town, initiative=initiative, business_system=n, deadline=date(2026, 3, 31)
        )
        for n in (1, 2, 3)
    ]
    return owner, milestones


def test_every_kind_of_change_is_counted_before_the_dashboard_shows_it(plan):
    owner, (first, second, third) = plan
    assert_current()
    set_status(milestone=first, status=Status.DONE, user=owner.user)
    assert_current()
    second.refresh_from_db()
    revise_deadline(
        milestone=second,
        new_phrase="2026年6月末",
        reason="Vendor delay.",
        kind="slip",
        user=owner.user,
    )
    assert_current()
    flag_overdue(as_of=date(2026, 4, 1))
    assert_current()
    # Writes that bypass the services are counted too: the database notices them.
    Milestone.objects.filter(pk=third.pk).update(status=Status.CANCELLED)
    assert_current()
    Organization.objects.filter(pk=owner.organization_id).update(name_ja="改名した町")
    assert_current()
    third.delete()
    assert_current()
    MilestoneFactory(owner=owner.organization, business_system=4)
    assert_current()


def test_unchanged_figures_are_read_not_counted_again(plan, monkeypatch):
    tallies.current()

    def count_again():
        raise AssertionError("counted again without a change")

    monkeypatch.setattr(tallies, "counted_afresh", count_again)
    figures = tallies.current()
    assert [row["total"] for row in figures.areas] == [3]
    assert figures.owners.count() == 1


def test_the_recount_command_repairs_figures_that_drifted(plan):
    tallies.current()
    DashboardTally.objects.filter(section="area").update(figures={"area": "5", "total": 99})
    with pytest.raises(SystemExit) as stopped:
        call_command("recount_dashboard", "--check")
    assert stopped.value.code == 1
    assert stored_rows() == tallies.counted_afresh()
    call_command("recount_dashboard", "--check")


def test_the_dashboard_page_shows_a_change_at_once(client, plan):
    owner, (first, *_) = plan
    [area] = client.get("/dashboard/").context["areas"]
    assert (area["total"], area["cancelled"]) == (3, 0)
    set_status(milestone=first, status=Status.CANCELLED, user=owner.user)
    response = client.get("/dashboard/")
    [area] = response.context["areas"]
    assert (area["total"], area["cancelled"]) == (3, 1)
    [row] = response.context["owners"].object_list
    assert (row["owner__code"], row["cancelled"]) == ("131016", 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_while_one_process_counts_the_others_show_the_figures_stored_before(plan):
    import psycopg

    owner, (first, *_) = plan
    tallies.current()
    set_status(milestone=first, status=Status.DONE, user=owner.user)
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        autocommit=True,
    ) as counting:
        counting.execute("SELECT pg_advisory_lock(%s)", [tallies.COUNTING_LOCK])
        [area] = tallies.current().areas
        assert (area["total"], area["done"]) == (3, 0)
        counting.execute("SELECT pg_advisory_unlock(%s)", [tallies.COUNTING_LOCK])
    [area] = tallies.current().areas
    assert (area["total"], area["done"]) == (3, 1)
    assert stored_rows() == tallies.counted_afresh()


@pytest.mark.usefixtures("plan")
def test_what_the_dashboard_shows_besides_milestones_moves_its_own_count():
    DashboardState.objects.get_or_create(pk=DashboardState.ROW)
    changes, shown = DashboardState.changes_now(shown=True)
    take_snapshot(as_of=date(2026, 3, 31))
    SystemTally.objects.update(complete=0)

    after = DashboardState.changes_now(shown=True)
    # The stored figures and the exports follow the milestones alone: nothing to count again.
    assert after[0] == changes
    assert after[1] > shown


def test_a_change_rewrites_only_the_stored_rows_it_alters(plan):
    owner, (first, *_) = plan
    tallies.current()
    before = dict(DashboardTally.objects.values_list("pk", "figures"))
    set_status(milestone=first, status=Status.DONE, user=owner.user)

    tallies.current()

    after = dict(DashboardTally.objects.values_list("pk", "figures"))
    # The same rows, kept in place: none deleted and written again.
    assert after.keys() == before.keys()
    rewritten = [pk for pk in after if after[pk] != before[pk]]
    # The area, the owner, and the prefecture and system progress of the milestone's body.
    assert 1 <= len(rewritten) <= 4
    assert_current()
