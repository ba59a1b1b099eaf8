"""Record step states: the one write path for the owners' grid and the monthly import.

Whatever the number of cells, a report is written set-based: the cells go into a temporary
table, and a fixed number of statements compare them with the stored steps, log each change,
update and insert the steps, recount the touched systems and let each milestone's status follow
its steps. Writing the same report twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from roadmap import security
from roadmap.models import Milestone, Step, StepState
from roadmap.programme.models import StepChange, SystemProgress
from roadmap.services.milestones import check_version
from roadmap.services.scheduler import overdue_flag
from roadmap.standard_steps import STEP_COUNT

REPORT_TABLE = "roadmap_step_report"
CHANGES_TABLE = "roadmap_step_changes"
# The milestones a report changed: those with a changed step.
TOUCHED = f"SELECT DISTINCT milestone_id FROM {CHANGES_TABLE}"  # noqa: S608
# PostgreSQL's memory for each sort, hash and grouping of a large report (see ``stage``): the
# national report's joins with the stored steps then fit in memory (at ten times the programme
# they spill less); in the default 4 MB they were done on disk in many batches.
LARGE_REPORT_WORK_MEM = "64MB"
# Reported cells beyond which a report's joins and groupings outgrow the default work_mem.
LARGE_REPORT = 50_000
STEPS_REASON = "標準化の手順の進捗を報告"


@dataclass(frozen=True)
class Cell:
    """One reported state: a milestone's step."""

    milestone_id: int
    number: int
    state: str


@dataclass(frozen=True)
class Outcome:
    """What a report changed."""

    steps: int
    milestones: int


@transaction.atomic
def record_steps(*, cells: Iterable[Cell], user, on: date | None = None) -> Outcome:
    """Write the reported states of steps, refusing milestones ``user`` may not change.

    ``user`` None is the operator's import, allowed everything.
    """
    with connection.cursor() as cursor:
        stage(cursor, ((c.milestone_id, c.number, c.state) for c in cells))
        return record_staged(cursor, user=user, on=on)


def record_staged(cursor, *, user, on: date | None = None) -> Outcome:
    """Write the report staged by ``stage`` on this connection (within a transaction)."""
    day, now = on or timezone.localdate(), timezone.now()
    if user is not None:
        refuse_unless_editable(cursor, user)
    lock_reported(cursor)
    changed = log_changes(cursor, user, day, now)
    if changed:
        write_steps(cursor, user, day)
        count_changes(cursor)
        follow_steps(user, day, now)
    milestones = count_touched(cursor)
    empty(cursor)
    return Outcome(changed, milestones)


def empty(cursor) -> None:
    """Empty the temporary tables (TRUNCATE on PostgreSQL: a national report is 1.4 M rows)."""
    if connection.vendor == "postgresql":
        cursor.execute(f"TRUNCATE {REPORT_TABLE}, {CHANGES_TABLE}")
        return
    cursor.execute(f"DELETE FROM {REPORT_TABLE}")  # noqa: S608
    cursor.execute(f"DELETE FROM {CHANGES_TABLE}")  # noqa: S608


def stage(cursor, rows: Iterable[tuple[int, int, str]]) -> None:
    """Put reported (milestone id, step, state) rows into this connection's report table."""
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {REPORT_TABLE}"
        " (milestone_id integer NOT NULL, number smallint NOT NULL, state varchar(14) NOT NULL)"
    )
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {CHANGES_TABLE} (step_id bigint, milestone_id integer"
        " NOT NULL, number smallint NOT NULL, old_state varchar(14) NOT NULL,"
        " new_state varchar(14) NOT NULL)"
    )
    empty(cursor)
    if connection.vendor == "postgresql":
        staged = 0
        with cursor.cursor.copy(
            f"COPY {REPORT_TABLE} (milestone_id, number, state) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
                staged += 1
        # Fresh statistics, or the planner takes a few reported cells for many and scans
        # every stored step instead of looking each one up.
        cursor.execute(f"ANALYZE {REPORT_TABLE}")
        if staged > LARGE_REPORT:
            # A national report (1.4 million cells; 14 million at ten times the programme) is
            # joined with the stored steps, sorted by step and grouped by milestone: in memory
            # rather than on disk in many batches. For this transaction only.
            cursor.execute(f"SET LOCAL work_mem = '{LARGE_REPORT_WORK_MEM}'")
    else:
        cursor.executemany(f"INSERT INTO {REPORT_TABLE} VALUES (%s, %s, %s)", list(rows))  # noqa: S608


def lock_reported(cursor) -> None:
    """Lock the reported milestones in id order, so that two reports wait rather than deadlock."""
    reported = RawSQL(f"SELECT milestone_id FROM {REPORT_TABLE}", [])  # noqa: S608, S611
    list(Milestone.objects.filter(pk__in=reported).order_by("pk").select_for_update().values("pk"))


def refuse_unless_editable(cursor, user) -> None:
    """Refuse (logged, 403) unless ``user`` may change every reported milestone."""
    reported = Milestone.objects.filter(
        pk__in=RawSQL(f"SELECT DISTINCT milestone_id FROM {REPORT_TABLE}", [])  # noqa: S608, S611
    )
    # Only the reported rows are looked up among the editable ones, not every milestone.
    editable = reported.editable_by(user).values("pk")
    refused = reported.exclude(pk__in=editable).order_by("pk").values_list("pk", flat=True)
    refused = list(refused[:20])
    if refused:
        raise security.refuse(
            user,
            "report steps",
            milestone_ids=refused,
            message=_("You may report the steps of your own organization only."),
        )


def log_changes(cursor, user, day: date, now) -> int:
    """Find and log each reported state that differs from the stored one; return how many.

    The differences (with the stored step's id, if any) go into the changes table, so that
    the stored steps are joined with the report once, and written by their ids after. They go
    in sorted by milestone and step: the join's hash batches would otherwise scatter them, and
    the step log's index (milestone, step, day) and the steps would then be written at random
    places, each a page read and written back once they outgrow the server's buffers (at ten
    times the programme this statement took 192 s unsorted, 80 s sorted).
    """
    step, change = Step._meta.db_table, StepChange._meta.db_table
    cursor.execute(
        f"INSERT INTO {CHANGES_TABLE} SELECT s.id, r.milestone_id, r.number,"  # noqa: S608
        f" COALESCE(s.state, '{StepState.NOT_STARTED}') AS old, r.state FROM {REPORT_TABLE} r"
        f" LEFT JOIN {step} s ON s.milestone_id = r.milestone_id AND s.number = r.number"
        f" WHERE COALESCE(s.state, '{StepState.NOT_STARTED}') <> r.state"
        " ORDER BY r.milestone_id, r.number"
    )
    changed = cursor.rowcount
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {CHANGES_TABLE}")
    cursor.execute(
        f"INSERT INTO {change} (milestone_id, number, old_state, new_state, changed_on,"  # noqa: S608
        " changed_at, changed_by_id) SELECT milestone_id, number, old_state, new_state, %s, %s,"
        f" %s FROM {CHANGES_TABLE}",
        [day, now, user.pk if user else None],
    )
    return changed


def write_steps(cursor, user, day: date) -> None:
    """Insert the changed steps not stored yet and update the stored ones, by their ids."""
    step = Step._meta.db_table
    who = user.pk if user else None
    cursor.execute(
        f"INSERT INTO {step} (milestone_id, number, state, changed_on, changed_by_id)"  # noqa: S608
        f" SELECT milestone_id, number, new_state, %s, %s FROM {CHANGES_TABLE}"
        " WHERE step_id IS NULL",
        [day, who],
    )
    # In the stored steps' order (their ids, as they were written), not the report's: a national
    # report rewrites every step, and visiting them at random makes each update read, dirty and
    # write back a page of its own once the table no longer fits in the server's buffers.
    cursor.execute(
        f"UPDATE {step} SET state = c.new_state, changed_on = %s, changed_by_id = %s"  # noqa: S608
        f" FROM (SELECT step_id, new_state FROM {CHANGES_TABLE} WHERE step_id IS NOT NULL"
        f" ORDER BY step_id) c WHERE {step}.id = c.step_id",
        [day, who],
    )


def count_changes(cursor) -> None:
    """Move the touched milestones' progress counts by their logged changes.

    Each changed step leaves its old state's count and joins its new state's: one pass over
    the changes rather than a recount of the touched milestones' steps, which for a national
    report is every step just rewritten. A milestone without progress row yet is counted.
    """
    progress = SystemProgress._meta.db_table
    # A progress row has one column per state, named as the state.
    states = StepState.values
    moved = ", ".join(
        f"SUM(CASE WHEN new_state = '{state}' THEN 1 ELSE 0 END)"
        f" - SUM(CASE WHEN old_state = '{state}' THEN 1 ELSE 0 END) AS {state}"
        for state in states
    )
    columns = ", ".join(f"{state} = {progress}.{state} + d.{state}" for state in states)
    cursor.execute(
        f"UPDATE {progress} SET {columns} FROM (SELECT milestone_id, {moved}"  # noqa: S608
        f" FROM {CHANGES_TABLE} GROUP BY milestone_id) d"
        f" WHERE {progress}.milestone_id = d.milestone_id"
    )
    uncounted = (
        f" WHERE NOT EXISTS (SELECT 1 FROM {progress} p"  # noqa: S608
        f" WHERE p.milestone_id = {CHANGES_TABLE}.milestone_id)"
    )
    recount(cursor, TOUCHED + uncounted)


def recount(cursor, touched: str = TOUCHED) -> None:
    """Recount the states of the touched milestones' steps into their progress rows."""
    count = "SUM(CASE WHEN s.state = '{}' THEN 1 ELSE 0 END)"
    done = count.format(StepState.DONE)
    doing = count.format(StepState.IN_PROGRESS)
    na = count.format(StepState.NOT_APPLICABLE)
    cursor.execute(
        f"INSERT INTO {SystemProgress._meta.db_table} (milestone_id, body_id, prefecture_id,"  # noqa: S608
        " system, cancelled, done, in_progress, not_applicable, not_started)"
        " SELECT m.id, m.owner_id, COALESCE(o.parent_id, o.id), m.business_system,"
        f" m.status = '{Milestone.Status.CANCELLED}',"
        f" COALESCE({done}, 0), COALESCE({doing}, 0), COALESCE({na}, 0),"
        f" {STEP_COUNT} - COALESCE({done}, 0) - COALESCE({doing}, 0) - COALESCE({na}, 0)"
        f" FROM {Milestone._meta.db_table} m"
        " JOIN roadmap_organization o ON o.id = m.owner_id"
        f" LEFT JOIN {Step._meta.db_table} s ON s.milestone_id = m.id"
        f" WHERE m.business_system IS NOT NULL AND m.id IN ({touched})"
        " GROUP BY m.id, m.owner_id, o.parent_id, o.id, m.business_system, m.status"
        " ON CONFLICT (milestone_id) DO UPDATE SET done = excluded.done,"
        " in_progress = excluded.in_progress, not_applicable = excluded.not_applicable,"
        " not_started = excluded.not_started, body_id = excluded.body_id,"
        " prefecture_id = excluded.prefecture_id, system = excluded.system,"
        " cancelled = excluded.cancelled"
    )


def recount_all() -> None:
    """Recount every programme milestone's steps (after a bulk load outside the service)."""
    with connection.cursor() as cursor:
        recount(
            cursor,
            f"SELECT id FROM {Milestone._meta.db_table} WHERE business_system IS NOT NULL",  # noqa: S608
        )


def follow_steps(user, day: date, now) -> None:
    """Let the touched milestones' status and overdue flag follow their steps.

    One recorded update (a version and a history row each): all steps done or not applicable
    → done, any step begun → in progress, else planned; the scheduler's overdue rule flags a
    milestone late in its new status at once and clears one that no longer is.
    """
    Status = Milestone.Status
    progress = SystemProgress.objects.filter(milestone=OuterRef("pk"))
    complete = Exists(
        progress.alias(complete=F("done") + F("not_applicable")).filter(complete=STEP_COUNT)
    )
    begun = Exists(progress.filter(not_started__lt=STEP_COUNT))
    touched = Milestone.objects.filter(
        pk__in=RawSQL(TOUCHED, []),  # noqa: S611
        progress__isnull=False,
    ).exclude(status=Status.CANCELLED)
    touched.update_recorded(
        reason=STEPS_REASON,
        user=user,
        stamp=now,
        status=Case(
            When(complete, then=Value(Status.DONE)),
            When(begun, then=Value(Status.IN_PROGRESS)),
            default=Value(Status.PLANNED),
        ),
        completed_on=Case(
            When(complete & Q(status=Status.DONE), then=F("completed_on")),
            When(complete, then=Value(day)),
            default=Value(None),
        ),
        overdue_since=Case(
            When(complete, then=overdue_flag(day, status=Status.DONE)),
            When(begun, then=overdue_flag(day, status=Status.IN_PROGRESS)),
            default=overdue_flag(day, status=Status.PLANNED),
        ),
    )


def count_touched(cursor) -> int:
    cursor.execute(f"SELECT COUNT(*) FROM ({TOUCHED}) touched")  # noqa: S608
    return cursor.fetchone()[0]


# The owners' grid ----------------------------------------------------------------------------


@transaction.atomic
def report_body(
    *, body, states: dict[tuple[int, int], str], seen: dict[int, int], user
) -> Outcome:
    """Record an owner's grid for one body: ``states`` by (system, step), ``seen`` versions.

    A system whose milestone changed after the owner opened the grid refuses the whole save.
    """
    milestones = {
        m.business_system: m
        for m in Milestone.objects.select_for_update()
        .filter(owner=body, business_system__isnull=False)
        .order_by("pk")
    }
    stored = stored_states(milestones.values())
    cells = [
        Cell(milestones[system].pk, number, state)
        for (system, number), state in states.items()
        if system in milestones and stored.get((milestones[system].pk, number)) != state
    ]
    for milestone in {milestones_by_pk(milestones)[c.milestone_id] for c in cells}:
        if seen.get(milestone.business_system) != milestone.version:
            check_version(milestone=milestone, seen_version=seen.get(milestone.business_system, 0))
    return record_steps(cells=cells, user=user)


def milestones_by_pk(milestones: dict) -> dict:
    return {m.pk: m for m in milestones.values()}


def stored_states(milestones: Iterable[Milestone]) -> dict[tuple[int, int], str]:
    """Return the stored state of each step of ``milestones``, absent ones not started."""
    ids = [m.pk for m in milestones]
    stored = {(pk, n): StepState.NOT_STARTED for pk in ids for n in range(1, STEP_COUNT + 1)}
    # Unordered: the steps' own order (their milestones' deadlines) would join every milestone.
    rows = Step.objects.filter(milestone_id__in=ids).order_by()
    rows = rows.values_list("milestone_id", "number", "state")
    stored.update({(pk, n): state for pk, n, state in rows})
    return stored


def grid_states(milestones: Iterable[Milestone]) -> dict[tuple[int, int], str]:
    """Return the stored state of each step of a body's ``milestones`` by (system, step)."""
    system_of = {milestone.pk: milestone.business_system for milestone in milestones}
    return {
        (system_of[pk], number): state for (pk, number), state in stored_states(milestones).items()
    }


def validate_state(state: str) -> str:
    if state not in StepState.values:
        raise ValidationError(_("Unknown step state %(state)s.") % {"state": state})
    return state
