from datetime import date

import pytest
from django.test import RequestFactory

from roadmap.filters import (
    MAX_QUERY_LENGTH,
    BadQuery,
    filter_milestones,
    paginate,
    positive_integer,
)
from roadmap.models import Milestone
from tests.factories import InitiativeFactory, MilestoneFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def refs(query):
    """Return the refs of the milestones the query string selects."""
    request = RequestFactory().get(f"/?{query}")
    selected = filter_milestones(request, Milestone.objects.all()).qs
    return sorted(selected.values_list("ref", flat=True))


def refused(query):
    """Return the sentences with which the query string is refused."""
    request = RequestFactory().get(f"/?{query}")
    with pytest.raises(BadQuery) as caught:
        filter_milestones(request, Milestone.objects.all())
    return " ".join(caught.value.problems)


def test_owner_filter_keeps_only_that_organizations_milestones():
    MilestoneFactory(ref="mine", owner=OrganizationFactory(code="digital"))
    MilestoneFactory(ref="theirs", owner=OrganizationFactory(code="mic"))
    assert refs("owner=digital") == ["mine"]


def test_area_filter_includes_initiatives_below_it_but_not_lookalike_numbers():
    for number in ("5", "5.1", "5.1.4", "50.1", "6"):
        ref = f"i{number}".replace(".", "-")
        MilestoneFactory(ref=ref, initiative=InitiativeFactory(number=number))
    assert refs("area=5") == ["i5", "i5-1", "i5-1-4"]


def test_status_filter():
    MilestoneFactory(ref="done", status=Milestone.Status.DONE, completed_on=date(2025, 1, 1))
    MilestoneFactory(ref="planned")
    assert refs("status=done") == ["done"]


def test_fiscal_year_filter_runs_from_april_to_march():
    MilestoneFactory(ref="fy2025-last-day", deadline=date(2026, 3, 31))
    MilestoneFactory(ref="fy2025-first-day", deadline=date(2025, 4, 1))
    MilestoneFactory(ref="fy2024", deadline=date(2025, 3, 31))
    assert refs("fy=2025") == ["fy2025-first-day", "fy2025-last-day"]


def test_overdue_filter_yes_and_no():
    MilestoneFactory(ref="late", overdue_since=date(2025, 4, 1))
    MilestoneFactory(ref="fine")
    assert (refs("overdue=yes"), refs("overdue=no")) == (["late"], ["fine"])


def test_precision_filter():
    MilestoneFactory(ref="day", precision=Milestone.Precision.DAY)
    MilestoneFactory(ref="fy")
    assert refs("precision=day") == ["day"]


def test_text_search_looks_in_titles_phrase_reference_and_source_wording():
    MilestoneFactory(ref="a", title_en="Address base registry")
    MilestoneFactory(ref="b", phrase="2024年夏まで")
    MilestoneFactory(ref="c-gbiz")
    MilestoneFactory(ref="d", source_text="防災デジタルプラットフォームを構築")
    MilestoneFactory(ref="z")
    assert refs("q=address") == ["a"]
    assert refs("q=夏") == ["b"]
    assert refs("q=GBIZ") == ["c-gbiz"]
    assert refs("q=防災") == ["d"]


def test_filters_combine():
    owner = OrganizationFactory(code="digital")
    MilestoneFactory(ref="both", owner=owner, status=Milestone.Status.IN_PROGRESS)
    MilestoneFactory(ref="owner-only", owner=owner)
    assert refs("owner=digital&status=in_progress") == ["both"]


def test_empty_values_mean_no_filter():
    MilestoneFactory(ref="a")
    assert refs("owner=&status=&fy=&q=") == ["a"]


def test_unknown_status_is_refused_naming_the_filter_and_value():
    message = refused("status=finished")
    assert "status=finished" in message
    assert "Status" in message or "状態" in message


def test_unknown_owner_code_is_refused():
    assert "owner=nobody" in refused("owner=nobody")


def test_malformed_area_is_refused():
    assert "area=five" in refused("area=five")


@pytest.mark.parametrize("value", ["20x5", "2025.5", "1800", "99999999999999999999"])
def test_malformed_or_impossible_fiscal_year_is_refused(value):
    assert f"fy={value}" in refused(f"fy={value}")


def test_overlong_search_text_is_refused():
    assert "q=" in refused("q=" + "a" * 201)


def test_null_character_in_search_text_is_refused():
    assert "q=" in refused("q=a%00b")


def test_misspelt_filter_name_is_refused_not_ignored():
    message = refused("stauts=done")
    assert "stauts" in message
    assert "status" in message


def test_paging_and_language_parameters_are_not_unknown():
    MilestoneFactory(ref="a")
    assert refs("page=1&page_size=10&lang=en") == ["a"]


def test_overlong_query_string_is_refused():
    message = refused("q=" + "a" * MAX_QUERY_LENGTH)
    assert str(MAX_QUERY_LENGTH) in message


def test_query_that_is_not_utf8_is_refused():
    assert "UTF-8" in refused("q=%FF%FE")


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "1.5", "１"])
def test_page_must_be_a_whole_number_from_one(raw):
    request = RequestFactory().get("/", {"page": raw})
    with pytest.raises(BadQuery) as caught:
        positive_integer(request, "page", 1)
    assert raw in caught.value.problems[0]


def test_page_size_above_maximum_is_refused():
    request = RequestFactory().get("/", {"page_size": "501"})
    with pytest.raises(BadQuery) as caught:
        positive_integer(request, "page_size", 100, maximum=500)
    assert "500" in caught.value.problems[0]


def test_page_past_the_last_is_not_found_with_the_last_page_named():
    from roadmap.filters import PageNotFound

    MilestoneFactory.create_batch(3)
    request = RequestFactory().get("/", {"page": "99999999999999999999"})
    with pytest.raises(PageNotFound) as caught:
        paginate(request, Milestone.objects.order_by("pk"), 2)
    assert "2" in str(caught.value)


def test_a_refused_parameter_is_answered_with_every_parameter_the_address_reads(client):
    response = client.get("/", {"nosuch": "1", "lang": "en"})
    message = response.content.decode()
    assert response.status_code == 400
    assert "Unknown parameter nosuch: this address reads owner, area, status, fy," in message
    assert "q, baseline, group, lang, page, page_size, scale, view." in message
