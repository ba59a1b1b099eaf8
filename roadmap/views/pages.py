"""The reading pages: the timeline and one milestone with its history."""

from collections import defaultdict

from django.db.models import ForeignKey, Prefetch
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext

from roadmap import baselines, chart, language, standard_steps
from roadmap.filter_form import offer_choices
from roadmap.filters import (
    BadQuery,
    PageNotFound,
    filter_milestones,
    paginate,
    shorten,
)
from roadmap.models import Indicator, Milestone, MilestoneEdition, Plan
from roadmap.timeline import Axis, group_rows
from roadmap.views.indicators import indicator_rows
from roadmap.views.reading import html_answer, milestones, reading_view

PER_PAGE = 100
HISTORY_HIDDEN_FIELDS = ("version",)
INITIATIVE_ORDER = ("initiative__plan_id", "initiative__number", *Milestone.TIMELINE_ORDER)


# The timeline's own choices, besides the filters: how to group, how far to zoom, which view.
CHART_CHOICES = {"group": chart.GROUPS, "scale": tuple(chart.SCALES), "view": chart.VIEWS}


def chart_options(request):
    """Return the timeline's group, scale and view, or raise BadQuery naming a wrong value."""
    options = {}
    for name, allowed in CHART_CHOICES.items():
        value = request.GET.get(name) or allowed[0]
        if value not in allowed:
            raise BadQuery(
                [
                    gettext("%(name)s must be one of %(allowed)s, not “%(value)s”.")
                    % {"name": name, "allowed": ", ".join(allowed), "value": shorten(value)}
                ]
            )
        options[name] = value
    return options


@reading_view(html_answer)
def timeline(request):
    """Show the filtered milestones as a chart on one fiscal-year axis, or as tables."""
    edition = baselines.baseline_edition(request)
    selected = baselines.with_baseline(milestones(), edition)
    filterset = filter_milestones(
        request, selected, allowed=baselines.ALLOWED | set(CHART_CHOICES)
    )
    options = chart_options(request)
    selected = filterset.qs
    if options["group"] == "initiative":
        selected = selected.order_by(*INITIATIVE_ORDER)
    page = paginate(request, selected, PER_PAGE)
    today = timezone.localdate()
    rows = list(page.object_list)
    current = language.current()
    context = {
        "filterset": filterset,
        "owner_options": offer_choices(filterset, current),
        "page": page,
        "today": today,
        "language": current,
        "options": options,
        "baseline": edition,
        "editions": Plan.objects.only("code", "title_ja", "title_en", "decided_on"),
    }
    if options["view"] == "table":
        axis = Axis.covering(rows, today)
        context.update(axis=axis, groups=group_rows(rows, axis))
    else:
        axis = chart.chart_axis(rows, today, options["scale"])
        groups = chart.chart_groups(rows, axis, options["group"], current)
        context.update(
            axis=axis,
            ticks=chart.ticks(axis, options["scale"], current),
            chart_groups=groups,
            axis_height=chart.AXIS_HEIGHT,
            # The legend explains the original deadline's mark where the page draws one.
            moved_deadlines=any(row.ghost for group in groups for row in group.rows),
        )
    return render(request, "roadmap/timeline.html", context)


@reading_view(html_answer)
def milestone_detail(request, pk):
    """Show one milestone: wording, reading, migration steps, revisions, comments, history."""
    milestone = (
        Milestone.objects.select_related(
            "owner", "initiative__plan", "rag_assessed_by", "anchor", "series"
        )
        .prefetch_related(
            "revisions__decided_by",
            "comments__author",
            "steps",
            Prefetch(
                "editions",
                MilestoneEdition.objects.select_related("plan").order_by("plan__decided_on"),
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if milestone is None:
        raise PageNotFound(gettext("There is no milestone number %(pk)d.") % {"pk": pk})
    current = language.current()
    today = timezone.localdate()
    axis = chart.chart_axis([milestone], today, "fy")
    return render(
        request,
        "roadmap/milestone_detail.html",
        {
            "milestone": milestone,
            "axis": axis,
            "ticks": chart.ticks(axis, "fy", current),
            "row": chart.chart_row(milestone, axis, current),
            "options": {"scale": "fy"},
            "axis_height": chart.AXIS_HEIGHT,
            "language": current,
            "rule_explanation": milestone.window.explanation(current),
            "history": history_entries(milestone),
            "steps": standard_steps.progress(milestone.steps.all(), current),
            "indicators": indicator_rows(
                Indicator.objects.filter(initiative=milestone.initiative_id),
                as_of=today,
                current_language=current,
            ),
            "today": today,
        },
    )


def history_entries(milestone):
    """Return the milestone's change records, newest first, each with what it changed."""
    records = list(
        milestone.history.select_related("history_user").order_by("history_date", "history_id")
    )
    entries, previous = [], None
    for record in records:
        changes = []
        if previous is not None:
            delta = record.diff_against(previous, excluded_fields=HISTORY_HIDDEN_FIELDS)
            changes = delta.changes
        entries.append({"record": record, "changes": changes, "created": previous is None})
        previous = record
    describe_changes(entries)
    return entries[::-1]


def describe_changes(entries):
    """Replace raw changed values by what readers know: labels, names, codes (one query each)."""
    related = defaultdict(set)
    for entry in entries:
        for change in entry["changes"]:
            field = Milestone._meta.get_field(change.field)
            if isinstance(field, ForeignKey):
                related[field.related_model].update({change.old, change.new} - {None})
    names = {model: model._default_manager.in_bulk(ids) for model, ids in related.items()}
    for entry in entries:
        entry["changes"] = [readable_change(change, names) for change in entry["changes"]]


def readable_change(change, names):
    """Return the field's label and the old and new values as text."""
    field = Milestone._meta.get_field(change.field)
    return {
        "field": field.verbose_name,
        "old": readable_value(field, change.old, names),
        "new": readable_value(field, change.new, names),
    }


def readable_value(field, value, names):
    if value in (None, ""):
        return "—"
    if isinstance(field, ForeignKey):
        return str(names[field.related_model].get(value, value))
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    return value
