"""The QuerySet methods and the values shared with the resolver: each rule asked in one place."""

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Case, Value, When

from roadmap import periods
from roadmap.models import (
    DeadlineRevision,
    Membership,
    Milestone,
    Notification,
    Organization,
    Step,
)
from roadmap.services.scheduler import flag_overdue
from tests.factories import (
    MembershipFactory,
    MilestoneFactory,
    NotificationFactory,
    OrganizationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_resolver_precisions_and_kinds_are_the_milestone_choices():
    def members(choices):
        return [(member.name, member.value) for member in choices]

    assert members(periods.Precision) == members(Milestone.Precision)
    assert members(periods.Kind) == members(Milestone.Kind)


# Who sees, who changes -----------------------------------------------------------------------


@pytest.fixture
def people(org_a, org_b):
    """Return an owner and a viewer of org_a, a stranger and a superuser."""
    return {
        "owner": MembershipFactory(organization=org_a, role=Membership.Role.OWNER).user,
        "viewer": MembershipFactory(organization=org_a, role=Membership.Role.VIEWER).user,
        "stranger": UserFactory(),
        "superuser": UserFactory(is_superuser=True),
    }


EXPECTED = {
    # person: (organizations seen, organizations changed)
    "owner": ({"org-a"}, {"org-a"}),
    "viewer": ({"org-a"}, set()),
    "stranger": (set(), set()),
    "superuser": ({"org-a", "org-b"}, {"org-a", "org-b"}),
}


@pytest.mark.parametrize("person", EXPECTED)
def test_members_see_and_owners_change_their_organizations_milestones(person, people, org_b):
    MilestoneFactory(owner=org_b)
    MilestoneFactory(owner=Organization.objects.get(code="org-a"))
    seen, changed = EXPECTED[person]
    user = people[person]
    milestones = Milestone.objects
    assert {m.owner.code for m in milestones.visible_to(user)} == seen
    assert {m.owner.code for m in milestones.editable_by(user)} == changed
    assert set(Organization.objects.visible_to(user).values_list("code", flat=True)) == seen
    assert set(Organization.objects.editable_by(user).values_list("code", flat=True)) == changed


@pytest.mark.parametrize("model", [Step, DeadlineRevision, Notification])
def test_records_of_a_milestone_follow_the_milestone(model, people, org_a, org_b):
    mine, theirs = MilestoneFactory(owner=org_a), MilestoneFactory(owner=org_b)
    for milestone in (mine, theirs):
        if model is Step:
            Step.objects.create(milestone=milestone, number=1)
        elif model is DeadlineRevision:
            DeadlineRevision.objects.create(
                milestone=milestone, new_phrase="2027年度中", reason="r", kind="slip"
            )
        else:
            NotificationFactory(milestone=milestone)
    rows = model.objects.visible_to(people["viewer"])
    assert [row.milestone for row in rows] == [mine]
    assert model.objects.visible_to(people["superuser"]).count() == 2


def test_an_anonymous_user_sees_nothing(org_a):
    MilestoneFactory(owner=org_a)
    assert not Milestone.objects.visible_to(AnonymousUser()).exists()
    assert not Organization.objects.editable_by(AnonymousUser()).exists()


def test_a_viewer_of_one_body_and_owner_of_another_changes_only_the_owned_one(org_a, org_b):
    user = MembershipFactory(organization=org_a, role=Membership.Role.VIEWER).user
    MembershipFactory(organization=org_b, user=user, role=Membership.Role.OWNER)
    MilestoneFactory(owner=org_a), MilestoneFactory(owner=org_b)
    assert [m.owner for m in Milestone.objects.editable_by(user)] == [org_b]


def test_users_mark_read_only_the_notices_addressed_to_them():
    mine = NotificationFactory()
    NotificationFactory(milestone=mine.milestone)
    assert list(Notification.objects.editable_by(mine.user)) == [mine]


# Questions about many milestones --------------------------------------------------------------


def test_due_in_fiscal_year_runs_from_april_to_march():
    MilestoneFactory(ref="before", deadline=date(2025, 3, 31))
    MilestoneFactory(ref="first", deadline=date(2025, 4, 1))
    MilestoneFactory(ref="last", deadline=date(2026, 3, 31))
    due = Milestone.objects.due_in_fiscal_year(2025)
    assert sorted(due.values_list("ref", flat=True)) == ["first", "last"]


def test_flagged_overdue_means_the_scheduler_set_overdue_since():
    MilestoneFactory(ref="flagged", overdue_since=date(2026, 4, 1))
    MilestoneFactory(ref="clear")
    assert [m.ref for m in Milestone.objects.flagged_overdue()] == ["flagged"]
    assert [m.ref for m in Milestone.objects.flagged_overdue(False)] == ["clear"]


@pytest.mark.parametrize("status", Milestone.Status.values)
@pytest.mark.parametrize("kind", Milestone.Kind.values)
def test_overdue_for_a_new_status_is_the_overdue_rule_with_that_status(kind, status):
    milestone = MilestoneFactory(kind=kind, deadline=date(2026, 3, 31))
    today = date(2026, 4, 1)
    as_is = Milestone.objects.filter(Milestone.overdue_condition(today))
    milestone.status = status
    milestone.save()
    expected = as_is.exists()
    with_status = Milestone.objects.filter(Milestone.overdue_condition(today, status=status))
    assert with_status.exists() == expected


# Bookkeeping -----------------------------------------------------------------------------------


def test_update_recorded_bumps_the_version_stamps_and_writes_one_history_row_each():
    user = UserFactory()
    first, second = MilestoneFactory.create_batch(2)
    before = first.updated_at
    count = Milestone.objects.filter(pk__in=[first.pk, second.pk]).update_recorded(
        reason="why", user=user, status=Milestone.Status.IN_PROGRESS
    )
    assert count == 2
    for milestone in (first, second):
        milestone.refresh_from_db()
        latest = milestone.history.latest()
        assert (milestone.version, milestone.status) == (2, "in_progress")
        assert milestone.updated_at > before
        assert (latest.history_user, latest.history_change_reason) == (user, "why")
        assert (latest.status, latest.history_date) == ("in_progress", milestone.updated_at)


def test_a_sliced_recorded_update_is_refused_and_changes_no_row():
    MilestoneFactory.create_batch(2)
    with pytest.raises(TypeError, match="slice"):
        Milestone.objects.order_by("pk")[:1].update_recorded(reason="why", status="done")
    assert not Milestone.objects.filter(status="done").exists()
    assert Milestone.history.filter(history_change_reason="why").count() == 0


def test_update_recorded_of_no_rows_writes_no_history():
    MilestoneFactory()
    before = Milestone.history.count()
    assert Milestone.objects.none().update_recorded(reason="why", status="done") == 0
    assert Milestone.history.count() == before


@pytest.mark.postgres
def test_a_recorded_update_is_one_statement_copying_exactly_the_rows_it_changed(
    django_assert_num_queries,
):
    first, second, untouched = MilestoneFactory.create_batch(3)
    reason = Case(When(pk=first.pk, then=Value("first")), default=Value("second"))
    with django_assert_num_queries(1):
        changed = Milestone.objects.filter(pk__in=[first.pk, second.pk]).update_recorded_by_reason(
            reason=reason, status=Milestone.Status.IN_PROGRESS
        )
    assert changed == {"first": 1, "second": 1}
    for milestone, why in ((first, "first"), (second, "second")):
        latest = milestone.history.latest()
        assert (latest.status, latest.version, latest.history_change_reason) == (
            "in_progress",
            2,
            why,
        )
    assert untouched.history.count() == 1


@pytest.mark.postgres
def test_flagging_overdue_rewrites_each_row_in_place_without_touching_an_index():
    # A heap-only update needs no indexed column changed: an index on overdue_since or
    # updated_at would make the scheduler write every index of every row it flags.
    MilestoneFactory.create_batch(3, deadline=date(2026, 3, 31))
    before = heap_only_updates()
    assert flag_overdue(as_of=date(2026, 4, 1))["flagged"] == 3
    updated, heap_only = (
        after - was for after, was in zip(heap_only_updates(), before, strict=True)
    )
    assert (updated, heap_only) == (3, 3)


def heap_only_updates() -> tuple[int, int]:
    """Return this transaction's updates of milestones so far, and how many were heap-only."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
            [Milestone._meta.db_table],
        )
        return cursor.fetchone()


def test_save_recorded_bumps_the_version_and_names_who_and_why():
    user = UserFactory()
    milestone = MilestoneFactory()
    milestone.title_ja = "新しい題"
    milestone.save_recorded(user=user, reason="typo")
    milestone.refresh_from_db()
    latest = milestone.history.latest()
    assert (milestone.version, latest.title_ja) == (2, "新しい題")
    assert (latest.history_user, latest.history_change_reason) == (user, "typo")


def test_organizations_and_titles_follow_the_language_asked():
    organization = OrganizationFactory(name_ja="デジタル庁", name_en="Digital Agency")
    milestone = MilestoneFactory(title_ja="移行", title_en="")
    assert (organization.name("en"), organization.name("ja")) == ("Digital Agency", "デジタル庁")
    assert milestone.title("en-us") == "移行"
