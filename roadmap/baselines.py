"""Read milestones against a baseline: an earlier edition's window, or the original deadline.

``?baseline=<edition code>`` on the timeline, the API, the CSV export and the calendar feed
compares each milestone with its window in that edition; without it, the baseline is the
milestone's original deadline. The slip is the difference in days between the baseline deadline
and the current one; a milestone the baseline edition did not carry has no slip, not a zero one.
"""

from django.db.models import DateField, F, FilteredRelation, Q, Value
from django.utils.translation import gettext, ngettext

from roadmap.filters import PAGING_PARAMETERS, BadQuery, shorten
from roadmap.models import Plan

PARAMETER = "baseline"
# The parameters of a page that reads milestones against a baseline, besides the filters.
ALLOWED = PAGING_PARAMETERS | {PARAMETER}


def baseline_edition(request) -> Plan | None:
    """Return the edition named by ``?baseline=``, None without one, or raise BadQuery."""
    code = request.GET.get(PARAMETER, "")
    if not code:
        return None
    edition = Plan.objects.filter(code=code).first()
    if edition is None:
        codes = ", ".join(Plan.objects.order_by("decided_on").values_list("code", flat=True))
        raise BadQuery(
            [
                gettext("baseline: there is no edition “%(code)s”; the editions are %(codes)s.")
                % {"code": shorten(code), "codes": codes or "—"}
            ]
        )
    return edition


def with_baseline(queryset, edition: Plan | None):
    """Annotate each milestone with its baseline window: ``baseline_start``, ``_end``, ``_on``."""
    if edition is None:
        nothing = Value(None, output_field=DateField())
        return queryset.annotate(
            baseline_start=nothing, baseline_end=nothing, baseline_on=F("baseline_deadline")
        )
    return queryset.annotate(
        baseline_entry=FilteredRelation("editions", condition=Q(editions__plan=edition)),
        baseline_start=F("baseline_entry__window_start"),
        baseline_end=F("baseline_entry__window_end"),
        baseline_on=F("baseline_entry__deadline"),
    )


def slip_days(milestone) -> int | None:
    """Return by how many days the deadline moved from the baseline, or None without both."""
    baseline = getattr(milestone, "baseline_on", None)
    if baseline is None or milestone.deadline is None:
        return None
    return (milestone.deadline - baseline).days


def slip_words(days: int | None) -> str:
    """Return the slip as readers write it: "+184 days", "−30 days", "no slip"."""
    if days is None:
        return ""
    if days == 0:
        return gettext("no slip")
    sign = "+" if days > 0 else "−"
    return ngettext("%(sign)s%(days)d day", "%(sign)s%(days)d days", abs(days)) % {
        "sign": sign,
        "days": abs(days),
    }
