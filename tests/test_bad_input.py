"""Bad input to every public address: a 400 or 404 with a sentence, never a 500 or internals."""

import pytest

from tests.factories import MilestoneFactory, NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

READING = ["/", "/dashboard/", "/milestones.ics", "/milestones.csv", "/api/milestones/"]
# The calendar and CSV are whole files: they check a page number's form but have no pages.
UNPAGED = ("/milestones.ics", "/milestones.csv")
# Only the API reads page_size; the other views check its form.
UNSIZED = ("/", "/dashboard/", *UNPAGED)
INTERNALS = ("Traceback", "SELECT ", "psycopg", "sqlite", "django.db", 'File "/')

# Query string, expected status, a sentence of the English answer.
BAD_QUERIES = {
    "unknown filter": ("nosuch=1", 400, "Unknown parameter nosuch"),
    "misspelt filter": ("stauts=done", 400, "Unknown parameter stauts"),
    "unknown status": ("status=finished", 400, "status=finished"),
    "malformed fiscal year": ("fy=20x5", 400, "fy=20x5"),
    "malformed area": ("area=5..1", 400, "area=5..1"),
    "unknown owner": ("owner=no-such-org", 400, "owner=no-such-org"),
    "negative page": ("page=-1", 400, "page must be a whole number"),
    "page zero": ("page=0", 400, "page must be a whole number"),
    "enormous page": ("page=99999999999999999999", 404, "There is no page"),
    "page with letters": ("page=two", 400, "page must be a whole number"),
    "enormous page size": ("page_size=99999999999999999999", 400, "page_size can be at most"),
    "very long query": ("q=" + "x" * 20_000, 400, "The address is too long"),
    "invalid UTF-8 in a value": ("q=%FF%FE", 400, "not valid UTF-8"),
    "invalid UTF-8 in a name": ("%FF%FE=1", 400, "not valid UTF-8"),
    "NUL in the text filter": ("q=a%00b", 400, "q=a"),
    "NUL in the owner filter": ("owner=a%00b", 400, "owner=a"),
    "NUL in the area filter": ("area=5%00", 400, "area=5"),
    "NUL in the status filter": ("status=done%00", 400, "status=done"),
    "NUL in the page": ("page=1%00", 400, "page must be a whole number"),
    "NUL in a name": ("q%00=1", 400, "Unknown parameter"),
    "unknown language": ("lang=fr", 400, "lang must be ja or en"),
}


@pytest.mark.parametrize("address", UNPAGED)
def test_exports_are_whole_whatever_the_page_number(english, address):
    MilestoneFactory(title_ja="移行")
    response = english.get(address, {"page": "99999999999999999999"})
    assert response.status_code == 200
    assert "移行" in b"".join(response.streaming_content).decode()


def assert_no_internals(response):
    body = response.content.decode(errors="replace")
    for leak in INTERNALS:
        assert leak not in body


@pytest.fixture
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def unused_but_well_formed(address, query):
    return (query.startswith("page=9999") and address in UNPAGED) or (
        query.startswith("page_size=9999") and address in UNSIZED
    )


CASES = [
    pytest.param(address, query, status, sentence, id=f"{name}-{address}")
    for name, (query, status, sentence) in BAD_QUERIES.items()
    for address in READING
    if not unused_but_well_formed(address, query)
]


@pytest.mark.parametrize(("address", "query", "status", "sentence"), CASES)
def test_bad_queries_get_a_readable_refusal(english, address, query, status, sentence):
    MilestoneFactory()
    response = english.get(f"{address}?{query}")
    assert response.status_code == status
    body = response.content.decode()
    assert sentence in body
    assert_no_internals(response)


@pytest.mark.parametrize("address", ["/", "/dashboard/"])
def test_a_refusal_does_not_echo_markup_back(english, address):
    response = english.get(address, {"status": "<script>alert(1)</script>"})
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.content.decode()


@pytest.mark.parametrize(
    ("address", "content_type"),
    [
        ("/milestones.ics", "text/plain"),
        ("/milestones.csv", "text/plain"),
        ("/api/milestones/", "application/json"),
    ],
)
def test_feeds_refuse_in_a_type_no_browser_runs(english, address, content_type):
    response = english.get(address, {"status": "<script>alert(1)</script>"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith(content_type)
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "pk", ["0", "-1", "abc", "99999999999999999999", "1%00", "%FF%FE", "1.5", "1e3"]
)
def test_bad_milestone_numbers_get_the_readable_not_found_page(english, pk):
    response = english.get(f"/milestones/{pk}/")
    assert response.status_code == 404
    assert_no_internals(response)
    assert "<h1" in response.content.decode()


@pytest.mark.parametrize("query", ["page=-1", "page=0", "page=99999999999999999999", "page=x"])
def test_the_notifications_page_refuses_bad_page_numbers_readably(english, query):
    user = UserFactory()
    NotificationFactory(user=user)
    english.force_login(user)
    response = english.get(f"/notifications/?{query}")
    assert response.status_code in (400, 404)
    assert "page" in response.content.decode()
    assert_no_internals(response)


@pytest.mark.parametrize(
    "query", ["nosuch=1", "%FF%FE=1", "q=" + "x" * 20_000, "page=%00", "verbose=1%00"]
)
def test_the_health_check_ignores_its_query(english, query):
    response = english.get(f"/healthz?{query}")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize("address", [*READING, "/healthz"])
def test_methods_other_than_get_are_refused_without_an_error(english, address):
    response = english.post(address, {"a": "b"})
    assert response.status_code == 405
    assert_no_internals(response)
