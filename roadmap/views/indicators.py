"""Indicators as readers see them: on pages with a small chart, as JSON and as CSV."""

import csv

import django_filters
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone

from roadmap import language
from roadmap.filters import BadQuery, InitiativeFilter, check_query_string, filter_problems
from roadmap.indicator_chart import chart
from roadmap.indicators import Grade, Point
from roadmap.models import Indicator, Organization
from roadmap.services.digest_mail import number
from roadmap.services.indicators import graded
from roadmap.views.feeds import Echo, iso, neutralised
from roadmap.views.reading import json_answer, reading_view, text_answer

# What an indicator list reads from the address; anything else is refused.
PARAMETERS = frozenset({"owner", "area", "lang"})


class IndicatorFilter(django_filters.FilterSet):
    owner = django_filters.ModelChoiceFilter(
        queryset=Organization.objects.all(), to_field_name="code"
    )
    area = InitiativeFilter()

    class Meta:
        model = Indicator
        fields = []


def filter_indicators(request, queryset=None):
    """Return the indicators the request's ``owner`` and ``area`` select, or raise BadQuery."""
    check_query_string(request, allowed=PARAMETERS, filters=())
    filterset = IndicatorFilter(request.GET, queryset=queryset or Indicator.objects.all())
    if not filterset.is_valid():
        raise BadQuery(filter_problems(filterset))
    return filterset.qs


def indicator_rows(queryset, *, as_of, current_language):
    """Return each indicator with its reading, its figures as text and its chart."""
    return [_row(item, as_of, current_language) for item in graded(queryset, as_of=as_of)]


def _row(item, as_of, current_language):
    indicator, reading = item.indicator, item.reading
    baseline = (
        Point(indicator.baseline_on, indicator.baseline_value) if indicator.baseline_on else None
    )
    return {
        "indicator": indicator,
        "name": indicator.name(current_language),
        "unit": indicator.unit(current_language),
        "grade": reading.grade,
        "grade_label": Grade(reading.grade).label,
        "baseline": number(indicator.baseline_value) if baseline else None,
        "target": number(indicator.target_value),
        "latest": number(reading.latest.value) if reading.latest else None,
        "latest_on": reading.latest.on if reading.latest else None,
        "latest_value": reading.latest.value if reading.latest else None,
        "progress": percent(reading.progress),
        "elapsed": percent(reading.elapsed),
        "measurements": item.measurements,
        "chart": chart(
            baseline=baseline,
            target=indicator.target_value,
            target_on=indicator.target_on,
            points=[Point(m.measured_on, m.value) for m in item.measurements],
            today=as_of,
        ),
    }


def percent(share):
    """Return a share as a whole percentage, or None."""
    return None if share is None else round(share * 100)


@reading_view(json_answer)
def api_indicators(request):
    """Return every selected indicator with its grade today and its measurements, as JSON."""
    rows = indicator_rows(
        filter_indicators(request).select_related("milestone"),
        as_of=timezone.localdate(),
        current_language=language.current(),
    )
    results = [indicator_json(row) for row in rows]
    return JsonResponse(
        {"count": len(results), "results": results}, json_dumps_params={"ensure_ascii": False}
    )


def indicator_json(row):
    """Return the API representation of one indicator."""
    indicator = row["indicator"]
    return {
        "ref": indicator.ref,
        "name_ja": indicator.name_ja,
        "name_en": indicator.name("en"),
        "unit_ja": indicator.unit_ja,
        "unit_en": indicator.unit("en"),
        "direction": indicator.direction,
        "initiative": indicator.initiative.number,
        "milestone": indicator.milestone.ref if indicator.milestone else None,
        "owner": indicator.owner.code,
        "source_text": indicator.source_text,
        "baseline": {
            "value": str_value(indicator.baseline_value),
            "on": iso(indicator.baseline_on),
        },
        "target": {
            "value": str_value(indicator.target_value),
            "phrase": indicator.target_phrase,
            "on": iso(indicator.target_on),
        },
        "grade": str(row["grade"]),
        "progress_percent": row["progress"],
        "elapsed_percent": row["elapsed"],
        "measurements": [
            {"on": iso(m.measured_on), "value": str_value(m.value), "source": m.source}
            for m in row["measurements"]
        ],
        "url": indicator_url(indicator),
    }


def str_value(value):
    return None if value is None else format(value.normalize(), "f")


def indicator_url(indicator):
    return f"{settings.SITE_URL}{reverse('roadmap:dashboard')}#indicator-{indicator.ref}"


CSV_COLUMNS = (
    ("ref", lambda r: r["indicator"].ref),
    ("initiative", lambda r: r["indicator"].initiative.number),
    ("milestone", lambda r: r["indicator"].milestone.ref if r["indicator"].milestone else ""),
    ("owner_code", lambda r: r["indicator"].owner.code),
    ("name_ja", lambda r: r["indicator"].name_ja),
    ("name_en", lambda r: r["indicator"].name_en),
    ("unit_ja", lambda r: r["indicator"].unit_ja),
    ("unit_en", lambda r: r["indicator"].unit_en),
    ("direction", lambda r: r["indicator"].direction),
    ("baseline_value", lambda r: str_value(r["indicator"].baseline_value)),
    ("baseline_on", lambda r: r["indicator"].baseline_on),
    ("target_value", lambda r: str_value(r["indicator"].target_value)),
    ("target_phrase", lambda r: r["indicator"].target_phrase),
    ("target_on", lambda r: r["indicator"].target_on),
    ("latest_value", lambda r: str_value(r["latest_value"])),
    ("latest_on", lambda r: r["latest_on"]),
    ("grade", lambda r: str(r["grade"])),
    ("progress_percent", lambda r: r["progress"]),
    ("elapsed_percent", lambda r: r["elapsed"]),
    ("source_text", lambda r: r["indicator"].source_text),
    ("url", lambda r: indicator_url(r["indicator"])),
)


@reading_view(text_answer)
def csv_indicators(request):
    """Return the selected indicators, one line each with its grade today, as UTF-8 CSV."""
    rows = indicator_rows(
        filter_indicators(request).select_related("milestone"),
        as_of=timezone.localdate(),
        current_language=language.current(),
    )
    writer = csv.writer(Echo())
    lines = ["\ufeff" + writer.writerow([name for name, _ in CSV_COLUMNS])]
    lines += [
        writer.writerow([neutralised(value(row)) for _, value in CSV_COLUMNS]) for row in rows
    ]
    response = HttpResponse("".join(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="indicators.csv"'
    return response
