"""Indicators: their targets resolved like deadlines, measurements recorded by owners, grades."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from roadmap import indicators, security
from roadmap.models import Indicator, Measurement, Milestone
from roadmap.services.milestones import resolve_window


@dataclass(frozen=True)
class Graded:
    """An indicator with its measurements in date order and its reading on a day."""

    indicator: Indicator
    measurements: list[Measurement]
    reading: indicators.Reading


def target_date(indicator: Indicator) -> date | None:
    """Return the day the indicator's target phrase resolves to (None when it gives none)."""
    window = resolve_window(
        indicator.target_phrase, reference=indicator.initiative.plan.decided_on
    )
    return window.deadline(Milestone.Kind.DEADLINE)


@transaction.atomic
def save_indicator(*, indicator: Indicator) -> Indicator:
    """Check and save an indicator, its target date resolved from its target phrase."""
    try:
        indicator.target_on = target_date(indicator)
    except ValidationError as error:
        raise ValidationError({"target_phrase": error.messages}) from error
    indicator.full_clean()
    indicator.save()
    return indicator


@transaction.atomic
def record_measurement(
    *, indicator: Indicator, measured_on: date, value: Decimal, source: str, user
) -> Measurement:
    """Record a measurement of an indicator the user owns; one per indicator and day."""
    if user is not None and not Indicator.objects.editable_by(user).filter(pk=indicator.pk):
        raise security.refuse(user, "add measurement", indicator_ids=[indicator.pk])
    measurement = Measurement(
        indicator=indicator,
        measured_on=measured_on,
        value=value,
        source=source.strip(),
        recorded_by=user,
    )
    measurement.full_clean()
    measurement.save()
    return measurement


def graded(queryset, *, as_of: date) -> list[Graded]:
    """Return each indicator of ``queryset`` with its reading on ``as_of``, in two queries."""
    rows = list(queryset.select_related("initiative", "owner"))
    measured = defaultdict(list)
    for measurement in Measurement.objects.filter(indicator__in=[i.pk for i in rows]).order_by(
        "indicator_id", "measured_on"
    ):
        measured[measurement.indicator_id].append(measurement)
    return [Graded(i, measured[i.pk], reading(i, measured[i.pk], as_of=as_of)) for i in rows]


def reading(indicator: Indicator, measurements, *, as_of: date) -> indicators.Reading:
    """Return the grade of ``indicator`` on ``as_of`` given its measurements."""
    baseline = None
    if indicator.baseline_on is not None:
        baseline = indicators.Point(indicator.baseline_on, indicator.baseline_value)
    return indicators.grade(
        baseline=baseline,
        target=indicator.target_value,
        target_on=indicator.target_on,
        lower_is_better=indicator.direction == Indicator.Direction.DOWN,
        measurements=[indicators.Point(m.measured_on, m.value) for m in measurements],
        as_of=as_of,
    )


def behind_measurements(*, as_of: date) -> list[int]:
    """Return the ids of the latest measurements of the indicators behind on ``as_of``."""
    latest = []
    for row in graded(Indicator.objects.all(), as_of=as_of):
        if row.reading.grade == indicators.Grade.BEHIND:
            on = row.reading.latest.on
            latest += [m.pk for m in row.measurements if m.measured_on == on]
    return latest
