"""A small iCalendar (RFC 5545) writer for the feed: content lines, escaping, folding, CRLF.

The feed writes tens of thousands of events of the same few properties, so each line is built
from its name, parameters and an already formatted value: TEXT values are escaped (backslash,
semicolon, comma, line breaks), every line ends in CRLF, and lines longer than 75 octets are
folded — a CRLF and one space — between characters, never inside a UTF-8 sequence.
"""

from datetime import UTC, date, datetime

LINE_OCTETS = 75
CRLF = b"\r\n"
FOLD = b"\r\n "
TEXT_ESCAPES = str.maketrans({"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n"})


def text(value: str) -> str:
    """Return ``value`` as an iCalendar TEXT value (RFC 5545 §3.3.11)."""
    return value.replace("\r\n", "\n").replace("\r", "\n").translate(TEXT_ESCAPES)


def day(value: date) -> str:
    """Return a DATE value: 20260331."""
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def utc_time(value: datetime) -> str:
    """Return a DATE-TIME value in UTC: 20260331T090000Z."""
    value = value.astimezone(UTC)
    return (
        f"{value.year:04d}{value.month:02d}{value.day:02d}"
        f"T{value.hour:02d}{value.minute:02d}{value.second:02d}Z"
    )


def line(name: str, value: str) -> bytes:
    """Return one content line, ``name:value``, folded at 75 octets and ended with CRLF."""
    data = f"{name}:{value}".encode()
    if len(data) <= LINE_OCTETS:
        return data + CRLF
    return fold(data) + CRLF


def fold(data: bytes) -> bytes:
    """Fold a content line: at most 75 octets per line, the leading space of each continuation
    line counted, breaking only before the first octet of a UTF-8 character."""
    parts, start, limit = [], 0, LINE_OCTETS
    while len(data) - start > limit:
        end = start + limit
        # Continuation octets of a UTF-8 sequence look like 0b10xxxxxx: step back past them.
        while data[end] & 0xC0 == 0x80:
            end -= 1
        parts.append(data[start:end])
        start, limit = end, LINE_OCTETS - 1
    parts.append(data[start:])
    return FOLD.join(parts)


def calendar_header(**properties: str) -> bytes:
    """Return BEGIN:VCALENDAR and the calendar's properties (values already formatted)."""
    lines = [line("BEGIN", "VCALENDAR")]
    lines += [line(name.upper().replace("_", "-"), value) for name, value in properties.items()]
    return b"".join(lines)


CALENDAR_END = line("END", "VCALENDAR")
