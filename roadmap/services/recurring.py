"""Recurring commitments: each year's occurrence is created ahead of time as a milestone.

The job locks the series it serves and creates only the years missing, each a milestone with
its own deadline, status and notices, linked to the series by (series, year), which is unique:
running it twice, concurrently or late creates nothing twice.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from roadmap import periods
from roadmap.models import Milestone, RecurringCommitment
from roadmap.services.milestones import create_milestone

# Next year's occurrence exists from the first day of this one, so owners see it coming.
YEARS_AHEAD = 1


def is_recurrence(phrase: str) -> bool:
    """Say whether ``phrase`` is a yearly recurrence such as 「毎年度6月」."""
    try:
        check_recurrence(phrase)
    except ValidationError:
        return False
    return True


@transaction.atomic
def create_series(
    *, first_year: int | None = None, as_of: date | None = None, **commitment
) -> RecurringCommitment:
    """Create a recurring commitment and its occurrences up to next year.

    ``commitment`` names what a milestone is created with (``initiative``, ``owner``, ``ref``,
    ``title_ja``, ``title_en``, ``phrase``, ``kind``, ``source_text``); the phrase is a yearly
    recurrence. Its first year is by default the year of the plan's decision.
    """
    phrase = commitment["phrase"]
    check_recurrence(phrase)
    plan = commitment["initiative"].plan
    series = RecurringCommitment(
        **commitment, first_year=first_year or periods.occurrence_year(phrase, plan.decided_on)
    )
    series.full_clean()
    series.save()
    create_missing(series, as_of=as_of or timezone.localdate())
    return series


def check_recurrence(phrase: str) -> None:
    """Raise a ValidationError naming ``phrase`` unless it is a yearly recurrence."""
    try:
        periods.occurrence_phrase(phrase, 2000)
    except periods.PhraseError as error:
        raise ValidationError({"phrase": ValidationError(str(error), code="phrase")}) from error


@transaction.atomic
def create_occurrences(*, as_of: date) -> dict:
    """Create every occurrence due by ``as_of`` plus the years ahead; return how many."""
    created = 0
    for series in RecurringCommitment.objects.select_related(
        "initiative__plan", "owner"
    ).select_for_update(of=("self",)):
        created += len(create_missing(series, as_of=as_of))
    return {"created": created}


def create_missing(series: RecurringCommitment, *, as_of: date) -> list[Milestone]:
    """Create the occurrences of ``series`` due by ``as_of`` plus the years ahead that do not
    exist yet (a series added or extended in the admin gets them at once, not overnight)."""
    last = periods.occurrence_year(series.phrase, as_of) + YEARS_AHEAD
    if series.last_year is not None:
        last = min(last, series.last_year)
    existing = set(series.occurrences.values_list("occurrence_year", flat=True))
    return [
        _create(series, year)
        for year in range(series.first_year, last + 1)
        if year not in existing
    ]


def _create(series: RecurringCommitment, year: int) -> Milestone:
    label = _year_label(series.phrase, year)
    return create_milestone(
        initiative=series.initiative,
        owner=series.owner,
        ref=f"{series.ref}-{year}",
        title_ja=f"{series.title_ja}（{label['ja']}）",
        title_en=f"{series.title_en} ({label['en']})" if series.title_en else "",
        phrase=periods.occurrence_phrase(series.phrase, year),
        kind=series.kind,
        source_text=series.source_text,
        series=series,
        occurrence_year=year,
    )


def _year_label(phrase: str, year: int) -> dict:
    if "年度" in phrase:
        return {"ja": f"{year}年度", "en": f"FY{year}"}
    return {"ja": f"{year}年", "en": str(year)}
