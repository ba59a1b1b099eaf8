from datetime import date

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from roadmap.models import DeadlineRevision, Milestone, StatusComment
from roadmap.services.milestones import (
    assess_rag,
    bulk_set_status,
    create_milestone,
    edit_texts,
    revise_deadline,
    set_status,
)
from tests.factories import (
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 26)


@pytest.fixture(autouse=True)
def tokyo_today(monkeypatch):
    """Pin today in Asia/Tokyo so that overdue questions have one answer."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: TODAY)


def owner_of(organization):
    """Return a user who owns ``organization``: the only kind of user a service lets change it."""
    return MembershipFactory(organization=organization).user


def create(**overrides):
    values = {
        "initiative": InitiativeFactory(),
        "owner": OrganizationFactory(),
        "ref": "survey",
        "title_ja": "調査",
        "title_en": "Survey",
        "phrase": "2024年夏までに",
        "kind": Milestone.Kind.DEADLINE,
    }
    return create_milestone(**(values | overrides))


def test_creating_resolves_the_phrase_against_the_plan_decision_date():
    milestone = create(phrase="次期通常国会")
    assert milestone.reference_date == date(2024, 6, 21)
    assert (milestone.window_start, milestone.window_end) == (date(2025, 1, 24), date(2025, 6, 22))
    assert milestone.deadline == milestone.baseline_deadline == date(2025, 6, 22)
    assert (milestone.precision, milestone.rule) == ("diet_session", "diet")


def test_creating_a_start_milestone_is_due_on_the_first_day():
    milestone = create(phrase="2025年度以降", kind=Milestone.Kind.START)
    assert milestone.deadline == date(2025, 4, 1)
    assert milestone.window_end is None


def test_creating_with_a_phrase_that_names_no_dates_is_refused_naming_it():
    with pytest.raises(ValidationError) as error:
        create(phrase="いつか")
    assert "いつか" in str(error.value.message_dict["phrase"])
    assert not Milestone.objects.exists()


def test_creating_without_a_phrase_gives_an_open_window_with_no_deadline():
    milestone = create(phrase="")
    assert (milestone.precision, milestone.rule, milestone.deadline) == ("open", "open", None)


def test_creating_records_who_in_the_history():
    owner = OrganizationFactory()
    user = owner_of(owner)
    milestone = create(owner=owner, user=user)
    assert milestone.history.get().history_user == user


def test_revising_requires_a_reason():
    milestone = MilestoneFactory()
    with pytest.raises(ValidationError):
        revise_deadline(
            milestone=milestone, new_phrase="2026年度末", reason="  ", kind="slip", user=None
        )
    milestone.refresh_from_db()
    assert milestone.deadline == date(2026, 3, 31)
    assert not DeadlineRevision.objects.exists()


def test_revising_records_old_and_new_and_keeps_the_baseline():
    milestone = MilestoneFactory()
    user = owner_of(milestone.owner)
    revision = revise_deadline(
        milestone=milestone,
        new_phrase="2026年度末まで",
        reason="調達の遅れ",
        kind=DeadlineRevision.Kind.SLIP,
        user=user,
    )
    milestone.refresh_from_db()
    assert (revision.old_phrase, revision.old_deadline) == ("2025年度まで", date(2026, 3, 31))
    assert (revision.new_phrase, revision.new_deadline) == ("2026年度末まで", date(2027, 3, 31))
    assert (revision.decided_by, revision.kind) == (user, "slip")
    assert milestone.deadline == date(2027, 3, 31)
    assert milestone.baseline_deadline == date(2026, 3, 31)
    assert milestone.version == 2


def test_revising_to_a_later_deadline_clears_overdue():
    milestone = MilestoneFactory(
        phrase="2025年度前半", window_end=date(2025, 9, 30), overdue_since=date(2025, 10, 1)
    )
    revise_deadline(
        milestone=milestone, new_phrase="2027年度中", reason="再計画", kind="replan", user=None
    )
    milestone.refresh_from_db()
    assert milestone.overdue_since is None


def test_revising_to_a_still_passed_deadline_moves_overdue_to_the_day_after_it():
    milestone = MilestoneFactory(window_end=date(2025, 9, 30), overdue_since=date(2025, 10, 1))
    revise_deadline(
        milestone=milestone, new_phrase="2025年度末", reason="延期", kind="slip", user=None
    )
    milestone.refresh_from_db()
    # The first overdue day of the new deadline, as the scheduler flags it.
    assert milestone.overdue_since == date(2026, 4, 1)


def test_revising_to_a_passed_deadline_flags_it_as_the_scheduler_would():
    milestone = MilestoneFactory(window_end=date(2027, 3, 31))
    revise_deadline(
        milestone=milestone, new_phrase="2025年度末", reason="延期", kind="slip", user=None
    )
    milestone.refresh_from_db()
    assert milestone.overdue_since == date(2026, 4, 1)


def test_revising_records_who_in_the_history():
    milestone = MilestoneFactory()
    user = owner_of(milestone.owner)
    revise_deadline(
        milestone=milestone, new_phrase="2027年度中", reason="r", kind="slip", user=user
    )
    latest = milestone.history.latest()
    assert (latest.history_user, latest.deadline) == (user, date(2028, 3, 31))


def test_status_done_sets_completion_today_and_clears_overdue():
    milestone = MilestoneFactory(window_end=date(2025, 3, 31), overdue_since=date(2025, 4, 1))
    set_status(milestone=milestone, status=Milestone.Status.DONE, user=None)
    milestone.refresh_from_db()
    assert (milestone.completed_on, milestone.overdue_since) == (TODAY, None)


def test_leaving_done_clears_the_completion_date():
    milestone = MilestoneFactory(status=Milestone.Status.DONE, completed_on=date(2025, 1, 1))
    set_status(milestone=milestone, status=Milestone.Status.IN_PROGRESS, user=None)
    milestone.refresh_from_db()
    assert milestone.completed_on is None


def test_a_started_start_milestone_is_no_longer_overdue():
    milestone = MilestoneFactory(
        kind=Milestone.Kind.START, deadline=date(2025, 4, 1), overdue_since=date(2025, 4, 2)
    )
    set_status(milestone=milestone, status=Milestone.Status.IN_PROGRESS, user=None)
    milestone.refresh_from_db()
    assert milestone.overdue_since is None


def test_status_comment_is_recorded_with_old_and_new_status():
    milestone = MilestoneFactory()
    user = owner_of(milestone.owner)
    set_status(milestone=milestone, status="in_progress", user=user, comment="着手")
    comment = StatusComment.objects.get()
    assert (comment.old_status, comment.new_status, comment.comment) == (
        "planned",
        "in_progress",
        "着手",
    )
    assert comment.author == user


def test_bulk_status_change_records_history_for_each_with_who():
    owner = OrganizationFactory()
    user = owner_of(owner)
    milestones = MilestoneFactory.create_batch(3, owner=owner, overdue_since=date(2026, 4, 1))
    bulk_set_status(milestones=Milestone.objects.all(), status="done", user=user)
    for milestone in milestones:
        milestone.refresh_from_db()
        latest = milestone.history.latest()
        assert (milestone.status, milestone.completed_on, milestone.overdue_since) == (
            "done",
            TODAY,
            None,
        )
        assert (latest.history_user, latest.status) == (user, "done")
        assert milestone.version == 2


def test_bulk_in_progress_keeps_a_late_deadline_milestone_overdue():
    milestone = MilestoneFactory(window_end=date(2026, 3, 31), overdue_since=date(2026, 4, 1))
    bulk_set_status(milestones=Milestone.objects.all(), status="in_progress", user=None)
    milestone.refresh_from_db()
    assert milestone.overdue_since == date(2026, 4, 1)


def test_rag_assessment_records_who_and_when():
    milestone = MilestoneFactory()
    user = owner_of(milestone.owner)
    milestone = assess_rag(milestone=milestone, rag=Milestone.Rag.AMBER, user=user)
    assert (milestone.rag, milestone.rag_assessed_by) == ("amber", user)
    assert milestone.rag_assessed_at is not None


def test_no_service_sends_mail():
    milestone = MilestoneFactory()
    set_status(milestone=milestone, status="done", user=None, comment="完了")
    revise_deadline(
        milestone=milestone, new_phrase="2027年度中", reason="r", kind="slip", user=None
    )
    assert mail.outbox == []


# Who may change a milestone -------------------------------------------------------------------


def viewer_of(organization):
    return MembershipFactory(organization=organization, role="viewer").user


@pytest.mark.parametrize(
    "change",
    [
        lambda m, user: set_status(milestone=m, status="done", user=user),
        lambda m, user: assess_rag(milestone=m, rag="red", user=user),
        lambda m, user: edit_texts(
            milestone=m, user=user, title_ja="別", title_en="", source_text=""
        ),
        lambda m, user: revise_deadline(
            milestone=m, new_phrase="2027年度中", reason="r", kind="slip", user=user
        ),
        lambda m, user: bulk_set_status(
            milestones=Milestone.objects.filter(pk=m.pk), status="done", user=user
        ),
    ],
    ids=["set_status", "assess_rag", "edit_texts", "revise_deadline", "bulk_set_status"],
)
def test_services_refuse_a_viewer_and_log_who_and_which(change, caplog):
    milestone = MilestoneFactory(title_ja="元")
    viewer = viewer_of(milestone.owner)
    with pytest.raises(PermissionDenied):
        change(milestone, viewer)
    milestone.refresh_from_db()
    assert (milestone.version, milestone.status, milestone.title_ja) == (1, "planned", "元")
    refusals = [r.getMessage() for r in caplog.records if r.name == "roadmap.security"]
    assert len(refusals) == 1
    assert refusals[0].startswith(f"refused: user={viewer.username} action=")
    assert refusals[0].endswith(f"milestone ids={milestone.pk}")


def test_creating_for_an_organization_the_user_does_not_own_is_refused():
    owner = OrganizationFactory()
    with pytest.raises(PermissionDenied):
        create(owner=owner, user=viewer_of(owner))
    assert not Milestone.objects.exists()


def test_the_tracker_itself_and_superusers_may_change_any_milestone():
    milestone = MilestoneFactory()
    set_status(milestone=milestone, status="in_progress", user=None)
    superuser = MembershipFactory().user
    superuser.is_superuser = True
    superuser.save()
    set_status(milestone=milestone, status="done", user=superuser)
    milestone.refresh_from_db()
    assert (milestone.status, milestone.version) == ("done", 3)
