"""Benchmarks of programme reporting: saving a full grid and importing the national file."""

from __future__ import annotations

import csv
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from bench.benchmarks import Row, Sample, measure, vacuum
from roadmap.models import Milestone, Step, StepState
from roadmap.programme.models import BodyTally, StepChange, SystemProgress, SystemTally
from roadmap.programme.reports import import_steps
from roadmap.programme.steps import grid_states, report_body

FLIP = {
    StepState.DONE: StepState.IN_PROGRESS,
    StepState.IN_PROGRESS: StepState.DONE,
    StepState.NOT_STARTED: StepState.IN_PROGRESS,
    StepState.NOT_APPLICABLE: StepState.DONE,
}


def grid_body():
    """Return the municipality with the lowest code, with its 20 systems."""
    return Milestone.objects.filter(business_system=20).order_by("owner__code").first().owner


@contextmanager
def undone():
    """Run the block in a transaction rolled back at its end: the bench leaves no trace."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def bench_grid_save(*, runs: int) -> Row:
    """Time saving a whole grid (800 changed cells) against one UPDATE of the same 800 steps."""
    body = grid_body()
    user = get_user_model().objects.filter(is_superuser=True).first()
    ids = list(
        Milestone.objects.filter(owner=body, business_system__isnull=False).values_list(
            "pk", flat=True
        )
    )

    def grid():
        # What the grid's page reads: the body's milestones, then their stored states.
        milestones = list(Milestone.objects.filter(pk__in=ids).order_by("business_system"))
        flipped = {key: FLIP[state] for key, state in grid_states(milestones).items()}
        return flipped, {milestone.business_system: milestone.version for milestone in milestones}

    def save():
        flipped, seen = grid()
        report_body(body=body, states=flipped, seen=seen, user=user)

    def sql():
        marks = ", ".join(["%s"] * len(ids))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Step._meta.db_table} SET state = CASE state WHEN 'done' THEN"  # noqa: S608
                f" 'in_progress' ELSE 'done' END WHERE milestone_id IN ({marks})",
                ids,
            )

    with undone():
        job = measure(save, runs=runs)
        baseline = measure(sql, runs=runs)
    return Row(
        "save one body's full grid (800 cells)",
        job,
        baseline,
        "report_body ÷ one hand-written UPDATE of the same 800 steps",
        f"{len(ids)} systems",
    )


def national_file(folder: Path) -> tuple[Path, int]:
    """Write the national report: every step of every programme milestone, states flipped."""
    path = folder / "steps.csv"
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["body", "system", "step", "state"])
        query = Step.objects.filter(milestone__business_system__isnull=False).values_list(
            "milestone__owner__code", "milestone__business_system", "number", "state"
        )
        for code, system, number, state in query.iterator(chunk_size=20000):
            writer.writerow([code, system, number, FLIP[state]])
            rows += 1
    return path, rows


def bench_import_steps() -> Row:
    """Time import_steps of the full national file once, against COPY of the same file."""
    with tempfile.TemporaryDirectory() as folder, undone():
        path, rows = national_file(Path(folder))
        started = time.perf_counter()
        result = import_steps(path)
        seconds = time.perf_counter() - started
        again = time.perf_counter()
        second = import_steps(path)
        second_seconds = time.perf_counter() - again
        copy = copy_file(path)
    # Both imports were rolled back: their row versions are dead and left to vacuum.
    vacuum(
        Step,
        StepChange,
        SystemProgress,
        SystemTally,
        BodyTally,
        Milestone,
        Milestone.history.model,
    )
    note = (
        f"{rows:,} rows, {result.outcome.steps:,} steps changed; second run of the same "
        f"file {second_seconds:.1f} s, {second.outcome.steps} changed"
    )
    return Row(
        "import_steps, national file",
        Sample([seconds], 0),
        Sample([copy], 0),
        "import_steps ÷ COPY of the same file into a bare table",
        note,
    )


def copy_file(path: Path) -> float:
    """Return the seconds COPY (on SQLite, one INSERT per row) takes to load the file."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_copy (body text, system int, step int, state text)"
        )
        if connection.vendor == "postgresql":
            statement = "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)"
            with path.open("rb") as handle, cursor.cursor.copy(statement) as copy:
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
        else:
            with path.open(encoding="utf-8", newline="") as handle:
                rows = list(csv.reader(handle))[1:]
            cursor.executemany("INSERT INTO bench_copy VALUES (%s, %s, %s, %s)", rows)
        cursor.execute("DROP TABLE bench_copy")
    return time.perf_counter() - started
