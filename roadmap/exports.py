"""What an export of milestones holds: one list of columns for the CSV file and the workbook.

The workbook has every CSV column, in the same order, then a few written for people (the fiscal
year both ways, the window as one text), and a second sheet saying which milestones it holds,
as of when and from where. An import reads a workbook exported here back (roadmap.imports):
the columns it may change are those of the import, the rest are the tracker's.
"""

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from roadmap import periods
from roadmap.models import Milestone
from roadmap.xlsx import Sheet, workbook

CHUNK = 2000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MILESTONES_SHEET = "Milestones"
ABOUT_SHEET = "About"


class Column(NamedTuple):
    """An exported column: its name, the field it shows (or how it is made), its width."""

    name: str
    field: str | None
    width: int = 12
    # For a column made from other fields: a function of the row's values by field.
    made: Callable[[Mapping], object] | None = None

    def value(self, values: Mapping):
        """Return this column's value in a row read with ``values(*FIELDS)``."""
        return values[self.field] if self.made is None else self.made(values)


def absolute_url(milestone):
    """Return the milestone's page at the site's public address."""
    return url_of(milestone.pk)


def url_of(pk: int, view: str = "roadmap:milestone") -> str:
    """Return the address of ``view`` (the milestone's page) for ``pk`` at the public address."""
    # Reversing once and filling in the number keeps tens of thousands of rows cheap.
    return url_template(settings.SITE_URL, view).replace(PK_PLACEHOLDER, str(pk))


PK_PLACEHOLDER = "987654321"


@lru_cache(maxsize=8)
def url_template(site_url, view="roadmap:milestone"):
    return f"{site_url}{reverse(view, args=[int(PK_PLACEHOLDER)])}"


def fiscal_year(values: Mapping) -> str:
    """Return the fiscal year of the deadline written both ways: 2025年度（令和7年度）."""
    if values["deadline"] is None:
        return ""
    return periods.fiscal_year_label(periods.fiscal_year(values["deadline"]))


def slip_days(values: Mapping) -> int | None:
    """Return by how many days the deadline moved from the baseline (see roadmap.baselines)."""
    if values["baseline_on"] is None or values["deadline"] is None:
        return None
    return (values["deadline"] - values["baseline_on"]).days


def window(values: Mapping) -> str:
    """Return the window as one text, 2025-04-01〜2026-03-31, either end possibly open."""
    start, end = values["window_start"], values["window_end"]
    if start is None and end is None:
        return ""
    return f"{start.isoformat() if start else ''}〜{end.isoformat() if end else ''}"


MILESTONE_COLUMNS = (
    Column("id", "pk", 8),
    Column("ref", "ref", 24),
    Column("title_ja", "title_ja", 50),
    Column("title_en", "title_en", 40),
    Column("owner_code", "owner__code", 12),
    Column("owner_name_ja", "owner__name_ja", 20),
    Column("owner_name_en", "owner__name_en", 20),
    Column("initiative", "initiative__number", 12),
    Column("kind", "kind", 10),
    Column("business_system", "business_system", 10),
    Column("phrase", "phrase", 28),
    Column("window_start", "window_start"),
    Column("window_end", "window_end"),
    Column("precision", "precision"),
    Column("soft", "soft", 8),
    Column("deadline", "deadline"),
    # The baseline the export was read against (roadmap.baselines): the original deadline, or
    # the deadline in the edition named by ?baseline=.
    Column("baseline_deadline", "baseline_on"),
    Column("slip_days", None, 10, slip_days),
    Column("status", "status"),
    Column("completed_on", "completed_on"),
    Column("overdue", None, 8, lambda v: v["overdue_since"] is not None),
    Column("overdue_since", "overdue_since"),
    Column("rag", "rag", 8),
    Column("url", None, 40, lambda v: url_of(v["pk"])),
)
WORKBOOK_COLUMNS = (
    *MILESTONE_COLUMNS,
    Column("fiscal_year", None, 22, fiscal_year),
    Column("window", None, 24, window),
)
# The fields an export reads: those of the columns (the made ones use only these).
FIELDS = tuple(column.field for column in WORKBOOK_COLUMNS if column.field)


def field_values(milestone: Milestone) -> dict:
    """Return the values of FIELDS of a milestone read with its baseline (``with_baseline``)."""
    values = {}
    for name in FIELDS:
        value = milestone
        for part in name.split("__"):
            value = getattr(value, part)
        values[name] = value
    return values


class ByName(Mapping):
    """A row of ``values_list(*FIELDS)`` read by field name, as the made columns read it."""

    __slots__ = ("values",)
    POSITIONS = {name: index for index, name in enumerate(FIELDS)}

    def __init__(self, values: tuple):
        self.values = values

    def __getitem__(self, name):
        return self.values[self.POSITIONS[name]]

    def __iter__(self):
        return iter(FIELDS)

    def __len__(self):
        return len(FIELDS)


def export_rows(queryset, columns=MILESTONE_COLUMNS):
    """Yield each milestone's values for ``columns``, read as plain values a chunk at a time."""
    # Tens of thousands of rows: tuples, not a dictionary per row, and a field's value taken by
    # its position; only the few made columns read the row by name.
    plan = [
        (ByName.POSITIONS[column.field], None) if column.made is None else (None, column.made)
        for column in columns
    ]
    for values in queryset.values_list(*FIELDS).iterator(chunk_size=CHUNK):
        named = ByName(values)
        yield [values[position] if made is None else made(named) for position, made in plan]


def milestones_workbook(queryset, *, filters: Iterable[tuple[str, str]], source: str) -> bytes:
    """Return the .xlsx file of the milestones in ``queryset``, with a sheet describing it."""
    sheet = Sheet(
        MILESTONES_SHEET,
        [column.name for column in WORKBOOK_COLUMNS],
        [column.width for column in WORKBOOK_COLUMNS],
        export_rows(queryset, WORKBOOK_COLUMNS),
    )
    # The sheet's rows are written first; the second sheet then knows how many there were.
    about = Sheet(ABOUT_SHEET, ["item", "value"], [24, 80], [])
    about.rows = _about_rows(sheet, filters, source, as_of=timezone.localtime())
    return workbook([sheet, about])


def table_workbook(request, name: str, header, widths, rows) -> bytes:
    """Return the .xlsx file of one table a page exports, with the sheet describing it."""
    sheet = Sheet(name, header, widths, rows)
    filters = [(k, v) for k, values in sorted(request.GET.lists()) if k != "lang" for v in values]
    source = f"{settings.SITE_URL}{request.get_full_path()}"
    about = Sheet(ABOUT_SHEET, ["item", "value"], [24, 80], [])
    about.rows = _about_rows(sheet, filters, source, as_of=timezone.localtime())
    return workbook([sheet, about])


def workbook_response(data: bytes, filename: str) -> HttpResponse:
    """Return ``data`` as a workbook to download under ``filename``."""
    response = HttpResponse(data, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _about_rows(sheet: Sheet, filters, source: str, *, as_of):
    """Yield the rows of the second sheet, once the milestones sheet has been written."""
    conditions = "; ".join(f"{name}={value}" for name, value in filters)
    as_of = as_of.strftime("%Y-%m-%d %H:%M:%S %Z")
    yield ["source / 出典", source]
    yield ["as of / 時点", as_of]
    yield ["filters / 条件", conditions or "none: every milestone / なし（全件）"]
    yield ["rows / 件数", sheet.last_row - 1]
    yield ["sheet / シート", sheet.name]
