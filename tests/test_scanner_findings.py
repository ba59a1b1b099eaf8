"""What outside scanners saw, fixed: cookies, escaped errors, 405 with Allow, valid empty feeds."""

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from roadmap.filters import FILTER_NAMES, PAGING_PARAMETERS
from tests.factories import MilestoneFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

READ_ONLY = [
    ("roadmap:timeline", []),
    ("roadmap:milestone", ["milestone"]),
    ("roadmap:dashboard", []),
    ("roadmap:ics", []),
    ("roadmap:csv", []),
    ("roadmap:api_milestones", []),
    ("roadmap:api_schema", []),
    ("healthz", []),
]


def test_the_language_cookie_is_secure_http_only_and_same_site(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    cookie = response.cookies["django_language"]
    assert cookie.value == "en"
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@pytest.mark.parametrize("name", ["roadmap:csv", "roadmap:ics"])
def test_plain_text_errors_show_control_characters_escaped(client, name):
    response = client.get(reverse(name), {"q": "x", "\x1b[2Jevil": "1"})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    body = response.content.decode()
    assert "\x1b" not in body
    assert "\\x1b[2Jevil" in body
    assert body.endswith("\n")


@pytest.mark.parametrize(("name", "args"), READ_ONLY)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_read_only_addresses_answer_other_methods_with_405_and_allow(name, args, method):
    if args:
        args = [MilestoneFactory().pk]
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 405
    assert response["Allow"] in {"GET, HEAD", "GET"}


def test_a_feed_without_events_is_still_a_valid_calendar(client):
    OrganizationFactory(code="quiet")
    MilestoneFactory()
    response = client.get(reverse("roadmap:ics"), {"owner": "quiet"})
    assert response.status_code == 200
    calendar = Calendar.from_ical(b"".join(response.streaming_content))
    assert calendar.walk("VEVENT") == []
    # RFC 5545: a calendar holds at least one component.
    [zone] = calendar.subcomponents
    assert (zone.name, str(zone["TZID"])) == ("VTIMEZONE", "Asia/Tokyo")


def test_the_openapi_description_lists_every_parameter_the_api_reads(client):
    response = client.get(reverse("roadmap:api_schema"))
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    operation = schema["paths"]["/api/milestones/"]["get"]
    assert {p["name"] for p in operation["parameters"]} == FILTER_NAMES | PAGING_PARAMETERS
