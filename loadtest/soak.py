"""`make soak`: the whole stack over simulated days under faults, checked against a ledger.

The soak starts, on 127.0.0.1 only, a Redis of its own, two Celery workers, one beat, gunicorn
and a loopback SMTP server, on a PostgreSQL database of its own (``SOAK_DATABASE_URL``, default
``tracker_soak``; created where missing, its soak data replaced at each run). The jobs' day is a
simulated clock (``ROADMAP_CLOCK_FILE``) that the driver moves one day forward every
``--day-seconds``, and the beat runs the daily jobs every few seconds. Each day the driver
edits milestones in the admin over HTTP (status changes, deadline revisions) and reports steps
through the programme's service, records how the milestones stand, and waits (bounded) for the
morning job to run on them. Meanwhile, at random (seeded, logged), a worker is SIGKILLed and
restarted, Redis is flushed and restarted, the mail server answers 4xx or 5xx or drops the
connection for a few seconds, or a second beat runs for a while.

At the end the faults stop and the jobs catch up (bounded); then the ledger (loadtest/ledger.py)
is compared with what the mail server accepted — every owed notice delivered, none twice, none
unowed — and the database is checked: no notice left claimed or waiting, the step tallies
recount, the overdue flags hold, every failed notice was refused for good by the mail server.
The report goes to docs/soak.md; the exit status is 1 when a check failed.

    python -m loadtest.soak [--minutes 30] [--seed N] [--output docs/soak.md]
"""

import argparse
import json
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from loadtest.ledger import Ledger
from loadtest.run import Gunicorn, server_environment
from loadtest.smtp import free_port, loopback_smtp_server
from loadtest.soak_report import check, report, summary
from loadtest.stack import PROJECT, SMTP_FAULT, Clock, Fault, Faults, Redis, Stack
from loadtest.world import FIRST_DAY, Editor, prepare

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/tracker_soak"
DAY_SECONDS = 10
# The beat's daily jobs and its catch-up of pending mail run this often (seconds).
JOBS_EVERY, CATCH_UP_EVERY = 3, 2
# A deferred digest is retried after 2, 4, 8 and 16 seconds, five attempts in all.
FIRST_RETRY_SECONDS = 2
# Seconds for a killed worker or a flushed Redis to be back at work.
RESTART_SECONDS = 10
# Bounds: a day's morning job, the final catch-up, the whole run.
CONFIRM_TIMEOUT, DRAIN_TIMEOUT = 120.0, 300.0
MAX_DAYS = 1000
TASK = "roadmap.tasks.{}"


@dataclass
class Run:
    seed: int
    minutes: float
    started: float = field(default_factory=time.monotonic)
    faults: list[Fault] = field(default_factory=list)
    days: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)
    edits: dict = field(default_factory=dict)
    load: list = field(default_factory=list)
    drained: float | None = None
    # The failed notices the operator sent again after the run.
    sent_again: list = field(default_factory=list)
    drained_again: float | None = None
    fault_error: str | None = None
    edit_errors: list = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.started

    def log(self, text: str) -> None:
        print(f"[{self.now():7.1f} s] {text}", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="simulated days, wall time")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--day-seconds", type=float, default=DAY_SECONDS)
    parser.add_argument("--output", type=Path, default=PROJECT / "docs" / "soak.md")
    parser.add_argument("--summary", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--work", type=Path, default=PROJECT / "var" / "soak")
    parser.add_argument(
        "--database-url", default=os.environ.get("SOAK_DATABASE_URL") or DEFAULT_DATABASE
    )
    for name in ("redis", "web", "smtp"):
        parser.add_argument(f"--{name}-port", type=int, default=0, help="default: a free port")
    options = parser.parse_args(argv)
    if not 0.5 <= options.minutes <= 120:
        parser.error("--minutes must be from 0.5 to 120.")
    if not 3 <= options.day_seconds <= 600:
        parser.error("--day-seconds must be from 3 to 600.")
    if not options.database_url.startswith("postgres"):
        parser.error("the soak runs on PostgreSQL: give a postgres:// --database-url.")
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(10**6)
    run = Run(seed=seed, minutes=options.minutes)
    run.log(f"seed {seed}")
    shutil.rmtree(options.work, ignore_errors=True)
    options.work.mkdir(parents=True)
    result = soak(options, run, seed)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(report(run, result), encoding="utf-8")
    if options.summary:
        options.summary.write_text(json.dumps(summary(run, result), indent=2, default=str))
    run.log(f"wrote {options.output}: {'passed' if result['passed'] else 'FAILED'}")
    return 0 if result["passed"] else 1


def notice_window() -> float:
    """Return how long (seconds) a notice may rightly wait for the mail server during the soak.

    The retries' backoff (``FIRST_RETRY_SECONDS`` doubled after each failed attempt), before
    each attempt a catch-up period and a morning-job period, the longest mail-server fault and
    a restart after a killed worker or a flushed Redis. A milestone closed or re-planned later
    than this after a notice was owed cannot excuse the notice (loadtest/ledger.py).
    """
    from django.conf import settings

    attempts = settings.ROADMAP_SEND_ATTEMPTS
    backoff = FIRST_RETRY_SECONDS * (2 ** (attempts - 1) - 1)
    return backoff + attempts * (CATCH_UP_EVERY + JOBS_EVERY) + SMTP_FAULT[1] + RESTART_SECONDS


def soak_environment(database_url, work, smtp, redis_port) -> dict:
    return {
        **server_environment(database_url, work),
        **{key: str(value) for key, value in smtp.email_settings().items()},
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CELERY_VISIBILITY_TIMEOUT": "120",
        "CELERY_BEAT_DAILY_JOBS_EVERY_SECONDS": str(JOBS_EVERY),
        "CELERY_BEAT_CATCH_UP_SECONDS": str(CATCH_UP_EVERY),
        "ROADMAP_FIRST_RETRY_SECONDS": str(FIRST_RETRY_SECONDS),
        "ROADMAP_CLOCK_FILE": str(work / "clock"),
        "VAR_DIR": str(work),
        "SITE_URL": "http://127.0.0.1",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }


def soak(options, run, seed) -> dict:
    work = options.work
    run.load.append(("start", os.getloadavg()))
    with loopback_smtp_server(options.smtp_port or None) as smtp:
        redis = Redis(options.redis_port or free_port(), work).start()
        environment = soak_environment(options.database_url, work, smtp, redis.port)
        os.environ.update(environment)
        # One generator each, so that the faults' draws do not depend on the edits' timing.
        world = prepare(random.Random(seed), options.minutes * 60 / options.day_seconds)
        clock = Clock(work / "clock")
        clock.set(FIRST_DAY)
        stack = Stack(environment, work)
        try:
            stack.start()
            port = options.web_port or free_port()
            with Gunicorn(environment, port, work / "gunicorn.log") as url:
                run.log(f"stack up; gunicorn at {url}")
                ledger = Ledger(world.owners, window=notice_window())
                ledger.initial = world.snapshot()
                editor = Editor(url, world, random.Random(seed + 1))
                faults = Faults(stack, smtp, redis, random.Random(seed + 2), run, clock)
                faults.start()
                try:
                    days(options, run, clock, editor, ledger, stack, world)
                finally:
                    faults.stop()
                run.drained = drain(run, stack)
                # The operator, the mail server mended, sends the failed notices again.
                try:
                    run.sent_again = editor.send_failed_again()
                except Exception as error:  # noqa: BLE001 (a failed check, reported)
                    editor.errors.append(f"sending the failed notices again: {error}")
                if run.sent_again and run.drained is not None:
                    run.log(f"the operator sent {len(run.sent_again)} failed notices again")
                    run.drained_again = drain(run, stack, "they were sent again")
                run.edits, run.edit_errors = editor.counts, editor.errors
        finally:
            stack.stop()
            redis.stop()
        accepted = list(smtp.handler.accepted)
        refused = list(smtp.handler.refused_messages)
    run.load.append(("end", os.getloadavg()))
    return check(run, world, ledger, accepted, refused, stack)


def days(options, run, clock, editor, ledger, stack, world) -> None:
    """Move the simulated clock a day at a time, edit, and wait for each day's morning job."""
    ends = time.monotonic() + options.minutes * 60
    day = FIRST_DAY
    while time.monotonic() < ends and len(run.days) < MAX_DAYS:
        began = time.monotonic()
        clock.set(day)
        edited = editor.edit(day)
        ledger.record(day, world.snapshot(), began=began, at=time.monotonic())
        run.days.append(day.isoformat())
        run.log(f"{day}: edited milestones {sorted(edited)}")
        since = stack.tasks.mark()
        if not wait(
            lambda since=since: all(
                stack.tasks.finished_after(since, TASK.format(name))
                for name in ("send_notifications_task", "flag_overdue_task")
            ),
            CONFIRM_TIMEOUT,
        ):
            run.unconfirmed.append(day.isoformat())
            run.log(f"{day}: the morning job did not run within {CONFIRM_TIMEOUT:.0f} s")
        time.sleep(max(0.0, began + options.day_seconds - time.monotonic()))
        day += timedelta(days=1)
    run.log(f"{len(run.days)} simulated days")


def drain(run, stack, after: str = "the faults stopped") -> float | None:
    """Wait (bounded) until nothing is waiting or claimed; return the seconds it took (or None).

    The faults are stopped first, where they still run.
    """
    from django.db import close_old_connections

    from roadmap.models import Notification

    stack.restore()
    began = time.monotonic()
    since = stack.tasks.mark()

    def caught_up():
        close_old_connections()
        waiting = Notification.objects.filter(state=Notification.State.PENDING).exists()
        claimed = Notification.objects.filter(claim__isnull=False).exists()
        ran = stack.tasks.finished_after(since, TASK.format("send_notifications_task"))
        return ran and not waiting and not claimed

    if wait(caught_up, DRAIN_TIMEOUT):
        seconds = time.monotonic() - began
        run.log(f"caught up {seconds:.0f} s after {after}")
        return seconds
    run.log(f"not caught up {DRAIN_TIMEOUT:.0f} s after {after}")
    return None


def wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return condition()


if __name__ == "__main__":
    sys.exit(main())
