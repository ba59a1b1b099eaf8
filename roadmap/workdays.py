"""Working days of Japanese government offices: when digests may go out.

The administrative holidays (行政機関の休日に関する法律 §1) are Saturdays, Sundays, national
holidays (国民の祝日, substitute and citizens' holidays included) and the year-end closure
from 29 December to 3 January.
"""

from datetime import date

import holidays

_JAPAN = holidays.country_holidays("JP")


def is_year_end_closure(day: date) -> bool:
    """Return whether ``day`` falls in the 29 December – 3 January closure."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_working_day(day: date) -> bool:
    """Return whether government offices are open on ``day``."""
    return day.weekday() < 5 and day not in _JAPAN and not is_year_end_closure(day)
