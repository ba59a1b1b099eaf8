"""The editions of the plan and what changed between two of them: page, CSV and JSON."""

import csv
import io
from itertools import groupby

from django.db.models import Count
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext

from roadmap import language
from roadmap.editions import ChangeClass, changes_between, counts
from roadmap.exports import table_workbook, url_of, workbook_response
from roadmap.filters import BadQuery, PageNotFound, check_query_string, shorten
from roadmap.models import Initiative, Plan
from roadmap.views.feeds import neutralised
from roadmap.views.reading import (
    html_answer,
    json_answer,
    reading_view,
    text_answer,
)

SINCE = "since"
CHANGES_PARAMETERS = frozenset({SINCE, "lang"})
CSV_COLUMNS = (
    "ref",
    "renamed_from",
    "class",
    "initiative",
    "title_ja",
    "old_phrase",
    "new_phrase",
    "old_deadline",
    "new_deadline",
    "shift_days",
    "url",
)


@reading_view(html_answer)
def plans(request):
    """List the editions of the plan, newest first, each with a link to what it changed."""
    check_query_string(request, allowed=frozenset({"lang"}), filters=())
    editions = (
        Plan.objects.select_related("previous")
        .annotate(carried=Count("entries"))
        .order_by("-decided_on")
    )
    return render(
        request, "roadmap/plans.html", {"editions": editions, "language": language.current()}
    )


@reading_view(html_answer)
def plan_changes(request, code):
    """Show an edition's changes against the previous one (or ``?since=``), grouped."""
    plan, since, changes = comparison(request, code)
    return render(
        request,
        "roadmap/plan_changes.html",
        {
            "plan": plan,
            "since": since,
            "counts": [(ChangeClass(name), n) for name, n in counts(changes).items()],
            "groups": grouped(changes),
            "earlier": Plan.objects.filter(decided_on__lt=plan.decided_on),
            "language": language.current(),
        },
    )


@reading_view(text_answer)
def plan_changes_csv(request, code):
    """Return an edition's classified changes as UTF-8 CSV with a byte-order mark."""
    plan, since, changes = comparison(request, code)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for change in changes:
        writer.writerow([neutralised(value) for value in csv_values(change)])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"{plan.code}-changes" + (f"-since-{since.code}" if since else "")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@reading_view(text_answer)
def plan_changes_xlsx(request, code):
    """Return an edition's classified changes as an .xlsx workbook with typed cells."""
    plan, since, changes = comparison(request, code)
    rows = [csv_values(change) for change in changes]
    widths = [24, 24, 16, 12, 50, 28, 28, 12, 12, 10, 40]
    data = table_workbook(request, "Changes", CSV_COLUMNS, widths, rows)
    name = f"{plan.code}-changes" + (f"-since-{since.code}" if since else "")
    return workbook_response(data, f"{name}.xlsx")


@reading_view(json_answer)
def api_plan_changes(request, code):
    """Return an edition's classified changes as JSON."""
    plan, since, changes = comparison(request, code)
    return JsonResponse(
        {
            "plan": plan.code,
            "since": since.code if since else None,
            "counts": counts(changes),
            "changes": [change_json(change) for change in changes],
        },
        json_dumps_params={"ensure_ascii": False},
    )


def comparison(request, code):
    """Return the edition, the one it is compared with, and the changes between them."""
    check_query_string(request, allowed=CHANGES_PARAMETERS, filters=())
    plan = Plan.objects.select_related("previous").filter(code=code).first()
    if plan is None:
        raise PageNotFound(gettext("There is no edition “%(code)s”.") % {"code": shorten(code)})
    since = since_edition(request, plan)
    return plan, since, changes_between(plan, since)


def since_edition(request, plan):
    """Return the edition named by ``?since=`` (default: the previous one), or raise BadQuery."""
    code = request.GET.get(SINCE, "")
    if not code:
        return plan.previous
    since = Plan.objects.filter(code=code, decided_on__lt=plan.decided_on).first()
    if since is None:
        earlier = Plan.objects.filter(decided_on__lt=plan.decided_on).order_by("decided_on")
        raise BadQuery(
            [
                gettext(
                    "since: “%(code)s” is not an edition decided before %(plan)s; "
                    "the earlier editions are %(codes)s."
                )
                % {
                    "code": shorten(code),
                    "plan": plan.code,
                    "codes": ", ".join(earlier.values_list("code", flat=True)) or "—",
                }
            ]
        )
    return since


def grouped(changes):
    """Return the changes grouped by class, then by initiative, with the initiatives' titles."""
    numbers = {change.initiative_number for change in changes}
    titles = {}
    for initiative in Initiative.objects.filter(number__in=numbers).order_by("plan__decided_on"):
        titles[initiative.number] = initiative
    return [
        {
            "class": ChangeClass(name),
            "initiatives": [
                {"number": number, "initiative": titles.get(number), "changes": list(rows)}
                for number, rows in groupby(of_class, key=lambda c: c.initiative_number)
            ],
        }
        for name, of_class in groupby(changes, key=lambda c: c.change_class)
    ]


def milestone_url(milestone_id):
    """Return the milestone's page at the site's public address."""
    return url_of(milestone_id)


def csv_values(change):
    old, new = change.old, change.new
    return (
        change.ref,
        change.renamed_from,
        change.change_class,
        change.initiative_number,
        change.entry.title_ja,
        old.phrase if old else "",
        new.phrase if new else "",
        old.deadline if old else "",
        new.deadline if new else "",
        change.shift_days,
        milestone_url(change.milestone_id),
    )


def change_json(change):
    old, new = change.old, change.new
    return {
        "ref": change.ref,
        "class": str(change.change_class),
        "old_phrase": old.phrase if old else None,
        "new_phrase": new.phrase if new else None,
        "old_deadline": old.deadline.isoformat() if old and old.deadline else None,
        "new_deadline": new.deadline.isoformat() if new and new.deadline else None,
        "shift_days": change.shift_days,
    }
