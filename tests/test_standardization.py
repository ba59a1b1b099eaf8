"""Writing the standardization programme: bodies, milestones, re-plans, steps, owners."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from roadmap.local_governments import municipality_code
from roadmap.models import DeadlineRevision, Membership, Milestone, Organization, Step
from roadmap.standardization import REPLAN_REASON, generate

pytestmark = pytest.mark.django_db

SMALL = {"limit_prefectures": 2, "max_municipalities": 3}


def test_generate_creates_bodies_under_their_prefectures():
    generate(**SMALL)
    municipality = Organization.objects.get(code=municipality_code("02", 1))
    assert municipality.kind == Organization.Kind.MUNICIPALITY
    assert municipality.parent.name_ja == "青森県"
    assert Organization.objects.filter(kind=Organization.Kind.PREFECTURE).count() == 2


def test_generate_resolves_the_programme_phrase_to_the_end_of_fy2025():
    generate(**SMALL)
    milestone = Milestone.objects.filter(revisions__isnull=True).first()
    assert (milestone.phrase, milestone.window_end, milestone.deadline) == (
        "原則2025年度までに",
        date(2026, 3, 31),
        date(2026, 3, 31),
    )
    assert milestone.initiative.title_ja == "地方公共団体情報システムの統一・標準化"


def test_generate_moves_replanned_systems_to_fy2030_with_a_revision():
    generate(**SMALL)
    revision = DeadlineRevision.objects.select_related("milestone").first()
    milestone = revision.milestone
    assert (revision.kind, revision.reason) == (DeadlineRevision.Kind.REPLAN, REPLAN_REASON)
    assert (revision.old_deadline, revision.new_deadline) == (date(2026, 3, 31), date(2031, 3, 31))
    assert (milestone.phrase, milestone.deadline) == ("2030年度末までに", date(2031, 3, 31))
    assert milestone.baseline_deadline == date(2026, 3, 31)
    assert milestone.history.count() == 2


def test_generated_milestones_have_a_first_history_record():
    generate(**SMALL)
    milestone = Milestone.objects.filter(revisions__isnull=True).first()
    assert [h.history_type for h in milestone.history.all()] == ["+"]


def test_running_generate_twice_adds_nothing():
    generate(**SMALL, steps=True, owners=True)
    counts = [Organization, Milestone, DeadlineRevision, Step, Membership]
    before = [model.objects.count() for model in counts]
    report = generate(**SMALL, steps=True, owners=True)
    assert [model.objects.count() for model in counts] == before
    assert set(report.created.values()) == {0}


def test_generate_gives_each_body_an_owner_with_an_address():
    generate(**SMALL, owners=True)
    body = Organization.objects.get(code="01")
    owner = get_user_model().objects.get(memberships__organization=body)
    assert owner.email and owner.is_staff
    assert owner.memberships.get().role == Membership.Role.OWNER


def test_steps_follow_the_milestone_status():
    generate(**SMALL, steps=True)
    done = Milestone.objects.filter(status=Milestone.Status.DONE).first()
    planned = Milestone.objects.filter(status=Milestone.Status.PLANNED).first()
    done_days = list(done.steps.values_list("completed_on", flat=True))
    assert len(done_days) == 40
    assert done_days == sorted(done_days)
    assert done_days[-1] == done.completed_on
    assert not planned.steps.filter(completed_on__isnull=False).exists()


def test_in_progress_milestones_have_some_but_not_all_steps_done():
    generate(**SMALL, steps=True)
    for milestone in Milestone.objects.filter(status=Milestone.Status.IN_PROGRESS)[:10]:
        done = milestone.steps.filter(completed_on__isnull=False).count()
        assert 0 < done < 40


def test_command_prints_counts_and_elapsed_time(capsys):
    call_command("generate_standardization", "--prefectures=1", "--max-municipalities=2")
    out = capsys.readouterr().out
    assert "milestones: 42 added, 42 in all" in out
    assert "Done in" in out


def test_command_rejects_a_zero_prefecture_limit():
    with pytest.raises(CommandError, match="--prefectures must be at least 1"):
        call_command("generate_standardization", "--prefectures=0")
