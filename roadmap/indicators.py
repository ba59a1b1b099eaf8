"""Grade an indicator: how far it has come from its baseline towards its target, in time.

Progress is the share of the way from the baseline value to the target value that the latest
measurement has covered; it is compared with the share of the period from the baseline date to
the target date that has elapsed. The one function ``grade`` decides, for every page, export,
and notice:

- ``achieved``: the latest measurement reaches the target (at or above it, or at or below it
  for an indicator where lower is better);
- ``not_yet_measurable``: no measurement since the baseline, or no baseline or target date
  to measure time against (the source states none, and none is invented);
- ``on_track``: progress is at least the elapsed share;
- ``behind``: progress is less than the elapsed share.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class Grade(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    BEHIND = "behind", _("Behind")
    NOT_YET_MEASURABLE = "not_yet_measurable", _("Not yet measurable")
    ACHIEVED = "achieved", _("Achieved")


@dataclass(frozen=True)
class Point:
    """A value on a day: the baseline or a measurement."""

    on: date
    value: Decimal


@dataclass(frozen=True)
class Reading:
    """An indicator's grade on a day, with the figures it rests on."""

    grade: Grade
    latest: Point | None
    progress: Decimal | None
    elapsed: Decimal | None


def grade(
    *,
    baseline: Point | None,
    target: Decimal,
    target_on: date | None,
    lower_is_better: bool,
    measurements: Sequence[Point],
    as_of: date,
) -> Reading:
    """Return the indicator's grade on ``as_of`` from the measurements known by then."""
    counted = [
        point
        for point in measurements
        if point.on <= as_of and (baseline is None or point.on > baseline.on)
    ]
    if not counted:
        return Reading(Grade.NOT_YET_MEASURABLE, None, None, None)
    latest = max(counted, key=lambda point: point.on)
    reached = latest.value <= target if lower_is_better else latest.value >= target
    if reached:
        return Reading(Grade.ACHIEVED, latest, _progress(baseline, latest, target), None)
    if baseline is None or target_on is None:
        return Reading(Grade.NOT_YET_MEASURABLE, latest, None, None)
    progress = _progress(baseline, latest, target)
    elapsed = _elapsed(baseline.on, target_on, as_of)
    on_track = progress >= elapsed
    return Reading(Grade.ON_TRACK if on_track else Grade.BEHIND, latest, progress, elapsed)


def _progress(baseline: Point | None, latest: Point, target: Decimal) -> Decimal | None:
    """Return the share of the way from the baseline to the target that ``latest`` covers."""
    if baseline is None or target == baseline.value:
        return None
    return (latest.value - baseline.value) / (target - baseline.value)


def _elapsed(start: date, end: date, as_of: date) -> Decimal:
    """Return the share of the days from ``start`` to ``end`` gone by ``as_of``, 0 to 1."""
    if end <= start:
        return Decimal(1)
    share = Decimal((as_of - start).days) / Decimal((end - start).days)
    return min(Decimal(1), max(Decimal(0), share))
