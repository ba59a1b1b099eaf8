"""The seeded picture: one milestone per body and system, the re-plans of the survey."""

from datetime import date

from roadmap import seeding
from roadmap.bodies import programme_bodies, read_bodies
from roadmap.models import Milestone
from roadmap.seeding import programme_specs


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
    assert all(date(2024, 4, 1) <= s.completed_on <= seeding.SNAPSHOT for s in done)
    assert any(s.completed_on > date(2026, 3, 31) for s in done)
    assert not any(s.status == Milestone.Status.DONE for s in specs if s.replanned)


def test_same_seed_gives_the_same_programme():
    bodies = programme_bodies(read_bodies(), limit_prefectures=3)
    assert programme_specs(bodies, seed=7) == programme_specs(bodies, seed=7)
    assert programme_specs(bodies, seed=7) != programme_specs(bodies, seed=8)
