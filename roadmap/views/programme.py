"""The standardization programme's national figures: the overview page, its API and tables.

Rates live or as of a snapshot; the query is read here for every programme address.
"""

import csv
from datetime import date

from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext

from roadmap import dashboard_charts, language
from roadmap.exports import table_workbook, workbook_response
from roadmap.filters import BadQuery, PageNotFound, check_query_string, paginate, shorten
from roadmap.models import Organization
from roadmap.programme import rates
from roadmap.programme.models import ProgressSnapshot
from roadmap.programme.snapshots import snapshot_for
from roadmap.views.reading import html_answer, json_answer, reading_view, text_answer

BODIES_PER_PAGE = 100
PROGRAMME_PARAMETERS = frozenset({"as_of", "prefecture", "q", "page", "lang"})
MAX_SEARCH = 100
API_PARAMETERS = frozenset({"as_of", "lang"})
LOCAL_KINDS = (Organization.Kind.PREFECTURE, Organization.Kind.MUNICIPALITY)

# Reading the query -----------------------------------------------------------------------------


def programme_query(request, allowed):
    """Return (snapshot or None, prefecture code or None) from the query, or raise BadQuery."""
    check_query_string(request, allowed=allowed, filters=())
    return snapshot_of(request.GET.get("as_of", "")), prefecture_of(
        request.GET.get("prefecture", "")
    )


def snapshot_of(raw: str, among: list | None = None) -> ProgressSnapshot | None:
    """Return the snapshot ``as_of`` names (None for live figures), or refuse the query.

    A page that lists the snapshots anyway passes them as ``among``, to be looked up there.
    """
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise BadQuery(
            [
                gettext("as_of must be a date written YYYY-MM-DD, not “%(value)s”.")
                % {"value": shorten(raw)}
            ]
        )
    try:
        if among is None:
            return snapshot_for(day)
        return next(snapshot for snapshot in among if snapshot.as_of == day)
    except (LookupError, StopIteration):
        raise PageNotFound(
            gettext("There is no snapshot as of %(day)s.") % {"day": day.isoformat()}
        ) from None


def prefecture_of(raw: str) -> str | None:
    """Return the two-digit prefecture number ``prefecture`` names, or refuse it."""
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) == 2 and 1 <= int(raw) <= 47):
        raise BadQuery(
            [
                gettext("prefecture must be a prefecture number from 01 to 47, not “%(value)s”.")
                % {"value": shorten(raw)}
            ]
        )
    return raw


def programme_body(code: str) -> Organization:
    """Return the local government with this code, or raise PageNotFound."""
    body = Organization.objects.filter(code=code, kind__in=LOCAL_KINDS).first()
    if body is None:
        raise PageNotFound(
            gettext("There is no local government with the code %(code)s.")
            % {"code": shorten(code)}
        )
    return body


def body_table(request, snapshot, prefecture):
    """Return the body rows of the prefecture and search (code, name or reading) asked for."""
    rows = rates.body_rates(snapshot)
    if prefecture:
        rows = rows.filter(prefecture__code__startswith=prefecture)
    search = body_search(request)
    if search:
        rows = rows.filter(
            Q(body__code__startswith=search)
            | Q(body__name_ja__contains=search)
            | Q(body__name_kana__contains=search)
        )
    return rows


def body_search(request) -> str:
    """Return the body search ``q`` (a code, name or reading), or refuse one too long."""
    search = request.GET.get("q", "").strip()
    if len(search) > MAX_SEARCH:
        raise BadQuery([gettext("q can be at most %(limit)d characters.") % {"limit": MAX_SEARCH}])
    return search


# Pages ----------------------------------------------------------------------------------------


@reading_view(html_answer)
def overview(request):
    """Show national rates, trend, prefectures, systems, ministries, designations and bodies."""
    check_query_string(request, allowed=PROGRAMME_PARAMETERS, filters=())
    prefecture = prefecture_of(request.GET.get("prefecture", ""))
    # The snapshots to choose from; the one asked for is looked up among them.
    snapshots = list(ProgressSnapshot.objects.order_by("as_of"))
    snapshot = snapshot_of(request.GET.get("as_of", ""), among=snapshots)
    current = language.current()
    figures = rates.programme_figures(snapshot, language=current)
    bodies = body_table(request, snapshot, prefecture)
    # Every body with a system counted: as many as the national figures already counted.
    whole = not prefecture and not body_search(request)
    page = paginate(request, bodies, BODIES_PER_PAGE, count=figures.bodies if whole else None)
    return render(
        request,
        "roadmap/programme.html",
        {
            "figures": figures,
            "bodies": [rates.as_rates(row) for row in page.object_list],
            "page": page,
            "prefecture": prefecture,
            "snapshots": snapshots,
            **dashboard_charts.national_trend(snapshots),
            "caveat": rates.CAVEAT,
            "today": timezone.localdate(),
            "language": current,
        },
    )


BODY_COLUMNS = (
    "code",
    "name",
    "reading",
    "systems",
    "completion",
    "in_progress",
    "not_started",
    "as_of",
    "live",
)


def body_rows(request):
    """Return the day of the body table and its rows, live or as of a snapshot."""
    snapshot, prefecture = programme_query(request, PROGRAMME_PARAMETERS - {"page"})
    day = snapshot.as_of if snapshot else timezone.localdate()
    rows = []
    for row in body_table(request, snapshot, prefecture):
        figures = rates.as_rates(row)
        rows.append(
            [
                row["body__code"],
                row["body__name_ja"],
                row["body__name_kana"],
                figures.systems,
                figures.completion,
                figures.in_progress,
                figures.not_started,
                day,
                snapshot is None,
            ]
        )
    return day, rows


@reading_view(text_answer)
def bodies_csv(request):
    """Return the body table (code, name, reading, rates) as CSV, live or as of a snapshot."""
    day, rows = body_rows(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="programme-bodies-{day}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(BODY_COLUMNS)
    for row in rows:
        writer.writerow([*row[:-2], row[-2].isoformat(), "true" if row[-1] else "false"])
    return response


@reading_view(text_answer)
def bodies_xlsx(request):
    """Return the body table as an .xlsx workbook with typed cells and a sheet describing it."""
    day, rows = body_rows(request)
    widths = [10, 20, 24, 10, 12, 12, 12, 12, 8]
    data = table_workbook(request, "Bodies", BODY_COLUMNS, widths, rows)
    return workbook_response(data, f"programme-bodies-{day}.xlsx")


# API ------------------------------------------------------------------------------------------


@reading_view(json_answer)
def api_programme(request):
    """Answer the national figures as JSON, live or as of a snapshot."""
    snapshot, _prefecture = programme_query(request, API_PARAMETERS)
    figures = rates.programme_figures(snapshot, language=language.current())
    designated = figures.designated
    return JsonResponse(
        {
            "as_of": (snapshot.as_of if snapshot else timezone.localdate()).isoformat(),
            "live": snapshot is None,
            "bodies": figures.bodies,
            "systems": figures.national.systems,
            **figures.national.as_json(),
            "designated": {
                "bodies": designated["bodies"],
                "systems": designated["systems"],
                "by_reason": [
                    {k: row[k] for k in ("reason", "label", "bodies", "systems")}
                    for row in designated["by_reason"]
                ],
            },
            "prefectures": [
                {"code": r.key, "name": r.label, "systems": r.systems, **r.as_json()}
                for r in figures.prefectures
            ],
            "business_systems": [
                {"number": r.key, "name": r.label, "systems": r.systems, **r.as_json()}
                for r in figures.systems
            ],
            "ministries": [
                {"name": r.label, "systems": r.extra.get("systems", []), **r.as_json()}
                for r in figures.ministries
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )
