"""What an export of milestones holds: one list of columns for the CSV file and the workbook.

The workbook has every CSV column, in the same order, then a few written for people (the fiscal
year both ways, the window as one text), and a second sheet saying which milestones it holds,
as of when and from where. An import reads a workbook exported here back (roadmap.imports):
the columns it may change are those of the import, the rest are the tracker's.
"""

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from roadmap import periods
from roadmap.models import Milestone
from roadmap.xlsx import Sheet, workbook

CHUNK = 2000
MILESTONES_SHEET = "Milestones"
ABOUT_SHEET = "About"


class Column(NamedTuple):
    """An exported column: its name in the header, its value for a milestone, its width."""

    name: str
    value: Callable[[Milestone], object]
    width: int = 12


def absolute_url(milestone):
    """Return the milestone's page at the site's public address."""
    # Reversing once and filling in the number keeps tens of thousands of rows cheap.
    return milestone_url_template(settings.SITE_URL).replace(PK_PLACEHOLDER, str(milestone.pk))


PK_PLACEHOLDER = "987654321"


@lru_cache(maxsize=4)
def milestone_url_template(site_url):
    return f"{site_url}{reverse('roadmap:milestone', args=[int(PK_PLACEHOLDER)])}"


def fiscal_year(milestone) -> str:
    """Return the fiscal year of the deadline written both ways: 2025年度（令和7年度）."""
    if milestone.deadline is None:
        return ""
    return periods.fiscal_year_label(periods.fiscal_year(milestone.deadline))


def window(milestone) -> str:
    """Return the window as one text, 2025-04-01〜2026-03-31, either end possibly open."""
    start, end = milestone.window_start, milestone.window_end
    if start is None and end is None:
        return ""
    return f"{start.isoformat() if start else ''}〜{end.isoformat() if end else ''}"


MILESTONE_COLUMNS = (
    Column("id", lambda m: m.pk, 8),
    Column("ref", lambda m: m.ref, 24),
    Column("title_ja", lambda m: m.title_ja, 50),
    Column("title_en", lambda m: m.title_en, 40),
    Column("owner_code", lambda m: m.owner.code, 12),
    Column("owner_name_ja", lambda m: m.owner.name_ja, 20),
    Column("owner_name_en", lambda m: m.owner.name_en, 20),
    Column("initiative", lambda m: m.initiative.number, 12),
    Column("kind", lambda m: m.kind, 10),
    Column("business_system", lambda m: m.business_system, 10),
    Column("phrase", lambda m: m.phrase, 28),
    Column("window_start", lambda m: m.window_start),
    Column("window_end", lambda m: m.window_end),
    Column("precision", lambda m: m.precision),
    Column("soft", lambda m: m.soft, 8),
    Column("deadline", lambda m: m.deadline),
    Column("baseline_deadline", lambda m: m.baseline_deadline),
    Column("status", lambda m: m.status),
    Column("completed_on", lambda m: m.completed_on),
    Column("overdue", lambda m: m.is_overdue, 8),
    Column("overdue_since", lambda m: m.overdue_since),
    Column("rag", lambda m: m.rag, 8),
    Column("url", absolute_url, 40),
)
WORKBOOK_COLUMNS = (
    *MILESTONE_COLUMNS,
    Column("fiscal_year", fiscal_year, 22),
    Column("window", window, 24),
)


def milestones_workbook(queryset, *, filters: Iterable[tuple[str, str]], source: str) -> bytes:
    """Return the .xlsx file of the milestones in ``queryset``, with a sheet describing it."""
    sheet = Sheet(
        MILESTONES_SHEET,
        [column.name for column in WORKBOOK_COLUMNS],
        [column.width for column in WORKBOOK_COLUMNS],
        (
            [column.value(milestone) for column in WORKBOOK_COLUMNS]
            for milestone in queryset.iterator(chunk_size=CHUNK)
        ),
    )
    # The sheet's rows are written first; the second sheet then knows how many there were.
    about = Sheet(ABOUT_SHEET, ["item", "value"], [24, 80], [])
    about.rows = _about_rows(sheet, filters, source, as_of=timezone.localtime())
    return workbook([sheet, about])


def _about_rows(sheet: Sheet, filters, source: str, *, as_of):
    """Yield the rows of the second sheet, once the milestones sheet has been written."""
    conditions = "; ".join(f"{name}={value}" for name, value in filters)
    as_of = as_of.strftime("%Y-%m-%d %H:%M:%S %Z")
    yield ["source / 出典", source]
    yield ["as of / 時点", as_of]
    yield ["filters / 条件", conditions or "none: every milestone / なし（全件）"]
    yield ["rows / 件数", sheet.last_row - 1]
    yield ["sheet / シート", f"{MILESTONES_SHEET}: one row per milestone / 1行に1件"]
