"""Monthly snapshots: the programme's counts frozen as of a day, so a published figure stays true.

A snapshot copies, for each body's system, how many steps were in each state at the end of the
``as_of`` day and whether the system was designated by then. Steps changed later are read back
from their change log (the old state of their first change after the day), so a snapshot taken
late still describes its day. In the same transaction its rows are summed into the shapes the
pages read (``store_sums``), so no request adds them up. Once written, a snapshot is never
changed; taking the same day again returns the one there is.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from roadmap.models import Milestone, Step, StepState
from roadmap.programme.models import (
    Designation,
    ProgressSnapshot,
    SnapshotBodyTally,
    SnapshotDesignationTally,
    SnapshotRow,
    SnapshotSystemTally,
    StepChange,
    SystemProgress,
)
from roadmap.standard_steps import STEP_COUNT


def last_month_end(today: date) -> date:
    """Return the last day of the month before ``today``'s."""
    return today.replace(day=1) - timedelta(days=1)


def take_snapshot(*, as_of: date) -> tuple[ProgressSnapshot, bool]:
    """Freeze the programme's counts as of ``as_of``; return the snapshot and whether it is new."""
    if as_of > timezone.localdate():
        raise ValidationError(
            _("A snapshot describes a day that has ended; %(day)s is in the future.")
            % {"day": as_of.isoformat()}
        )
    existing = ProgressSnapshot.objects.filter(as_of=as_of).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            snapshot = ProgressSnapshot.objects.create(as_of=as_of)
            write_rows(snapshot)
            store_sums(snapshot)
            snapshot.refresh_from_db()
    except IntegrityError:
        # Another run took the same day between our look and our insert.
        return ProgressSnapshot.objects.get(as_of=as_of), False
    analyze_snapshot_tables()
    return snapshot, True


SNAPSHOT_TABLES = (SnapshotRow, SnapshotSystemTally, SnapshotBodyTally, SnapshotDesignationTally)


def analyze_snapshot_tables() -> None:
    """Give PostgreSQL's planner the new snapshot's rows at once.

    Each month adds a snapshot's worth of rows under a new snapshot id, which the statistics
    do not know until the tables are analyzed again; and once the tables hold ten snapshots, a
    month's rows are too few to make autovacuum analyze them at all. Without them the planner
    expects a handful of rows for the new snapshot and sorts all its bodies for a page of the
    body table, instead of reading the page in code order (100 ms instead of 2 ms for 17,880
    bodies).
    """
    if connection.vendor == "postgresql":
        tables = ", ".join(model._meta.db_table for model in SNAPSHOT_TABLES)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}")


def write_rows(snapshot: ProgressSnapshot) -> None:
    """Insert the snapshot's rows with one INSERT … SELECT."""
    day = snapshot.as_of
    end_of_day = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    row, progress = SnapshotRow._meta.db_table, SystemProgress._meta.db_table
    designation = Designation._meta.db_table
    reason = (
        f"(SELECT d.reason FROM {designation} d WHERE d.milestone_id = p.milestone_id"  # noqa: S608
        " AND d.decided_at < %s)"
    )
    columns = (
        "snapshot_id, body_id, prefecture_id, system, done, in_progress, not_started,"
        " not_applicable, designation_reason"
    )
    with connection.cursor() as cursor:
        if not Step.objects.filter(changed_on__gt=day).exists():
            # Nothing changed after the day: the live counts are the day's counts.
            cursor.execute(
                f"INSERT INTO {row} ({columns}) SELECT %s, p.body_id, p.prefecture_id, p.system,"  # noqa: S608
                f" p.done, p.in_progress, p.not_started, p.not_applicable, {reason}"
                f" FROM {progress} p WHERE NOT p.cancelled",
                [snapshot.pk, end_of_day],
            )
            return
        cursor.execute(
            f"INSERT INTO {row} ({columns}) SELECT %s, p.body_id, p.prefecture_id, p.system,"  # noqa: S608
            f" {state_count(StepState.DONE)}, {state_count(StepState.IN_PROGRESS)},"
            f" {STEP_COUNT} - {state_count(StepState.DONE)} - {state_count(StepState.IN_PROGRESS)}"
            f" - {state_count(StepState.NOT_APPLICABLE)}, {state_count(StepState.NOT_APPLICABLE)},"
            f" {reason} FROM {progress} p LEFT JOIN ({states_as_of()}) a"
            " ON a.milestone_id = p.milestone_id WHERE NOT p.cancelled"
            " GROUP BY p.milestone_id, p.body_id, p.prefecture_id, p.system",
            [snapshot.pk, end_of_day, day, day],
        )


# A tally's sums of a group of snapshot rows, in the order of its columns.
ROW_SUMS = "COUNT(*), SUM(done + not_applicable), SUM(in_progress), SUM(not_started)"
TALLY_COLUMNS = "systems, complete, in_progress_steps, not_started_steps"


def store_sums(snapshot: ProgressSnapshot | None = None) -> None:
    """Sum the rows of ``snapshot`` (None: of every snapshot) into its empty tallies and totals.

    The tallies are the shapes the live pages read, so a page as of a snapshot reads as few
    rows as a live one: each is one INSERT … SELECT, then one UPDATE sets the snapshot's totals.
    """
    rows = SnapshotRow._meta.db_table
    if snapshot is None:
        only, itself, params = "1 = 1", "1 = 1", []
    else:
        only, itself, params = "snapshot_id = %s", "id = %s", [snapshot.pk]
    statements = (
        f"INSERT INTO {SnapshotSystemTally._meta.db_table}"  # noqa: S608
        f" (snapshot_id, prefecture_id, system, {TALLY_COLUMNS})"
        f" SELECT snapshot_id, prefecture_id, system, {ROW_SUMS} FROM {rows} WHERE {only}"
        " GROUP BY snapshot_id, prefecture_id, system",
        f"INSERT INTO {SnapshotBodyTally._meta.db_table}"  # noqa: S608
        f" (snapshot_id, body_id, prefecture_id, {TALLY_COLUMNS})"
        f" SELECT snapshot_id, body_id, MAX(prefecture_id), {ROW_SUMS} FROM {rows}"
        f" WHERE {only} GROUP BY snapshot_id, body_id",
        f"INSERT INTO {SnapshotDesignationTally._meta.db_table}"  # noqa: S608
        " (snapshot_id, reason, systems, bodies)"
        " SELECT snapshot_id, designation_reason, COUNT(*), COUNT(DISTINCT body_id)"
        f" FROM {rows} WHERE {only} AND designation_reason IS NOT NULL"
        " GROUP BY snapshot_id, designation_reason",
        f"UPDATE {ProgressSnapshot._meta.db_table} SET {totals()} WHERE {itself}",  # noqa: S608
    )
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, params)


def totals() -> str:
    """Return the SET list of a snapshot's totals, read from its tallies and rows."""
    table = ProgressSnapshot._meta.db_table

    def of(model, value: str) -> str:
        return (
            f"COALESCE((SELECT {value} FROM {model._meta.db_table} t"  # noqa: S608
            f" WHERE t.snapshot_id = {table}.id), 0)"
        )

    national = {
        name: of(SnapshotSystemTally, f"SUM(t.{name})") for name in TALLY_COLUMNS.split(", ")
    }
    return ", ".join(
        f"{name} = {value}"
        for name, value in {
            **national,
            "bodies": of(SnapshotBodyTally, "COUNT(*)"),
            "designated_systems": of(SnapshotDesignationTally, "SUM(t.systems)"),
            "designated_bodies": of(
                SnapshotRow,
                "COUNT(DISTINCT CASE WHEN t.designation_reason IS NOT NULL THEN t.body_id END)",
            ),
        }.items()
    )


def state_count(state: str) -> str:
    return f"COALESCE(SUM(CASE WHEN a.state = '{state}' THEN 1 ELSE 0 END), 0)"


def states_as_of() -> str:
    """Return SQL for each stored step's state at the end of a day (two date parameters)."""
    step, change = Step._meta.db_table, StepChange._meta.db_table
    return (
        "SELECT s.milestone_id, s.number, CASE WHEN s.changed_on IS NULL OR s.changed_on <= %s"  # noqa: S608
        " THEN s.state ELSE COALESCE((SELECT c.old_state FROM"
        f" {change} c WHERE c.milestone_id = s.milestone_id AND c.number = s.number"
        " AND c.changed_on > %s ORDER BY c.changed_on, c.id LIMIT 1),"
        f" '{StepState.NOT_STARTED}') END AS state FROM {step} s"
    )


def snapshot_for(as_of: date | None) -> ProgressSnapshot | None:
    """Return the snapshot of ``as_of`` (None: live), or raise LookupError if there is none."""
    if as_of is None:
        return None
    snapshot = ProgressSnapshot.objects.filter(as_of=as_of).first()
    if snapshot is None:
        raise LookupError(as_of)
    return snapshot


def states_as_of_for(body, day: date) -> dict[tuple[int, int], str]:
    """Return one body's step states at the end of ``day`` by (business system, step)."""
    milestone = Milestone._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.business_system, a.number, a.state FROM ({states_as_of()}) a"  # noqa: S608
            f" JOIN {milestone} m ON m.id = a.milestone_id WHERE m.owner_id = %s",
            [day, day, body.pk],
        )
        return {(system, number): state for system, number, state in cursor.fetchall()}
