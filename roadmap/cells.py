"""One cell of an imported table as what a column needs: text, a date, deadline wording.

Date cells and text dates, including the Japanese eras (令和8年3月31日, R8.3.31), become dates;
numbers come back without a needless .0; a date in a phrase column is written 2026年3月31日 for
roadmap.periods to resolve. Columns are named A1-style, as spreadsheets show them.
"""

import re
import unicodedata
from datetime import date, datetime

from django.utils.translation import gettext

from roadmap.periods import ERA_OFFSETS

# Spreadsheets run cells starting with these as formulas; the CSV export protects them with '.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和"}
_DATE_FORMS = (
    re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日"),
    re.compile(r"(?P<era>令和|平成|昭和)(?P<n>元|\d{1,2})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日"),
    re.compile(r"(?P<era>[RHS])(?P<n>\d{1,2})[./-](?P<m>\d{1,2})[./-](?P<d>\d{1,2})"),
)


def column_letter(index: int) -> str:
    """Return the A1-style letters of the 0-based column ``index``: 0 → A, 27 → AB."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_number(letters: bytes | str) -> int:
    """Return the 1-based number of the column ``letters``: A → 1, AB → 28."""
    number = 0
    for char in letters.decode() if isinstance(letters, bytes) else letters:
        number = number * 26 + ord(char) - 64
    return number


def cell_text(value, *, csv: bool = False) -> str:
    """Return a cell as text: numbers without a needless .0, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if csv and text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        # The tracker's own CSV export writes such cells with ' so spreadsheets keep them text.
        return text[1:]
    return text


def cell_date(value) -> date | None:
    """Return a date cell or a text date as a date; raise ValueError saying what is expected."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text:
        return None
    day = parse_short_date(text)
    if day is None:
        raise ValueError(
            gettext(
                "%(text)s is not a date: write it as a date cell, 2026-03-31, 2026/3/31, "
                "令和8年3月31日 or R8.3.31."
            )
            % {"text": repr(text)}
        )
    return day


def parse_short_date(text: str) -> date | None:
    """Return the day a text such as 2026/3/31, 令和8年3月31日 or R8.3.31 names, else None."""
    text = unicodedata.normalize("NFKC", text).strip().upper().replace(" ", "")
    for form in _DATE_FORMS:
        if m := form.fullmatch(text):
            break
    else:
        return None
    year = int(m["y"]) if "y" in form.groupindex else _era_year(m["era"], m["n"])
    try:
        return date(year, int(m["m"]), int(m["d"]))
    except ValueError:
        message = gettext("%(text)s is not a day of the calendar.") % {"text": repr(text)}
        raise ValueError(message) from None


def _era_year(era: str, number: str) -> int:
    era = ERA_LETTERS.get(era, era)
    return ERA_OFFSETS[era] + (1 if number == "元" else int(number))


def japanese_date(day: date) -> str:
    """Return ``day`` the way deadline wording writes it: 2026年3月31日."""
    return f"{day.year}年{day.month}月{day.day}日"
