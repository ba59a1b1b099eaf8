from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from roadmap import standardization
from roadmap.bodies import check_digit, read_bodies
from roadmap.models import DeadlineRevision, Membership, Milestone, Organization, Step
from roadmap.programme.models import Designation, SystemProgress
from roadmap.standardization import (
    REPLAN_REASON,
    STEPS,
    generate,
    programme_bodies,
    programme_specs,
)

pytestmark = pytest.mark.django_db

SMALL = {"limit_prefectures": 2, "max_municipalities": 3}


def test_check_digit_reproduces_published_local_government_codes():
    # 札幌市, 新宿区 (remainder 0), 渋谷区 (remainder 1), 北海道 itself.
    codes = ["011002", "131041", "131130", "010006"]
    assert [c[:5] + check_digit(c[:5]) for c in codes] == codes


def test_code_list_has_47_prefectures_and_1741_municipalities_with_valid_codes():
    bodies = read_bodies()
    assert sum(b.is_prefecture for b in bodies) == 47
    assert sum(not b.is_prefecture for b in bodies) == 1741
    assert len({b.code for b in bodies}) == 1788
    assert bodies[1] == ("011002", "01", "city", "札幌市", "さっぽろし")


def test_full_programme_has_one_milestone_per_body_and_business_system():
    specs = programme_specs(programme_bodies(read_bodies()), seed=2024)
    assert len({s.body.code for s in specs}) == 1788
    assert len(specs) == 1741 * 20 + 47 * 2 == 34914
    assert len({s.ref for s in specs}) == len(specs)


def test_full_programme_replans_the_december_2025_survey_figures():
    specs = programme_specs(programme_bodies(read_bodies()), seed=2024)
    replanned = [s for s in specs if s.replanned]
    assert len(replanned) == 5009
    assert len({s.body.code for s in replanned}) == 743


def test_prefectures_run_only_child_rearing_allowance_and_public_assistance():
    specs = programme_specs(programme_bodies(read_bodies(), limit_prefectures=1), seed=1)
    assert sorted(s.system for s in specs if s.body.code == "010006") == [15, 16]


def test_most_systems_are_done_by_late_2026_and_none_after_the_snapshot():
    specs = programme_specs(programme_bodies(read_bodies()), seed=2024)
    done = [s for s in specs if s.status == Milestone.Status.DONE]
    assert len(done) > len(specs) * 0.7
    assert all(date(2024, 4, 1) <= s.completed_on <= standardization.SNAPSHOT for s in done)
    assert any(s.completed_on > date(2026, 3, 31) for s in done)
    assert not any(s.status == Milestone.Status.DONE for s in specs if s.replanned)


def test_same_seed_gives_the_same_programme():
    bodies = programme_bodies(read_bodies(), limit_prefectures=3)
    assert programme_specs(bodies, seed=7) == programme_specs(bodies, seed=7)
    assert programme_specs(bodies, seed=7) != programme_specs(bodies, seed=8)


def test_forty_standard_steps_from_review_to_cut_over():
    assert [s.number for s in STEPS] == list(range(1, 41))
    assert (STEPS[0].name_ja, STEPS[-1].name_ja, STEPS[-1].name("en")) == (
        "推進体制案の作成",
        "運用開始ステータス",
        "In operation",
    )
    assert (STEPS[8].work_item, STEPS[21].work_item, STEPS[-1].work_item) == ("③-2", "⑧-2", "⑱-1")


def test_generate_creates_bodies_under_their_prefectures():
    generate(**SMALL)
    municipality = Organization.objects.get(code="022012")
    assert (municipality.name_ja, municipality.name_kana) == ("青森市", "あおもりし")
    assert municipality.kind == Organization.Kind.MUNICIPALITY
    assert municipality.parent.name_ja == "青森県"
    assert municipality.parent.code == "020001"
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
    counts = [Organization, Milestone, DeadlineRevision, Step, Membership, Designation]
    before = [model.objects.count() for model in counts]
    report = generate(**SMALL, steps=True, owners=True)
    assert [model.objects.count() for model in counts] == before
    assert set(report.created.values()) == {0}


def test_generate_gives_each_body_an_owner_with_an_address():
    generate(**SMALL, owners=True)
    body = Organization.objects.get(code="010006")
    owner = get_user_model().objects.get(memberships__organization=body)
    assert owner.email and owner.is_staff
    assert owner.memberships.get().role == Membership.Role.OWNER


def test_steps_follow_the_milestone_status():
    generate(**SMALL, steps=True)
    done = Milestone.objects.filter(status=Milestone.Status.DONE).first()
    planned = Milestone.objects.filter(status=Milestone.Status.PLANNED).first()
    done_days = list(done.steps.values_list("changed_on", flat=True))
    assert len(done_days) == 40
    assert done_days == sorted(done_days)
    assert done_days[-1] == done.completed_on
    assert not done.steps.exclude(state__in=["done", "not_applicable"]).exists()
    assert not planned.steps.exclude(state="not_started").exists()


def test_in_progress_milestones_have_some_but_not_all_steps_done():
    generate(**SMALL, steps=True)
    for milestone in Milestone.objects.filter(status=Milestone.Status.IN_PROGRESS)[:10]:
        done = milestone.steps.filter(state__in=["done", "not_applicable"]).count()
        assert 0 < done < 40
        assert milestone.steps.filter(state="in_progress").count() == 1


def test_command_prints_counts_and_elapsed_time(capsys):
    call_command("generate_standardization", "--prefectures=1", "--max-municipalities=2")
    out = capsys.readouterr().out
    assert "milestones: 42 added, 42 in all" in out
    assert "Done in" in out


def test_command_rejects_a_zero_prefecture_limit():
    with pytest.raises(CommandError, match="--prefectures must be at least 1"):
        call_command("generate_standardization", "--prefectures=0")


def test_generate_counts_each_systems_steps_by_state():
    generate(**SMALL, steps=True)
    assert SystemProgress.objects.count() == Milestone.objects.count()
    milestone = Milestone.objects.filter(status=Milestone.Status.IN_PROGRESS).first()
    progress = milestone.progress
    complete = milestone.steps.filter(state__in=["done", "not_applicable"]).count()
    assert progress.done + progress.not_applicable == complete
    assert (progress.in_progress, progress.body_id, progress.system) == (
        1,
        milestone.owner_id,
        milestone.business_system,
    )
    total = progress.done + progress.in_progress + progress.not_started + progress.not_applicable
    assert total == 40


def test_loading_the_bodies_twice_changes_nothing_and_renames_old_prefecture_codes():
    from roadmap.bodies import load_bodies

    old = Organization.objects.create(code="01", name_ja="北海道", kind="prefecture")
    bodies = read_bodies()[:5]
    assert load_bodies(bodies) == {"created": 4, "updated": 1}
    assert load_bodies(bodies) == {"created": 0, "updated": 0}
    old.refresh_from_db()
    assert (old.code, old.name_kana, old.name_en) == ("010006", "ほっかいどう", "Hokkaido")


def test_replanned_systems_are_designated_with_a_reason():
    generate(**SMALL)
    replans = DeadlineRevision.objects.filter(reason=REPLAN_REASON)
    designations = Designation.objects.all()
    assert designations.count() == replans.count() > 0
    designation = designations.first()
    assert designation.revision.milestone_id == designation.milestone_id
    assert designation.reason in (1, 2, 3, 4)
