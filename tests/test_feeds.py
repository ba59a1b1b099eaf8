import csv
import io
import json
from datetime import date, timedelta

import pytest
from icalendar import Calendar

from roadmap.models import Milestone
from roadmap.services.milestones import set_status
from tests.factories import (
    MembershipFactory,
    MilestoneFactory,
    OrganizationFactory,
    bulk_milestones,
)

pytestmark = pytest.mark.django_db

ICS_QUERIES = 2  # the count of changes (the ETag), the rows
CSV_QUERIES = 2  # the count of changes (the ETag), the rows
NOT_MODIFIED_QUERIES = 1  # the count of changes alone
API_QUERIES = 2  # count, page


def body(response):
    """Return the whole body of a response, streamed or not."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def events(response):
    return Calendar.from_ical(body(response)).walk("VEVENT")


@pytest.fixture
def owner():
    return MembershipFactory().user


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(body(response).decode("utf-8-sig"))))


# iCalendar -----------------------------------------------------------------------------------


def test_calendar_is_served_as_utf8_icalendar_with_a_name(client):
    response = client.get("/milestones.ics")
    calendar = Calendar.from_ical(body(response))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert calendar["X-WR-CALNAME"] == "重点計画のマイルストーン"
    assert calendar["VERSION"] == "2.0"


def test_one_all_day_event_per_milestone_with_a_deadline(client):
    MilestoneFactory(
        precision=Milestone.Precision.DAY,
        deadline=date(2024, 8, 31),
        window_start=date(2024, 8, 31),
        window_end=date(2024, 8, 31),
    )
    MilestoneFactory(deadline=None, window_end=None, precision=Milestone.Precision.OPEN)
    [event] = events(client.get("/milestones.ics"))
    assert event.decoded("DTSTART") == date(2024, 8, 31)
    assert event.decoded("DTEND") == date(2024, 9, 1)
    assert event["DTSTART"].params["VALUE"] == "DATE"


def test_event_spans_a_coarse_window_with_an_exclusive_end(client):
    MilestoneFactory(
        precision=Milestone.Precision.FISCAL_YEAR,
        window_start=date(2024, 4, 1),
        window_end=date(2025, 3, 31),
        deadline=date(2025, 3, 31),
    )
    [event] = events(client.get("/milestones.ics"))
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (
        date(2024, 4, 1),
        date(2025, 4, 1),
    )


def test_event_without_a_window_start_falls_on_the_deadline(client):
    MilestoneFactory(window_start=None, window_end=date(2026, 3, 31), deadline=date(2026, 3, 31))
    [event] = events(client.get("/milestones.ics"))
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (
        date(2026, 3, 31),
        date(2026, 4, 1),
    )


def test_event_uid_is_the_same_whatever_host_served_it(client):
    milestone = MilestoneFactory()
    [first] = events(client.get("/milestones.ics", HTTP_HOST="localhost"))
    [second] = events(client.get("/milestones.ics", HTTP_HOST="127.0.0.1"))
    assert (
        first["UID"] == second["UID"] == f"milestone-{milestone.pk}@roadmap-tracker.digital-plan"
    )


def test_event_is_in_japanese_with_a_link_to_the_site(client, settings):
    settings.SITE_URL = "https://roadmap.example.go.jp"
    milestone = MilestoneFactory(
        title_ja="住民記録システムの移行",
        phrase="原則2025年度まで",
        owner=OrganizationFactory(name_ja="デジタル庁"),
        status=Milestone.Status.IN_PROGRESS,
    )
    [event] = events(client.get("/milestones.ics?lang=en"))
    description = str(event["DESCRIPTION"])
    assert str(event["SUMMARY"]) == "住民記録システムの移行"
    for words in (
        "原則2025年度まで",
        "デジタル庁",
        "状態：実施中",
        f"https://roadmap.example.go.jp/milestones/{milestone.pk}/",
    ):
        assert words in description
    assert event["DTSTAMP"] is not None


def test_overdue_event_says_so_in_its_summary(client):
    MilestoneFactory(title_ja="遅れ", overdue_since=date(2026, 4, 1))
    [event] = events(client.get("/milestones.ics"))
    assert str(event["SUMMARY"]) == "【期限超過】遅れ"


def test_calendar_applies_the_filters(client):
    MilestoneFactory(owner=OrganizationFactory(code="digital"))
    MilestoneFactory()
    assert len(events(client.get("/milestones.ics?owner=digital"))) == 1


def test_calendar_refuses_a_bad_filter_in_plain_text(client):
    response = client.get("/milestones.ics?fy=last")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "fy=last" in response.content.decode()


@pytest.mark.parametrize("count", [10, 1000])
def test_calendar_costs_the_same_queries_whatever_the_number_of_milestones(
    client, django_assert_num_queries, count
):
    bulk_milestones(count)
    with django_assert_num_queries(ICS_QUERIES):
        assert len(events(client.get("/milestones.ics"))) == count


# CSV -----------------------------------------------------------------------------------------


def test_csv_starts_with_a_byte_order_mark_for_spreadsheets(client):
    MilestoneFactory()
    response = client.get("/milestones.csv")
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert body(response).startswith("\ufeffid,ref,title_ja".encode())


def test_csv_has_one_row_per_milestone_with_its_fields(client, settings):
    settings.SITE_URL = "https://roadmap.example.go.jp"
    milestone = MilestoneFactory(title_ja="住民記録", overdue_since=date(2026, 4, 1))
    [row] = csv_rows(client.get("/milestones.csv"))
    assert row["title_ja"] == "住民記録"
    assert row["deadline"] == "2026-03-31"
    assert row["overdue"] == "True"
    assert row["owner_code"] == milestone.owner.code
    assert row["url"] == f"https://roadmap.example.go.jp/milestones/{milestone.pk}/"


@pytest.mark.parametrize(
    "dangerous", ['=HYPERLINK("http://x")', "+1", "-1+2", "@SUM(A1)", "\tX", "\rX"]
)
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(client, dangerous):
    MilestoneFactory(title_ja=dangerous)
    [row] = csv_rows(client.get("/milestones.csv"))
    assert row["title_ja"] == "'" + dangerous


def test_csv_applies_the_filters(client):
    MilestoneFactory(title_ja="対象", status=Milestone.Status.IN_PROGRESS)
    MilestoneFactory(title_ja="対象外")
    assert [r["title_ja"] for r in csv_rows(client.get("/milestones.csv?status=in_progress"))] == [
        "対象"
    ]


def test_csv_refuses_unknown_parameters(client):
    response = client.get("/milestones.csv?onwer=digital")
    assert response.status_code == 400
    assert "onwer" in response.content.decode()


@pytest.mark.parametrize("count", [10, 1000])
def test_csv_costs_the_same_queries_whatever_the_number_of_milestones(
    client, django_assert_num_queries, count
):
    bulk_milestones(count)
    with django_assert_num_queries(CSV_QUERIES):
        assert len(csv_rows(client.get("/milestones.csv"))) == count


# Conditional requests --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/milestones.ics", "/milestones.csv"])
def test_unchanged_feed_is_answered_not_modified_without_rendering(
    client, django_assert_num_queries, path
):
    bulk_milestones(50)
    etag = client.get(path)["ETag"]
    with django_assert_num_queries(NOT_MODIFIED_QUERIES):
        response = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["ETag"] == etag
    assert body(response) == b""


@pytest.mark.parametrize(
    ("path", "shown"), [("/milestones.ics", "【完了】住民記録"), ("/milestones.csv", ",done,")]
)
def test_changed_milestone_changes_the_etag_and_the_feed_is_sent_again(client, owner, path, shown):
    milestone = MilestoneFactory(title_ja="住民記録", owner=owner.organizations.get())
    etag = client.get(path)["ETag"]
    set_status(milestone=milestone, status=Milestone.Status.DONE, user=owner)
    response = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert shown in body(response).decode()


def test_deleted_milestone_changes_the_etag(client):
    kept, deleted = MilestoneFactory(), MilestoneFactory()
    etag = client.get("/milestones.ics")["ETag"]
    deleted.delete()
    response = client.get("/milestones.ics", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert [str(e["UID"]) for e in events(response)] == [
        f"milestone-{kept.pk}@roadmap-tracker.digital-plan"
    ]


def test_each_filter_has_its_own_etag(client):
    MilestoneFactory(status=Milestone.Status.IN_PROGRESS)
    MilestoneFactory()
    whole = client.get("/milestones.ics")["ETag"]
    filtered = client.get("/milestones.ics?status=in_progress")
    assert filtered["ETag"] != whole
    assert (
        client.get("/milestones.ics?status=in_progress", HTTP_IF_NONE_MATCH=whole).status_code
        == 200
    )


# JSON API ------------------------------------------------------------------------------------


def test_api_returns_count_links_and_results_with_the_documented_fields(client, settings):
    settings.SITE_URL = "https://roadmap.example.go.jp"
    milestone = MilestoneFactory(title_en="", window_start=date(2025, 4, 1))
    data = client.get("/api/milestones/").json()
    assert (data["count"], data["next"], data["previous"]) == (1, None, None)
    [item] = data["results"]
    assert item == {
        "id": milestone.pk,
        "ref": milestone.ref,
        "title_ja": milestone.title_ja,
        "title_en": milestone.title_ja,
        "owner": {
            "code": milestone.owner.code,
            "name_ja": milestone.owner.name_ja,
            "name_en": milestone.owner.name_en,
        },
        "initiative": {
            "number": milestone.initiative.number,
            "title_ja": milestone.initiative.title_ja,
        },
        "phrase": "2025年度まで",
        "start": "2025-04-01",
        "end": "2026-03-31",
        "deadline": "2026-03-31",
        "baseline_deadline": "2026-03-31",
        "slip_days": 0,
        "precision": "fiscal_year",
        "soft": False,
        "status": "planned",
        "overdue": False,
        "overdue_since": None,
        "completed_on": None,
        "rag": None,
        "url": f"https://roadmap.example.go.jp/milestones/{milestone.pk}/",
    }


def test_api_pages_keep_the_filters_in_their_links(client):
    bulk_milestones(5, status=Milestone.Status.IN_PROGRESS)
    first = client.get("/api/milestones/?status=in_progress&page_size=2").json()
    second = client.get(first["next"]).json()
    assert first["next"] == (
        "http://testserver/api/milestones/?page=2&page_size=2&status=in_progress"
    )
    assert second["previous"].endswith("page=1&page_size=2&status=in_progress")
    assert (first["count"], len(first["results"]), len(second["results"])) == (5, 2, 2)


def test_api_page_size_is_bounded(client):
    response = client.get("/api/milestones/?page_size=501")
    assert response.status_code == 400
    assert "500" in response.json()["error"]


def test_api_page_past_the_end_is_a_json_404(client):
    response = client.get("/api/milestones/?page=3")
    assert response.status_code == 404
    assert "1" in response.json()["error"]


def test_api_refuses_bad_filters_in_json_naming_them(client):
    response = client.get("/api/milestones/?precision=week")
    assert response.status_code == 400
    assert "precision=week" in response.json()["error"]


def test_api_is_utf8_json_not_escaped(client):
    MilestoneFactory(title_ja="住民記録")
    response = client.get("/api/milestones/")
    assert "住民記録" in response.content.decode("utf-8")
    assert json.loads(response.content)["results"][0]["title_ja"] == "住民記録"


@pytest.mark.parametrize("count", [10, 1000])
def test_api_costs_the_same_queries_whatever_the_number_of_milestones(
    client, django_assert_num_queries, count
):
    bulk_milestones(count)
    with django_assert_num_queries(API_QUERIES):
        response = client.get("/api/milestones/?page_size=500")
    assert len(response.json()["results"]) == min(count, 500)


def test_overdue_flag_in_api_follows_the_scheduler(client):
    MilestoneFactory(overdue_since=date.today() - timedelta(days=1))
    assert client.get("/api/milestones/?overdue=yes").json()["results"][0]["overdue"] is True
