"""The hand-written iCalendar writer: escaping, folding, CRLF, and what a parser reads back."""

from datetime import UTC, date, datetime

import pytest
from icalendar import Calendar

from roadmap import ical
from roadmap.models import Milestone
from tests.factories import MilestoneFactory

TRICKY = "住民記録; 税務, 福祉\\基幹\n第2段階\r\n（移行）" + "標準準拠システムへの移行" * 8


def test_text_values_escape_backslashes_separators_and_line_breaks():
    assert ical.text("a\\b;c,d\ne\r\nf\rg:h") == "a\\\\b\\;c\\,d\\ne\\nf\\ng:h"


@pytest.mark.parametrize("value", ["a" * 200, "あ" * 100, "a" + "漢" * 60, "é" * 80 + "x"])
def test_long_lines_are_folded_at_75_octets_between_characters(value):
    folded = ical.line("SUMMARY", value)
    assert folded.endswith(b"\r\n")
    lines = folded[:-2].split(b"\r\n")
    assert all(len(part) <= 75 for part in lines)
    assert all(part.startswith(b" ") for part in lines[1:])
    # Every physical line is valid UTF-8 on its own: no character was cut in two.
    for part in lines:
        part.decode()
    assert b"".join([lines[0], *(part[1:] for part in lines[1:])]) == f"SUMMARY:{value}".encode()


def test_a_line_of_exactly_75_octets_is_not_folded():
    assert ical.line("X", "a" * 73) == b"X:" + b"a" * 73 + b"\r\n"


def test_dates_and_times_are_written_in_their_basic_forms():
    assert ical.day(date(2026, 3, 31)) == "20260331"
    assert ical.utc_time(datetime(2026, 3, 31, 9, 5, 7, tzinfo=UTC)) == "20260331T090507Z"


@pytest.mark.django_db
def test_the_feed_parses_back_to_what_the_milestone_says(client):
    milestone = MilestoneFactory(
        title_ja=TRICKY,
        phrase="原則2025年度までに",
        precision=Milestone.Precision.FISCAL_YEAR,
        window_start=date(2025, 4, 1),
        window_end=date(2026, 3, 31),
        deadline=date(2026, 3, 31),
    )
    response = client.get("/milestones.ics")
    data = b"".join(response.streaming_content)
    # CRLF everywhere, no bare line feed, and no line longer than 75 octets.
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert all(len(part) <= 75 for part in data.split(b"\r\n"))
    calendar = Calendar.from_ical(data)
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == TRICKY.replace("\r\n", "\n")
    assert event.decoded("DTSTART") == date(2025, 4, 1)
    assert event.decoded("DTEND") == date(2026, 4, 1)
    assert int(event["SEQUENCE"]) == milestone.version - 1
    assert event.decoded("DTSTAMP") == milestone.updated_at.astimezone(UTC).replace(microsecond=0)
    description = str(event["DESCRIPTION"]).split("\n")
    assert description[0] == "期限の表現：原則2025年度までに"
    assert description[-1] == str(event["URL"])
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert str(calendar["PRODID"]) == "-//roadmap-tracker//重点計画//JA"
    assert not calendar.errors and not event.errors
