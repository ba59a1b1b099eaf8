"""Benchmarks against the limit: each job and page timed beside a baseline from the same run.

Every row of the table is a ratio of two medians measured one after the other on the same data:
a job against hand-written SQL that writes the same rows (the limit), mail delivery against
sending the same number of prepared messages, a page against a trivial request. Query counts
are recorded once per row, in a warm-up run that does the same work as the timed runs.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import django
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.db import connection, reset_queries, transaction
from django.db.models import Max, Sum
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import path
from django.utils import timezone

from bench import turns
from loadtest.smtp import loopback_smtp_server
from roadmap import tallies
from roadmap.imports import import_milestones
from roadmap.models import (
    Membership,
    Milestone,
    Notification,
    Plan,
    ProgressSnapshot,
    SentMark,
    Step,
)
from roadmap.programme.snapshots import last_month_end, take_snapshot
from roadmap.services import scheduler
from roadmap.standardization import refresh_statistics
from roadmap.tabular import read_table

# The day the jobs run for: after the programme deadline, before the FY2030 re-plans.
AS_OF = date(2026, 11, 30)
ADMIN_USERNAME = "bench-admin"
PAGES = (
    ("timeline", "/"),
    ("dashboard", "/dashboard/"),
    ("API (first page)", "/api/milestones/"),
    ("CSV (all rows)", "/milestones.csv"),
    ("iCal (all rows)", "/milestones.ics"),
    ("admin: milestones", "/admin/roadmap/milestone/"),
    ("admin: steps", "/admin/roadmap/step/"),
    ("programme", "/programme/"),
    ("programme API", "/api/programme/"),
    ("owner choice (every organization)", "/owners/options/"),
)
BASELINE_PAGE = ("trivial request (baseline)", "/bench-baseline")
# Whole-table exports take seconds each at full size: a quarter of the requests is enough.
EXPORTS = ("/milestones.csv", "/milestones.ics")
# Static files served from the apps, so that no collectstatic is needed to run the bench.
STATIC_FROM_APPS = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


class BenchError(Exception):
    """The two sides of a comparison did not do the same work, or a page failed."""


@dataclass
class Sample:
    """Timings of several runs of one thing and the queries of one of them."""

    seconds: list[float]
    queries: int

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@dataclass
class Row:
    """One line of the table: a measurement, its baseline and what the ratio compares."""

    name: str
    sample: Sample
    baseline: Sample
    compares: str
    note: str = ""
    # Mails per second, for the mail rows.
    rate: float | None = None

    @property
    def ratio(self) -> float:
        return self.sample.median / self.baseline.median if self.baseline.median else 0.0


def measure(work: Callable[[], object], *, runs: int, reset: Callable[[], object] | None = None):
    """Return a Sample of ``work``: a counted warm-up run, then ``runs`` timed runs."""
    return measure_in_turns({"work": work}, runs=runs, reset=reset or (lambda: None))["work"]


def counted(work: Callable[[], object], reset: Callable[[], object]) -> int:
    """Return the queries of one run of ``work`` after ``reset`` (a warm-up)."""
    reset()
    # The query log is a bounded deque: a full one would hide the queries of the warm-up.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        work()
    return len(captured.captured_queries)


def measure_in_turns(
    works: dict[str, Callable[[], object]], *, runs: int, reset: Callable[[], object]
):
    """Return a Sample of each of ``works``, timed in turns rather than one after the other.

    Each gets a counted warm-up run, then ``runs`` rounds time each once, every round starting
    with a different one: a job and its baseline share whatever the machine does meanwhile
    (a checkpoint, another process), so their ratio carries it less.
    """
    names = list(works)
    queries = {name: counted(works[name], reset) for name in names}
    seconds = {name: [] for name in names}
    for turn in range(runs):
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            reset()
            started = time.perf_counter()
            works[name]()
            seconds[name].append(time.perf_counter() - started)
    return {name: Sample(seconds[name], queries[name]) for name in names}


# Jobs --------------------------------------------------------------------------------------


def overdue_sql(alias: str = "") -> str:
    """Return the WHERE clause of the overdue rule, written by hand."""
    a = f"{alias}." if alias else ""
    return (
        f"{a}deadline < %s AND (({a}kind = 'deadline' AND {a}status NOT IN ('done', 'cancelled'))"
        f" OR ({a}kind = 'start' AND {a}status = 'planned'))"
    )


def day_after(column: str) -> str:
    """Return SQL for the day after a date column."""
    if connection.vendor == "sqlite":
        return f"date({column}, '+1 day')"
    return f"({column} + 1)"


def sql_flag_overdue(*, as_of: date, history: bool) -> int:
    """Flag overdue milestones with one UPDATE (and copy them to history); return the count."""
    table, stamp = Milestone._meta.db_table, timezone.now()
    with connection.cursor() as cursor, transaction.atomic():
        cursor.execute(
            f"UPDATE {table} SET overdue_since = {day_after('deadline')},"  # noqa: S608
            " version = version + 1, updated_at = %s"
            f" WHERE {overdue_sql()} AND (overdue_since IS NULL"
            f" OR overdue_since <> {day_after('deadline')})",
            [stamp, as_of],
        )
        flagged = cursor.rowcount
        if history:
            copy_to_history(cursor, stamp)
    return flagged


def copy_to_history(cursor, stamp) -> None:
    """Copy the milestones updated at ``stamp`` into the history table."""
    history = Milestone.history.model
    fixed = {
        "history_date": "%s",
        "history_change_reason": "%s",
        "history_type": "'~'",
        "history_user_id": "NULL",
    }
    columns = [f.column for f in history._meta.concrete_fields if not f.primary_key]
    values = [fixed.get(column, column) for column in columns]
    cursor.execute(
        f"INSERT INTO {history._meta.db_table} ({', '.join(columns)})"  # noqa: S608
        f" SELECT {', '.join(values)} FROM {Milestone._meta.db_table} WHERE updated_at = %s",
        [stamp, scheduler.FLAGGED_REASON, stamp],
    )


def vacuum(*models) -> None:
    """Vacuum the tables of ``models``, as autovacuum would between two mornings' runs.

    A reset rewrites every row a job wrote; left in the tables, the dead rows of each run would
    slow the next (and autovacuum may be off on a benchmark machine). Job and baseline get the
    same resets.
    """
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {tables}")


def unflag_all(since) -> Callable[[], None]:
    """Return a reset that clears every flag and the history rows written since ``since``."""

    def reset():
        Milestone.objects.filter(overdue_since__isnull=False).update(overdue_since=None)
        Milestone.history.filter(history_date__gte=since).delete()
        vacuum(Milestone, Milestone.history.model)

    return reset


def bench_flag_overdue(*, runs: int, as_of: date = AS_OF) -> list[Row]:
    """Compare flag_overdue with hand-written SQL doing the same writes."""
    reset = unflag_all(timezone.now())
    counts = {}

    def job():
        counts["job"] = scheduler.flag_overdue(as_of=as_of)["flagged"]

    def limit(history):
        def run():
            counts["sql" if history else "bare"] = sql_flag_overdue(as_of=as_of, history=history)

        return run

    samples = measure_in_turns(
        {"job": job, "sql": limit(True), "bare": limit(False)}, runs=runs, reset=reset
    )
    same_work(counts, "flag_overdue")
    reset()
    job_sample, with_history, bare = samples["job"], samples["sql"], samples["bare"]
    note = f"{counts['job']:,} milestones flagged"
    return [
        Row(
            "flag_overdue",
            job_sample,
            with_history,
            "flag_overdue ÷ hand-written UPDATE … WHERE + history INSERT … SELECT",
            note,
        ),
        Row(
            "flag_overdue (flags only)",
            job_sample,
            bare,
            "flag_overdue ÷ hand-written UPDATE … WHERE alone (no history rows)",
            note,
        ),
    ]


def same_work(counts: dict, what: str) -> None:
    """Raise unless the job and its baselines wrote the same number of rows."""
    for count in counts.values():
        if count != counts["job"]:
            raise BenchError(f"{what} wrote {counts['job']} rows, the SQL baseline {count}.")


def sql_queue_notifications(*, as_of: date) -> int:
    """Queue the overdue notices with one INSERT … SELECT … ON CONFLICT DO NOTHING."""
    # The benchmark data has default preferences and no contact addresses; the SQL relies on it.
    every = settings.ROADMAP_OVERDUE_REPEAT_DAYS
    days_late = (
        "(julianday(%s) - julianday(m.deadline))"
        if connection.vendor == "sqlite"
        else "(%s::date - m.deadline)"
    )
    stamp = timezone.now()
    with connection.cursor() as cursor, transaction.atomic():
        cursor.execute(
            f"INSERT INTO {Notification._meta.db_table} (recipient, user_id, milestone_id, kind,"  # noqa: S608
            " deadline, lead, created_at, state, attempts, next_attempt_at, last_error)"
            f" SELECT u.email, u.id, m.id, 'overdue', m.deadline,"
            f" 1 + CAST(({days_late} - 1) / {every} AS INTEGER) * {every},"
            " %s, 'pending', 0, %s, ''"
            f" FROM {Milestone._meta.db_table} m"
            f" JOIN {Membership._meta.db_table} o ON o.organization_id = m.owner_id"
            f" JOIN {get_user_model()._meta.db_table} u ON u.id = o.user_id"
            f" WHERE o.role = 'owner' AND u.is_active AND u.email <> ''"
            f" AND {overdue_sql('m')} ON CONFLICT DO NOTHING",
            [as_of, stamp, stamp, as_of],
        )
        return cursor.rowcount


def bench_queue_notifications(*, runs: int, as_of: date = AS_OF) -> Row:
    """Compare queue_notifications with one INSERT … SELECT doing the same inserts."""
    counts = {}

    def reset():
        Notification.objects.all().delete()
        vacuum(Notification)

    def job():
        scheduler.queue_notifications(as_of=as_of)
        counts["job"] = Notification.objects.count()

    def limit():
        sql_queue_notifications(as_of=as_of)
        counts["sql"] = Notification.objects.count()

    samples = measure_in_turns({"job": job, "sql": limit}, runs=runs, reset=reset)
    job_sample, sql_sample = samples["job"], samples["sql"]
    same_work(counts, "queue_notifications")
    reset()
    return Row(
        "queue_notifications",
        job_sample,
        sql_sample,
        "queue_notifications ÷ hand-written INSERT … SELECT … ON CONFLICT DO NOTHING",
        f"{counts['job']:,} notices queued",
    )


def bench_send_digests(*, runs: int, as_of: date = AS_OF) -> list[Row]:
    """Compare send_digests with sending as many prepared messages; report mails per second."""
    from roadmap.services.digests import send_digests

    scheduler.queue_notifications(as_of=as_of)
    recipients = Notification.objects.pending().values("recipient").distinct().count()
    sent = {}

    def reset():
        mail.outbox = []
        # Each run starts with no garbage left by the one before (its collection, timed in
        # whichever run it fell, moved a tenth of a second between runs of the baseline).
        gc.collect()
        Notification.objects.update(
            state=Notification.State.PENDING,
            sent_at=None,
            attempts=0,
            last_error="",
            next_attempt_at=timezone.now() - timedelta(minutes=1),
        )
        vacuum(Notification, SentMark)

    def job():
        send_digests(as_of=as_of, now=timezone.now())
        sent["job"] = len(mail.outbox)

    def limit():
        prepared = [
            EmailMessage("subject", "body\n" * 40, to=[f"r{i}@example.jp"])
            for i in range(sent["job"])
        ]
        get_connection().send_messages(prepared)
        sent["sql"] = len(mail.outbox)

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        samples = measure_in_turns({"job": job, "sql": limit}, runs=runs, reset=reset)
    job_sample, mail_sample = samples["job"], samples["sql"]
    same_work(sent, "send_digests")
    if sent["job"] != recipients:
        raise BenchError(f"send_digests sent {sent['job']} mails for {recipients} recipients.")
    rate = sent["job"] / job_sample.median if job_sample.median else 0
    rows = [
        Row(
            "send_digests",
            job_sample,
            mail_sample,
            "send_digests ÷ sending as many ready-made messages (locmem backend)",
            f"{sent['job']:,} mails, {rate:,.0f} mails/s",
            rate=rate,
        )
    ]
    rows.append(bench_send_digests_over_smtp(runs=runs, as_of=as_of, reset=reset))
    Notification.objects.all().delete()
    return rows


def bench_send_digests_over_smtp(*, runs: int, as_of: date, reset) -> Row:
    """Compare send_digests with as many ready-made messages, both to a loopback SMTP server."""
    from roadmap.services.digests import send_digests

    with loopback_smtp_server() as server:
        smtp = {**server.email_settings(), "EMAIL_TIMEOUT": 30}
        sent = {}

        def job():
            before = len(server.handler.accepted)
            send_digests(as_of=as_of, now=timezone.now())
            sent["job"] = len(server.handler.accepted) - before

        def limit():
            before = len(server.handler.accepted)
            prepared = [
                EmailMessage("subject", "body\n" * 40, to=[f"r{i}@example.jp"])
                for i in range(sent["job"])
            ]
            with get_connection() as connection:
                connection.send_messages(prepared)
            sent["sql"] = len(server.handler.accepted) - before

        with override_settings(**smtp):
            samples = measure_in_turns({"job": job, "sql": limit}, runs=runs, reset=reset)
        job_sample, mail_sample = samples["job"], samples["sql"]
    same_work(sent, "send_digests over SMTP")
    rate = sent["job"] / job_sample.median if job_sample.median else 0
    return Row(
        "send_digests (loopback SMTP)",
        job_sample,
        mail_sample,
        "send_digests ÷ sending as many ready-made messages over one SMTP connection",
        f"{sent['job']:,} mails, {rate:,.0f} mails/s",
        rate=rate,
    )


# Pages -------------------------------------------------------------------------------------


def page_client() -> Client:
    """Return a client signed in as a superuser, as the admin pages need."""
    User = get_user_model()
    user = User.objects.filter(username=ADMIN_USERNAME).first() or User.objects.create_superuser(
        ADMIN_USERNAME, f"{ADMIN_USERNAME}@example.jp", None
    )
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


WRITING_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "COPY")


@contextmanager
def counted_writes():
    """Yield the list of the statements that write, run on the connection inside the block."""
    writes = []

    def watch(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(WRITING_STATEMENTS):
            writes.append(sql[:80])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        yield writes


def fetch(client: Client, path: str) -> Callable[[], None]:
    """Return a function that requests ``path`` and reads the whole answer."""

    def get():
        response = client.get(path, secure=True)
        if response.status_code != 200:
            raise BenchError(f"{path} answered {response.status_code}.")
        # The test client closes the response itself, keeping the database connection open.
        return b"".join(response.streaming_content) if response.streaming else response.content

    return get


def first_byte(client: Client, path: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """Return a function that requests ``path`` and reads the first piece of the answer, and
    one that reads the rest (untimed: the test client closes a response when it is read)."""
    pending = []

    def get():
        response = client.get(path, secure=True)
        if response.status_code != 200 or not response.streaming:
            raise BenchError(f"{path} answered {response.status_code}, not a stream.")
        stream = iter(response.streaming_content)
        next(stream)
        pending.append(stream)

    def drain():
        while pending:
            for _ in pending.pop():
                pass
        # The rows just read are garbage: collected here, untimed, not in the next request.
        gc.collect()

    return get, drain


def trivial_request(request):
    """Answer after one ``SELECT 1``: the least a page through the middleware can cost."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


# The baseline is served from this module's own URLconf, so that it stays out of the product.
urlpatterns = [path(BASELINE_PAGE[1].lstrip("/"), trivial_request)]


def ensure_snapshot(as_of: date = AS_OF) -> ProgressSnapshot:
    """Return the latest snapshot, taking one as of the month-end before ``as_of`` if none."""
    latest = ProgressSnapshot.objects.order_by("as_of").last()
    if latest:
        return latest
    # A snapshot describes a day that has ended: never one after today.
    return take_snapshot(as_of=last_month_end(min(as_of, timezone.localdate())))[0]


def available_pages() -> list[tuple[str, str]]:
    """Return the pages to measure: admin pages only for models with an admin."""
    registered = {
        f"/admin/roadmap/{m._meta.model_name}/"
        for m in (Milestone, Step)
        if admin.site.is_registered(m)
    }
    pages = [
        (name, path)
        for name, path in PAGES
        if not path.startswith("/admin/") or path in registered
    ]
    # The programme as of its latest snapshot, which --setup takes.
    snapshot = ProgressSnapshot.objects.order_by("as_of").last()
    if snapshot:
        day = snapshot.as_of.isoformat()
        pages.append(("programme as of a snapshot", f"/programme/?as_of={day}"))
        pages.append(("programme API as of a snapshot", f"/api/programme/?as_of={day}"))
    # One municipality's grid: 20 systems × 40 steps.
    body = Milestone.objects.filter(business_system=20).order_by("owner__code")
    body = body.values_list("owner__code", flat=True)
    if body.first():
        pages.append(("one body's grid", f"/programme/{body.first()}/"))
        pages.append(("one body API", f"/api/programme/bodies/{body.first()}/"))
    # One re-planned milestone: the page with a revision and a history to show.
    sample = Milestone.objects.filter(revisions__isnull=False).order_by("pk").first()
    if sample:
        pages.append(("one milestone", f"/milestones/{sample.pk}/"))
        if "/admin/roadmap/milestone/" in registered:
            pages.append(("admin: one milestone", f"/admin/roadmap/milestone/{sample.pk}/change/"))
    return pages


def page_timings(client: Client, *, requests: int) -> list[turns.Timed]:
    """Return the trivial request and each page (and each export's first byte) to time."""
    baseline = turns.Timed(
        BASELINE_PAGE[0],
        BASELINE_PAGE[0],
        fetch(client, BASELINE_PAGE[1]),
        requests,
        "the baseline itself",
        around=lambda: override_settings(ROOT_URLCONF=__name__),
    )
    timings = [baseline]
    for name, address in available_pages():
        count = max(3, requests // 4) if address in EXPORTS else requests
        timings.append(
            turns.Timed(
                name,
                f"{name} `{address}`",
                fetch(client, address),
                count,
                "server time per request ÷ a trivial request (middleware + SELECT 1)",
                # Rendered each time: the dashboard's kept body would otherwise be timed.
                reset=cache.clear,
            )
        )
        if address in EXPORTS:
            get, drain = first_byte(client, address)
            timings.append(
                turns.Timed(
                    f"{name}, first byte",
                    f"{name}, first byte `{address}`",
                    get,
                    requests,
                    "time to the first piece of the stream ÷ a trivial request",
                    reset=drain,
                )
            )
    return timings


@contextmanager
def serving_pages():
    """Yield a signed-in client with the settings the pages are timed under."""
    client = page_client()
    # The dashboard's figures are counted once after the jobs changed the milestones, as the
    # first reader after a change would; every request timed then reads them.
    tallies.current()
    with override_settings(STORAGES=STATIC_FROM_APPS, WHITENOISE_USE_FINDERS=True):
        yield client


def time_page(timed: turns.Timed, partner: turns.Partner | None) -> Sample:
    """Return the Sample of ``timed``: a counted warm-up, then its requests timed, in rounds
    taking turns with ``partner``'s timing of the same page if there is a partner."""
    if partner is not None:
        partner.ask("warm", timed.key)
    with timed.around():
        queries = counted(timed.work, timed.reset)
    seconds = []
    for runs in turns.rounds(timed.runs) if partner is not None else [timed.runs]:
        if partner is not None:
            # Nothing of this side's is left open while the partner works (a stream half read).
            timed.reset()
            partner.ask("time", timed.key, runs)
        with timed.around():
            seconds += turns.time_runs(timed, runs)
    return Sample(seconds, queries)


def bench_pages(*, requests: int, partner: turns.Partner | None = None) -> list[Row]:
    """Time each page against the trivial request, both measured in this run.

    With a ``partner`` (the run at another size), each page is timed in rounds taking turns
    with the partner's timing of the same page (``bench.turns``).
    """
    with serving_pages() as client:
        samples = {}
        timings = page_timings(client, requests=requests)
        for timed in timings:
            samples[timed.key] = time_page(timed, partner)
            timed.reset()
    baseline = samples[BASELINE_PAGE[0]]
    return [Row(timed.name, samples[timed.key], baseline, timed.compares) for timed in timings]


def serve_pages_in_turns(reader, writer, *, requests: int) -> dict[str, float]:
    """Time the pages as the run at another size asks (``bench.turns``); return their medians."""
    with serving_pages() as client:
        return turns.serve(reader, writer, page_timings(client, requests=requests))


# Excel -------------------------------------------------------------------------------------


def bench_workbooks(*, runs: int) -> list[Row]:
    """Time the whole-table workbook against the CSV, and importing it back unchanged."""
    client = page_client()
    workbook = fetch(client, "/milestones.xlsx")
    export = measure(workbook, runs=runs)
    csv = measure(fetch(client, "/milestones.csv"), runs=runs)
    data = workbook()
    state = Milestone.objects.aggregate(versions=Sum("version"), latest=Max("updated_at"))

    def reimport():
        result = import_milestones(data, plan_code=Plan.PRIORITY_PLAN_2024)
        if result.created or result.updated:
            raise BenchError("Importing the exported workbook back changed milestones.")

    # At ten times the programme the workbook outgrows the limits that guard the server against
    # uploads (100,000 rows, 20 MB); the bench raises them to its own file.
    limits = {
        "ROADMAP_IMPORT_MAX_BYTES": max(settings.ROADMAP_IMPORT_MAX_BYTES, len(data)),
        "ROADMAP_IMPORT_MAX_ROWS": max(
            settings.ROADMAP_IMPORT_MAX_ROWS, Milestone.objects.count()
        ),
        "ROADMAP_IMPORT_MAX_UNPACKED_BYTES": max(
            settings.ROADMAP_IMPORT_MAX_UNPACKED_BYTES, 20 * len(data)
        ),
    }
    with override_settings(**limits):
        with counted_writes() as writes:
            sample = measure(reimport, runs=runs)
        if writes or (
            Milestone.objects.aggregate(versions=Sum("version"), latest=Max("updated_at")) != state
        ):
            raise BenchError(
                f"Importing the exported workbook back wrote to the database ({len(writes)} "
                f"statements, the first: {writes[:1]})."
            )
        reading = measure(lambda: read_table(data), runs=runs)
        rows = len(read_table(data).rows)
    return [
        Row(
            "Excel (all rows) `/milestones.xlsx`",
            export,
            csv,
            "server time of the workbook ÷ the CSV of the same rows (goal: at most 3 s)",
            f"{rows:,} rows, {len(data) / 1_000_000:.1f} MB",
        ),
        Row(
            "import_milestones (that workbook, unchanged)",
            sample,
            reading,
            "checking every row and writing nothing ÷ reading the workbook alone "
            "(goal: at most 10 s)",
            f"{rows:,} rows unchanged, 0 statements written",
        ),
    ]


# The whole run -----------------------------------------------------------------------------


def quick_runs(runs: int) -> int:
    """Return the runs of a job timed in turns with its SQL baselines: twice ``runs``, and one.

    Such a job takes a tenth of a second at full size, and one run in four or five meets the
    server's periodic writes (a new WAL segment): two such runs of five would move the median.
    """
    return 2 * runs + 1


def run_all(
    *,
    runs: int = 5,
    requests: int = 20,
    as_of: date = AS_OF,
    partner: turns.Partner | None = None,
) -> list[Row]:
    """Run every benchmark and return the rows of the table (the pages in turns with
    ``partner``'s, if any)."""
    refresh_statistics()
    rows = bench_flag_overdue(runs=quick_runs(runs), as_of=as_of)
    scheduler.flag_overdue(as_of=as_of)
    rows.append(bench_queue_notifications(runs=quick_runs(runs), as_of=as_of))
    rows += bench_send_digests(runs=runs, as_of=as_of)
    rows += bench_pages(requests=requests, partner=partner)
    if partner is not None:
        # Its part is over: the partner stops serving when the pipe closes.
        partner.close()
    rows += bench_workbooks(runs=max(3, requests // 4))
    from bench.programme import bench_grid_save, bench_import_steps

    rows.append(bench_grid_save(runs=runs))
    rows.append(bench_import_steps())
    return rows


def machine() -> dict[str, str]:
    """Return a description of the machine and software the bench ran on."""
    return {
        "CPU": cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": memory_total(),
        "database": database_version(),
        **(
            {"database settings": database_settings()} if connection.vendor == "postgresql" else {}
        ),
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "load average when written (1, 5, 15 min)": ", ".join(
            f"{value:.1f}" for value in os.getloadavg()
        ),
    }


def cpu_model() -> str:
    lines = (
        Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    )
    models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return models[0] if models else platform.processor() or "unknown"


def memory_total() -> str:
    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        return "unknown"
    kib = int(meminfo.read_text().split("MemTotal:", 1)[1].split()[0])
    return f"{kib / 1024 / 1024:.1f} GiB"


def database_version() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


# The server settings that bound how much of a large import stays in memory.
SETTINGS_SHOWN = ("shared_buffers", "work_mem", "max_wal_size", "autovacuum", "jit")


def database_settings() -> str:
    """Return the PostgreSQL settings the bench's sessions ran with that matter at scale."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, current_setting(name) FROM unnest(%s::text[]) AS name",
            [list(SETTINGS_SHOWN)],
        )
        return ", ".join(f"{name} {value}" for name, value in cursor.fetchall())


def data_size() -> dict[str, int]:
    """Return the number of rows the benchmark ran over."""
    return {
        "milestones": Milestone.objects.count(),
        "steps": Step.objects.count(),
        "owners": Membership.objects.filter(role=Membership.Role.OWNER).count(),
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def table(rows: list[Row]) -> list[str]:
    """Return the rows as a Markdown table."""
    lines = [
        "| measured | median | p95 | queries | ratio | the ratio compares | notes |",
        "|---|--:|--:|--:|--:|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.name} | {ms(row.sample.median)} | {ms(row.sample.p95)} "
            f"| {row.sample.queries} | {row.ratio:.2f}× | {row.compares} | {row.note} |"
        )
    return lines


# Budgets ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """A limit one row must keep: on its ratio, its median time or its mails per second."""

    measured: str
    row: str
    kind: str  # "ratio" (at most), "median" (seconds, at most) or "rate" (mails/s, at least)
    limit: float

    def find(self, rows: list[Row]) -> Row | None:
        return next(
            (r for r in rows if r.name == self.row or r.name.startswith(f"{self.row} `")), None
        )

    def check(self, row: Row) -> tuple[str, str, bool]:
        """Return the measured value, the budget and whether it was kept, as text."""
        if self.kind == "ratio":
            kept = row.ratio <= self.limit
            # Digits enough to see the side of the limit it fell on (1.004× is not 1.00×).
            digits = 2 if kept or round(row.ratio, 2) > self.limit else 3
            return f"{row.ratio:.{digits}f}×", f"≤ {self.limit:.1f}×", kept
        if self.kind == "rate":
            rate = row.rate or 0.0
            return f"{rate:,.0f} mails/s", f"≥ {self.limit:,.0f} mails/s", rate >= self.limit
        median = row.sample.median
        return ms(median), f"≤ {ms(self.limit)}", median <= self.limit


BUDGETS = (
    Budget("flag_overdue ÷ hand-written UPDATE + history INSERT", "flag_overdue", "ratio", 1.0),
    Budget(
        "queue_notifications ÷ INSERT … SELECT … ON CONFLICT", "queue_notifications", "ratio", 1.5
    ),
    Budget("send_digests, mails per second (locmem)", "send_digests", "rate", 1000),
    Budget("send_digests ÷ ready-made messages (locmem)", "send_digests", "ratio", 5.0),
    Budget("dashboard `/dashboard/` median", "dashboard", "median", 0.100),
    Budget("CSV of all milestones", "CSV (all rows)", "median", 1.0),
    Budget("CSV, first byte", "CSV (all rows), first byte", "median", 0.200),
    Budget("iCal of all milestones", "iCal (all rows)", "median", 2.0),
    Budget("iCal, first byte", "iCal (all rows), first byte", "median", 0.200),
    Budget("timeline `/` median", "timeline", "median", 0.100),
    Budget("API first page median", "API (first page)", "median", 0.100),
    Budget("one milestone page median", "one milestone", "median", 0.100),
    Budget(
        "owner choice, every organization",
        "owner choice (every organization)",
        "median",
        0.100,
    ),
    Budget("programme `/programme/` median", "programme", "median", 0.100),
    Budget("programme API median", "programme API", "median", 0.100),
    Budget("programme as of a snapshot median", "programme as of a snapshot", "median", 0.100),
    Budget(
        "programme API as of a snapshot median",
        "programme API as of a snapshot",
        "median",
        0.100,
    ),
    Budget("one body's grid median", "one body's grid", "median", 0.100),
    Budget("saving a full grid", "save one body's full grid (800 cells)", "median", 0.300),
    Budget("import_steps of the national file", "import_steps, national file", "median", 60.0),
)


def budget_table(rows: list[Row]) -> list[str]:
    """Return the budgets as a Markdown table with pass or fail beside each."""
    lines = ["| budget | measured | limit | result |", "|---|--:|--:|---|"]
    for budget in BUDGETS:
        row = budget.find(rows)
        if row is None:
            continue
        measured, limit, kept = budget.check(row)
        lines.append(
            f"| {budget.measured} | {measured} | {limit} | {'pass' if kept else 'FAIL'} |"
        )
    return lines


# Growth ----------------------------------------------------------------------------------------

# Rows whose work grows with the data (whole-table jobs, exports and imports): linear is the
# expectation. Every other row, a page or one body's work, should cost the same at any size.
GROWING = (
    "flag_overdue",
    "queue_notifications",
    "send_digests",
    "CSV (all rows) `",
    "iCal (all rows) `",
    "Excel (all rows) `",
    "import_milestones",
    "import_steps",
    "owner choice (every organization) `",
)
# Allowed excess over linear (jobs) or constant (pages) at the larger scale.
GROWTH_SLACK = 1.2


def row_key(name: str) -> str:
    """Return the row's name without its address: the one-milestone page's number differs."""
    return name.split(" `", 1)[0]


def summary(rows: list[Row]) -> list[dict]:
    """Return what the growth table needs of each row, as JSON-ready values."""
    return [
        {
            "name": row.name,
            "median": row.sample.median,
            "queries": row.sample.queries,
            "baseline": row.baseline.median,
        }
        for row in rows
    ]


def write_summary(rows: list[Row], path: Path) -> None:
    path.write_text(json.dumps(summary(rows)), encoding="utf-8")


@dataclass(frozen=True)
class Growth:
    """One row at both sizes: how much it grew and whether that is within its bound."""

    row: Row
    scaled: dict
    scale: int

    @property
    def grows(self) -> bool:
        """Whether the row's work grows with the data (else it should stay constant)."""
        return self.row.name.startswith(GROWING) and "first byte" not in self.row.name

    @property
    def before(self) -> float:
        """The median at 1×: of the requests timed in turns with those at the larger size, if
        the row was (``bench.turns``), else of the first run."""
        return self.scaled.get("paired_median") or self.row.sample.median

    @property
    def ratio(self) -> float:
        return self.scaled["median"] / self.before

    @property
    def limit(self) -> float:
        return GROWTH_SLACK * (self.scale if self.grows else 1)

    @property
    def baseline_ratio(self) -> float | None:
        """How much the row's baseline grew in the same runs (None if not measured at both)."""
        before, after = self.row.baseline.median, self.scaled.get("baseline")
        return after / before if before and after else None

    @property
    def kept(self) -> bool:
        return self.ratio <= self.limit


def growths(rows: list[Row], scaled: list[dict], *, scale: int) -> list[Growth]:
    """Return each row measured at both sizes."""
    larger = {row_key(item["name"]): item for item in scaled}
    return [
        Growth(row, larger[row_key(row.name)], scale)
        for row in rows
        if row_key(row.name) in larger and row.sample.median
    ]


def growth_table(rows: list[Row], scaled: list[dict], *, scale: int) -> list[str]:
    """Return each row at 1× and at ``scale``×, their ratio, and whether it grew as it should."""
    lines = [
        f"| measured | 1× median | {scale}× median | {scale}× ÷ 1× | expected | result |",
        "|---|--:|--:|--:|--:|---|",
    ]
    for growth in growths(rows, scaled, scale=scale):
        expected = f"≤ {growth.limit:.1f}× ({'linear' if growth.grows else 'constant'})"
        lines.append(
            f"| {growth.row.name} | {ms(growth.before)} "
            f"| {ms(growth.scaled['median'])} | {growth.ratio:.2f}× | {expected} "
            f"| {'pass' if growth.kept else 'FAIL'} |"
        )
    return lines


# Why a row may grow more than it should at a larger scale, and what would keep it in bounds.
EXPLANATIONS = {
    "admin: steps": "the admin's step list is paged by the number of steps the database "
    "keeps (roadmap_rowcount); if it grew, the kept row was missing and the steps were "
    "counted: `manage.py recount_dashboard` restores it.",
    "admin: milestones": "the admin's milestone list is paged by the kept number of "
    "milestones and its filters read the prefectures only; if it grew, the kept row was "
    "missing (`manage.py recount_dashboard` restores it).",
    "timeline": "the page is read off the (day, ref) index, paged by the kept number of "
    "milestones, and carries only the owner chosen (the rest is fetched by its script from "
    "`/owners/options/`); what remains is the fiscal years' MIN/MAX over the deadline index "
    "and the page itself.",
    "API (first page)": "the page comes off the (day, ref) index and its `count` is the kept "
    "number of milestones when unfiltered; a filtered `count` is a COUNT(*) of the matching "
    "milestones: keyset pages without a total would keep those flat too.",
    "dashboard": "the unfiltered dashboard reads stored figures: its sections through their "
    "index, the owner rows counted by their last stored position and the designations as "
    "kept per reason by their triggers; it carries only the owner chosen (the rest is "
    "fetched by its script from `/owners/options/`).",
    "owner choice (every organization)": "the options of every organization are stored as "
    "rendered (one row, read while the count of changes holds) and sent whole: their size is "
    "the number of organizations. A browser holding them asks again with their ETag and gets "
    "304 Not Modified for one row read; splitting them by prefecture would bound the first "
    "fetch as well.",
    "programme": "the overview reads the counts kept per prefecture's system, the designations "
    "kept per reason, the number of bodies kept by the body tallies' triggers and a page of the "
    "body tallies in code order: growth here is in the indexes read for that page, deeper at "
    "this size, or the machine's load during the run.",
    "programme API": "the national figures are summed from the counts kept per prefecture's "
    "system (47 × 20 rows at any size), the designations kept per reason and the number of "
    "bodies kept by the body tallies' triggers: growth here is the machine's load during the "
    "run, not the data.",
    "programme as of a snapshot": "the overview reads the snapshot's sums per prefecture's "
    "system (47 × 20 rows at any size) and a page of its bodies in code order, which the "
    "planner chooses only when it knows the snapshot's rows (taking a snapshot analyzes its "
    "tables); if it grew, the planner sorted every body of the snapshot for the page: "
    "EXPLAIN ANALYZE on the larger database shows which.",
    "programme API as of a snapshot": "the national figures are read from the snapshot's sums "
    "per prefecture's system (47 × 20 rows at any size): growth here is in the indexes read, "
    "larger at this size.",
    "trivial request (baseline)": "the baseline does the same work at any size (the "
    "middleware and SELECT 1): its growth is the machine's load during the run, not the data; "
    "a run on a quiet machine, with more requests, settles it.",
    "CSV (all rows), first byte": "the header is written before any row is read, after one "
    "read of the count of changes (the ETag): growth here is the machine's load, not the data.",
    "iCal (all rows), first byte": "the calendar's header is written before any event is "
    "read, after one read of the count of changes (the ETag): growth here is the machine's "
    "load, not the data.",
    "flag_overdue": "the overdue rule is checked against every milestone, one sequential "
    "read of the table (as its baseline does); the flags themselves are written in place, "
    "touching no index. At ten times the programme the table (about 220 MB) outgrows the "
    "server's shared_buffers (128 MB by default), so that read comes from the operating "
    "system's cache and writes out, on its way, the pages earlier statements left dirty. "
    "shared_buffers holding the milestone table, or the milestones partitioned by plan so "
    "that each part is read apart, keeps it linear.",
    "import_steps": "the national file has a row per step, so it grows with the copies; more "
    "than linear means a statement's rows no longer fit in the server's memory: a large "
    "report is given 64 MB of work_mem, in which the national report's joins with the stored "
    "steps fit at full size but at ten times it are sorted on disk, and the steps, the step "
    "log and their indexes outgrow shared_buffers (128 MB by default), so that pages are "
    "written out by the import itself and checkpoints come every few seconds. Importing per "
    "prefecture keeps each statement in memory; more shared_buffers and max_wal_size keep "
    "the pages and space the checkpoints.",
}


def growth_explanations(rows: list[Row], scaled: list[dict], *, scale: int) -> list[str]:
    """Return why each row that grew more than it should did, and what would fix it."""
    explained = []
    for growth in growths(rows, scaled, scale=scale):
        if growth.kept:
            continue
        key = row_key(growth.row.name)
        reason = EXPLANATIONS.get(key) or next(
            (text for name, text in EXPLANATIONS.items() if key.startswith(name)), None
        )
        explained.append(f"{key}: {baseline_growth(growth)}{reason or generic_reason(growth)}")
    return explained or ["Every row grew within its bound."]


def baseline_growth(growth: Growth) -> str:
    """Say so when a job's own baseline grew past the bound too: the database's cost, not its."""
    grew = growth.baseline_ratio
    if not growth.grows or grew is None or grew <= growth.limit:
        return ""
    baseline = growth.row.compares.partition("÷")[2].strip() or "its baseline"
    return (
        f"its baseline ({baseline}) grew {grew:.2f}× in the same run, so the excess is the "
        "database's at this size rather than the job's own work; "
    )


def generic_reason(growth: Growth) -> str:
    """Return why a row without a recorded explanation grew, from its query counts."""
    before, after = growth.row.sample.queries, growth.scaled["queries"]
    queries = f"{before} {'query' if before == 1 else 'queries'}"
    # A job's queries may grow with the data (a marking statement per mail); a page's may not.
    allowed = before * (growth.limit if growth.grows else 1)
    if after > allowed:
        return (
            f"its queries grew from {before} to {after}: something runs a query per row; one "
            "query for all of them keeps it in bounds."
        )
    if growth.grows:
        return (
            f"its {queries} took more than linear time: a sort or join no longer fits in "
            "memory, or an index no longer fits in the cache, at this size — EXPLAIN ANALYZE "
            "on the larger database shows which; partitioning the tables by programme (or more "
            "work_mem) brings it back to linear."
        )
    return (
        f"its {queries} cost more at this size: one reads rows in proportion to the data — a "
        "COUNT or an aggregate over a whole table (keep that figure stored, as the dashboard's "
        "are, or estimated) or a lookup without an index (add the index); EXPLAIN ANALYZE on "
        "the larger database shows which. Partitioning by programme, or a replica for the "
        "reads, bounds what remains."
    )


def report(
    rows: list[Row],
    *,
    runs: int,
    requests: int,
    as_of: date = AS_OF,
    scaled: list[dict] | None = None,
    scale: int = 1,
    load: str = "",
    scaled_seconds: float | None = None,
) -> str:
    """Return the Markdown report of a bench run with the machine's description."""
    size = data_size()
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); do not edit by hand.",
        "",
        f"Run on {timezone.localtime():%Y-%m-%d %H:%M %Z} over {size['milestones']:,} milestones, "
        f"{size['steps']:,} steps and {size['owners']:,} owners, jobs for {as_of}. "
        f"Jobs: median of {runs} runs after a warm-up ({quick_runs(runs)} for flag_overdue and "
        "queue_notifications), send_digests and these two timed in turns with their "
        "baselines; pages: median and p95 "
        f"of {requests} requests ({max(3, requests // 4)} for the whole-table exports) through "
        "Django's test client (server time, no network). Queries are those of one run or "
        "request. Each ratio divides two medians measured in this run, so it carries across "
        "machines better than the times do.",
        "",
        *table(rows),
        "",
        "## Budgets",
        "",
        "Each budget is checked against the row above it names; times are server medians.",
        "",
        *budget_table(rows),
        "",
    ]
    if scaled:
        lines += [
            f"## Growth: 1× and {scale}×",
            "",
            f"The same bench on a second database holding {scale} copies of the programme "
            f"({scale * size['milestones']:,} milestones, about {scale * size['steps']:,} steps). "
            f"Each ratio divides the median at {scale}× by the median at 1×. Jobs, whole-table "
            f"exports and imports pass within {GROWTH_SLACK}× of linear (≤ "
            f"{GROWTH_SLACK * scale:.1f}×), pages and one body's work within {GROWTH_SLACK}× of "
            "constant; below the table, each FAIL with why it grew and what would fix it. "
            f"The pages are timed at both sizes in turns: the run at {scale}× times each page in "
            f"rounds, and before each round this run's process times the same page at 1× for "
            "as many requests while the other waits, so both medians carry the same moments "
            "of the machine (their 1× median is of those requests; the table above keeps its "
            "own). The jobs compare the two runs."
            + (
                f" The run at {scale}× (its database made when missing) took "
                f"{scaled_seconds / 60:,.0f} min."
                if scaled_seconds
                else ""
            ),
            "",
            *growth_table(rows, scaled, scale=scale),
            "",
            *[f"- {line}" for line in growth_explanations(rows, scaled, scale=scale)],
            "",
        ]
    lines += [
        "## Machine",
        "",
        *[f"- {name}: {value}" for name, value in machine().items()],
        *([f"- load average when the run started (1, 5, 15 min): {load}"] if load else []),
        "",
    ]
    return "\n".join(lines)
