"""The timeline chart: one fiscal-year axis for all rows, zoomed by year, quarter or month.

The chart is drawn on the server in pixels (no JavaScript, no inline styles): each row is a
milestone's label and its window as a band, grouped by fiscal year or by initiative. Every band
carries the words a sighted reader takes from it, for those who cannot see it.
"""

from dataclasses import dataclass, field, replace
from datetime import date
from itertools import groupby

from django.utils.translation import gettext, pgettext

from roadmap import periods
from roadmap.timeline import Axis

# Pixels per fiscal year at each zoom; the sub-divisions labelled under the years.
SCALES = {"fy": (144, 1), "quarter": (400, 4), "month": (840, 12)}
GROUPS = ("fy", "initiative")
VIEWS = ("chart", "table")
ROW_HEIGHT = 36
AXIS_HEIGHT = 52
# The narrowest chart, so that a page of few years still spreads over a screen.
MIN_WIDTH = 960


@dataclass(frozen=True)
class Tick:
    x: float
    label: str
    year_start: bool


def chart_axis(milestones, today, scale):
    """Return the axis covering ``milestones`` and today, as wide as ``scale`` needs."""
    axis = Axis.covering(milestones, today)
    years = axis.last_year - axis.first_year + 1
    return replace(axis, width=max(years * SCALES[scale][0], MIN_WIDTH))


def ticks(axis, scale, language):
    """Return the axis's divisions: fiscal years, and quarters or months within them."""
    per_year = SCALES[scale][1]
    result = []
    for fy in range(axis.first_year, axis.last_year + 1):
        first = periods.fiscal_year_bounds(fy)[0]
        for part in range(per_year):
            month = (first.month - 1 + part * 12 // per_year) % 12 + 1
            day = date(fy if month >= 4 else fy + 1, month, 1)
            result.append(Tick(axis.x(day), tick_label(fy, part, scale, language), part == 0))
    return result


def tick_label(fy, part, scale, language):
    """Return the label of one division: FY2025, Q2 or the month's number."""
    if scale == "fy":
        return periods.fiscal_year_label(fy, "en") if language == "en" else f"{fy}年度"
    if scale == "quarter":
        return f"Q{part + 1}"
    month = (3 + part) % 12 + 1
    return str(month) if language == "en" else f"{month}月"


def year_labels(axis, language):
    """Return (x, label) for each fiscal year, written above the quarters or months."""
    return [
        (
            year.x + 4,
            periods.fiscal_year_label(year.fiscal_year, "en" if language == "en" else "ja"),
        )
        for year in axis.years
    ]


def timeline_day(milestone):
    """Return the day the milestone belongs to: its deadline, or a dated event's start."""
    if milestone.deadline is not None:
        return milestone.deadline
    if milestone.kind == milestone.Kind.EVENT:
        return milestone.window_start or milestone.window_end
    return None


def when_words(milestone, language):
    """Return the deadline as a reader says it: 2025年度末, 2024-04-30, or no deadline."""
    day = timeline_day(milestone)
    if day is None:
        return gettext("no deadline")
    fy = periods.fiscal_year(day)
    year_end = milestone.deadline and day == periods.fiscal_year_bounds(fy)[1]
    if year_end and milestone.precision == milestone.Precision.FISCAL_YEAR:
        return f"end of FY{fy}" if language == "en" else f"{fy}年度末"
    if milestone.deadline is None:
        return pgettext("event date", "from %(day)s") % {"day": day.isoformat()}
    return day.isoformat()


def state_words(milestone):
    """Return what the band says about the milestone's state: overdue, or its status."""
    if milestone.is_overdue:
        return gettext("Overdue")
    return milestone.get_status_display()


def band_name(milestone, language):
    """Return the band link's accessible name: title — owner · when · state."""
    title, owner = milestone.title(language), milestone.owner.name(language)
    return f"{title} — {owner} · {when_words(milestone, language)} · {state_words(milestone)}"


@dataclass
class ChartRow:
    milestone: object
    band: object
    name: str
    axis_width: float

    @property
    def state(self):
        """Return the band's state class: overdue, done, cancelled or open work."""
        if self.milestone.is_overdue:
            return "overdue"
        return self.milestone.status

    @property
    def label_end(self):
        """Return whether the overdue label goes before the band (no room after it)."""
        return self.band is not None and self.band.right > self.axis_width - 90

    @property
    def label_x(self):
        if self.band is None:
            return 8
        return round(self.band.x - 8, 1) if self.label_end else round(self.band.right + 8, 1)


@dataclass
class ChartGroup:
    key: object
    label: str
    rows: list = field(default_factory=list)


def group_key(group):
    """Return the function that gives a milestone's group: fiscal year, or initiative."""
    if group == "initiative":
        return lambda milestone: milestone.initiative
    return lambda milestone: fiscal_year_of(timeline_day(milestone))


def fiscal_year_of(day):
    return None if day is None else periods.fiscal_year(day)


def group_label(group, key, language):
    """Return the heading of a group of rows."""
    if key is None:
        return gettext("No deadline (open)")
    if group == "initiative":
        return f"{key.number} {key.title(language)}"
    return periods.fiscal_year_label(key, language)


def order_rows(milestones, group):
    """Return the page's milestones in chart order: dated events among the dated rows.

    The page comes ordered by deadline (or by initiative, then deadline); an event has no
    deadline but a date, so it moves to that date within the page.
    """
    by_day = sorted(milestones, key=lambda m: (timeline_day(m) or date.max, m.ref))
    if group == "initiative":
        first_seen = {}
        for milestone in milestones:
            first_seen.setdefault(milestone.initiative_id, len(first_seen))
        return sorted(by_day, key=lambda m: first_seen[m.initiative_id])
    return by_day


def chart_groups(milestones, axis, group, language):
    """Group the page's milestones into chart rows under headings."""
    groups = []
    for key, members in groupby(order_rows(milestones, group), key=group_key(group)):
        rows = [ChartRow(m, axis.band(m), band_name(m, language), axis.width) for m in members]
        groups.append(ChartGroup(key, group_label(group, key, language), rows))
    return groups
