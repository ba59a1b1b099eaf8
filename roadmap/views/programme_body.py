"""One local government's programme page and API: its grid of systems × steps and its rates."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from roadmap import language
from roadmap.models import Milestone, Step, StepState
from roadmap.programme import rates
from roadmap.programme.models import Designation
from roadmap.programme.snapshots import states_as_of_for
from roadmap.standard_steps import STEPS, SYMBOLS
from roadmap.views.programme import API_PARAMETERS, programme_body, programme_query
from roadmap.views.reading import html_answer, json_answer, reading_view


def body_context(request, code):
    snapshot, _prefecture = programme_query(request, API_PARAMETERS)
    body = programme_body(code)
    current = language.current()
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
        # Unordered: the steps' own order (their milestones' deadlines) would sort them for
        # nothing.
        rows = Step.objects.filter(milestone__in=milestones).order_by()
        rows = rows.values_list("milestone__business_system", "number", "state")
        return {(system, number): state for system, number, state in rows}
    return states_as_of_for(body, snapshot.as_of)


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
