"""`make load`: Locust against gunicorn on PostgreSQL at full programme size; writes docs/load.md.

Everything runs on 127.0.0.1 and stops by itself: the database is prepared (created, migrated
and filled with the standardization programme where missing), static files are collected,
gunicorn is started on a free port, Locust runs 50 readers and 5 owners for the given minutes,
and the flag and digest jobs run once while the load goes on. The report says whether the
budgets held; the exit status is 1 when one did not.

    python -m loadtest.run [--minutes 2] [--output docs/load.md]
"""

import argparse
import csv
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from loadtest.smtp import free_port

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/tracker_load"
READERS, OWNERS = 50, 5
# p95 budgets in milliseconds (2 cores), by the Locust names of loadtest/locustfile.py.
BUDGETS = {
    "/ (timeline)": 300,
    "/milestones/[id]/": 300,
    "/api/milestones/?owner=": 300,
    "/api/programme/": 300,
    "/api/programme/bodies/[code]/": 300,
}
JOBS_START_AFTER = 20
JOB_TIMEOUT = 900
# A working day on which much of the programme is overdue (the benchmarks' day).
JOBS_AS_OF = date(2026, 4, 2)
GUNICORN_WORKERS = 3
SECRET = "load-test-only-" + secrets.token_urlsafe(32)


@dataclass
class Stat:
    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float


@dataclass
class Job:
    name: str
    seconds: float
    status: int
    output: str
    # Seconds after the load started that the job ended.
    ended: float


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--output", type=Path, default=PROJECT / "docs" / "load.md")
    parser.add_argument(
        "--database-url", default=os.environ.get("LOAD_DATABASE_URL") or DEFAULT_DATABASE
    )
    options = parser.parse_args(argv)
    if not 0.25 <= options.minutes <= 30:
        parser.error("--minutes must be from 0.25 to 30.")
    if not options.database_url.startswith("postgres"):
        parser.error("the load test runs on PostgreSQL: give a postgres:// --database-url.")
    work = PROJECT / "var" / "load"
    work.mkdir(parents=True, exist_ok=True)
    environment = server_environment(options.database_url, work)
    os.environ.update(environment)
    plan = prepare(work)
    port = free_port()
    with Gunicorn(environment, port, work / "gunicorn.log") as url:
        locust, load_ended, jobs = run_load(url, plan, options.minutes, work, environment)
    stats = read_stats(work / "locust_stats.csv")
    text, held = report(stats, jobs, options.minutes, locust, load_ended)
    options.output.write_text(text, encoding="utf-8")
    print(text)
    print(f"Wrote {options.output}.")
    return 0 if held else 1


def server_environment(database_url: str, work: Path) -> dict:
    """Return the environment of a production-like server on plain HTTP over loopback."""
    return {
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or SECRET,
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(work / "static"),
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
    }


def prepare(work: Path) -> Path:
    """Create, migrate and fill the database where needed; return the file of the load plan."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from bench.command import (
        create_database_if_missing,
        standardization_loaded,
    )
    from roadmap import standardization
    from roadmap.models import Milestone, Notification, Organization
    from roadmap.views.programme import LOCAL_KINDS

    create_database_if_missing(connection.settings_dict)
    call_command("migrate", interactive=False, verbosity=0)
    if not standardization_loaded():
        print("Generating the standardization programme (once; takes minutes)…", flush=True)
        standardization.generate(owners=True, steps=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    # The jobs during the load do a whole morning's work each run, not what the last run left.
    Notification.objects.all().delete()
    Milestone.objects.exclude(overdue_since=None).update(overdue_since=None)
    # What the last run rewrote is vacuumed, as autovacuum would have done since (it may be off
    # on a test machine): each run starts from the same tables, not from its predecessors' dead
    # rows.
    standardization.refresh_statistics()
    programme = Milestone.objects.filter(ref__startswith=standardization.REF_PREFIX)
    ids = list(programme.order_by("?").values_list("pk", flat=True)[:2000])
    codes = list(
        programme.order_by("owner__code").values_list("owner__code", flat=True).distinct()[:300]
    )
    bodies = list(
        Organization.objects.filter(kind__in=LOCAL_KINDS)
        .order_by("?")
        .values_list("code", flat=True)[:300]
    )
    accounts = []
    for code in codes[:OWNERS]:
        user = get_user_model().objects.get(username=f"owner-{code}")
        password = secrets.token_urlsafe(16)
        user.set_password(password)
        user.save(update_fields=["password"])
        milestones = list(programme.filter(owner__code=code).values_list("pk", flat=True)[:20])
        accounts.append(
            {"username": user.username, "password": password, "milestones": milestones}
        )
    connection.close()
    plan = work / "plan.json"
    pages = max(1, min(20, Milestone.objects.count() // 100))
    plan.write_text(
        json.dumps(
            {
                "milestones": ids,
                "owners": codes,
                "bodies": bodies,
                "accounts": accounts,
                "timeline_pages": pages,
            }
        )
    )
    plan.chmod(0o600)
    return plan


class Gunicorn:
    """Run gunicorn on 127.0.0.1:port for the block; yield its base URL once it answers."""

    def __init__(self, environment, port, log):
        self.environment, self.port, self.log = environment, port, log

    def __enter__(self):
        command = [sys.executable, "-m", "gunicorn", "tracker.wsgi"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(GUNICORN_WORKERS)]
        command += ["--graceful-timeout", "10"]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                command, cwd=PROJECT, env=os.environ | self.environment, stdout=log, stderr=log
            )
        url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn stopped at start; see {self.log}.")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:  # noqa: S310
                    if answer.status == 200:
                        return url
            except OSError:
                time.sleep(0.5)
        self.__exit__()
        raise SystemExit("gunicorn did not answer /healthz within 90 seconds.")

    def __exit__(self, *exc_info):
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def run_load(url, plan, minutes, work, environment):
    """Run Locust for ``minutes`` and the two jobs once meanwhile; return Locust's status, jobs."""
    command = [
        sys.executable, "-m", "locust", "-f", str(PROJECT / "loadtest" / "locustfile.py"),
        "--headless", "--users", str(READERS + OWNERS), "--spawn-rate", "10",
        "--run-time", f"{int(minutes * 60)}s", "--stop-timeout", "10",
        "--host", url, "--csv", str(work / "locust"), "--only-summary",
    ]  # fmt: skip
    started = time.monotonic()
    load = subprocess.Popen(
        command,
        cwd=PROJECT,
        env=os.environ | {"LOAD_PLAN": str(plan)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    jobs = []
    as_of = ["--as-of", JOBS_AS_OF.isoformat()]

    def morning():
        time.sleep(JOBS_START_AFTER)
        for arguments in (["flag_overdue", *as_of], ["send_notifications", *as_of]):
            jobs.append(run_job(arguments, environment, started))

    runner = threading.Thread(target=morning, daemon=True)
    runner.start()
    try:
        status = load.wait(timeout=minutes * 60 + 120)
    except subprocess.TimeoutExpired:
        load.kill()
        status = load.wait()
    load_ended = time.monotonic() - started
    runner.join(timeout=JOB_TIMEOUT * 2)
    return status, load_ended, jobs


def run_job(arguments, environment, load_started) -> Job:
    started = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT,
        env=os.environ | environment,
        capture_output=True,
        text=True,
        timeout=JOB_TIMEOUT,
        check=False,
    )
    output = (finished.stdout.strip().splitlines() or [""])[-1]
    ended = time.monotonic()
    return Job(arguments[0], ended - started, finished.returncode, output, ended - load_started)


def read_stats(path: Path) -> list[Stat]:
    with path.open(encoding="utf-8") as file:
        return [
            Stat(
                name=row["Name"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                rps=float(row["Requests/s"]),
                p50=float(row["50%"] or 0),
                p95=float(row["95%"] or 0),
                p99=float(row["99%"] or 0),
            )
            for row in csv.DictReader(file)
        ]


def report(stats, jobs, minutes, locust_status, load_ended) -> tuple[str, bool]:
    from bench import benchmarks

    size = benchmarks.data_size()
    machine = benchmarks.machine()
    total = next(stat for stat in stats if stat.name == "Aggregated")
    checks = [("no errors", total.failures == 0, f"{total.failures} failed requests")]
    for name, limit in BUDGETS.items():
        stat = next((s for s in stats if s.name == name), None)
        p95 = stat.p95 if stat else float("inf")
        checks.append((f"p95 of {name} ≤ {limit} ms", p95 <= limit, f"{p95:.0f} ms"))
    for name in ("flag_overdue", "send_notifications"):
        job = next((job for job in jobs if job.name == name), None)
        ok = job is not None and job.status == 0 and job.ended <= load_ended
        when = f"ended {job.ended:.0f} s into the load" if job else "did not end"
        checks.append((f"{name} finished while the load ran ({load_ended:.0f} s)", ok, when))
    checks.append(("Locust ran to the end", locust_status == 0, f"exit status {locust_status}"))
    held = all(ok for _what, ok, _value in checks)
    lines = [
        "# Load test",
        "",
        "Written by `make load` (`python -m loadtest.run`); do not edit by hand.",
        "",
        f"{minutes:g} minutes of Locust against gunicorn ({GUNICORN_WORKERS} processes, "
        f"`DEBUG` off, collected static files) on PostgreSQL over {size['milestones']:,} "
        f"milestones, {size['steps']:,} steps and {size['owners']:,} owners, all on 127.0.0.1: "
        f"{READERS} readers of the timeline, milestone pages, dashboard, programme pages, API, "
        "feed and CSV (a pause of 1–3 s between requests; half of them revalidate the "
        f"feed and CSV with `If-None-Match`) and {OWNERS} owners saving a status change in the "
        f"admin (2–5 s pauses). {JOBS_START_AFTER} s in, `flag_overdue` and then "
        f"`send_notifications` run once for {JOBS_AS_OF} against the same database (flags "
        "and notices cleared first, so they do a whole morning's work). Times are as Locust saw "
        "them, network and all.",
        "",
        "## Budgets",
        "",
        "| budget | held | measured |",
        "|---|---|---|",
        *[f"| {what} | {'yes' if ok else '**no**'} | {value} |" for what, ok, value in checks],
        "",
        "## Requests",
        "",
        "| request | count | errors | req/s | p50 | p95 | p99 |",
        "|---|--:|--:|--:|--:|--:|--:|",
        *[
            f"| {s.name} | {s.requests:,} | {s.failures} | {s.rps:.1f} | {s.p50:.0f} ms "
            f"| {s.p95:.0f} ms | {s.p99:.0f} ms |"
            for s in stats
        ],
        "",
        "## Jobs during the load",
        "",
        "| job | seconds | ended, seconds into the load | exit status | what it said |",
        "|---|--:|--:|--:|---|",
        *[
            f"| {j.name} | {j.seconds:.1f} | {j.ended:.0f} | {j.status} | {j.output} |"
            for j in jobs
        ],
        "",
        "## Machine",
        "",
        *[f"- {key}: {value}" for key, value in machine.items()],
        "",
    ]
    return "\n".join(lines), held


if __name__ == "__main__":
    sys.exit(main())
