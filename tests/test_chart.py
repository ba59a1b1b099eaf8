from datetime import date

import pytest
from django.utils import translation

from roadmap import chart
from roadmap.models import Milestone
from roadmap.views.pages import INITIATIVE_ORDER
from tests.factories import InitiativeFactory, MilestoneFactory, OrganizationFactory

TODAY = date(2026, 6, 1)


def milestone(**fields):
    """Return an unsaved milestone due at the end of FY2025 unless told otherwise."""
    values = {
        "window_start": None,
        "window_end": date(2026, 3, 31),
        "deadline": date(2026, 3, 31),
        "precision": Milestone.Precision.FISCAL_YEAR,
        "kind": Milestone.Kind.DEADLINE,
        "ref": "m",
    }
    return Milestone(**{**values, **fields})


@pytest.mark.parametrize(("scale", "per_year"), [("fy", 1), ("quarter", 4), ("month", 12)])
def test_axis_is_divided_into_years_quarters_or_months(scale, per_year):
    axis = chart.chart_axis([milestone()], TODAY, scale)
    ticks = chart.ticks(axis, scale, "ja")
    years = axis.last_year - axis.first_year + 1
    assert len(ticks) == years * per_year
    assert sum(tick.year_start for tick in ticks) == years


def test_zooming_in_widens_the_chart():
    late = milestone(window_end=date(2031, 3, 31), deadline=date(2031, 3, 31))
    widths = [chart.chart_axis([late], TODAY, s).width for s in ("fy", "quarter", "month")]
    assert widths[0] < widths[1] < widths[2]


def test_month_ticks_start_with_april_and_are_written_in_the_language():
    axis = chart.chart_axis([milestone()], TODAY, "month")
    labels = [tick.label for tick in chart.ticks(axis, "month", "ja")[:3]]
    assert labels == ["4月", "5月", "6月"]
    assert chart.ticks(axis, "quarter", "en")[1].label == "Q2"


def test_a_dated_event_belongs_to_its_date_not_to_no_deadline():
    event = milestone(
        kind=Milestone.Kind.EVENT,
        deadline=None,
        window_start=date(2024, 4, 1),
        window_end=date(2024, 4, 30),
        precision=Milestone.Precision.MONTH,
    )
    assert event.timeline_day == date(2024, 4, 1)
    assert chart.group_key("fy")(event) == 2024


@pytest.mark.django_db
def test_band_name_says_owner_deadline_and_overdue_in_words():
    overdue = MilestoneFactory(
        title_ja="ベース・レジストリ",
        owner=OrganizationFactory(name_ja="デジタル庁"),
        overdue_since=date(2026, 4, 1),
    )
    with translation.override("ja"):
        name = chart.band_name(overdue, "ja")
    assert name == "ベース・レジストリ — デジタル庁 · 2025年度末 · 期限超過"


@pytest.mark.django_db
def test_band_name_in_english_gives_the_status_when_not_overdue():
    planned = MilestoneFactory(
        title_en="Base registry", owner=OrganizationFactory(name_en="Digital Agency")
    )
    with translation.override("en"):
        assert chart.band_name(planned, "en") == (
            "Base registry — Digital Agency · end of FY2025 · Planned"
        )


@pytest.mark.django_db
def test_rows_grouped_by_initiative_keep_the_pages_initiative_order():
    first, second = InitiativeFactory(number="1"), InitiativeFactory(number="2")
    made = [
        MilestoneFactory(initiative=first, deadline=date(2027, 3, 31)),
        MilestoneFactory(initiative=first, deadline=date(2025, 3, 31)),
        MilestoneFactory(initiative=second, deadline=date(2024, 6, 30)),
    ]
    # The timeline's order when grouped by initiative: initiative, then day.
    rows = list(Milestone.objects.order_by(*INITIATIVE_ORDER))
    axis = chart.chart_axis(rows, TODAY, "fy")
    groups = chart.chart_groups(rows, axis, "initiative", "ja")
    assert [group.key for group in groups] == [first, second]
    assert [row.milestone for row in groups[0].rows] == [made[1], made[0]]
    assert groups[0].label == f"1 {first.title_ja}"
