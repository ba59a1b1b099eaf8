"""The kept numbers of milestones and steps: exact after any write, read instead of COUNT(*)."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F

from roadmap.models import Membership, Milestone, Organization, RowCount, Step, counts
from tests.factories import MembershipFactory, MilestoneFactory, bulk_milestones

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def kept():
    # A flushed test database (after a transactional test) has lost the kept rows.
    counts.repair()


def kept_rows(model):
    return RowCount.objects.get(table=model._meta.db_table).rows


def test_the_kept_numbers_follow_every_kind_of_write():
    first = MilestoneFactory()
    bulk_milestones(5)
    Step.objects.bulk_create(Step(milestone=first, number=n) for n in range(1, 41))
    assert (kept_rows(Milestone), kept_rows(Step)) == (6, 40)
    Step.objects.filter(number__gt=30).delete()
    # Deleting a milestone deletes its steps too.
    first.delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM roadmap_milestone WHERE id IN (SELECT id FROM roadmap_milestone LIMIT 2)"
        )
    assert (kept_rows(Milestone), kept_rows(Step)) == (3, 0)
    assert (kept_rows(Milestone), kept_rows(Step)) == (
        Milestone.objects.filter(pk__gt=0).count(),
        Step.objects.filter(pk__gt=0).count(),
    )


@pytest.mark.postgres
def test_truncating_a_table_keeps_nought():
    bulk_milestones(3)
    with connection.cursor() as cursor:
        # The deferred foreign-key checks of the inserts run first (TRUNCATE waits for none).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE roadmap_step, roadmap_milestone CASCADE")
    assert kept_rows(Milestone) == 0


def test_counting_every_milestone_reads_the_kept_number(django_assert_num_queries):
    bulk_milestones(4)
    # A number the triggers would never keep shows which count was read.
    RowCount.objects.filter(table="roadmap_milestone").update(rows=1000)
    with django_assert_num_queries(1):
        assert Milestone.objects.count() == 1000
    assert Milestone.objects.select_related("owner", "initiative").count() == 1000
    assert Milestone.objects.order_by(*Milestone.TIMELINE_ORDER).count() == 1000
    # Anything less than every row, each once, is counted.
    assert Milestone.objects.filter(pk__gt=0).count() == 4
    assert Milestone.objects.all()[:2].count() == 2
    assert Milestone.objects.none().count() == 0
    assert Milestone.objects.values("owner").distinct().count() == 1
    assert Milestone.objects.annotate(n=Count("steps")).count() == 4
    assert Milestone.objects.extra(tables=["roadmap_organization"]).count() == 4
    MilestoneFactory.create_batch(2)
    assert Milestone.objects.annotate(number=F("steps__number")).count() == 6
    assert Milestone.objects.filter(pk__gt=0).count() == 6


def test_without_its_kept_row_a_table_is_counted():
    bulk_milestones(3)
    RowCount.objects.filter(table="roadmap_milestone").delete()
    assert Milestone.objects.count() == 3


def test_the_api_and_the_timeline_page_by_the_kept_number(client):
    bulk_milestones(3)
    RowCount.objects.filter(table="roadmap_milestone").update(rows=250)
    assert client.get("/api/milestones/").json()["count"] == 250
    assert client.get("/api/milestones/?status=planned").json()["count"] == 3
    assert client.get("/").context["page"].paginator.num_pages == 3


def test_the_recount_command_repairs_a_kept_number_that_drifted():
    bulk_milestones(3)
    RowCount.objects.filter(table="roadmap_milestone").update(rows=7)
    with pytest.raises(SystemExit) as stopped:
        call_command("recount_dashboard", "--check")
    assert stopped.value.code == 1
    assert kept_rows(Milestone) == 3
    call_command("recount_dashboard", "--check")


def counted_bodies():
    from roadmap.programme.models import BodyTally

    return kept_rows(BodyTally), BodyTally.objects.filter(systems__gt=0).count()


def test_the_counted_bodies_follow_every_write_to_their_systems():
    from roadmap.programme import progress
    from roadmap.services.milestones import bulk_set_status
    from roadmap.standardization import generate

    generate(limit_prefectures=1, max_municipalities=3)
    # The prefecture and its municipalities, each with its 20 systems.
    assert counted_bodies() == (4, 4)
    first, second = Organization.objects.filter(kind="municipality").order_by("code")[:2]
    user = MembershipFactory(organization=first, role=Membership.Role.OWNER).user
    # Every system of a body cancelled: the body is no longer counted; one back, it is again.
    systems = Milestone.objects.filter(owner=first, business_system__isnull=False)
    bulk_set_status(milestones=systems, status="cancelled", user=user)
    assert counted_bodies() == (3, 3)
    bulk_set_status(milestones=systems.filter(business_system=7), status="planned", user=user)
    assert counted_bodies() == (4, 4)
    # A body's systems deleted; the tallies counted afresh.
    Milestone.objects.filter(owner=second).delete()
    assert counted_bodies() == (3, 3)
    assert progress.repair() == 0
    assert counted_bodies() == (3, 3)


def test_the_programme_reads_its_number_of_bodies_kept(client, django_assert_num_queries):
    from roadmap.programme.models import BodyTally
    from roadmap.standardization import generate

    generate(limit_prefectures=1, max_municipalities=2)
    # A number the triggers would never keep shows which count was read.
    RowCount.objects.filter(table=BodyTally._meta.db_table).update(rows=5000)
    assert client.get("/api/programme/").json()["bodies"] == 5000
    assert client.get("/programme/").context["page"].paginator.count == 5000
    # A prefecture's bodies are counted.
    assert client.get("/programme/?prefecture=01").context["page"].paginator.count == 3
    call_command("recount_dashboard")
    assert client.get("/api/programme/").json()["bodies"] == 3
    RowCount.objects.filter(table=BodyTally._meta.db_table).delete()
    assert client.get("/api/programme/").json()["bodies"] == 3
