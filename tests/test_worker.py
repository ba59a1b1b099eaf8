"""The scheduler's jobs run by a real worker (with beat) that takes them from Redis."""

import email
import email.policy
import time
from datetime import date

import pytest
from celery import Celery

from roadmap.models import Milestone, Notification
from tests.factories import MembershipFactory, MilestoneFactory

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

TIMEOUT = 90
DEADLINE = date(2026, 3, 31)


@pytest.fixture
def worker(celery_processes, redis_url, tmp_path, monkeypatch):
    """Start ``celery worker --beat`` on Redis, writing e-mail to files; return the mail dir."""
    # Celery lets this variable override an app's own broker; the test publishes to its own.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    mail_dir = tmp_path / "mail"
    process = celery_processes(
        "worker",
        "--beat",
        "--loglevel=INFO",
        "--concurrency=1",
        broker_url=redis_url,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=mail_dir,
    )
    process.mail_dir = mail_dir
    process.app = Celery("tests", broker=redis_url, set_as_current=False)
    return process


def eventually(check, process, timeout=TIMEOUT):
    """Wait until ``check()`` is true while the worker stays up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        assert process.process.poll() is None, process.output()
        time.sleep(0.25)
    raise AssertionError(f"gave up after {timeout}s; worker log:\n{process.output()}")


def test_the_worker_flags_overdue_milestones_sent_through_redis(worker):
    milestone = MilestoneFactory(deadline=DEADLINE)
    worker.app.send_task("roadmap.tasks.flag_overdue_task", args=["2026-04-01"])
    eventually(
        lambda: Milestone.objects.get(pk=milestone.pk).overdue_since == date(2026, 4, 1), worker
    )
    assert Milestone.history.filter(id=milestone.pk).latest().history_type == "~"


def test_the_worker_queues_and_mails_the_morning_digest(worker):
    membership = MembershipFactory()
    MilestoneFactory(owner=membership.organization, deadline=DEADLINE, title_ja="標準化移行")
    worker.app.send_task("roadmap.tasks.send_notifications_task", args=["2026-04-01"])
    eventually(lambda: Notification.objects.filter(state="sent").exists(), worker)
    [path] = list(worker.mail_dir.iterdir())
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == membership.user.email
    assert "標準化移行" in message.get_body(preferencelist=("plain",)).get_content()


def test_the_worker_runs_beat_and_knows_every_scheduled_job(worker, settings):
    eventually(lambda: "beat: Starting..." in worker.output(), worker)
    registered = worker.output().split("[tasks]", 1)[1]
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in registered
