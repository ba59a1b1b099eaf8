"""A text and HTML e-mail written out by string formatting rather than by the ``email`` package.

``EmailMultiAlternatives.message()`` builds a tree of ``email`` objects, one header at a time,
which the backend then flattens with a generator: a third of a millisecond for a digest, which
is more than the rest of the digest costs. ``TwoPartMessage`` writes the same MIME message as
Django does — multipart/alternative, a text/plain and a text/html part in UTF-8 sent as 8bit (7bit
when ASCII), the subject in RFC 2047 encoded words, long headers folded — by filling in a few
strings. It keeps every field of an ``EmailMultiAlternatives``, so the backends and whatever
reads ``mail.outbox`` see the message they always saw. Any other message (attachments, another
alternative, a non-ASCII address or header, a line longer than RFC 5322 allows) is built by
Django as before.
"""

import copy
import random
import re
import sys
from base64 import b64encode
from email import message_from_bytes
from email.utils import formatdate, make_msgid
from functools import cached_property, lru_cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME

# RFC 5322: a line should fit in 78 characters and must fit in 998 bytes.
FOLD_AT = 78
LONGEST_LINE = 998
# UTF-8 bytes per encoded word: 52 base64 characters, so "Subject: " and a word fit in 76.
WORD_BYTES = 39
# The headers Django writes from the message's own fields unless extra headers replace them.
OWN_HEADERS = {"from", "to", "cc", "reply-to", "date", "message-id"}
_LINE_BREAKS = re.compile(r"\r\n|\r")
# Where a header may be folded: before a space, or after a comma in a list without spaces.
_SPACES = re.compile(r"(?= )")
_COMMAS = re.compile(r"(?<=,)")


class TwoPartMessage(EmailMultiAlternatives):
    """An ``EmailMultiAlternatives`` of a text body and one HTML alternative, written fast."""

    def message(self):
        bodies = self._bodies()
        if bodies is None:
            return super().message()
        headers = self._headers()
        if headers is None:
            return super().message()
        text, html = bodies
        boundary = _boundary(text, html)
        return WrittenMessage(
            f'Content-Type: multipart/alternative;\n boundary="{boundary}"\nMIME-Version: 1.0\n'
            f"{headers}\n"
            f"--{boundary}\n{_part('plain', text)}\n"
            f"--{boundary}\n{_part('html', html)}\n"
            f"--{boundary}--\n"
        )

    def __deepcopy__(self, memo):
        # The locmem backend copies every message it keeps. Strings, and tuples of them, need
        # no copy: a list or dict of only those is copied as a container, anything else deeply.
        copied = object.__new__(type(self))
        memo[id(self)] = copied
        for name, value in vars(self).items():
            if isinstance(value, list | dict) and _of_strings(value):
                value = value.copy()
            elif not isinstance(value, str):
                value = copy.deepcopy(value, memo)
            setattr(copied, name, value)
        return copied

    def _bodies(self) -> tuple[str, str] | None:
        """Return the text and HTML bodies, or None if Django must write this message."""
        if self.attachments or len(self.alternatives) != 1 or not self.body:
            return None
        html, mimetype = self.alternatives[0]
        charset = (self.encoding or settings.DEFAULT_CHARSET).lower()
        if mimetype != "text/html" or self.content_subtype != "plain" or charset != "utf-8":
            return None
        bodies = tuple(_LINE_BREAKS.sub("\n", str(body)) for body in (self.body, html))
        if any(max(map(len, body.encode().split(b"\n"))) > LONGEST_LINE for body in bodies):
            return None
        return bodies

    def _headers(self) -> str | None:
        """Return the message's headers written out, or None if Django must write them."""
        extra = self.extra_headers
        if any(name.lower() in OWN_HEADERS for name in extra):
            return None
        headers = [("From", self.from_email)]
        for name, addresses in (("To", self.to), ("Cc", self.cc), ("Reply-To", self.reply_to)):
            if addresses:
                headers.append((name, ", ".join(map(str, addresses))))
        headers.append(("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)))
        headers.append(("Message-ID", make_msgid(domain=DNS_NAME)))
        headers.extend(extra.items())
        headers = [(str(name), str(value)) for name, value in headers]
        subject = str(self.subject)
        # Django refuses a line break in a header, and encodes a header that is not ASCII.
        if _breaks_line(subject) or any(
            _breaks_line(value) or not (name + value).isascii() for name, value in headers
        ):
            return None
        lines = [subject_header(subject)]
        lines.extend(folded(f"{name}: {value}") for name, value in headers)
        return "\n".join(lines) + "\n"


class WrittenMessage:
    """A message already written out: bytes for the backends, a parsed ``Message`` for the rest.

    ``as_bytes()`` and ``as_string()`` take the arguments of Django's MIME messages; any other
    attribute (headers, parts, payloads) is read from the message parsed from those bytes, once.
    """

    def __init__(self, text: str):
        # Lines end with "\n"; as_bytes() and as_string() give them the ending asked for.
        self.text = text

    def as_string(self, unixfrom=False, linesep="\n") -> str:
        if unixfrom:
            return self.parsed.as_string(unixfrom=True)
        return self.text if linesep == "\n" else self.text.replace("\n", linesep)

    def as_bytes(self, unixfrom=False, linesep="\n") -> bytes:
        if unixfrom:
            return self.parsed.as_bytes(unixfrom=True)
        return self.as_string(linesep=linesep).encode()

    @cached_property
    def parsed(self):
        return message_from_bytes(self.text.encode())

    def __getattr__(self, name):
        # Only for what the message's own attributes lack, never for the protocols of copy
        # and pickle, nor while it is being made.
        if name.startswith("__") or name in {"text", "parsed"}:
            raise AttributeError(name)
        return getattr(self.parsed, name)

    def __getitem__(self, name):
        return self.parsed[name]

    def __contains__(self, name) -> bool:
        return name in self.parsed

    def __iter__(self):
        return iter(self.parsed)

    def __len__(self) -> int:
        return len(self.parsed)

    def __str__(self) -> str:
        return self.text


def _of_strings(container: list | dict) -> bool:
    """Return whether the container holds only strings and tuples of strings."""
    items = container.items() if isinstance(container, dict) else container
    return all(
        isinstance(item, str)
        or (isinstance(item, tuple) and all(isinstance(i, str) for i in item))
        for item in items
    )


def _breaks_line(value: str) -> bool:
    return "\n" in value or "\r" in value


def _part(subtype: str, body: str) -> str:
    encoding = "7bit" if body.isascii() else "8bit"
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\nMIME-Version: 1.0\n'
        f"Content-Transfer-Encoding: {encoding}\n\n{body}"
    )


def _boundary(*bodies: str) -> str:
    """Return a multipart boundary that no body contains, as the ``email`` package does."""
    while True:
        boundary = f"==============={random.randrange(sys.maxsize):019d}=="
        if not any(boundary in body for body in bodies):
            return boundary


@lru_cache(maxsize=256)
def subject_header(subject: str) -> str:
    """Return the Subject header line(s): ASCII as it is, anything else as RFC 2047 words."""
    if subject.isascii() and "=?" not in subject:
        return folded(f"Subject: {subject}")
    words, word = [], b""
    for char in subject:
        encoded = char.encode()
        if len(word) + len(encoded) > WORD_BYTES:
            words.append(word)
            word = b""
        word += encoded
    words.append(word)
    return "Subject: " + "\n ".join(f"=?utf-8?b?{b64encode(w).decode()}?=" for w in words)


def folded(line: str) -> str:
    """Return a header line folded before spaces to fit in 78 characters.

    A line with no space to fold at that would still pass the 998 characters RFC 5322 allows (a
    long list of ids) is folded after commas too, which puts a space after those commas.
    """
    lines = _packed(line, _SPACES, FOLD_AT)
    return "\n".join(
        "\n".join(_packed(each, _COMMAS, LONGEST_LINE)) if len(each) > LONGEST_LINE else each
        for each in lines
    )


def _packed(line: str, breaks: re.Pattern, width: int) -> list[str]:
    """Return ``line`` cut where ``breaks`` match into lines of at most ``width`` if they can."""
    if len(line) <= width:
        return [line]
    lines, current = [], ""
    for piece in breaks.split(line):
        if current and len(current) + len(piece) > width:
            lines.append(current)
            # A fold is a line break before white space: one is added where the line has none.
            current = piece if piece.startswith(" ") else " " + piece
        else:
            current += piece
    lines.append(current)
    return lines
