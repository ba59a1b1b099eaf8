"""Celery tasks: thin wrappers that parse arguments and call a service."""

from datetime import date
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from roadmap.services.digests import send_digests
from roadmap.services.indicator_notices import queue_indicator_notices
from roadmap.services.recurring import create_occurrences
from roadmap.services.scheduler import flag_overdue, queue_notifications


@shared_task(ignore_result=False)
def ping() -> str:
    """Answer "pong": shows that a worker takes tasks from the broker."""
    return "pong"


def run_date(as_of: str | None, *, name: str = "as_of") -> date:
    """Return the ISO date ``as_of``, or today (see ``today``)."""
    if not as_of:
        return today()
    try:
        return date.fromisoformat(as_of)
    except ValueError as error:
        raise ValueError(
            f"{name} must be a date written YYYY-MM-DD, not {as_of!r} ({error})."
        ) from None


def today() -> date:
    """Return today in Asia/Tokyo, or the day written in ``ROADMAP_CLOCK_FILE`` when it is set.

    The file is the simulated clock of the chaos soak (``loadtest/soak.py``), which moves the
    jobs' day forward far faster than the real one.
    """
    if not settings.ROADMAP_CLOCK_FILE:
        return timezone.localdate()
    text = Path(settings.ROADMAP_CLOCK_FILE).read_text(encoding="utf-8").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"ROADMAP_CLOCK_FILE {settings.ROADMAP_CLOCK_FILE} must hold a date written "
            f"YYYY-MM-DD, not {text!r}."
        ) from None


@shared_task
def create_occurrences_task(as_of: str | None = None) -> dict:
    """Create the yearly occurrences of recurring commitments due by today and the next year."""
    return create_occurrences(as_of=run_date(as_of))


@shared_task
def flag_overdue_task(as_of: str | None = None) -> dict:
    """Flag milestones overdue today (or on ``as_of``) and clear stale flags."""
    return flag_overdue(as_of=run_date(as_of))


@shared_task
def queue_notifications_task(as_of: str | None = None) -> dict:
    """Queue the overdue and due-soon notices owed today (or on ``as_of``)."""
    return queue_notifications(as_of=run_date(as_of))


@shared_task
def send_digests_task(as_of: str | None = None) -> dict:
    """Mail every recipient a digest of their pending notices."""
    return send_digests(as_of=run_date(as_of))


@shared_task
def send_notifications_task(as_of: str | None = None) -> dict:
    """Queue today's notices, then mail the digests: the morning job."""
    day = run_date(as_of)
    queued = {**queue_notifications(as_of=day), **queue_indicator_notices(as_of=day)}
    return {"queued": queued, "sent": send_digests(as_of=day)}


@shared_task
def send_pending_task() -> dict:
    """Mail anything queued but not yet sent, such as retries after a mail-server outage."""
    return send_digests(as_of=today())


@shared_task
def snapshot_progress_task(as_of: str | None = None) -> dict:
    """Freeze the programme's figures as of the last day of the previous month (or ``as_of``)."""
    from roadmap.programme.snapshots import last_month_end, take_snapshot

    day = run_date(as_of) if as_of else last_month_end(timezone.localdate())
    snapshot, created = take_snapshot(as_of=day)
    return {"as_of": snapshot.as_of.isoformat(), "created": created}
