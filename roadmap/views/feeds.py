"""Machine-readable views of the same filtered milestones: iCalendar, CSV and a JSON API."""

import csv
import io
from datetime import timedelta

from django.conf import settings
from django.http import JsonResponse, StreamingHttpResponse
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.http import urlencode

from roadmap import baselines, ical
from roadmap.cells import FORMULA_STARTS
from roadmap.exports import (
    MILESTONE_COLUMNS,
    absolute_url,
    export_rows,
    milestones_workbook,
    slip_days,
    url_of,
    workbook_response,
)
from roadmap.filters import filter_milestones, paginate, positive_integer
from roadmap.models import Milestone
from roadmap.views.reading import (
    changes_tag,
    json_answer,
    milestones,
    reading_view,
    text_answer,
)

# Part of every event's UID: fixed, so that calendars recognise an event whatever host served it.
UID_DOMAIN = "roadmap-tracker.digital-plan"
CALENDAR_NAME = "重点計画のマイルストーン"
CHUNK = 2000
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
# The first characters that make spreadsheets run a cell as a formula (one character each).
FORMULA_FIRST = frozenset(FORMULA_STARTS)
# Part of every feed's ETag: raise it when what a feed or export shows changes, so that
# clients holding the old rendering fetch the new one.
RENDERING = 3


def export_etag(queryset):
    """Return an ETag that changes whenever a milestone in ``queryset`` changes, comes or goes.

    The query itself stands for the filters (``changes_tag``): one row is read however many
    milestones the export holds, so a 304 costs next to nothing.
    """
    sql, params = queryset.query.sql_with_params()
    return f'"{changes_tag(RENDERING, settings.SITE_URL, sql, repr(params))}"'


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


# What an event shows, read as plain values: no model instances for tens of thousands of rows.
EVENT_FIELDS = (
    "pk",
    "title_ja",
    "phrase",
    "deadline",
    "window_start",
    "window_end",
    "precision",
    "status",
    "overdue_since",
    "version",
    "updated_at",
    "owner__name_ja",
    "initiative__number",
    "initiative__title_ja",
    # The baseline the feed is read against (see roadmap.baselines).
    "baseline_on",
)


# RFC 5545 wants at least one component: a filter that matches nothing still gets this one.
# Japan's time zone: JST, without daylight saving since 1951 (DTSTART is local time).
TOKYO_TIMEZONE = b"".join(
    ical.line(name, value)
    for name, value in (
        ("BEGIN", "VTIMEZONE"),
        ("TZID", "Asia/Tokyo"),
        ("BEGIN", "STANDARD"),
        ("DTSTART", "19510908T000000"),
        ("TZOFFSETFROM", "+1000"),
        ("TZOFFSETTO", "+0900"),
        ("TZNAME", "JST"),
        ("END", "STANDARD"),
        ("END", "VTIMEZONE"),
    )
)


def calendar_lines(queryset):
    """Yield the calendar's header, its events a chunk at a time, and its end, as bytes."""
    yield (
        ical.calendar_header(
            prodid="-//roadmap-tracker//重点計画//JA",
            version="2.0",
            calscale="GREGORIAN",
            x_wr_calname=ical.text(CALENDAR_NAME),
        )
        + TOKYO_TIMEZONE
    )
    with translation.override("ja"):
        statuses = {value: str(label) for value, label in Milestone.Status.choices}
    chunk = []
    for row in queryset.values(*EVENT_FIELDS).iterator(chunk_size=CHUNK):
        chunk.append(event(row, statuses, url_of(row["pk"])))
        if len(chunk) == EVENTS_PER_WRITE:
            yield b"".join(chunk)
            chunk = []
    yield b"".join(chunk) + ical.CALENDAR_END


# Events joined into one piece of the response: fewer, larger writes.
EVENTS_PER_WRITE = 200


def event_dates(row):
    """Return the first day and the exclusive end day of the milestone's event."""
    start, end = row["window_start"], row["window_end"]
    if row["precision"] != Milestone.Precision.DAY and start and end:
        return start, end + timedelta(days=1)
    return row["deadline"], row["deadline"] + timedelta(days=1)


def event(row, statuses, url):
    """Return the VEVENT of one milestone's values, in Japanese, as bytes."""
    first, after = event_dates(row)
    stamp = ical.utc_time(row["updated_at"])
    line = ical.line
    return b"".join(
        (
            EVENT_BEGIN,
            line("UID", f"milestone-{row['pk']}@{UID_DOMAIN}"),
            line("DTSTAMP", stamp),
            line("LAST-MODIFIED", stamp),
            line("SEQUENCE", str(row["version"] - 1)),
            line("DTSTART;VALUE=DATE", ical.day(first)),
            line("DTEND;VALUE=DATE", ical.day(after)),
            line("SUMMARY", ical.text(event_summary(row))),
            line("DESCRIPTION", ical.text(event_description(row, statuses, url))),
            line("URL", url),
            EVENT_END,
        )
    )


EVENT_BEGIN = ical.line("BEGIN", "VEVENT")
EVENT_END = ical.line("TRANSP", "TRANSPARENT") + ical.line("END", "VEVENT")


def event_summary(row):
    prefix = ""
    if row["overdue_since"] is not None:
        prefix = "【期限超過】"
    elif row["status"] == Milestone.Status.DONE:
        prefix = "【完了】"
    return f"{prefix}{row['title_ja']}"


def event_description(row, statuses, url):
    lines = [
        f"期限の表現：{row['phrase'] or '—'}",
        f"期限：{row['deadline'].isoformat()}",
        f"担当：{row['owner__name_ja']}",
        f"施策：{row['initiative__number']} {row['initiative__title_ja']}",
        f"状態：{statuses.get(row['status'], row['status'])}",
    ]
    if row["overdue_since"] is not None:
        lines.append(f"期限超過：{row['overdue_since'].isoformat()}から")
    slip = slip_days(row)
    if slip:
        lines.append(f"基準の期限：{row['baseline_on'].isoformat()}（{slip:+d}日）")
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
    return f"'{text}" if text[:1] in FORMULA_FIRST else text


def neutralised_row(values) -> list:
    """Return a row of values with ``neutralised`` texts, the rest left to csv.writer.

    csv.writer writes None as an empty cell and other values with str(), as ``neutralised``
    does; only a text can start like a formula.
    """
    return [f"'{v}" if isinstance(v, str) and v[:1] in FORMULA_FIRST else v for v in values]


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


# Milestones written into one piece of the response: fewer, larger writes.
ROWS_PER_WRITE = 500


def csv_rows(queryset):
    """Yield the byte-order mark and the header line, then the milestones' lines in pieces."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.name for column in MILESTONE_COLUMNS])
    # The header goes out before the rows are read: the first byte does not wait for the query.
    yield "\ufeff" + taken(buffer)
    rows = []
    for values in export_rows(queryset):
        rows.append(neutralised_row(values))
        if len(rows) == ROWS_PER_WRITE:
            writer.writerows(rows)
            rows.clear()
            yield taken(buffer)
    writer.writerows(rows)
    yield taken(buffer)


def taken(buffer: io.StringIO) -> str:
    """Return what was written to ``buffer`` and empty it."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


# Excel -------------------------------------------------------------------------------------

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
        data = milestones_workbook(queryset, filters=filters, source=source)
        return workbook_response(data, "milestones.xlsx")

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
