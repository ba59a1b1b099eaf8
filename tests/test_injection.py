"""Hostile text in titles, wording and names stays text: in pages, the admin, e-mail, iCal, CSV."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar

from roadmap.services.digests import send_digests
from tests.factories import (
    MembershipFactory,
    MilestoneFactory,
    NotificationFactory,
    OrganizationFactory,
    UserPreferenceFactory,
)
from tests.smtp import loopback_smtp_server, mail_through

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
FORMULA = '=HYPERLINK("http://x","y")'
NOW = datetime(2026, 4, 2, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


@pytest.fixture
def hostile():
    """A milestone whose every free-text field, and its owner's names, carry markup."""
    owner = OrganizationFactory(name_ja=f"組織{SCRIPT}", name_en=f"Org {SCRIPT}")
    return MilestoneFactory(
        owner=owner,
        title_ja=f"題{SCRIPT}",
        title_en=f"Title {SCRIPT}",
        source_text=f"原文{SCRIPT}",
        phrase=f"2025年度まで{SCRIPT}",
    )


def html(response):
    assert response.status_code == 200
    return response.content.decode()


# Pages and the admin -------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("page", ["timeline", "milestone", "dashboard"])
def test_pages_show_markup_as_text(client, hostile, page, language):
    address = {
        "timeline": reverse("roadmap:timeline"),
        "milestone": hostile.get_absolute_url(),
        "dashboard": reverse("roadmap:dashboard"),
    }[page]
    body = html(client.get(address, {"lang": language}))
    assert SCRIPT not in body
    assert ESCAPED in body


@pytest.mark.parametrize("view", ["changelist", "change", "history"])
def test_the_admin_shows_markup_as_text(admin_client, hostile, view):
    address = {
        "changelist": reverse("admin:roadmap_milestone_changelist"),
        "change": reverse("admin:roadmap_milestone_change", args=[hostile.pk]),
        "history": reverse("admin:roadmap_milestone_history", args=[hostile.pk]),
    }[view]
    body = html(admin_client.get(address))
    assert SCRIPT not in body
    assert ESCAPED in body


def test_the_organization_admin_shows_markup_as_text(admin_client, hostile):
    body = html(admin_client.get(reverse("admin:roadmap_organization_changelist")))
    assert SCRIPT not in body
    assert ESCAPED in body


# E-mail --------------------------------------------------------------------------------------


@pytest.fixture
def smtp(settings):
    with loopback_smtp_server() as server:
        yield mail_through(settings, server)


def mail_digest_about(milestone, smtp):
    membership = MembershipFactory(organization=milestone.owner, user__email="owner@example.go.jp")
    UserPreferenceFactory(user=membership.user, language="en")
    NotificationFactory(
        user=membership.user, milestone=milestone, next_attempt_at=NOW - timedelta(hours=1)
    )
    assert send_digests(now=NOW)["mails"] == 1
    [accepted] = smtp.accepted
    return accepted


def test_the_digest_escapes_markup_in_its_html_and_keeps_text_as_text(hostile, smtp):
    accepted = mail_digest_about(hostile, smtp)
    html_part = accepted.message.get_body(preferencelist=("html",)).get_content()
    text_part = accepted.message.get_body(preferencelist=("plain",)).get_content()
    assert SCRIPT not in html_part
    assert ESCAPED in html_part
    assert f"Title {SCRIPT}" in text_part


@pytest.mark.parametrize("field", ["title_ja", "title_en", "phrase"])
def test_line_breaks_in_titles_cannot_add_mail_headers_or_recipients(field, smtp):
    milestone = MilestoneFactory(**{field: "移行\r\nBcc: spy@example.com\r\nX-Injected: yes"})
    accepted = mail_digest_about(milestone, smtp)
    assert accepted.recipients == ("owner@example.go.jp",)
    assert "Bcc" not in accepted.message
    assert "X-Injected" not in accepted.message
    assert "\n" not in accepted.subject


# iCalendar -----------------------------------------------------------------------------------


def calendar(client):
    response = client.get(reverse("roadmap:ics"))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_line_breaks_in_a_title_cannot_add_calendar_properties(client):
    MilestoneFactory(
        title_ja="移行\r\nATTENDEE:mailto:spy@example.com\r\nEND:VEVENT\r\nBEGIN:VEVENT",
        phrase="年度内\nLOCATION:x",
    )
    raw = calendar(client)
    lines = raw.split(b"\r\n")
    assert not any(line.startswith((b"ATTENDEE", b"LOCATION")) for line in lines)
    assert lines.count(b"BEGIN:VEVENT") == 1
    [event] = Calendar.from_ical(raw).walk("VEVENT")
    assert "ATTENDEE" not in event
    # The break survives as an escaped \\n inside the one SUMMARY value.
    assert str(event["SUMMARY"]).startswith("移行\nATTENDEE:mailto:spy@example.com")


def test_calendar_text_is_escaped_as_rfc_5545_says(client):
    MilestoneFactory(title_ja="a,b;c\\d", owner=OrganizationFactory(name_ja="省;庁"))
    raw = calendar(client).decode()
    assert "SUMMARY:a\\,b\\;c\\\\d" in raw
    assert "担当：省\\;庁" in raw.replace("\r\n ", "")


# CSV -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [FORMULA, "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "=cmd|' /C calc'!A0"]
)
def test_csv_cells_that_would_run_as_formulas_are_neutralised_in_every_text_column(client, value):
    owner = OrganizationFactory(code="org-x", name_ja=value, name_en=value)
    MilestoneFactory(owner=owner, title_ja=value, title_en=value, phrase=value)
    response = client.get(reverse("roadmap:csv"))
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    [row] = rows
    for column in ("title_ja", "title_en", "owner_name_ja", "owner_name_en", "phrase"):
        assert row[column] == f"'{value}"
