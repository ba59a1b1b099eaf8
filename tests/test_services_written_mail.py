import copy
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from roadmap.services.digests import send_digests
from roadmap.services.written_mail import TwoPartMessage
from tests.factories import (
    MilestoneFactory,
    NotificationFactory,
    UserFactory,
    UserPreferenceFactory,
)

NOW = datetime(2026, 4, 2, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
SUBJECT = "【ロードマップ】期限超過 2件、期限間近 1件、目標未達の指標 3件"
TEXT = "標準準拠システム移行\n  期限: 2026-03-31 (2025年度（令和7年度）) – 2日超過\n"
HTML = "<p>標準準拠システム移行 &amp; <strong>住所</strong></p>\n"
# As many notices as a digest may carry: the header is longer than a mail line may be.
NOTICES = ",".join(str(pk) for pk in range(1_000_000, 1_000_500))


def parsed(message):
    """Return the message as a reader's mail program sees it: its bytes, parsed."""
    return message_from_bytes(message.message().as_bytes(), policy=policy.default)


def two_part(cls, subject=SUBJECT, text=TEXT, html=HTML, **fields):
    return cls(
        subject,
        text,
        to=["owner@example.go.jp"],
        headers={"X-Roadmap-Notices": NOTICES},
        alternatives=[(html, "text/html")],
        **fields,
    )


def content(message):
    """Return what a reader sees of a parsed message: headers decoded, both parts' text."""
    return {
        "type": message.get_content_type(),
        # Django's message starts a subject of encoded words on the next line: a space leads it.
        "subject": message["Subject"].lstrip(),
        "from": message["From"],
        "to": message["To"],
        "notices": message["X-Roadmap-Notices"].replace(" ", ""),
        "text": message.get_body(preferencelist=("plain",)).get_content(),
        "html": message.get_body(preferencelist=("html",)).get_content(),
        "parts": [part.get_content_type() for part in message.iter_parts()],
    }


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_digest_is_a_mime_message_whose_subject_parts_and_headers_decode_as_sent(language):
    user = UserFactory(email="owner@example.go.jp")
    UserPreferenceFactory(user=user, language=language)
    milestone = MilestoneFactory(title_ja="標準準拠システム移行", title_en="Migrate core systems")
    NotificationFactory(user=user, milestone=milestone, next_attempt_at=NOW - timedelta(hours=1))
    send_digests(as_of=date(2026, 4, 2), now=NOW)
    [digest] = mail.outbox
    message = parsed(digest)
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == digest.subject
    assert ("期限超過" if language == "ja" else "overdue") in message["Subject"]
    assert message["To"] == "owner@example.go.jp"
    assert message["From"] == digest.from_email
    assert message["X-Roadmap-Notices"] == digest.extra_headers["X-Roadmap-Notices"]
    assert message["Date"] and message["Message-ID"]
    assert message.get_body(preferencelist=("plain",)).get_content() == digest.body
    assert message.get_body(preferencelist=("html",)).get_content() == digest.alternatives[0][0]
    assert milestone.title(language) in message.get_body(preferencelist=("html",)).get_content()


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        (SUBJECT, TEXT),
        ("[Roadmap tracker] 12 overdue, 3 due soon, 2 indicators behind target", "ASCII\n"),
        ("", "no line break at the end"),
        ("Line breaks", "Windows\r\nand old Mac\rline breaks\n"),
    ],
    ids=["japanese", "long-ascii", "empty-subject", "line-breaks"],
)
def test_the_written_message_reads_the_same_as_the_one_django_would_build(subject, text):
    ours = parsed(two_part(TwoPartMessage, subject=subject, text=text))
    djangos = parsed(two_part(EmailMultiAlternatives, subject=subject, text=text))
    assert content(ours) == content(djangos)


def test_a_subject_that_looks_encoded_reads_as_it_was_written():
    subject = "=?utf-8?q?looks_encoded?= but is not"
    assert parsed(two_part(TwoPartMessage, subject=subject))["Subject"] == subject


def test_the_written_message_has_lines_ending_in_crlf_for_smtp_none_too_long():
    data = two_part(TwoPartMessage).message().as_bytes(linesep="\r\n")
    lines = data.split(b"\r\n")
    assert b"\n" not in b"".join(lines)
    assert max(len(line) for line in lines) <= 998
    subject = data[data.index(b"Subject:") : data.index(b"From:")]
    assert max(len(line) for line in subject.split(b"\r\n")) <= 78


def test_headers_are_read_from_the_written_message_as_from_djangos():
    message = two_part(TwoPartMessage).message()
    assert message["Bcc"] is None
    assert message.get_content_type() == "multipart/alternative"
    assert message.as_string().startswith("Content-Type: multipart/alternative;")


@pytest.mark.parametrize(
    "fields",
    [
        {"html": "<p>" + "長い行" * 400 + "</p>"},
        {"attachments": [("a.txt", "text", "text/plain")]},
    ],
    ids=["line-longer-than-998-bytes", "attachment"],
)
def test_a_message_it_cannot_write_is_built_by_django_with_the_same_content(fields):
    ours, djangos = two_part(TwoPartMessage, **fields), two_part(EmailMultiAlternatives, **fields)
    assert type(ours.message()) is type(djangos.message())
    assert content(parsed(ours))["html"] == content(parsed(djangos))["html"]


def test_a_copy_of_the_message_shares_nothing_that_can_change():
    message = two_part(TwoPartMessage)
    kept = copy.deepcopy(message)
    message.to.append("someone@example.go.jp")
    message.extra_headers["X-Roadmap-Notices"] = "1"
    message.alternatives.clear()
    assert kept.to == ["owner@example.go.jp"]
    assert kept.extra_headers == {"X-Roadmap-Notices": NOTICES}
    assert kept.alternatives == [(HTML, "text/html")]
    assert content(parsed(kept)) == content(parsed(two_part(EmailMultiAlternatives)))
