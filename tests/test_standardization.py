from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from roadmap import standardization
from roadmap.local_governments import (
    check_digit,
    load_prefectures,
    municipality_code,
    programme_bodies,
)
from roadmap.models import DeadlineRevision, Membership, Milestone, Organization, Step
from roadmap.standard_steps import STEPS
from roadmap.standardization import REPLAN_REASON, generate, programme_specs

pytestmark = pytest.mark.django_db

SMALL = {"limit_prefectures": 2, "max_municipalities": 3}


def test_check_digit_reproduces_published_local_government_codes():
    # 札幌市, 新宿区 (remainder 0), 渋谷区 (remainder 1), 北海道 itself.
    codes = ["011002", "131041", "131130", "010006"]
    assert [c[:5] + check_digit(c[:5]) for c in codes] == codes


def test_municipality_codes_start_with_the_prefecture_and_carry_the_check_digit():
    code = municipality_code("13", 5)
    assert code == "13205" + check_digit("13205")
    assert len(code) == 6


def test_prefecture_file_lists_47_prefectures_and_1741_municipalities():
    prefectures = load_prefectures()
    assert [p.code for p in prefectures] == [f"{n:02d}" for n in range(1, 48)]
    assert sum(p.municipalities for p in prefectures) == 1741
    assert (prefectures[12].name_ja, prefectures[12].name_en) == ("東京都", "Tokyo")


def test_full_programme_has_one_milestone_per_body_and_business_system():
    specs = programme_specs(programme_bodies(load_prefectures()), seed=2024)
    assert len({s.body.code for s in specs}) == 1788
    assert len(specs) == 1741 * 20 + 47 * 2 == 34914
    assert len({s.ref for s in specs}) == len(specs)


def test_full_programme_replans_the_december_2025_survey_figures():
    specs = programme_specs(programme_bodies(load_prefectures()), seed=2024)
    replanned = [s for s in specs if s.replanned]
    assert len(replanned) == 5009
    assert len({s.body.code for s in replanned}) == 743


def test_prefectures_run_only_child_rearing_allowance_and_public_assistance():
    specs = programme_specs(programme_bodies(load_prefectures()[:1]), seed=1)
    assert sorted(s.system for s in specs if s.body.code == "01") == [15, 16]


def test_most_systems_are_done_by_late_2026_and_none_after_the_snapshot():
    specs = programme_specs(programme_bodies(load_prefectures()), seed=2024)
    done = [s for s in specs if s.status == Milestone.Status.DONE]
    assert len(done) > len(specs) * 0.7
    assert all(date(2024, 4, 1) <= s.completed_on <= standardization.SNAPSHOT for s in done)
    assert any(s.completed_on > date(2026, 3, 31) for s in done)
    assert not any(s.status == Milestone.Status.DONE for s in specs if s.replanned)


def test_same_seed_gives_the_same_programme():
    bodies = programme_bodies(load_prefectures()[:3])
    assert programme_specs(bodies, seed=7) == programme_specs(bodies, seed=7)
    assert programme_specs(bodies, seed=7) != programme_specs(bodies, seed=8)


def test_forty_standard_steps_from_review_to_cut_over():
    assert [s.number for s in STEPS] == list(range(1, 41))
    assert (STEPS[0].name_ja, STEPS[-1].name_ja, STEPS[-1].name("en")) == (
        "現行業務の確認",
        "本番移行",
        "Cut-over",
    )


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
