"""The owners to choose from: fetched by the filter forms' script, or read as a page of links."""

import re
from html import unescape

import pytest

from roadmap.models import DashboardState, Organization, OwnerChoice
from tests.factories import MilestoneFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

Kind = Organization.Kind
# The count of changes (the ETag), then the options as stored.
OPTIONS_QUERIES = 2
# The first request after a change renders them: the count of changes, the organizations, and
# storing them.
RENDERING_OWNERS = 3
OPTION = re.compile(r"<option[^>]*>[^<]*</option>")


@pytest.fixture
def organizations():
    digital = OrganizationFactory(code="digital", name_ja="デジタル庁", name_en="Digital Agency")
    tokyo = OrganizationFactory(
        code="130001", name_ja="東京都", name_en="Tokyo", kind=Kind.PREFECTURE
    )
    OrganizationFactory(
        code="131016", name_ja="千代田区", name_en="Chiyoda", kind=Kind.MUNICIPALITY, parent=tokyo
    )
    OrganizationFactory(code="010006", name_ja="北海道", name_en="Hokkaido", kind=Kind.PREFECTURE)
    return digital


def groups(html):
    """Return the <optgroup>s as (label, [(value, name), ...])."""
    return [
        (
            unescape(label),
            [
                (v, unescape(n))
                for v, n in re.findall(r'<option value="([^"]*)">([^<]*)</option>', body)
            ],
        )
        for label, body in re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', html)
    ]


def test_options_list_every_organization_under_its_group_none_selected(client, organizations):
    response = client.get("/owners/options/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert groups(html) == [
        ("府省庁", [("digital", "デジタル庁")]),
        ("北海道", [("010006", "北海道")]),
        ("東京都", [("130001", "東京都"), ("131016", "千代田区")]),
    ]
    assert "selected" not in html
    english = client.get("/owners/options/?lang=en").content.decode()
    assert groups(english)[0] == ("Ministries and agencies", [("digital", "Digital Agency")])
    # Each language is stored apart.
    assert set(OwnerChoice.objects.values_list("language", flat=True)) == {"ja", "en"}


def test_options_cost_two_queries_and_a_browser_holding_them_gets_304(
    client, organizations, django_assert_num_queries
):
    with django_assert_num_queries(1 + RENDERING_OWNERS + 1):
        first = client.get("/owners/options/")
    with django_assert_num_queries(OPTIONS_QUERIES):
        again = client.get("/owners/options/")
    assert again.content == first.content
    assert "no-cache" in again["Cache-Control"]
    with django_assert_num_queries(1):
        held = client.get("/owners/options/", headers={"if-none-match": again["ETag"]})
    assert held.status_code == 304
    assert held.content == b""


def test_a_renamed_or_new_organization_is_in_the_options_at_once(client, organizations):
    first = client.get("/owners/options/")
    organizations.name_ja = "デジタル庁（新）"
    organizations.save()
    OrganizationFactory(code="soumu", name_ja="総務省")
    renamed = client.get("/owners/options/", headers={"if-none-match": first["ETag"]})
    assert renamed.status_code == 200
    assert renamed["ETag"] != first["ETag"]
    assert groups(renamed.content.decode())[0] == (
        "府省庁",
        [("digital", "デジタル庁（新）"), ("soumu", "総務省")],
    )


def test_a_language_has_an_etag_of_its_own(client, organizations):
    japanese = client.get("/owners/options/")
    english = client.get("/owners/options/?lang=en", headers={"if-none-match": japanese["ETag"]})
    assert english.status_code == 200
    assert "Digital Agency" in english.content.decode()


def test_names_are_escaped_in_the_options_and_the_chosen_option(client):
    MilestoneFactory(owner=OrganizationFactory(code="x1", name_ja='<script>"A&B"</script>'))
    options = client.get("/owners/options/").content.decode()
    assert "<script>" not in options
    assert "&lt;script&gt;&quot;A&amp;B&quot;&lt;/script&gt;" in options
    page = client.get("/?owner=x1").content.decode()
    assert (
        '<option value="x1" selected>&lt;script&gt;&quot;A&amp;B&quot;&lt;/script&gt;</option>'
        in page
    )


@pytest.mark.parametrize("query", ["?owner=digital", "?lang=xx", "?page=2"])
def test_options_refuse_anything_but_the_language(client, query):
    response = client.get(f"/owners/options/{query}")
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/", "/dashboard/"])
def test_a_filter_form_carries_all_and_the_chosen_owner_only(client, organizations, path):
    MilestoneFactory(owner=organizations)
    html = client.get(f"{path}?owner=digital&lang=en").content.decode()
    select = re.search(r'<select name="owner".*?</select>', html, flags=re.S).group(0)
    assert OPTION.findall(select) == [
        '<option value="">All</option>',
        '<option value="digital" selected>Digital Agency</option>',
    ]
    assert 'data-options="/owners/options/?lang=en"' in select
    unfiltered = client.get(path).content.decode()
    select = re.search(r'<select name="owner".*?</select>', unfiltered, flags=re.S).group(0)
    assert OPTION.findall(select) == ['<option value="">すべて</option>']


def test_the_form_links_to_the_page_of_owners_with_its_own_address(client, organizations):
    html = client.get("/?status=planned&lang=en").content.decode()
    assert 'href="/owners/?next=/%3Fstatus%3Dplanned%26lang%3Den"' in html


def links(html):
    """Return the page of owners' links as {name: href}."""
    found = re.findall(r'<li><a href="([^"]*)">([^<]*)</a></li>', html)
    return {unescape(name): unescape(href) for href, name in found}


def test_the_page_of_owners_links_each_back_to_the_page_filtered_by_it(client, organizations):
    response = client.get("/owners/?next=/dashboard/%3Fstatus%3Dplanned%26owner%3Dold%26page%3D3")
    assert response.status_code == 200
    html = response.content.decode()
    found = links(html)
    # The filters kept; the owner replaced and the page back to the first.
    assert found["千代田区"] == "/dashboard/?status=planned&owner=131016"
    assert found["デジタル庁"] == "/dashboard/?status=planned&owner=digital"
    # Grouped under the ministries, then each prefecture with its municipalities.
    headings = re.findall(r"<h2 id=\"owner-group-\d+\">([^<]*)</h2>", html)
    assert headings == ["府省庁", "北海道", "東京都"]
    assert 'href="/dashboard/?status=planned">' in html  # back without choosing


def test_the_page_of_owners_without_an_address_links_to_the_timeline(client, organizations):
    found = links(client.get("/owners/?lang=en").content.decode())
    assert found["Digital Agency"] == "/?owner=digital"


@pytest.mark.parametrize(
    "address",
    [
        "https://evil.example/?owner=x",
        "//evil.example/",
        "/admin/",
        "/milestones.csv",
        "/no/such/page/",
    ],
)
def test_the_page_of_owners_links_back_only_to_the_timeline_or_the_dashboard(client, address):
    response = client.get("/owners/", {"next": address})
    assert response.status_code == 400
    assert "next" in response.content.decode()


def test_a_new_owner_is_found_from_the_page_of_owners_in_english(client, organizations):
    MilestoneFactory(owner=organizations, title_en="Cloud migration", title_ja="クラウド移行")
    other = MilestoneFactory(title_ja="見えない")
    found = links(client.get("/owners/?next=/%3Flang%3Den&lang=en").content.decode())
    page = client.get(found["Digital Agency"]).content.decode()
    assert "Cloud migration" in page
    assert other.title_ja not in page


def test_without_a_count_of_changes_the_options_carry_no_etag(client, organizations):
    DashboardState.objects.all().delete()
    response = client.get("/owners/options/", headers={"if-none-match": '"owners-1-ja-None"'})
    assert response.status_code == 200
    assert "ETag" not in response
    assert groups(response.content.decode())[0] == ("府省庁", [("digital", "デジタル庁")])
