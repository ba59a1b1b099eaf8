"""The standardization programme's pages and API: rates live or as of a snapshot, and the grid."""

import csv
from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from roadmap.exports import table_workbook, workbook_response
from roadmap.filters import BadQuery, PageNotFound, check_query_string, paginate, shorten
from roadmap.models import Milestone, Organization, Step, StepState
from roadmap.programme import rates
from roadmap.programme.models import Designation, ProgressSnapshot
from roadmap.programme.snapshots import snapshot_for
from roadmap.programme.steps import report_body
from roadmap.programme.trend import trend_chart
from roadmap.standard_steps import JAPANESE_LABELS, STEP_COUNT, STEPS, SYMBOLS
from roadmap.standard_systems import SYSTEMS_BY_NUMBER
from roadmap.views.reading import html_answer, json_answer, language, reading_view, text_answer

BODIES_PER_PAGE = 100
PROGRAMME_PARAMETERS = frozenset({"as_of", "prefecture", "q", "page", "lang"})
MAX_SEARCH = 100
API_PARAMETERS = frozenset({"as_of", "lang"})
LOCAL_KINDS = (Organization.Kind.PREFECTURE, Organization.Kind.MUNICIPALITY)


# Reading the query -----------------------------------------------------------------------------


def programme_query(request, allowed):
    """Return (snapshot or None, prefecture code or None) from the query, or raise BadQuery."""
    check_query_string(request, allowed=allowed)
    unknown = sorted(set(request.GET) - allowed)
    if unknown:
        raise BadQuery(
            [
                gettext("Unknown parameter %(names)s: this address reads %(known)s.")
                % {
                    "names": ", ".join(shorten(n) for n in unknown),
                    "known": ", ".join(sorted(allowed)),
                }
            ]
        )
    return snapshot_of(request.GET.get("as_of", "")), prefecture_of(
        request.GET.get("prefecture", "")
    )


def snapshot_of(raw: str) -> ProgressSnapshot | None:
    """Return the snapshot ``as_of`` names (None for live figures), or refuse the query."""
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
        return snapshot_for(day)
    except LookupError:
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
    search = request.GET.get("q", "").strip()
    if len(search) > MAX_SEARCH:
        raise BadQuery([gettext("q can be at most %(limit)d characters.") % {"limit": MAX_SEARCH}])
    if search:
        rows = rows.filter(
            Q(body__code__startswith=search)
            | Q(body__name_ja__contains=search)
            | Q(body__name_kana__contains=search)
        )
    return rows


# Pages ----------------------------------------------------------------------------------------


@reading_view(html_answer)
def overview(request):
    """Show national rates, trend, prefectures, systems, ministries, designations and bodies."""
    snapshot, prefecture = programme_query(request, PROGRAMME_PARAMETERS)
    current = language()
    figures = rates.programme_figures(snapshot, language=current)
    page = paginate(request, body_table(request, snapshot, prefecture), BODIES_PER_PAGE)
    snapshots = list(ProgressSnapshot.objects.order_by("as_of"))
    return render(
        request,
        "roadmap/programme.html",
        {
            "figures": figures,
            "bodies": [rates.as_rates(row) for row in page.object_list],
            "page": page,
            "prefecture": prefecture,
            "snapshots": snapshots,
            "trend": trend_chart(snapshots),
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


def body_context(request, code):
    snapshot, _prefecture = programme_query(request, API_PARAMETERS)
    body = programme_body(code)
    current = language()
    systems = rates.system_rates(snapshot, body)
    states = step_states(body, snapshot)
    total = rates.Rates()
    for entry in systems:
        total.add(entry["rates"])
        entry["name"] = entry["system"].name(current) if entry["system"] else entry["row"].system
        entry["cells"] = [
            cell(states.get((entry["row"].system, step.number), StepState.NOT_STARTED), step)
            for step in STEPS
        ]
    return snapshot, body, systems, total, current


def cell(state, step):
    return {
        "state": state,
        "symbol": SYMBOLS[state],
        "label": StepState(state).label,
        "step": step,
    }


@reading_view(html_answer)
def body_page(request, code):
    """Show one body's grid of systems × steps, its rates and its designations."""
    snapshot, body, systems, total, current = body_context(request, code)
    designations = Designation.objects.filter(milestone__owner=body).select_related("milestone")
    editable = (
        request.user.is_authenticated
        and Milestone.objects.editable_by(request.user).filter(owner=body).exists()
    )
    return render(
        request,
        "roadmap/programme_body.html",
        {
            "snapshot": snapshot,
            "body": body,
            "systems": systems,
            "total": total,
            "steps": STEPS,
            "designations": designations,
            "caveat": rates.CAVEAT,
            "editable": editable,
            "today": timezone.localdate(),
            "language": current,
        },
    )


def step_states(body, snapshot):
    """Return the body's step states by (system, step): live, or at the snapshot's day end."""
    milestones = Milestone.objects.filter(owner=body, business_system__isnull=False)
    if snapshot is None:
        rows = Step.objects.filter(milestone__in=milestones).values_list(
            "milestone__business_system", "number", "state"
        )
        return {(system, number): state for system, number, state in rows}
    from roadmap.programme.snapshots import states_as_of_for

    return states_as_of_for(body, snapshot.as_of)


# API ------------------------------------------------------------------------------------------


@reading_view(json_answer)
def api_programme(request):
    """Answer the national figures as JSON, live or as of a snapshot."""
    snapshot, _prefecture = programme_query(request, API_PARAMETERS)
    figures = rates.programme_figures(snapshot, language=language())
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


@reading_view(json_answer)
def api_body(request, code):
    """Answer one body's rates and each system's state counts as JSON."""
    snapshot, body, systems, total, current = body_context(request, code)
    return JsonResponse(
        {
            "code": body.code,
            "name": body.name(current),
            "as_of": (snapshot.as_of if snapshot else timezone.localdate()).isoformat(),
            "live": snapshot is None,
            **total.as_json(),
            "systems": [
                {
                    "number": entry["row"].system,
                    "name": entry["name"],
                    **entry["rates"].as_json(),
                    "states": {
                        "done": entry["row"].done,
                        "in_progress": entry["row"].in_progress,
                        "not_started": entry["row"].not_started,
                        "not_applicable": entry["row"].not_applicable,
                    },
                }
                for entry in systems
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )


# The owners' report ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def report(request, code):
    """Let an owner of the body report its systems' steps in one grid, saved at once."""
    body = Organization.objects.filter(code=code, kind__in=LOCAL_KINDS).first()
    if body is None:
        return html_answer(
            request,
            404,
            [
                gettext("There is no local government with the code %(code)s.")
                % {"code": shorten(code)}
            ],
        )
    milestones = list(
        Milestone.objects.editable_by(request.user)
        .filter(owner=body, business_system__isnull=False)
        .order_by("business_system")
    )
    if not milestones:
        raise PermissionDenied(
            gettext("Only the owners of %(body)s may report its steps.") % {"body": body.name_ja}
        )
    problems, states, seen = [], None, None
    if request.method == "POST":
        try:
            states, seen = read_grid(request.POST, milestones)
            outcome = report_body(body=body, states=states, seen=seen, user=request.user)
        except BadQuery as error:
            return html_answer(request, 400, error.problems)
        except ValidationError as error:
            problems = error.messages
        else:
            request.session["programme_saved"] = outcome.steps
            return redirect(reverse("roadmap:programme_report", args=[body.code]))
    return render(
        request,
        "roadmap/programme_report.html",
        report_context(request, body, milestones, states, seen, problems),
        status=409 if problems else 200,
    )


def read_grid(data, milestones):
    """Return the posted states by (system, step) and the versions seen, or raise BadQuery."""
    versions = {}
    for milestone in milestones:
        raw = data.get(f"v-{milestone.business_system}", "")
        if not raw.isdigit():
            raise BadQuery([gettext("The form is incomplete; reload the page.")])
        versions[milestone.business_system] = int(raw)
    states = {}
    mark = data.get("mark_step", "")
    for milestone in milestones:
        for number in range(1, STEP_COUNT + 1):
            value = data.get(f"s-{milestone.business_system}-{number}", "")
            if value not in StepState.values:
                raise BadQuery([gettext("The form is incomplete; reload the page.")])
            states[(milestone.business_system, number)] = value
    if mark:
        if not (mark.isdigit() and 1 <= int(mark) <= STEP_COUNT):
            raise BadQuery([gettext("Choose a step from 1 to 40.")])
        for milestone in milestones:
            states[(milestone.business_system, int(mark))] = StepState.DONE
    return states, versions


def report_context(request, body, milestones, posted, seen, problems):
    """Return the grid's rows: the posted states and versions after a refusal, else the stored."""
    current = language()
    stored = {}
    for system, number, state in Step.objects.filter(milestone__in=milestones).values_list(
        "milestone__business_system", "number", "state"
    ):
        stored[(system, number)] = state
    rows = []
    for milestone in milestones:
        system = milestone.business_system
        rows.append(
            {
                "milestone": milestone,
                "version": (seen or {}).get(system, milestone.version),
                "name": SYSTEMS_BY_NUMBER[system].name(current)
                if system in SYSTEMS_BY_NUMBER
                else system,
                "cells": [
                    {
                        "step": step,
                        "state": (posted or stored).get(
                            (system, step.number), StepState.NOT_STARTED
                        ),
                    }
                    for step in STEPS
                ],
            }
        )
    return {
        "body": body,
        "rows": rows,
        "steps": STEPS,
        "choices": [(value, f"{SYMBOLS[value]} {label}") for value, label in StepState.choices],
        "problems": problems,
        "saved": request.session.pop("programme_saved", None),
        "japanese_labels": JAPANESE_LABELS,
        "language": current,
    }
