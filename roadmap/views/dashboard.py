"""The dashboard: milestones by area and owner, indicators, and the programme at a glance.

The programme's figures (the map of Japan, the bars, the trend) are the programme's own rates
(``roadmap.programme.rates``), live or as of a snapshot (``?as_of=``) exactly as /programme/
shows them; the dashboard computes no rate of its own.
"""

from django.shortcuts import render
from django.utils import timezone

from roadmap import dashboard as dashboard_figures
from roadmap import dashboard_charts, language, standardization, tallies
from roadmap.filter_form import offer_choices
from roadmap.filters import PAGING_PARAMETERS, filter_milestones, paginate, within_initiative
from roadmap.models import Indicator, Milestone
from roadmap.programme import rates as programme_rates
from roadmap.programme.models import ProgressSnapshot
from roadmap.views.indicators import indicator_rows
from roadmap.views.programme import snapshot_of
from roadmap.views.reading import html_answer, reading_view

OWNERS_PER_PAGE = 100


@reading_view(html_answer)
def dashboard(request):
    """Show counts by area and owner, indicators, and the programme's progress."""
    filterset = filter_milestones(
        request, Milestone.objects.all(), allowed=PAGING_PARAMETERS | {"as_of"}
    )
    snapshot = snapshot_of(request.GET.get("as_of", ""))
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
    current = language.current()
    return render(
        request,
        "roadmap/dashboard.html",
        {
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
                selected_indicators(chosen), as_of=timezone.localdate(), current_language=current
            ),
            "scope": {
                "official": f"{standardization.OFFICIAL_SYSTEM_COUNT:,}",
                "generated": f"{standardization.GENERATED_SYSTEM_COUNT:,}",
            },
            "designated": programme_rates.designations(snapshot),
            "language": current,
            **programme_context(snapshot, current),
        },
    )


def selected_indicators(chosen):
    """Return the indicators of the owner and area the filters chose."""
    indicators = Indicator.objects.all()
    if chosen.get("owner"):
        indicators = indicators.filter(owner=chosen["owner"])
    if chosen.get("area"):
        indicators = within_initiative(indicators, chosen["area"])
    return indicators


def programme_context(snapshot, current):
    """Return the programme's rates by prefecture as a map, bars and a table, and the trend."""
    by_prefecture = programme_rates.rates_by_prefecture(snapshot, language=current)
    snapshots = list(ProgressSnapshot.objects.order_by("as_of"))
    return {
        "snapshot": snapshot,
        "snapshots": snapshots,
        "today": timezone.localdate(),
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
