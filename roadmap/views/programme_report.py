"""The owners' report: one body's systems × 40 steps in one form, saved at once."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from roadmap import language
from roadmap.filters import BadQuery, PageNotFound
from roadmap.models import Milestone, StepState
from roadmap.programme.steps import grid_states, report_body
from roadmap.security import refuse
from roadmap.standard_steps import JAPANESE_LABELS, STEP_COUNT, STEPS, SYMBOLS
from roadmap.standard_systems import SYSTEMS_BY_NUMBER
from roadmap.views.programme import programme_body
from roadmap.views.reading import html_answer


@login_required
@require_http_methods(["GET", "POST"])
def report(request, code):
    """Let an owner of the body report its systems' steps in one grid, saved at once."""
    try:
        body = programme_body(code)
    except PageNotFound as error:
        return html_answer(request, 404, [str(error)])
    milestones = list(
        Milestone.objects.editable_by(request.user)
        .filter(owner=body, business_system__isnull=False)
        .order_by("business_system")
    )
    if not milestones:
        raise refuse(
            request.user,
            "report steps",
            request=request,
            body=code,
            message=gettext("Only the owners of %(body)s may report its steps.")
            % {"body": body.name_ja},
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
    current = language.current()
    stored = grid_states(milestones)
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
