import math
import smtplib
import threading
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import DatabaseError, connection
from django.utils import timezone

from roadmap.models import Milestone, Notification, SentMark
from roadmap.services import digests
from roadmap.services.digests import FIRST_RETRY, MARK_EVERY, NO_LONGER_APPLIES, send_digests
from roadmap.services.milestones import bulk_set_status, create_milestone, set_status
from roadmap.services.scheduler import queue_notifications
from tests.factories import (
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    NotificationFactory,
    UserFactory,
    UserPreferenceFactory,
)
from tests.smtp import loopback_smtp_server, mail_through

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
THURSDAY = date(2026, 4, 2)
NOW = datetime(2026, 4, 2, 8, 0, tzinfo=TOKYO)
DEADLINE = date(2026, 3, 31)


class MailServer:
    """What the fake mail server does with the next messages: accept or raise."""

    errors: list = []


class ScriptedBackend(LocmemBackend):
    """A locmem backend that first raises the errors MailServer.errors lists, in order."""

    def send_messages(self, messages):
        if MailServer.errors:
            raise MailServer.errors.pop(0)
        return super().send_messages(messages)


class SlowBackend(LocmemBackend):
    """A locmem backend whose server takes a while to accept each message."""

    def send_messages(self, messages):
        time.sleep(0.3)
        return super().send_messages(messages)


@pytest.fixture
def scripted_server(settings):
    settings.EMAIL_BACKEND = "tests.test_services_digests.ScriptedBackend"
    MailServer.errors = []
    yield MailServer
    MailServer.errors = []


def notice(**fields):
    fields.setdefault("next_attempt_at", NOW - timedelta(hours=1))
    return NotificationFactory(**fields)


def send(as_of=THURSDAY, now=NOW):
    return send_digests(as_of=as_of, now=now)


def states():
    return sorted(Notification.objects.values_list("state", flat=True))


# Content -------------------------------------------------------------------------------------


def test_each_recipient_gets_one_digest_listing_all_their_notices_overdue_first():
    user = UserFactory()
    soon = notice(
        user=user,
        kind=Notification.Kind.DUE_SOON,
        lead=7,
        milestone=MilestoneFactory(deadline=date(2026, 4, 8), title_ja="住所データ整備"),
    )
    late = notice(user=user, milestone=MilestoneFactory(title_ja="標準準拠システム移行"))
    notice(user=UserFactory())
    assert send() == {"mails": 2, "notifications": 3, "failed": 0, "deferred": 0, "held": 0}
    [digest] = [m for m in mail.outbox if m.to == [user.email]]
    assert digest.body.index(late.milestone.title_ja) < digest.body.index(soon.milestone.title_ja)
    # The header a mail log is matched with the admin's notices by.
    assert digest.extra_headers["X-Roadmap-Notices"] == f"{late.pk},{soon.pk}"


def test_the_digest_is_in_japanese_unless_the_user_chose_english():
    milestone = MilestoneFactory(title_ja="標準準拠システム移行", title_en="Migrate core systems")
    japanese, english = UserFactory(), UserFactory()
    UserPreferenceFactory(user=english, language="en")
    notice(user=japanese, milestone=milestone)
    notice(user=english, milestone=milestone)
    send()
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "標準準拠システム移行" in by_address[japanese.email].body
    assert "2025年度（令和7年度）" in by_address[japanese.email].body
    assert "期限超過" in by_address[japanese.email].subject
    assert "Migrate core systems" in by_address[english.email].body
    assert "FY2025" in by_address[english.email].body
    assert "2 days overdue" in by_address[english.email].body
    assert "overdue" in by_address[english.email].subject


def test_contact_addresses_get_the_digest_in_japanese():
    notice(user=None, recipient="digital@city.example.lg.jp")
    send()
    [digest] = mail.outbox
    assert digest.to == ["digital@city.example.lg.jp"]
    assert "期限超過" in digest.subject


def test_each_item_shows_deadline_phrase_status_and_an_absolute_link(settings):
    settings.SITE_URL = "https://roadmap.example.go.jp"
    late = notice(user=UserFactory(), milestone=MilestoneFactory(phrase="原則2025年度までに"))
    UserPreferenceFactory(user=late.user, language="en")
    send()
    [digest] = mail.outbox
    assert "2026-03-31 (FY2025)" in digest.body
    assert "原則2025年度までに" in digest.body
    assert "Status: Planned" in digest.body
    url = f"https://roadmap.example.go.jp/milestones/{late.milestone.pk}/"
    assert url in digest.body
    html, mimetype = digest.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{url}"' in html
    assert '<html lang="en">' in html


def test_each_item_links_owners_to_the_milestones_change_form_too(settings):
    settings.SITE_URL = "https://roadmap.example.go.jp"
    late = notice(user=UserFactory())
    send()
    [digest] = mail.outbox
    edit = f"https://roadmap.example.go.jp/admin/roadmap/milestone/{late.milestone.pk}/change/"
    assert edit in digest.body
    assert f'href="{edit}"' in digest.alternatives[0][0]


def test_a_title_with_line_breaks_cannot_reach_the_headers():
    notice(user=UserFactory(), milestone=MilestoneFactory(title_ja="移行\nBcc: x@evil.example"))
    send()
    [digest] = mail.outbox
    assert "\n" not in digest.subject
    assert "Bcc" not in str(digest.message()["Bcc"] or "")
    assert digest.bcc == []


def test_titles_are_escaped_in_the_html_part():
    notice(user=UserFactory(), milestone=MilestoneFactory(title_ja="<script>alert(1)</script>"))
    send()
    html = mail.outbox[0].alternatives[0][0]
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<script>alert(1)</script>" in mail.outbox[0].body


# Delivery ------------------------------------------------------------------------------------


def test_sent_notices_are_marked_and_a_rerun_sends_nothing():
    sent = notice(user=UserFactory())
    send()
    sent.refresh_from_db()
    assert (sent.state, sent.sent_at, sent.attempts) == ("sent", NOW, 1)
    assert send(now=NOW + timedelta(minutes=15))["mails"] == 0
    assert len(mail.outbox) == 1


def test_a_notice_waits_for_its_next_attempt_time():
    notice(user=UserFactory(), next_attempt_at=NOW + timedelta(minutes=5))
    assert send()["mails"] == 0
    assert send(now=NOW + timedelta(minutes=5))["mails"] == 1


@pytest.mark.parametrize(
    "day",
    [date(2026, 11, 21), date(2026, 11, 23), date(2026, 12, 30)],
    ids=["saturday", "labour-thanksgiving-day", "year-end-closure"],
)
def test_digests_wait_for_a_working_day(day):
    waiting = notice(user=UserFactory(), user__email="owner@example.go.jp")
    notice(user=None, recipient="digital@city.example.lg.jp")
    now = datetime.combine(day, NOW.timetz())
    assert send(as_of=day, now=now) == {
        "mails": 0,
        "notifications": 0,
        "failed": 0,
        "deferred": 0,
        "held": 2,
    }
    assert mail.outbox == []
    waiting.refresh_from_db()
    assert waiting.state == "pending"


def test_the_next_working_day_sends_what_waited_over_the_holiday():
    notice(user=UserFactory())
    send(as_of=date(2026, 11, 23), now=datetime(2026, 11, 23, 8, tzinfo=TOKYO))
    assert send(as_of=date(2026, 11, 24), now=datetime(2026, 11, 24, 8, tzinfo=TOKYO)) == {
        "mails": 1,
        "notifications": 1,
        "failed": 0,
        "deferred": 0,
        "held": 0,
    }


def test_a_user_may_receive_digests_on_any_day():
    user = UserFactory()
    UserPreferenceFactory(user=user, working_days_only=False)
    notice(user=user)
    saturday = date(2026, 11, 21)
    assert send(as_of=saturday, now=datetime(2026, 11, 21, 8, tzinfo=TOKYO))["mails"] == 1


def test_without_an_as_of_the_day_is_the_tokyo_date_of_now():
    notice(user=UserFactory())
    # 2026-11-23 08:30 JST is still 2026-11-22 in UTC; the holiday in Tokyo counts.
    assert send_digests(now=datetime(2026, 11, 22, 23, 30, tzinfo=ZoneInfo("UTC")))["held"] == 1


def test_users_who_turned_digests_off_are_not_mailed_what_was_queued_before():
    user = UserFactory()
    queued = notice(user=user)
    UserPreferenceFactory(user=user, digests_enabled=False)
    assert send()["mails"] == 0
    queued.refresh_from_db()
    assert queued.state == "skipped"


def test_a_milestone_done_before_the_digest_goes_out_is_left_out():
    done = notice(user=UserFactory())
    Milestone.objects.filter(pk=done.milestone_id).update(
        status=Milestone.Status.DONE, completed_on=THURSDAY
    )
    assert send()["mails"] == 0
    done.refresh_from_db()
    assert (done.state, done.last_error) == ("skipped", NO_LONGER_APPLIES)


def test_a_temporary_failure_retries_later_with_growing_waits(scripted_server):
    queued = notice(user=UserFactory())
    scripted_server.errors = [
        smtplib.SMTPResponseException(451, b"Try again later"),
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
    ]
    assert send()["deferred"] == 1
    queued.refresh_from_db()
    assert (queued.state, queued.attempts) == ("pending", 1)
    assert queued.next_attempt_at == NOW + FIRST_RETRY
    assert "451" in queued.last_error

    assert send(now=NOW + timedelta(minutes=4))["mails"] == 0
    assert send(now=queued.next_attempt_at)["deferred"] == 1
    queued.refresh_from_db()
    assert queued.attempts == 2
    assert queued.next_attempt_at == NOW + FIRST_RETRY + FIRST_RETRY * 2

    assert send(now=queued.next_attempt_at)["mails"] == 1
    queued.refresh_from_db()
    assert (queued.state, queued.attempts) == ("sent", 3)
    assert len(mail.outbox) == 1


def test_a_connection_that_cannot_be_opened_is_a_temporary_failure(scripted_server):
    queued = notice(user=UserFactory())
    scripted_server.errors = [ConnectionRefusedError(111, "Connection refused")]
    assert send()["deferred"] == 1
    queued.refresh_from_db()
    assert queued.state == "pending"
    assert "Connection refused" in queued.last_error


def test_a_permanent_refusal_marks_the_notices_failed_with_the_reason(scripted_server):
    queued = notice(user=UserFactory())
    scripted_server.errors = [smtplib.SMTPResponseException(550, b"5.1.1 Mailbox unavailable")]
    assert send()["failed"] == 1
    queued.refresh_from_db()
    assert queued.state == "failed"
    assert queued.last_error == "SMTP 550: 5.1.1 Mailbox unavailable"
    assert send(now=NOW + timedelta(days=1))["mails"] == 0


def test_a_failed_notice_sent_again_goes_out_with_the_next_digest(scripted_server):
    queued = notice(user=UserFactory())
    scripted_server.errors = [smtplib.SMTPResponseException(554, b"5.7.1 Relay denied")]
    send()
    # The operator fixes the relay and sends the failed notice again.
    assert Notification.objects.send_again(now=NOW + timedelta(days=1)) == 1
    queued.refresh_from_db()
    assert (queued.state, queued.attempts, queued.last_error) == ("pending", 0, "")

    assert send(now=NOW + timedelta(days=1))["mails"] == 1
    queued.refresh_from_db()
    assert queued.state == "sent"
    assert len(mail.outbox) == 1


def test_sending_again_leaves_sent_and_waiting_notices_alone_and_skips_closed_milestones(
    scripted_server,
):
    refused = notice(user=UserFactory())
    scripted_server.errors = [smtplib.SMTPResponseException(550, b"5.1.1 Mailbox unavailable")]
    send()
    sent = notice(user=UserFactory())
    send()
    waiting = notice(user=UserFactory(), next_attempt_at=NOW + timedelta(days=3))
    Milestone.objects.filter(pk=refused.milestone_id).update(
        status=Milestone.Status.DONE, completed_on=THURSDAY
    )

    assert Notification.objects.send_again(now=NOW + timedelta(days=1)) == 1
    assert send(now=NOW + timedelta(days=1))["mails"] == 0
    refused.refresh_from_db()
    assert (refused.state, refused.last_error) == ("skipped", NO_LONGER_APPLIES)
    assert Notification.objects.get(pk=sent.pk).state == "sent"
    assert Notification.objects.get(pk=waiting.pk).next_attempt_at == NOW + timedelta(days=3)
    assert len(mail.outbox) == 1


def test_a_refused_recipient_is_a_permanent_failure(scripted_server):
    queued = notice(user=UserFactory(), user__email="gone@example.go.jp")
    scripted_server.errors = [
        smtplib.SMTPRecipientsRefused({"gone@example.go.jp": (550, b"No such user")})
    ]
    send()
    queued.refresh_from_db()
    assert queued.state == "failed"
    assert "gone@example.go.jp" in queued.last_error


def test_retries_stop_after_the_allowed_attempts(scripted_server, settings):
    settings.ROADMAP_SEND_ATTEMPTS = 3
    queued = notice(user=UserFactory())
    scripted_server.errors = [smtplib.SMTPResponseException(421, b"Busy")] * 10
    now = NOW
    results = []
    for _ in range(5):
        results.append(send(now=now))
        queued.refresh_from_db()
        now = max(now, queued.next_attempt_at) + timedelta(seconds=1)
    assert [(r["deferred"], r["failed"]) for r in results] == [
        (1, 0),
        (1, 0),
        (0, 1),
        (0, 0),
        (0, 0),
    ]
    assert (queued.state, queued.attempts) == ("failed", 3)
    assert len(scripted_server.errors) == 7


def test_one_recipient_failing_does_not_stop_the_others(scripted_server):
    notice(user=UserFactory(), user__email="a@example.go.jp")
    notice(user=UserFactory(), user__email="b@example.go.jp")
    scripted_server.errors = [smtplib.SMTPResponseException(452, b"Mailbox full")]
    result = send()
    assert (result["mails"], result["deferred"]) == (1, 1)


@pytest.mark.parametrize("per_recipient", [1, 40])
def test_sending_costs_the_same_queries_whatever_the_number_of_notices(
    per_recipient, django_assert_num_queries
):
    for _ in range(3):
        user = UserFactory()
        for _ in range(per_recipient):
            notice(user=user)
    # Fold the marks left by a killed run, skip opted-out, list recipients, (PostgreSQL) lock
    # and unlock the run's key; per batch: savepoint, claim, release, read the claimed; mark the
    # sent, one statement per MARK_EVERY; fold the batch's marks.
    with django_assert_num_queries(run_statements(batches=1, marks=math.ceil(3 / MARK_EVERY))):
        assert send()["notifications"] == 3 * per_recipient


def run_statements(*, batches, marks):
    """Return how many statements a digest run makes with this many batches and marks."""
    run_key = 2 if connection.vendor == "postgresql" else 0
    # PostgreSQL folds the marks with one statement; SQLite with two, in a savepoint here.
    fold = 1 if connection.vendor == "postgresql" else 4
    # PostgreSQL prepares each batch's marking statement and deallocates it as the batch ends.
    prepared = 2 if connection.vendor == "postgresql" else 0
    return fold + 2 + run_key + batches * (4 + fold + prepared) + marks


def test_sent_digests_are_marked_by_one_statement_per_group(django_assert_num_queries):
    recipients = 2 * MARK_EVERY + 5
    for index in range(recipients):
        notice(user=UserFactory(email=f"owner{index}@example.go.jp"))
    marks = math.ceil(recipients / MARK_EVERY)
    with django_assert_num_queries(run_statements(batches=1, marks=marks)):
        assert send()["mails"] == recipients
    assert states() == ["sent"] * recipients
    assert not SentMark.objects.exists()


@pytest.fixture
def smtp_handler(settings):
    with loopback_smtp_server() as server:
        yield mail_through(settings, server)


def test_a_batch_of_digests_goes_out_over_one_connection_to_the_mail_server(smtp_handler):
    three_recipients()
    assert send()["mails"] == 3
    assert sorted(smtp_handler.recipients()) == [f"owner{i}@example.go.jp" for i in range(3)]
    assert len(smtp_handler.connections) == 1


def test_a_refused_digest_does_not_stop_the_others_on_the_same_connection(smtp_handler):
    three_recipients()
    smtp_handler.answer_temporarily_failing(1)
    result = send()
    assert (result["mails"], result["deferred"]) == (2, 1)
    assert len(smtp_handler.recipients()) == 2
    assert states() == ["pending", "sent", "sent"]


def test_the_morning_job_queues_and_sends_in_one_go():
    membership = MembershipFactory()
    MilestoneFactory(owner=membership.organization, deadline=DEADLINE)
    queue_notifications(as_of=THURSDAY)
    assert send_digests(as_of=THURSDAY)["mails"] == 1
    assert mail.outbox[0].to == [membership.user.email]


# No mail per edit ----------------------------------------------------------------------------


def test_creating_and_changing_milestones_sends_no_mail():
    owner = MembershipFactory()
    milestone = create_milestone(
        initiative=InitiativeFactory(),
        owner=owner.organization,
        ref="survey",
        title_ja="調査",
        title_en="Survey",
        phrase="2024年夏までに",
        kind=Milestone.Kind.DEADLINE,
    )
    set_status(milestone=milestone, status=Milestone.Status.IN_PROGRESS, user=owner.user)
    others = MilestoneFactory.create_batch(3, owner=owner.organization)
    bulk_set_status(
        milestones=Milestone.objects.filter(pk__in=[m.pk for m in others]),
        status=Milestone.Status.DONE,
        user=owner.user,
    )
    Milestone.objects.filter(pk=milestone.pk).update(deadline=date(2024, 1, 1))
    assert mail.outbox == []
    assert not Notification.objects.exists()


# Claims --------------------------------------------------------------------------------------


OTHER_RUN = 4242


class DyingBackend(LocmemBackend):
    """A locmem backend whose worker dies after the mail server has accepted one message."""

    def send_messages(self, messages):
        if mail.outbox:
            raise SystemExit("worker killed")
        return super().send_messages(messages)


def three_recipients():
    for index in range(3):
        notice(user=UserFactory(email=f"owner{index}@example.go.jp"))


def test_recipients_beyond_one_batch_are_mailed_by_the_next(monkeypatch):
    monkeypatch.setattr(digests, "CLAIM_BATCH", 2)
    three_recipients()
    assert send()["mails"] == 3
    assert sorted(m.to[0] for m in mail.outbox) == [f"owner{i}@example.go.jp" for i in range(3)]
    assert states() == ["sent"] * 3


def prepared_marks() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM pg_prepared_statements WHERE name LIKE 'roadmap_sent_mark_%%'"
        )
        return [name for (name,) in cursor.fetchall()]


@pytest.mark.postgres
def test_each_batch_marks_through_a_statement_it_prepares_and_leaves_none_prepared(
    monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(digests, "CLAIM_BATCH", 2)
    three_recipients()
    with django_assert_num_queries(run_statements(batches=2, marks=3)) as captured:
        assert send()["mails"] == 3
    statements = [query["sql"].split(" ", 1)[0] for query in captured.captured_queries]
    # One PREPARE and one DEALLOCATE per batch; each digest's mark executes the prepared one.
    assert (statements.count("PREPARE"), statements.count("DEALLOCATE")) == (2, 2)
    assert statements.count("EXECUTE") == 3
    # A worker's session runs batch after batch: none leaves its statement behind.
    assert prepared_marks() == []
    assert states() == ["sent"] * 3


def test_a_claim_held_too_long_is_given_up_and_its_recipients_claimed_again(monkeypatch):
    monkeypatch.setattr(digests, "CLAIM_USE_FOR", timedelta(0))
    three_recipients()
    assert send()["mails"] == 3
    assert len(mail.outbox) == 3
    assert not Notification.objects.filter(claim__isnull=False).exists()


@contextmanager
def live_run(key):
    """Hold ``key`` as a live digest run does (an advisory lock on PostgreSQL)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def test_notices_another_run_is_mailing_are_left_to_it():
    queued = notice()
    Notification.objects.update(claim=OTHER_RUN, claimed_at=timezone.now())
    with live_run(OTHER_RUN):
        assert send()["mails"] == 0
    queued.refresh_from_db()
    assert (queued.state, queued.claim) == ("pending", OTHER_RUN)


def test_the_notices_of_a_run_that_hangs_are_mailed_once_its_claim_expires():
    queued = notice()
    expired = timezone.now() - digests.CLAIM_EXPIRES - timedelta(minutes=1)
    Notification.objects.update(claim=OTHER_RUN, claimed_at=expired)
    with live_run(OTHER_RUN):
        assert send()["mails"] == 1
    queued.refresh_from_db()
    assert (queued.state, queued.claim, queued.claimed_at) == ("sent", None, None)


@pytest.mark.postgres
def test_the_notices_of_a_run_whose_connection_is_gone_are_mailed_at_once():
    queued = notice()
    # A fresh claim whose advisory lock nobody holds: its worker's connection has ended.
    Notification.objects.update(claim=OTHER_RUN, claimed_at=timezone.now())
    assert send()["mails"] == 1
    queued.refresh_from_db()
    assert queued.state == "sent"


def test_a_worker_killed_mid_batch_has_marked_every_digest_it_sent(settings):
    settings.EMAIL_BACKEND = "tests.test_services_digests.DyingBackend"
    three_recipients()
    with pytest.raises(SystemExit):
        send()
    [sent] = mail.outbox
    assert list(Notification.objects.filter(state="sent").values_list("recipient", flat=True)) == (
        sent.to
    )
    # The next run mails the other two, once each: on PostgreSQL at once, since the dead run's
    # lock went with it; elsewhere when its claim has expired.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    if connection.vendor != "postgresql":
        expired = timezone.now() - digests.CLAIM_EXPIRES - timedelta(minutes=1)
        Notification.objects.filter(claim__isnull=False).update(claimed_at=expired)
    assert send()["mails"] == 2
    assert sorted(m.to[0] for m in mail.outbox) == [f"owner{i}@example.go.jp" for i in range(3)]
    assert states() == ["sent"] * 3


def test_a_digest_mailed_by_a_worker_killed_before_marking_it_sent_is_not_mailed_again():
    queued = notice()
    # Killed outright after the mail server took the digest and its mark was written, before
    # the batch's marks were folded: the claim's run is gone and the notice still pending.
    mailed_at = NOW - timedelta(minutes=20)
    expired = timezone.now() - digests.CLAIM_EXPIRES - timedelta(minutes=1)
    Notification.objects.update(claim=OTHER_RUN, claimed_at=expired)
    SentMark.objects.create(notification=queued, sent_at=mailed_at)
    assert send()["mails"] == 0
    assert mail.outbox == []
    queued.refresh_from_db()
    assert (queued.state, queued.sent_at, queued.attempts, queued.claim) == (
        "sent",
        mailed_at,
        1,
        None,
    )
    assert not SentMark.objects.exists()


def test_a_notice_another_run_is_mailing_is_left_to_it_when_its_user_turns_digests_off():
    queued = notice()
    UserPreferenceFactory(user=queued.user, digests_enabled=False)
    Notification.objects.update(claim=OTHER_RUN, claimed_at=timezone.now())
    with live_run(OTHER_RUN):
        send()
    queued.refresh_from_db()
    assert (queued.state, queued.claim) == ("pending", OTHER_RUN)


# Two workers at once -------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_recipient_whose_notices_another_run_is_claiming_is_passed_over_whole():
    for index in range(2):
        user = UserFactory(email=f"owner{index}@example.go.jp")
        for _ in range(3):
            notice(user=user)
    # Another run's claim, mid-transaction, holds the first owner's address.
    with psycopg.connect(**connection.get_connection_params()) as other:
        other.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
            [digests.RECIPIENT_LOCKS, "owner0@example.go.jp"],
        )
        assert send()["notifications"] == 3
        assert [m.to for m in mail.outbox] == [["owner1@example.go.jp"]]
    assert send()["notifications"] == 3
    assert [m.to for m in mail.outbox][1:] == [["owner0@example.go.jp"]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_at_once_mail_each_notice_exactly_once(settings):
    settings.EMAIL_BACKEND = "tests.test_services_digests.SlowBackend"
    for index in range(4):
        user = UserFactory(email=f"owner{index}@example.go.jp")
        for _ in range(3):
            notice(user=user)
    start = threading.Barrier(2)
    results = []

    def worker():
        try:
            start.wait()
            results.append(send())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r["mails"] for r in results) == 4
    assert sum(r["notifications"] for r in results) == 12
    assert sorted(m.to[0] for m in mail.outbox) == [f"owner{i}@example.go.jp" for i in range(4)]
    assert states() == ["sent"] * 12


class MarkingBackend(LocmemBackend):
    """A locmem backend that marks its recipients' notices itself as their digest goes out."""

    def send_messages(self, messages):
        for message in messages:
            for pk in Notification.objects.filter(recipient__in=message.to).values_list("pk"):
                SentMark.objects.create(notification_id=pk[0], sent_at=timezone.now())
        return super().send_messages(messages)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_mark_the_database_refuses_stops_the_run_and_blames_no_other_digest(settings):
    settings.EMAIL_BACKEND = "tests.test_services_digests.MarkingBackend"
    three_recipients()
    # The first digest's notices already carry a mark when the run's own reaches the database,
    # which refuses it: the run stops before the next digest leaves, and blames no digest.
    with pytest.raises(DatabaseError, match="roadmap_sentmark"):
        send()
    assert len(mail.outbox) == 1
    assert states() == ["pending", "pending", "sent"]
    assert not Notification.objects.filter(state="failed").exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send()["mails"] == 2
    assert sorted(m.to[0] for m in mail.outbox) == [f"owner{i}@example.go.jp" for i in range(3)]
    assert states() == ["sent"] * 3
