"""The timeline chart: one fiscal-year axis for all rows, zoomed by year, quarter or month.

The chart is drawn on the server in pixels (no JavaScript, no inline styles): each row is a
milestone's label and its window as a band, grouped by fiscal year or by initiative. Every band
carries the words a sighted reader takes from it, for those who cannot see it.
"""

from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from itertools import groupby

from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext

from roadmap import periods
from roadmap.baselines import slip_days, slip_words
from roadmap.models import Milestone
from roadmap.templatetags.roadmap_tags import RAG_ICONS, STATUS_ICONS
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


@cache
def words(language):
    """Return the words every row repeats, translated once per language, not once per row."""
    with translation.override(language):
        return {
            "status": {value: str(label) for value, label in Milestone.Status.choices},
            "rag": {value: str(label) for value, label in Milestone.Rag.choices},
            "overdue": gettext("Overdue"),
            "no deadline": gettext("no deadline"),
            "overdue since": gettext("Overdue since %(since)s"),
            "slip": gettext("Slip: %(slip)s (baseline %(baseline)s)"),
        }


def when_words(milestone, language):
    """Return the deadline as a reader says it: 2025年度末, 2024-04-30, or no deadline."""
    day = milestone.timeline_day
    if day is None:
        return words(language)["no deadline"]
    fy = periods.fiscal_year(day)
    year_end = milestone.deadline and day == periods.fiscal_year_bounds(fy)[1]
    if year_end and milestone.precision == milestone.Precision.FISCAL_YEAR:
        return f"end of FY{fy}" if language == "en" else f"{fy}年度末"
    if milestone.deadline is None:
        return pgettext("event date", "from %(day)s") % {"day": day.isoformat()}
    return day.isoformat()


def state_words(milestone, language):
    """Return what the band says about the milestone's state: overdue, or its status."""
    said = words(language)
    return said["overdue"] if milestone.is_overdue else said["status"][milestone.status]


def band_name(milestone, language):
    """Return the band link's accessible name: title — owner · when · state."""
    title, owner = milestone.title(language), milestone.owner.name(language)
    when, state = when_words(milestone, language), state_words(milestone, language)
    return f"{title} — {owner} · {when} · {state}"


@dataclass
class ChartRow:
    milestone: object
    band: object
    name: str
    axis_width: float
    svg: str = ""
    label: str = ""
    # The baseline window or original deadline (roadmap.baselines), drawn above the band.
    ghost: object = None
    url: str = ""

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
    def html(self):
        return row_html(self)

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
    return lambda milestone: fiscal_year_of(milestone.timeline_day)


def fiscal_year_of(day):
    return None if day is None else periods.fiscal_year(day)


def group_label(group, key, language):
    """Return the heading of a group of rows."""
    if key is None:
        return gettext("No deadline (open)")
    if group == "initiative":
        return f"{key.number} {key.title(language)}"
    return periods.fiscal_year_label(key, language)


def chart_groups(milestones, axis, group, language):
    """Group the page's milestones into chart rows under headings, each row drawn.

    The page comes in chart order: by day (deadline or a dated event's date), or by initiative
    and then day (``roadmap.views.reading.milestones`` and the timeline's initiative order).
    """
    groups, grid, url = [], grid_lines(axis), milestone_url()
    for key, members in groupby(milestones, key=group_key(group)):
        rows = [chart_row(m, axis, language, grid, url) for m in members]
        groups.append(ChartGroup(key, group_label(group, key, language), rows))
    return groups


def milestone_url():
    """Return the function giving a milestone page's address, the route reversed only once."""
    marker = "2147483647"
    head, tail = reverse("roadmap:milestone", args=[int(marker)]).split(marker)
    return lambda milestone: f"{head}{milestone.pk}{tail}"


def chart_row(milestone, axis, language, grid=None, url=None):
    """Return one milestone's row: its band, the band's accessible name and its drawing."""
    row = ChartRow(milestone, axis.band(milestone), band_name(milestone, language), axis.width)
    row.ghost = axis.ghost(milestone)
    row.url = url(milestone) if url else milestone.get_absolute_url()
    row.svg = row_svg(row, grid_lines(axis) if grid is None else grid, language)
    row.label = row_label(milestone, language, row.url)
    return row


# One row of the chart as the timeline lists it: the label, then the band as a link.
ROW_HTML = (
    '<li class="chart-row chart-row-{state}"><div class="chart-label">{label}</div>'
    '<a class="chart-band" href="{url}" aria-label="{name}">{svg}</a></li>'
)


def row_html(row):
    """Return the list item of one chart row (formatted here: a page lists a hundred)."""
    url, name = escape(row.url), escape(row.name)
    return mark_safe(  # noqa: S308 - the label and drawing are built escaped, the rest here
        ROW_HTML.format(state=row.state, label=row.label, url=url, name=name, svg=row.svg)
    )


# Drawing. A page draws a hundred rows; formatting each row's SVG here costs a fraction of
# rendering it through template tags. Every value is a number or escaped text.
ROW_SVG = (
    '<svg class="chart-svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" aria-hidden="true"'
    ' focusable="false">{grid}{shapes}</svg>'
)


def grid_lines(axis, height=ROW_HEIGHT):
    """Return the SVG lines every row repeats: the fiscal years' edges and today."""
    lines = [
        f'<line class="grid-year" x1="{year.x}" x2="{year.x}" y1="0" y2="{height}"/>'
        for year in axis.years
    ]
    if axis.today_x is not None:
        x = axis.today_x
        lines.append(f'<line class="today" x1="{x}" x2="{x}" y1="0" y2="{height}"/>')
    return "".join(lines)


def ghost_shapes(ghost):
    """Return the SVG shapes of the baseline: a pale thin band, a hollow diamond at its end."""
    if ghost is None:
        return ""
    shapes = f'<rect class="ghost" x="{ghost.x}" y="1" width="{ghost.width}" height="6" rx="2"/>'
    if ghost.deadline_x is not None:
        x = ghost.deadline_x
        shapes += f'<path class="ghost-mark" d="M {x} 0 l 5 5 l -5 5 l -5 -5 z"/>'
    return shapes


def band_shapes(row, language):
    """Return the SVG shapes of one row's band, or the words "no deadline" without one."""
    band = row.band
    if band is None:
        none = escape(words(language)["no deadline"])
        return f'<text class="band-text" x="{row.label_x}" y="23">{none}</text>'
    shapes = [
        f'<rect class="{band.css_class} band-{row.state}" x="{band.x}" y="9"'
        f' width="{band.width}" height="18" rx="4"/>'
    ]
    if band.open_start:
        shapes.append(f'<path class="open-end" d="M {band.x} 18 l 12 -9 v 18 z"/>')
    if band.open_end:
        shapes.append(f'<path class="open-end" d="M {band.right} 18 l -12 -9 v 18 z"/>')
    if band.deadline_x is not None:
        shapes.append(
            f'<path class="deadline-mark" d="M {band.deadline_x} 3 l 8 15 l -8 15 l -8 -15 z"/>'
        )
    if row.milestone.is_overdue:
        anchor = ' text-anchor="end"' if row.label_end else ""
        shapes.append(
            f'<text class="band-text overdue-text" x="{row.label_x}" y="23"{anchor}>'
            f"{escape(words(language)['overdue'])}</text>"
        )
    return "".join(shapes)


def row_svg(row, grid, language):
    """Return the SVG of one row: the shared grid, then the band."""
    return mark_safe(  # noqa: S308 - numbers and escaped words only
        ROW_SVG.format(
            w=row.axis_width,
            h=ROW_HEIGHT,
            grid=grid,
            shapes=ghost_shapes(row.ghost) + band_shapes(row, language),
        )
    )


def row_label(milestone, language, url):
    """Return the row's label: the title as a link, then owner, phrase, status, overdue, RAG."""
    said = words(language)
    url, title = escape(url), escape(milestone.title(language))
    meta = [escape(milestone.owner.name(language)), when_written(milestone, language)]
    meta.append(
        f'<span class="status status-{milestone.status}"><span class="icon" aria-hidden="true">'
        f"{STATUS_ICONS.get(milestone.status, '')}</span> "
        f"{escape(said['status'][milestone.status])}</span>"
    )
    if milestone.is_overdue:
        since = said["overdue since"] % {"since": milestone.overdue_since}
        meta.append(
            '<strong class="overdue"><span class="icon" aria-hidden="true">⚠</span> '
            f"{escape(since)}</strong>"
        )
    slip = slip_days(milestone)
    if slip:
        slipped = said["slip"] % {
            "slip": slip_words(slip),
            "baseline": milestone.baseline_on.isoformat(),
        }
        meta.append(f'<span class="slip">{escape(slipped)}</span>')
    if milestone.rag:
        rag = escape(said["rag"][milestone.rag])
        meta.append(
            f'<span class="rag rag-{milestone.rag}"><span class="icon" aria-hidden="true">'
            f"{RAG_ICONS.get(milestone.rag, '')}</span> {rag}</span>"
        )
    return mark_safe(  # noqa: S308 - every text escaped above
        f'<a href="{url}">{title}</a><span class="chart-meta">{" · ".join(meta)}</span>'
    )


def when_written(milestone, language):
    """Return the phrase as written with the resolved deadline, or "no deadline"."""
    if not milestone.phrase:
        return escape(words(language)["no deadline"])
    text = f'<span lang="ja">{escape(milestone.phrase)}</span>'
    if milestone.deadline:
        day = milestone.deadline.isoformat()
        text += f' (<time datetime="{day}">{day}</time>)'
    return text
