"""The dashboard: milestones by area and owner, indicators, and the programme at a glance.

The programme's figures (the map of Japan, the bars, the trend) are the programme's own rates
(``roadmap.programme.rates``), live or as of a snapshot (``?as_of=``) exactly as /programme/
shows them; the dashboard computes no rate of its own.

Its body is rendered once for each pair of counts of changes (``reading.changes_tag``, the
milestones' and the rest it shows), language, day and address, and kept in the cache: until
something it shows is written, a request reads one row, and a client holding the page gets 304
Not Modified. The page around the body (the reader's menu, the language form's CSRF token, the
print header) is rendered per request.
"""

from django.core.cache import cache
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.views.decorators.vary import vary_on_cookie

from roadmap import dashboard as dashboard_figures
from roadmap import dashboard_charts, language, standardization, tallies
from roadmap.filter_form import offer_choices
from roadmap.filters import PAGING_PARAMETERS, filter_milestones, paginate, within_initiative
from roadmap.models import Indicator, Milestone
from roadmap.programme import rates as programme_rates
from roadmap.programme.models import ProgressSnapshot
from roadmap.views.indicators import indicator_rows
from roadmap.views.programme import snapshot_of
from roadmap.views.reading import changes_tag, digest, html_answer, reading_view

OWNERS_PER_PAGE = 100
# Part of every kept body's key and ETag: raise it when what the body shows changes, so that
# neither a kept body nor a client's copy of the old rendering is shown again.
RENDERING = 1


@reading_view(html_answer)
@vary_on_cookie
def dashboard(request):
    """Show counts by area and owner, indicators, and the programme's progress."""
    filterset = filter_milestones(
        request, Milestone.objects.all(), allowed=PAGING_PARAMETERS | {"as_of"}
    )
    as_of = request.GET.get("as_of", "")
    # As of a snapshot, the page looks it up among those it lists anyway; a live page lists
    # them only when its body is rendered (not when the kept body is sent).
    snapshots = list(ProgressSnapshot.objects.order_by("as_of")) if as_of else None
    snapshot = snapshot_of(as_of, among=snapshots)
    current, today = language.current(), timezone.localdate()
    shown = changes_tag(RENDERING, current, today, request.get_full_path(), shown=True)
    # The page around the body differs by reader: a signed-in reader's menu and CSRF token.
    etag = f'"{digest(shown, request.user.pk)}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        key = f"dashboard:{shown}"
        body = cache.get(key)
        if body is None:
            body = render_to_string(
                "roadmap/dashboard_body.html",
                body_context(request, filterset, snapshot, snapshots, current, today),
                request,
            )
            cache.set(key, body)
        response = render(
            request, "roadmap/dashboard.html", {"filterset": filterset, "body": body}
        )
    response["ETag"] = etag
    return response


def body_context(request, filterset, snapshot, snapshots, current, today):
    """Return what the dashboard's body shows, counted or read from the stored figures."""
    chosen = filterset.form.cleaned_data
    if any(value not in (None, "") for value in chosen.values()):
        selected = filterset.qs.order_by()
        figures = tallies.Figures(
            areas=dashboard_figures.by_area(selected),
            owners=dashboard_figures.by_owner(selected),
            prefectures=dashboard_figures.progress_by_prefecture(selected),
            systems=dashboard_figures.progress_by_system(selected),
        )
    else:
        # The whole plan: the stored figures, counted again only after a change.
        figures = tallies.current()
    return {
        "filterset": filterset,
        "owner_options": offer_choices(filterset, current),
        # Carried by the filter form, so that filtering keeps the snapshot chosen.
        "options": {"as_of": request.GET.get("as_of", "")},
        "areas": figures.areas,
        "area_chart": dashboard_charts.status_bars(figures.areas, current),
        "status_legend": dashboard_charts.status_legend(),
        "owners": paginate(request, figures.owners, OWNERS_PER_PAGE),
        "prefectures": figures.prefectures,
        "prefecture_total": dashboard_figures.totals(figures.prefectures),
        "systems": figures.systems,
        "indicators": indicator_rows(
            selected_indicators(chosen), as_of=today, current_language=current
        ),
        "scope": {
            "official": f"{standardization.OFFICIAL_SYSTEM_COUNT:,}",
            "generated": f"{standardization.GENERATED_SYSTEM_COUNT:,}",
        },
        "designated": programme_rates.designations(snapshot),
        "language": current,
        **programme_context(snapshot, current, today, snapshots),
    }


def selected_indicators(chosen):
    """Return the indicators of the owner and area the filters chose."""
    indicators = Indicator.objects.all()
    if chosen.get("owner"):
        indicators = indicators.filter(owner=chosen["owner"])
    if chosen.get("area"):
        indicators = within_initiative(indicators, chosen["area"])
    return indicators


def programme_context(snapshot, current, today, snapshots=None):
    """Return the programme's rates by prefecture as a map, bars and a table, and the trend."""
    by_prefecture = programme_rates.rates_by_prefecture(snapshot, language=current)
    if snapshots is None:
        snapshots = list(ProgressSnapshot.objects.order_by("as_of"))
    return {
        "snapshot": snapshot,
        "snapshots": snapshots,
        "today": today,
        "caveat": programme_rates.CAVEAT,
        "prefecture_rates": by_prefecture,
        "tile_map": dashboard_charts.tile_map(
            {str(row.key)[:2]: row.completion for row in by_prefecture}, current
        ),
        "map_legend": dashboard_charts.legend_steps(),
        "prefecture_bars": dashboard_charts.rate_bars(
            [(row.label, float(row.completion)) for row in by_prefecture]
        ),
        **dashboard_charts.national_trend(snapshots),
    }
