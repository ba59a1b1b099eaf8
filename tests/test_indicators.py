"""The one grading rule of indicators: progress towards the target against time elapsed."""

from datetime import date
from decimal import Decimal

from roadmap.indicators import Grade, Point, grade

BASELINE = Point(date(2024, 4, 1), Decimal(100))
TARGET, TARGET_ON = Decimal(200), date(2026, 4, 1)
HALFWAY = date(2025, 4, 1)


def graded(
    *measurements, baseline=BASELINE, target=TARGET, target_on=TARGET_ON, down=False, as_of=HALFWAY
):
    return grade(
        baseline=baseline,
        target=target,
        target_on=target_on,
        lower_is_better=down,
        measurements=[Point(day, Decimal(value)) for day, value in measurements],
        as_of=as_of,
    )


def test_without_a_measurement_since_the_baseline_it_is_not_yet_measurable():
    reading = graded((date(2024, 4, 1), 150), (date(2023, 1, 1), 180))
    assert (reading.grade, reading.latest) == (Grade.NOT_YET_MEASURABLE, None)


def test_progress_at_least_the_elapsed_share_is_on_track():
    reading = graded((date(2025, 3, 1), 151))
    assert reading.grade == Grade.ON_TRACK
    assert reading.progress == Decimal("0.51")
    assert reading.elapsed == Decimal(365) / Decimal(730)


def test_progress_short_of_the_elapsed_share_is_behind():
    assert graded((date(2025, 3, 1), 149)).grade == Grade.BEHIND


def test_the_latest_measurement_counts_not_the_best():
    assert graded((date(2024, 10, 1), 180), (date(2025, 3, 1), 120)).grade == Grade.BEHIND


def test_reaching_the_target_is_achieved_whatever_the_date():
    assert graded((date(2024, 5, 1), 200)).grade == Grade.ACHIEVED


def test_lower_is_better_indicators_move_down_to_their_target():
    falling = {"baseline": Point(date(2024, 4, 1), Decimal(50)), "target": Decimal(10)}
    assert graded((date(2025, 3, 1), 25), down=True, **falling).grade == Grade.ON_TRACK
    assert graded((date(2025, 3, 1), 35), down=True, **falling).grade == Grade.BEHIND
    assert graded((date(2025, 3, 1), 9), down=True, **falling).grade == Grade.ACHIEVED


def test_measurements_after_the_day_graded_are_not_known_yet():
    reading = graded((date(2025, 3, 1), 120), (date(2025, 6, 1), 200))
    assert (reading.grade, reading.latest.on) == (Grade.BEHIND, date(2025, 3, 1))


def test_after_the_target_date_all_the_time_is_gone():
    reading = graded((date(2026, 5, 1), 199), as_of=date(2026, 6, 1))
    assert (reading.grade, reading.elapsed) == (Grade.BEHIND, 1)


def test_without_a_baseline_or_a_target_date_time_cannot_be_measured():
    assert graded((date(2025, 3, 1), 120), baseline=None).grade == Grade.NOT_YET_MEASURABLE
    assert graded((date(2025, 3, 1), 120), target_on=None).grade == Grade.NOT_YET_MEASURABLE
    assert graded((date(2025, 3, 1), 250), baseline=None).grade == Grade.ACHIEVED
