"""The small chart drawn for each indicator: its measurements, the path to target and today.

The chart is server-drawn SVG and decorative: the numbers it shows are written beside it.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

WIDTH, HEIGHT, MARGIN = 240, 80, 6


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    measured: str
    planned: str
    target_y: float
    today_x: float | None
    dots: list[tuple[float, float]]


def chart(*, baseline, target: Decimal, target_on: date | None, points, today: date):
    """Return the chart of an indicator, or None when there is nothing to draw."""
    points = sorted(points, key=lambda point: point.on)
    known = sorted(([baseline] if baseline else []) + points, key=lambda point: point.on)
    if not known:
        return None
    days = [point.on for point in known] + ([target_on] if target_on else [])
    first, last = min(days), max(days)
    values = [point.value for point in known] + [target]
    low, high = min(values), max(values)

    def x(day):
        span = (last - first).days or 1
        return round(MARGIN + (WIDTH - 2 * MARGIN) * (day - first).days / span, 1)

    def y(value):
        span = (high - low) or Decimal(1)
        return round(HEIGHT - MARGIN - float((value - low) / span) * (HEIGHT - 2 * MARGIN), 1)

    planned = ""
    if baseline and target_on:
        planned = f"{x(baseline.on)},{y(baseline.value)} {x(target_on)},{y(target)}"
    dots = [(x(point.on), y(point.value)) for point in points]
    # The measured line starts from the baseline, which is drawn as no dot of its own.
    line = [(x(point.on), y(point.value)) for point in known]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        measured=" ".join(f"{px},{py}" for px, py in line),
        planned=planned,
        target_y=y(target),
        today_x=x(today) if first <= today <= last else None,
        dots=dots,
    )
