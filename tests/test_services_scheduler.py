from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import connection

from roadmap.models import Membership, Milestone, Notification
from roadmap.services.milestones import revise_deadline, set_status
from roadmap.services.scheduler import (
    CLEARED_REASON,
    FLAGGED_REASON,
    flag_overdue,
    queue_notifications,
)
from tests.factories import (
    MembershipFactory,
    MilestoneFactory,
    OrganizationFactory,
    UserFactory,
    UserPreferenceFactory,
)
from tests.together import at_once

pytestmark = pytest.mark.django_db

DEADLINE = date(2026, 3, 31)
FIRST_OVERDUE_DAY = date(2026, 4, 1)


def owned_milestone(**fields):
    """Return a milestone whose organization has one owner with an e-mail address."""
    membership = MembershipFactory()
    return MilestoneFactory(owner=membership.organization, **fields)


def notices(**filters):
    return list(
        Notification.objects.filter(**filters)
        .order_by("recipient", "kind", "lead")
        .values_list("recipient", "kind", "lead", "deadline", "state")
    )


# flag_overdue --------------------------------------------------------------------------------


def test_flagging_marks_the_day_after_the_deadline_as_the_first_overdue_day():
    milestone = MilestoneFactory(deadline=DEADLINE)
    assert flag_overdue(as_of=date(2026, 4, 3)) == {"flagged": 1, "cleared": 0}
    milestone.refresh_from_db()
    assert milestone.overdue_since == FIRST_OVERDUE_DAY
    assert milestone.is_overdue


def test_a_milestone_is_not_overdue_on_its_deadline_day():
    milestone = MilestoneFactory(deadline=DEADLINE)
    assert flag_overdue(as_of=DEADLINE) == {"flagged": 0, "cleared": 0}
    milestone.refresh_from_db()
    assert milestone.overdue_since is None


@pytest.mark.parametrize("status", [Milestone.Status.DONE, Milestone.Status.CANCELLED])
def test_done_and_cancelled_milestones_are_never_flagged(status):
    completed_on = DEADLINE if status == Milestone.Status.DONE else None
    milestone = MilestoneFactory(deadline=DEADLINE, status=status, completed_on=completed_on)
    flag_overdue(as_of=date(2026, 6, 1))
    milestone.refresh_from_db()
    assert milestone.overdue_since is None


def test_a_milestone_without_a_deadline_is_never_flagged():
    milestone = MilestoneFactory(deadline=None, window_end=None, phrase="速やかに")
    flag_overdue(as_of=date(2026, 6, 1))
    milestone.refresh_from_db()
    assert milestone.overdue_since is None


def test_a_start_milestone_is_flagged_only_while_it_has_not_started():
    planned = MilestoneFactory(kind=Milestone.Kind.START, deadline=date(2025, 4, 1))
    started = MilestoneFactory(
        kind=Milestone.Kind.START, deadline=date(2025, 4, 1), status=Milestone.Status.IN_PROGRESS
    )
    flag_overdue(as_of=date(2025, 4, 2))
    planned.refresh_from_db()
    started.refresh_from_db()
    assert (planned.overdue_since, started.overdue_since) == (date(2025, 4, 2), None)


def test_flagging_is_recorded_in_the_milestone_history():
    milestone = MilestoneFactory(deadline=DEADLINE)
    flag_overdue(as_of=FIRST_OVERDUE_DAY)
    latest = milestone.history.latest()
    assert latest.history_type == "~"
    assert latest.history_change_reason == FLAGGED_REASON
    assert latest.overdue_since == FIRST_OVERDUE_DAY
    assert latest.title_ja == milestone.title_ja
    assert latest.owner_id == milestone.owner_id
    assert latest.history_user is None
    assert milestone.history.count() == 2


def test_flagging_bumps_the_version_so_a_stale_edit_is_noticed():
    milestone = MilestoneFactory(deadline=DEADLINE)
    flag_overdue(as_of=FIRST_OVERDUE_DAY)
    assert Milestone.objects.get(pk=milestone.pk).version == milestone.version + 1


def test_a_second_run_changes_nothing():
    MilestoneFactory.create_batch(3, deadline=DEADLINE)
    flag_overdue(as_of=FIRST_OVERDUE_DAY)
    history_rows = Milestone.history.count()
    assert flag_overdue(as_of=FIRST_OVERDUE_DAY) == {"flagged": 0, "cleared": 0}
    assert flag_overdue(as_of=date(2026, 4, 9)) == {"flagged": 0, "cleared": 0}
    assert Milestone.history.count() == history_rows


def test_a_late_run_flags_with_the_first_overdue_day_not_the_run_day():
    milestone = MilestoneFactory(deadline=DEADLINE)
    flag_overdue(as_of=date(2026, 4, 20))
    milestone.refresh_from_db()
    assert milestone.overdue_since == FIRST_OVERDUE_DAY


def test_a_flag_is_cleared_once_the_milestone_is_done():
    milestone = MilestoneFactory(deadline=DEADLINE, overdue_since=FIRST_OVERDUE_DAY)
    Milestone.objects.filter(pk=milestone.pk).update(
        status=Milestone.Status.DONE, completed_on=date(2026, 4, 5)
    )
    assert flag_overdue(as_of=date(2026, 4, 6)) == {"flagged": 0, "cleared": 1}
    milestone.refresh_from_db()
    assert milestone.overdue_since is None
    assert milestone.history.latest().history_change_reason == CLEARED_REASON


def test_a_flag_is_cleared_when_the_deadline_moves_later():
    milestone = MilestoneFactory(deadline=DEADLINE, overdue_since=FIRST_OVERDUE_DAY)
    Milestone.objects.filter(pk=milestone.pk).update(deadline=date(2026, 9, 30))
    assert flag_overdue(as_of=date(2026, 4, 6)) == {"flagged": 0, "cleared": 1}


def test_a_flag_is_cleared_when_the_deadline_is_removed():
    milestone = MilestoneFactory(deadline=DEADLINE, overdue_since=FIRST_OVERDUE_DAY)
    Milestone.objects.filter(pk=milestone.pk).update(deadline=None)
    assert flag_overdue(as_of=date(2026, 4, 6)) == {"flagged": 0, "cleared": 1}


def test_a_revised_deadline_missed_again_is_flagged_from_its_own_first_overdue_day():
    milestone = MilestoneFactory(deadline=DEADLINE, overdue_since=FIRST_OVERDUE_DAY)
    Milestone.objects.filter(pk=milestone.pk).update(deadline=date(2026, 6, 30))
    assert flag_overdue(as_of=date(2026, 7, 2)) == {"flagged": 1, "cleared": 0}
    milestone.refresh_from_db()
    assert milestone.overdue_since == date(2026, 7, 1)


@pytest.mark.parametrize("count", [10, 500])
def test_flagging_costs_the_same_queries_whatever_the_number_of_milestones(
    count, django_assert_num_queries
):
    MilestoneFactory.create_batch(count, deadline=DEADLINE)
    MilestoneFactory.create_batch(count, deadline=date(2027, 3, 31), overdue_since=DEADLINE)
    # Savepoint; one update that flags and clears and its history copy, returning each row's
    # reason to count (one statement on PostgreSQL, two elsewhere); release.
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 4):
        result = flag_overdue(as_of=FIRST_OVERDUE_DAY)
    assert result == {"flagged": count, "cleared": count}
    assert Milestone.history.filter(history_change_reason=FLAGGED_REASON).count() == count
    assert Milestone.history.filter(history_change_reason=CLEARED_REASON).count() == count


# queue_notifications -------------------------------------------------------------------------


def test_owners_hear_on_the_first_overdue_day():
    milestone = owned_milestone(deadline=DEADLINE)
    owner = milestone.owner.memberships.get().user
    assert queue_notifications(as_of=FIRST_OVERDUE_DAY) == {"overdue": 1, "due_soon": 0}
    notice = Notification.objects.get()
    assert (notice.user, notice.recipient, notice.kind) == (owner, owner.email, "overdue")
    assert (notice.deadline, notice.lead, notice.state) == (DEADLINE, 1, "pending")


def test_overdue_notices_repeat_every_seven_days_by_default():
    owned_milestone(deadline=DEADLINE)
    created = [
        queue_notifications(as_of=DEADLINE + timedelta(days=day))["overdue"]
        for day in range(1, 16)
    ]
    assert created == [1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1]
    assert [lead for _, _, lead, _, _ in notices()] == [1, 8, 15]


def test_a_late_run_sends_one_overdue_notice_for_the_latest_occurrence():
    owned_milestone(deadline=DEADLINE)
    queue_notifications(as_of=DEADLINE + timedelta(days=10))
    assert [lead for _, _, lead, _, _ in notices()] == [8]


def test_each_owner_chooses_how_often_overdue_notices_repeat():
    milestone = owned_milestone(deadline=DEADLINE)
    UserPreferenceFactory(user=milestone.owner.memberships.get().user, overdue_repeat_days=3)
    for day in range(1, 8):
        queue_notifications(as_of=DEADLINE + timedelta(days=day))
    assert [lead for _, _, lead, _, _ in notices()] == [1, 4, 7]


@pytest.mark.parametrize(("days_before", "lead"), [(30, 30), (7, 7), (1, 1)])
def test_due_soon_notices_go_out_on_each_default_lead_day(days_before, lead):
    owned_milestone(deadline=DEADLINE)
    assert queue_notifications(as_of=DEADLINE - timedelta(days=days_before)) == {
        "overdue": 0,
        "due_soon": 1,
    }
    assert [(kind, n) for _, kind, n, _, _ in notices()] == [("due_soon", lead)]


def test_nothing_is_due_between_lead_days():
    owned_milestone(deadline=DEADLINE)
    queue_notifications(as_of=DEADLINE - timedelta(days=30))
    for days_before in range(29, 7, -1):
        assert queue_notifications(as_of=DEADLINE - timedelta(days=days_before))["due_soon"] == 0


def test_a_late_run_sends_only_the_nearest_missed_reminder():
    owned_milestone(deadline=DEADLINE)
    assert queue_notifications(as_of=DEADLINE - timedelta(days=5))["due_soon"] == 1
    assert [lead for _, _, lead, _, _ in notices()] == [7]


def test_a_missed_last_reminder_still_goes_out_on_the_deadline_day():
    owned_milestone(deadline=DEADLINE)
    queue_notifications(as_of=DEADLINE - timedelta(days=7))
    queue_notifications(as_of=DEADLINE)
    assert [lead for _, _, lead, _, _ in notices()] == [1, 7]


def test_each_owner_chooses_their_reminder_lead_times():
    milestone = owned_milestone(deadline=DEADLINE)
    UserPreferenceFactory(user=milestone.owner.memberships.get().user, lead_days=[14, 3])
    leads = [
        queue_notifications(as_of=DEADLINE - timedelta(days=days))["due_soon"]
        for days in (30, 14, 7, 3, 1)
    ]
    assert leads == [0, 1, 0, 1, 0]


def test_the_organization_contact_address_hears_too_without_a_user():
    milestone = owned_milestone(deadline=DEADLINE)
    milestone.owner.contact_email = "digital@city.example.lg.jp"
    milestone.owner.save()
    queue_notifications(as_of=FIRST_OVERDUE_DAY)
    contact = Notification.objects.get(recipient="digital@city.example.lg.jp")
    assert contact.user is None
    assert Notification.objects.count() == 2


def test_viewers_and_owners_without_an_address_are_not_notified():
    milestone = owned_milestone(deadline=DEADLINE)
    MembershipFactory(organization=milestone.owner, role=Membership.Role.VIEWER)
    MembershipFactory(organization=milestone.owner, user=UserFactory(email=""))
    queue_notifications(as_of=FIRST_OVERDUE_DAY)
    assert Notification.objects.count() == 1


def test_owners_of_other_organizations_are_not_notified():
    owned_milestone(deadline=DEADLINE)
    MembershipFactory(organization=OrganizationFactory())
    queue_notifications(as_of=FIRST_OVERDUE_DAY)
    assert Notification.objects.count() == 1


def test_owners_with_digests_off_get_the_notice_in_the_tracker_only():
    milestone = owned_milestone(deadline=DEADLINE)
    UserPreferenceFactory(user=milestone.owner.memberships.get().user, digests_enabled=False)
    queue_notifications(as_of=FIRST_OVERDUE_DAY)
    assert Notification.objects.get().state == Notification.State.SKIPPED


@pytest.mark.parametrize("status", [Milestone.Status.DONE, Milestone.Status.CANCELLED])
def test_done_and_cancelled_milestones_are_never_notified(status):
    completed_on = DEADLINE if status == Milestone.Status.DONE else None
    owned_milestone(deadline=DEADLINE, status=status, completed_on=completed_on)
    for as_of in (DEADLINE - timedelta(days=30), DEADLINE - timedelta(days=1), date(2026, 4, 8)):
        queue_notifications(as_of=as_of)
    assert not Notification.objects.exists()


def test_events_are_never_notified():
    owned_milestone(deadline=DEADLINE, kind=Milestone.Kind.EVENT)
    queue_notifications(as_of=DEADLINE - timedelta(days=1))
    queue_notifications(as_of=FIRST_OVERDUE_DAY)
    assert not Notification.objects.exists()


def test_a_rerun_creates_nothing_new_and_sends_nothing():
    milestone = owned_milestone(deadline=DEADLINE)
    milestone.owner.contact_email = "digital@city.example.lg.jp"
    milestone.owner.save()
    queue_notifications(as_of=FIRST_OVERDUE_DAY)
    before = notices()
    assert queue_notifications(as_of=FIRST_OVERDUE_DAY) == {"overdue": 0, "due_soon": 0}
    assert notices() == before
    assert mail.outbox == []


def test_a_revised_deadline_clears_the_flag_and_a_later_miss_notifies_again():
    milestone = owned_milestone(deadline=DEADLINE)
    flag_overdue(as_of=FIRST_OVERDUE_DAY)
    queue_notifications(as_of=FIRST_OVERDUE_DAY)
    user = milestone.owner.memberships.get().user
    milestone.refresh_from_db()
    revise_deadline(
        milestone=milestone,
        new_phrase="2026年6月末",
        reason="Vendor delay.",
        kind="slip",
        user=user,
    )
    flag_overdue(as_of=date(2026, 4, 2))
    milestone.refresh_from_db()
    assert milestone.overdue_since is None
    flag_overdue(as_of=date(2026, 7, 1))
    queue_notifications(as_of=date(2026, 7, 1))
    overdue = [(deadline, lead) for _, kind, lead, deadline, _ in notices() if kind == "overdue"]
    assert overdue == [(DEADLINE, 1), (date(2026, 6, 30), 1)]


def test_closing_a_milestone_stops_its_notices():
    milestone = owned_milestone(deadline=DEADLINE)
    queue_notifications(as_of=FIRST_OVERDUE_DAY)
    milestone.refresh_from_db()
    set_status(
        milestone=milestone,
        status=Milestone.Status.DONE,
        user=milestone.owner.memberships.get().user,
    )
    queue_notifications(as_of=date(2026, 4, 8))
    assert Notification.objects.count() == 1


@pytest.mark.parametrize("count", [10, 300])
def test_queueing_costs_the_same_queries_whatever_the_number_of_milestones(
    count, django_assert_num_queries
):
    organization = MembershipFactory().organization
    MilestoneFactory.create_batch(count, owner=organization, deadline=DEADLINE)
    MilestoneFactory.create_batch(count, owner=organization, deadline=DEADLINE + timedelta(7))
    # Savepoint, the check of the users' settings (one read), one INSERT … SELECT per kind of
    # notice, release: the database writes the rows.
    with django_assert_num_queries(5):
        result = queue_notifications(as_of=FIRST_OVERDUE_DAY)
    assert result == {"overdue": count, "due_soon": count}


def test_an_owner_whose_address_is_also_the_contact_gets_one_notice_by_their_choices():
    milestone = owned_milestone(deadline=DEADLINE)
    owner = milestone.owner.memberships.get().user
    UserPreferenceFactory(user=owner, digests_enabled=False)
    milestone.owner.contact_email = owner.email
    milestone.owner.save()
    assert queue_notifications(as_of=FIRST_OVERDUE_DAY) == {"overdue": 1, "due_soon": 0}
    assert notices() == [(owner.email, "overdue", 1, DEADLINE, Notification.State.SKIPPED)]
    assert Notification.objects.get().user == owner


def test_owners_of_several_organizations_hear_about_each_milestone_once():
    membership = MembershipFactory()
    other = MembershipFactory(user=membership.user)
    MilestoneFactory(owner=membership.organization, deadline=DEADLINE)
    MilestoneFactory(owner=other.organization, deadline=DEADLINE - timedelta(days=7))
    assert queue_notifications(as_of=FIRST_OVERDUE_DAY) == {"overdue": 2, "due_soon": 0}
    assert [lead for _, _, lead, _, _ in notices()] == [1, 8]


# Two workers at once -------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_flagging_runs_at_once_flag_each_milestone_once():
    MilestoneFactory.create_batch(50, deadline=DEADLINE)
    results = at_once(flag_overdue, as_of=FIRST_OVERDUE_DAY)
    assert sum(r["flagged"] for r in results) == 50
    assert Milestone.history.filter(history_change_reason=FLAGGED_REASON).count() == 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_queueing_runs_at_once_queue_each_notice_once():
    organization = MembershipFactory().organization
    MilestoneFactory.create_batch(50, owner=organization, deadline=DEADLINE)
    results = at_once(queue_notifications, as_of=FIRST_OVERDUE_DAY)
    assert sum(r["overdue"] for r in results) == 50
    assert Notification.objects.count() == 50
