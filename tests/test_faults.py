"""Faults of the real services: a killed worker, Redis stopped or flushed, two beats, a mail
server that refuses. Each test runs the processes the deployment runs and checks what people
would notice: mail lost, mail repeated, a save refused.
"""

import signal
import time
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis
from celery import Celery
from django.test import Client
from django.urls import reverse
from django.utils import translation

from roadmap.models import Milestone, Notification
from roadmap.services.digests import send_digests
from tests.factories import (
    MembershipFactory,
    MilestoneFactory,
    NotificationFactory,
    UserFactory,
    UserPreferenceFactory,
)
from tests.smtp import loopback_smtp_server, mail_through

pytestmark = pytest.mark.django_db

TIMEOUT = 120
TOKYO = ZoneInfo("Asia/Tokyo")
# A Thursday, a working day: digests go out.
NOW = datetime(2026, 4, 2, 8, 0, tzinfo=TOKYO)
PASSED = date(2026, 3, 31)


def eventually(check, *processes, timeout=TIMEOUT, what="the condition"):
    """Wait until ``check()`` is true while every process stays up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        for process in processes:
            assert process.process.poll() is None, process.output()
        time.sleep(0.2)
    logs = "\n".join(process.output() for process in processes)
    raise AssertionError(f"{what} never came true in {timeout}s; logs:\n{logs}")


def publish(broker_url, *task_names):
    """Send tasks through ``broker_url`` (named explicitly: CELERY_BROKER_URL would win)."""
    app = Celery("tests", set_as_current=False)
    with app.connection_for_write(broker_url) as connection:
        for name in task_names:
            app.send_task(name, connection=connection)


def owner(address):
    """Return an owner who is mailed on any day, with the organization they own."""
    membership = MembershipFactory(user__email=address)
    UserPreferenceFactory(user=membership.user, working_days_only=False)
    return membership


def queued_notice(address):
    """Queue one overdue notice to a user who is mailed on any day."""
    user = UserFactory(email=address)
    UserPreferenceFactory(user=user, working_days_only=False)
    return NotificationFactory(user=user, next_attempt_at=NOW - timedelta(hours=1))


@pytest.fixture
def smtp_server():
    with loopback_smtp_server() as server:
        yield server


@pytest.fixture
def smtp_handler(settings, smtp_server):
    """Mail from this process through the loopback SMTP server."""
    return mail_through(settings, smtp_server)


def sent():
    return Notification.objects.filter(state=Notification.State.SENT).count()


# 1. A worker killed in the middle of the digests --------------------------------------------

RECIPIENTS = 24


# PostgreSQL: the dead worker's claim is released with its connection. On SQLite it expires
# after CLAIM_EXPIRES (15 minutes), as docs/operations.md says.
@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_mailing_leaves_nothing_unsent_and_repeats_at_most_one_mail(
    celery_processes, redis_url, smtp_server
):
    addresses = [f"owner{i:02d}@example.go.jp" for i in range(RECIPIENTS)]
    for address in addresses:
        queued_notice(address)
    # Each message takes the mail server a while, so the kill lands in the middle of the run.
    smtp_server.handler.delay = 0.3
    first = celery_processes(
        "worker",
        "--concurrency=1",
        "--loglevel=INFO",
        broker_url=redis_url,
        **smtp_server.email_settings(),
    )
    publish(redis_url, "roadmap.tasks.send_pending_task")
    eventually(lambda: len(smtp_server.handler.accepted) >= 6, first, what="the first mails")

    first.kill(signal.SIGKILL)

    assert sent() < RECIPIENTS
    # The killed task is redelivered after the visibility timeout (an hour); the catch-up
    # tick of the new worker's beat derives the same work from the database first.
    second = celery_processes(
        "worker",
        "--beat",
        "--concurrency=1",
        "--loglevel=INFO",
        broker_url=redis_url,
        CELERY_BEAT_CATCH_UP_SECONDS=2,
        **smtp_server.email_settings(),
    )
    eventually(lambda: sent() == RECIPIENTS, second, what="every notice sent")
    mails = Counter(smtp_server.handler.recipients())
    assert set(mails) == set(addresses)
    assert sum(count - 1 for count in mails.values()) <= 1
    assert Notification.objects.exclude(state=Notification.State.SENT).count() == 0


# 2. Redis stopped while an owner saves ------------------------------------------------------


@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_an_owner_saves_while_redis_is_down_and_the_next_run_mails_what_is_due(
    settings, private_redis, celery_processes, smtp_server
):
    settings.CELERY_BROKER_URL = private_redis.url
    membership = owner("owner@example.go.jp")
    milestone = MilestoneFactory(owner=membership.organization, deadline=PASSED, title_ja="移行")
    client = Client()
    client.force_login(membership.user)
    url = reverse("admin:roadmap_milestone_change", args=[milestone.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    private_redis.stop()

    saved = client.post(url, data | {"status": "in_progress", "_save": "Save"}, follow=True)

    assert saved.status_code == 200
    assert Milestone.objects.get(pk=milestone.pk).status == Milestone.Status.IN_PROGRESS
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["checks"]["database"] == "ok"
    assert health.json()["checks"]["broker"] != "ok"

    private_redis.start()
    assert client.get("/healthz").status_code == 200
    worker = celery_processes(
        "worker", "--concurrency=1", broker_url=private_redis.url, **smtp_server.email_settings()
    )
    publish(private_redis.url, "roadmap.tasks.send_notifications_task")
    eventually(lambda: sent() == 1, worker, what="the overdue notice mailed")
    [accepted] = smtp_server.handler.accepted
    assert accepted.recipients == ("owner@example.go.jp",)
    text = accepted.message.get_body(preferencelist=("plain",)).get_content()
    with translation.override("ja"):
        assert "移行" in text
        assert str(Milestone.Status.IN_PROGRESS.label) in text


# 3. Redis flushed with tasks queued ---------------------------------------------------------


@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_work_lost_to_a_flushed_redis_is_derived_again_by_the_next_beat_tick(
    private_redis, celery_processes, smtp_server
):
    membership = owner("owner@example.go.jp")
    milestone = MilestoneFactory(owner=membership.organization, deadline=PASSED)
    publish(
        private_redis.url,
        "roadmap.tasks.flag_overdue_task",
        "roadmap.tasks.send_notifications_task",
    )
    server = redis.Redis.from_url(private_redis.url)
    assert server.llen("celery") == 2

    server.flushall()

    assert server.dbsize() == 0
    worker = celery_processes(
        "worker",
        "--beat",
        "--concurrency=1",
        broker_url=private_redis.url,
        CELERY_BEAT_DAILY_JOBS_EVERY_SECONDS=2,
        CELERY_BEAT_CATCH_UP_SECONDS=2,
        **smtp_server.email_settings(),
    )
    eventually(lambda: sent() == 1, worker, what="the overdue notice mailed")
    # Beat sends the daily jobs in no fixed order: wait for the flag too, not just the mail.
    flagged = Milestone.objects.filter(pk=milestone.pk, overdue_since=PASSED + timedelta(days=1))
    eventually(flagged.exists, worker, what="the milestone flagged overdue")
    assert smtp_server.handler.recipients() == ["owner@example.go.jp"]


# 4. Two beats at once -----------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_two_beats_ticking_at_once_create_and_mail_each_notice_once(
    redis_url, celery_processes, smtp_server, tmp_path
):
    owners = [owner(f"owner{i}@example.go.jp") for i in range(3)]
    for membership in owners:
        MilestoneFactory.create_batch(2, owner=membership.organization, deadline=PASSED)
    fast = {"CELERY_BEAT_DAILY_JOBS_EVERY_SECONDS": 1, "CELERY_BEAT_CATCH_UP_SECONDS": 1}
    beats = [
        celery_processes("beat", broker_url=redis_url, VAR_DIR=tmp_path / f"beat{i}", **fast)
        for i in range(2)
    ]
    worker = celery_processes(
        "worker",
        "--concurrency=2",
        "--loglevel=INFO",
        broker_url=redis_url,
        **smtp_server.email_settings(),
    )
    eventually(lambda: sent() == 6, worker, *beats, what="six notices mailed")
    # Let both beats tick the jobs several more times.
    time.sleep(6)
    eventually(
        lambda: worker.output().count("send_notifications_task") >= 8,
        worker,
        *beats,
        what="both beats ticking",
    )

    notices = Counter(Notification.objects.values_list("recipient", "milestone_id"))
    assert len(notices) == 6
    assert set(notices.values()) == {1}
    mails = Counter(smtp_server.handler.recipients())
    assert mails == {f"owner{i}@example.go.jp": 1 for i in range(3)}


# 5. A mail server that refuses ---------------------------------------------------------------


def test_a_digest_refused_for_now_arrives_once_after_the_retry(smtp_handler):
    notice = queued_notice("owner@example.go.jp")
    smtp_handler.answer_temporarily_failing(1)

    assert send_digests(now=NOW)["deferred"] == 1
    notice.refresh_from_db()
    assert (notice.state, notice.attempts) == ("pending", 1)
    assert "451" in notice.last_error
    assert smtp_handler.accepted == []
    assert send_digests(now=NOW + timedelta(minutes=1))["mails"] == 0

    assert send_digests(now=notice.next_attempt_at + timedelta(seconds=1))["mails"] == 1
    notice.refresh_from_db()
    assert notice.state == "sent"
    assert send_digests(now=NOW + timedelta(days=1))["mails"] == 0
    assert smtp_handler.recipients() == ["owner@example.go.jp"]


def test_a_permanent_refusal_marks_the_notices_failed_and_is_not_retried(smtp_handler):
    notices = [queued_notice("owner@example.go.jp") for _ in range(2)]
    smtp_handler.answer_always("550 5.1.1 Mailbox unavailable")

    now = NOW
    for _ in range(10):
        send_digests(now=now)
        now += timedelta(days=1)

    for notice in notices:
        notice.refresh_from_db()
        assert (notice.state, notice.attempts) == ("failed", 1)
        assert notice.last_error == "SMTP 550: 5.1.1 Mailbox unavailable"
    assert smtp_handler.refused == 1


def test_a_mail_server_that_never_accepts_is_tried_a_bounded_number_of_times(
    smtp_handler, settings
):
    notice = queued_notice("owner@example.go.jp")
    smtp_handler.answer_temporarily_failing(1000)

    now = NOW
    for _ in range(20):
        send_digests(now=now)
        now += timedelta(days=1)

    notice.refresh_from_db()
    assert (notice.state, notice.attempts) == ("failed", settings.ROADMAP_SEND_ATTEMPTS)
    assert smtp_handler.refused == settings.ROADMAP_SEND_ATTEMPTS
    assert "451" in notice.last_error
