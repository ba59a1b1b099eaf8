"""Recurring commitments: each year's occurrence created ahead of time, once."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from roadmap import periods
from roadmap.models import Milestone, RecurringCommitment
from roadmap.services.recurring import check_recurrence, create_occurrences
from roadmap.services.scheduler import flag_overdue
from tests.factories import InitiativeFactory, OrganizationFactory
from tests.together import at_once

TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    ("phrase", "year", "dated"),
    [
        ("毎年", 2025, "2025年中"),
        ("毎年度", 2025, "2025年度中"),
        ("毎年度末", 2025, "2025年度末"),
        ("毎年度6月", 2025, "2025年6月"),
        # January of fiscal year 2025 is in calendar year 2026.
        ("毎年度1月", 2025, "2026年1月"),
        ("毎年12月末", 2025, "2025年12月末"),
        ("毎年度２月下旬", 2025, "2026年2月下旬"),
    ],
)
def test_each_year_of_a_recurrence_is_a_dated_phrase(phrase, year, dated):
    assert periods.occurrence_phrase(phrase, year) == dated


@pytest.mark.parametrize("phrase", ["毎月", "毎年度13月", "2025年度"])
def test_what_is_not_a_yearly_recurrence_is_refused_with_the_phrase(phrase):
    with pytest.raises(ValidationError, match=phrase):
        check_recurrence(phrase)


def series(**fields):
    values = {
        "ref": "priority-areas",
        "initiative": InitiativeFactory(),
        "owner": OrganizationFactory(),
        "title_ja": "重点分野の決定",
        "title_en": "Priority areas chosen",
        "source_text": "毎年、重点分野を定めて",
        "phrase": "毎年度6月",
        "first_year": 2024,
    }
    return RecurringCommitment.objects.create(**(values | fields))


@pytest.mark.django_db
def test_occurrences_are_created_up_to_the_next_year_each_with_its_own_deadline():
    commitment = series()
    assert create_occurrences(as_of=TODAY) == {"created": 4}
    rows = list(
        Milestone.objects.filter(series=commitment)
        .order_by("occurrence_year")
        .values_list("ref", "occurrence_year", "phrase", "deadline", "status")
    )
    assert rows == [
        (f"priority-areas-{year}", year, f"{year}年6月", date(year, 6, 30), "planned")
        for year in (2024, 2025, 2026, 2027)
    ]
    assert (
        Milestone.objects.get(ref="priority-areas-2026").title_ja == "重点分野の決定（2026年度）"
    )


@pytest.mark.django_db
def test_running_the_job_twice_or_late_creates_each_year_once():
    commitment = series()
    create_occurrences(as_of=TODAY)
    assert create_occurrences(as_of=TODAY) == {"created": 0}
    assert create_occurrences(as_of=date(2027, 4, 1)) == {"created": 1}
    assert commitment.occurrences.count() == 5


@pytest.mark.django_db
def test_a_series_with_a_last_year_stops_there():
    series(last_year=2025)
    create_occurrences(as_of=TODAY)
    assert sorted(Milestone.objects.values_list("occurrence_year", flat=True)) == [2024, 2025]


@pytest.mark.django_db
def test_each_occurrence_is_flagged_on_its_own():
    commitment = series()
    create_occurrences(as_of=TODAY)
    Milestone.objects.filter(series=commitment, occurrence_year=2024).update(status="done")
    flag_overdue(as_of=TODAY)
    overdue = Milestone.objects.filter(overdue_since__isnull=False)
    assert list(overdue.values_list("occurrence_year", flat=True)) == [2025, 2026]


@pytest.mark.django_db
def test_the_plans_priority_area_cycle_gets_its_years_from_the_command(capsys):
    call_command("loaddata", "plan_2024", verbosity=0)
    call_command("create_occurrences", "--as-of", "2026-11-28")
    assert "Created 4 yearly milestones." in capsys.readouterr().out
    phrases = dict(
        Milestone.objects.filter(series__ref="pp2024-priority-areas").values_list(
            "occurrence_year", "phrase"
        )
    )
    assert phrases == {2024: "2024年中", 2025: "2025年中", 2026: "2026年中", 2027: "2027年中"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_instant_create_each_year_once():
    series()
    results = [run["created"] for run in at_once(create_occurrences, as_of=TODAY)]
    assert sorted(results) == [0, 4]
    assert Milestone.objects.count() == 4
