"""Geometry of the timeline: fiscal-year axis, one band per milestone, grouping by quarter.

Everything is computed on the server as SVG coordinates in a 1000-unit-wide box, so that the
page needs neither JavaScript nor inline styles.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby

from roadmap import periods
from roadmap.baselines import slip_days

WIDTH = 1000
MAX_YEARS = 12
# The axis header writes the years on this baseline; today's marker there starts below it, so
# that the line never runs through a year's label.
LABEL_BASELINE = 62
TODAY_MARKER_TOP = 72


@dataclass(frozen=True)
class AxisYear:
    fiscal_year: int
    x: float
    width: float

    @property
    def label_x(self):
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class Axis:
    """A run of whole fiscal years mapped onto 0..WIDTH."""

    first_year: int
    last_year: int
    today: date
    width: float = WIDTH

    @classmethod
    def covering(cls, milestones, today, **options):
        """Return the axis spanning the milestones' windows and today, at most MAX_YEARS long."""
        years = {periods.fiscal_year(today)}
        for milestone in milestones:
            for day in (*dates(milestone), *baseline_dates(milestone)):
                if day is not None:
                    years.add(periods.fiscal_year(day))
        first = min(years)
        return cls(first, min(max(years), first + MAX_YEARS - 1), today, **options)

    @property
    def start(self):
        return periods.fiscal_year_bounds(self.first_year)[0]

    @property
    def end(self):
        return periods.fiscal_year_bounds(self.last_year)[1]

    @property
    def days(self):
        return (self.end - self.start).days + 1

    def x(self, day):
        """Return the position of the start of ``day``, clamped to the axis."""
        offset = min(max((day - self.start).days, 0), self.days)
        return round(offset * self.width / self.days, 1)

    @property
    def years(self):
        return [self.year(fy) for fy in range(self.first_year, self.last_year + 1)]

    def year(self, fy):
        first, last = periods.fiscal_year_bounds(fy)
        x = self.x(first)
        return AxisYear(fy, x, round(self.x(last + timedelta(days=1)) - x, 1))

    @property
    def label_y(self):
        return LABEL_BASELINE

    @property
    def today_top(self):
        return TODAY_MARKER_TOP

    @property
    def today_x(self):
        return self.x(self.today) if self.start <= self.today <= self.end else None

    def band(self, milestone):
        """Return the band of ``milestone``'s window, or None when it has no dated side."""
        return self.window_band(*dates(milestone), soft=milestone.soft)

    def ghost(self, milestone):
        """Return the band of the milestone's baseline window, or None where it has none.

        A baseline that is only a date (the original deadline) is drawn as its deadline mark,
        and only where the deadline has moved from it.
        """
        start, end, deadline = baseline_dates(milestone)
        if start is None and end is None:
            if deadline is None or deadline == milestone.deadline:
                return None
            start = end = deadline
        return self.window_band(start, end, deadline, soft=False)

    def window_band(self, start, end, deadline, *, soft):
        if start is None and end is None:
            return None
        x = 0 if start is None else self.x(start)
        right = self.width if end is None else self.x(end + timedelta(days=1))
        return Band(
            x=x,
            width=max(round(right - x, 1), 2),
            open_start=start is None,
            open_end=end is None,
            soft=soft,
            deadline_x=(
                self.x(deadline) if deadline and self.start <= deadline <= self.end else None
            ),
        )


def dates(milestone):
    """Return the milestone's window start, window end and deadline."""
    return milestone.window_start, milestone.window_end, milestone.deadline


def baseline_dates(milestone):
    """Return the baseline's start, end and deadline (see roadmap.baselines), or Nones."""
    return (
        getattr(milestone, "baseline_start", None),
        getattr(milestone, "baseline_end", None),
        getattr(milestone, "baseline_on", None),
    )


@dataclass(frozen=True)
class Band:
    x: float
    width: float
    open_start: bool
    open_end: bool
    soft: bool
    deadline_x: float | None

    @property
    def right(self):
        return round(self.x + self.width, 1)

    @property
    def css_class(self):
        classes = ["band"]
        if self.open_start or self.open_end:
            classes.append("band-open")
        if self.soft:
            classes.append("band-soft")
        return " ".join(classes)


@dataclass
class Row:
    milestone: object
    band: Band | None
    # The baseline drawn beside the band, and the slip from it in days (None: no baseline).
    ghost: Band | None = None
    slip_days: int | None = None


@dataclass
class QuarterGroup:
    quarter: int | None
    rows: list = field(default_factory=list)


@dataclass
class YearGroup:
    fiscal_year: int | None
    quarters: list = field(default_factory=list)


def quarter_key(milestone):
    """Return (fiscal year, quarter) of the milestone's day (deadline or event date), or Nones."""
    day = milestone.timeline_day
    if day is None:
        return (None, None)
    return (periods.fiscal_year(day), periods.fiscal_quarter(day))


def group_rows(milestones, axis):
    """Group milestones, already ordered by day, into fiscal years and quarters."""
    years = []
    for (fy, quarter), members in groupby(milestones, key=quarter_key):
        if not years or years[-1].fiscal_year != fy:
            years.append(YearGroup(fy))
        rows = [
            Row(milestone, axis.band(milestone), axis.ghost(milestone), slip_days(milestone))
            for milestone in members
        ]
        years[-1].quarters.append(QuarterGroup(quarter, rows))
    return years
