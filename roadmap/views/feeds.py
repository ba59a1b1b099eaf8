"""Machine-readable views of the same filtered milestones: iCalendar, CSV and a JSON API."""

import csv
import hashlib
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db.models import Count, Max, Sum
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.http import urlencode
from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneStandard,
    vDatetime,
    vDDDTypes,
    vInt,
    vText,
    vUri,
)

from roadmap import baselines
from roadmap.exports import MILESTONE_COLUMNS, absolute_url, export_rows, milestones_workbook
from roadmap.filters import filter_milestones, paginate, positive_integer
from roadmap.models import Milestone
from roadmap.views.reading import json_answer, milestones, reading_view, text_answer

# Part of every event's UID: fixed, so that calendars recognise an event whatever host served it.
UID_DOMAIN = "roadmap-tracker.digital-plan"
CALENDAR_NAME = "重点計画のマイルストーン"
CHUNK = 2000
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
# Spreadsheets run cells starting with these as formulas.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TRANSPARENT = vText("TRANSPARENT")
# Part of every feed's ETag: raise it when what a feed or export shows changes, so that
# clients holding the old rendering fetch the new one.
RENDERING = 2


def export_etag(queryset):
    """Return an ETag that changes whenever a milestone in ``queryset`` changes, comes or goes."""
    # Every change bumps the version and the update time, so the three figures move with it.
    state = queryset.order_by().aggregate(
        rows=Count("pk"), versions=Sum("version"), latest=Max("updated_at")
    )
    key = f"{RENDERING}|{settings.SITE_URL}|{state['rows']}|{state['versions']}|{state['latest']}"
    return f'"{hashlib.sha256(key.encode()).hexdigest()[:32]}"'


def unless_unchanged(request, queryset, render):
    """Answer 304 Not Modified when the client holds the current rendering, else render it."""
    # An ETag but no Last-Modified: the latest update time would not move when a row is deleted.
    etag = export_etag(queryset)
    response = get_conditional_response(request, etag=etag) or render(queryset)
    response["ETag"] = etag
    return response


# iCalendar -----------------------------------------------------------------------------------


@reading_view(text_answer)
def ics(request):
    """Stream an iCalendar feed: one all-day event per milestone that has a deadline."""
    filterset = filter_milestones(
        request,
        read_against_baseline(request, milestones().filter(deadline__isnull=False)),
        allowed=baselines.ALLOWED,
    )
    return unless_unchanged(request, filterset.qs, calendar_response)


def read_against_baseline(request, queryset):
    """Return ``queryset`` annotated with the baseline the request names (see baselines)."""
    return baselines.with_baseline(queryset, baselines.baseline_edition(request))


def calendar_response(queryset):
    response = StreamingHttpResponse(
        calendar_lines(queryset), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="milestones.ics"'
    return response


def calendar_lines(queryset):
    """Yield the calendar's header, each event, and its end, as bytes."""
    calendar = Calendar()
    calendar.add("prodid", "-//roadmap-tracker//重点計画//JA")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    # RFC 5545 wants at least one component: a filter that matches nothing still gets this one.
    calendar.add_component(tokyo_timezone())
    header = calendar.to_ical()
    yield header[: header.rindex(b"END:VCALENDAR")]
    with translation.override("ja"):
        for milestone in queryset.iterator(chunk_size=CHUNK):
            yield event(milestone).to_ical()
    yield b"END:VCALENDAR\r\n"


@lru_cache(maxsize=1)
def tokyo_timezone():
    """Return Japan's time zone as a VTIMEZONE: JST, without daylight saving since 1951."""
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1951, 9, 8, 0, 0))  # noqa: DTZ001 (RFC 5545: local time)
    standard.add("tzoffsetfrom", timedelta(hours=10))
    standard.add("tzoffsetto", timedelta(hours=9))
    standard.add("tzname", "JST")
    zone = Timezone()
    zone.add("tzid", "Asia/Tokyo")
    zone.add_component(standard)
    return zone


def event_dates(milestone):
    """Return the first day and the exclusive end day of the milestone's event."""
    start, end = milestone.window_start, milestone.window_end
    if milestone.precision != Milestone.Precision.DAY and start and end:
        return start, end + timedelta(days=1)
    return milestone.deadline, milestone.deadline + timedelta(days=1)


def event(milestone):
    """Return the VEVENT of one milestone, in Japanese."""
    # Typed values set directly: Component.add() would look up each property's type, copy
    # its parameters and convert time zones again, for every one of tens of thousands of rows.
    first, after = event_dates(milestone)
    url = absolute_url(milestone)
    stamp = vDatetime(milestone.updated_at.astimezone(UTC))
    item = Event()
    item["UID"] = vText(f"milestone-{milestone.pk}@{UID_DOMAIN}")
    item["DTSTAMP"] = stamp
    item["LAST-MODIFIED"] = stamp
    item["SEQUENCE"] = vInt(milestone.version - 1)
    item["DTSTART"] = vDDDTypes(first)
    item["DTEND"] = vDDDTypes(after)
    item["SUMMARY"] = vText(event_summary(milestone))
    item["DESCRIPTION"] = vText(event_description(milestone, url))
    item["URL"] = vUri(url)
    item["TRANSP"] = TRANSPARENT
    return item


def event_summary(milestone):
    prefix = ""
    if milestone.is_overdue:
        prefix = "【期限超過】"
    elif milestone.status == Milestone.Status.DONE:
        prefix = "【完了】"
    return f"{prefix}{milestone.title_ja}"


def event_description(milestone, url):
    lines = [
        f"期限の表現：{milestone.phrase or '—'}",
        f"期限：{milestone.deadline.isoformat()}",
        f"担当：{milestone.owner.name_ja}",
        f"施策：{milestone.initiative.number} {milestone.initiative.title_ja}",
        f"状態：{milestone.get_status_display()}",
    ]
    if milestone.is_overdue:
        lines.append(f"期限超過：{milestone.overdue_since.isoformat()}から")
    slip = baselines.slip_days(milestone)
    if slip:
        lines.append(f"基準の期限：{milestone.baseline_on.isoformat()}（{slip:+d}日）")
    lines.append(url)
    return "\n".join(lines)


# CSV -----------------------------------------------------------------------------------------


class Echo:
    """A file-like object that hands back what is written, for csv.writer to stream."""

    def write(self, value):
        return value


def neutralised(value):
    """Return a cell value that a spreadsheet shows as text rather than runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, int):
        # A number, such as a negative slip, is no formula.
        return str(value)
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


@reading_view(text_answer)
def csv_export(request):
    """Stream the filtered milestones as UTF-8 CSV with a byte-order mark, for spreadsheets."""
    filterset = filter_milestones(
        request, read_against_baseline(request, milestones()), allowed=baselines.ALLOWED
    )
    return unless_unchanged(request, filterset.qs, csv_response)


def csv_response(queryset):
    response = StreamingHttpResponse(csv_rows(queryset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="milestones.csv"'
    return response


def csv_rows(queryset):
    """Yield the byte-order mark, the header line, then one line per milestone."""
    writer = csv.writer(Echo())
    yield "\ufeff" + writer.writerow([column.name for column in MILESTONE_COLUMNS])
    for values in export_rows(queryset):
        yield writer.writerow([neutralised(value) for value in values])


# Excel -------------------------------------------------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What the second sheet lists as the filters: every parameter but the reading language.
NOT_FILTERS = {"lang"}


@reading_view(text_answer)
def xlsx_export(request):
    """Answer the filtered milestones as an .xlsx workbook with typed cells."""
    filterset = filter_milestones(
        request, read_against_baseline(request, milestones()), allowed=baselines.ALLOWED
    )
    filters = [
        (k, v) for k, values in sorted(request.GET.lists()) if k not in NOT_FILTERS for v in values
    ]
    source = f"{settings.SITE_URL}{request.get_full_path()}"

    def render(queryset):
        response = HttpResponse(
            milestones_workbook(queryset, filters=filters, source=source), content_type=XLSX_TYPE
        )
        response["Content-Disposition"] = 'attachment; filename="milestones.xlsx"'
        return response

    return unless_unchanged(request, filterset.qs, render)


# JSON API ------------------------------------------------------------------------------------


@reading_view(json_answer)
def api_milestones(request):
    """Return one page of the filtered milestones as JSON with links to the neighbouring pages."""
    filterset = filter_milestones(
        request,
        read_against_baseline(request, milestones()),
        allowed=baselines.ALLOWED,
    )
    size = positive_integer(request, "page_size", DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
    page = paginate(request, filterset.qs, size)
    return JsonResponse(
        {
            "count": page.paginator.count,
            "next": page_link(request, page.next_page_number()) if page.has_next() else None,
            "previous": (
                page_link(request, page.previous_page_number()) if page.has_previous() else None
            ),
            "results": [milestone_json(milestone) for milestone in page.object_list],
        },
        json_dumps_params={"ensure_ascii": False},
    )


def page_link(request, number):
    """Return the absolute address of page ``number`` with the same filters."""
    query = request.GET.copy()
    query["page"] = str(number)
    return request.build_absolute_uri(
        f"{request.path}?{urlencode(sorted(query.lists()), doseq=True)}"
    )


def milestone_json(milestone):
    """Return the API representation of one milestone."""
    owner, initiative = milestone.owner, milestone.initiative
    return {
        "id": milestone.pk,
        "ref": milestone.ref,
        "title_ja": milestone.title_ja,
        "title_en": milestone.title("en"),
        "owner": {"code": owner.code, "name_ja": owner.name_ja, "name_en": owner.name("en")},
        "initiative": {"number": initiative.number, "title_ja": initiative.title_ja},
        "phrase": milestone.phrase,
        "start": iso(milestone.window_start),
        "end": iso(milestone.window_end),
        "deadline": iso(milestone.deadline),
        "baseline_deadline": iso(getattr(milestone, "baseline_on", None)),
        "slip_days": baselines.slip_days(milestone),
        "precision": milestone.precision,
        "soft": milestone.soft,
        "status": milestone.status,
        "overdue": milestone.is_overdue,
        "overdue_since": iso(milestone.overdue_since),
        "completed_on": iso(milestone.completed_on),
        "rag": milestone.rag or None,
        "url": absolute_url(milestone),
    }


def iso(day):
    return day.isoformat() if day else None
