import re
from datetime import date

from django.template.loader import render_to_string

from roadmap.models import Milestone
from roadmap.timeline import MAX_YEARS, WIDTH, Axis, group_rows


def milestone(start=None, end=None, deadline=None, soft=False):
    """Return an unsaved milestone with the given window."""
    return Milestone(
        window_start=start, window_end=end, deadline=deadline or end or start, soft=soft
    )


def test_axis_covers_whole_fiscal_years_of_windows_and_today():
    axis = Axis.covering([milestone(date(2025, 4, 1), date(2026, 3, 31))], date(2024, 7, 1))
    assert (axis.start, axis.end) == (date(2024, 4, 1), date(2026, 3, 31))


def test_axis_is_capped_at_the_maximum_number_of_years():
    axis = Axis.covering([milestone(end=date(2060, 3, 31))], date(2024, 7, 1))
    assert axis.last_year - axis.first_year + 1 == MAX_YEARS


def test_band_of_a_fiscal_year_window_fills_its_year_on_the_axis():
    axis = Axis(2024, 2025, date(2024, 7, 1))
    band = axis.band(milestone(date(2025, 4, 1), date(2026, 3, 31)))
    year = axis.year(2025)
    assert (band.x, band.width) == (year.x, year.width)
    assert band.right == WIDTH


def test_band_open_at_the_start_runs_from_the_axis_edge():
    axis = Axis(2024, 2025, date(2024, 7, 1))
    band = axis.band(milestone(end=date(2025, 3, 31)))
    assert (band.x, band.open_start, band.open_end) == (0, True, False)
    assert band.right == axis.year(2025).x


def test_band_open_at_the_end_runs_to_the_axis_edge():
    axis = Axis(2024, 2025, date(2024, 7, 1))
    band = axis.band(milestone(start=date(2025, 4, 1)))
    assert (band.right, band.open_end) == (WIDTH, True)
    assert "band-open" in band.css_class


def test_open_window_has_no_band():
    assert Axis(2024, 2025, date(2024, 7, 1)).band(milestone()) is None


def test_today_marker_sits_at_todays_position_and_vanishes_off_the_axis():
    axis = Axis(2024, 2024, date(2024, 10, 1))
    assert 0 < axis.today_x < WIDTH
    assert axis.today_x == axis.x(date(2024, 10, 1))
    assert Axis(2030, 2031, date(2024, 10, 1)).today_x is None


def test_today_marker_in_the_axis_header_starts_below_the_year_labels():
    # Today in the middle of FY2026 puts the marker right on that year's label.
    axis = Axis(2024, 2026, date(2026, 10, 1))
    svg = render_to_string("roadmap/includes/axis.html", {"axis": axis})
    labels = re.findall(r'<text class="axis-label" x="([\d.]+)" y="([\d.]+)"', svg)
    marker = re.search(r'<line class="today" x1="([\d.]+)" x2="[\d.]+" y1="([\d.]+)"', svg)
    assert abs(float(labels[-1][0]) - float(marker[1])) < 60
    assert float(marker[2]) > max(float(y) for _, y in labels)
    assert "style" not in svg


def test_soft_target_band_is_marked():
    band = Axis(2024, 2024, date(2024, 7, 1)).band(milestone(end=date(2024, 8, 31), soft=True))
    assert "band-soft" in band.css_class


def test_rows_are_grouped_by_fiscal_year_then_quarter_with_open_last():
    rows = [
        milestone(end=date(2025, 3, 31)),
        milestone(end=date(2025, 4, 10)),
        milestone(end=date(2025, 6, 30)),
        milestone(end=date(2026, 1, 31)),
        milestone(),
    ]
    groups = group_rows(rows, Axis(2024, 2025, date(2024, 7, 1)))
    shape = [(g.fiscal_year, [(q.quarter, len(q.rows)) for q in g.quarters]) for g in groups]
    assert shape == [(2024, [(4, 1)]), (2025, [(1, 2), (4, 1)]), (None, [(None, 1)])]
