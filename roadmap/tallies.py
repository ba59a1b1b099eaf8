"""The unfiltered dashboard's figures, stored and read back instead of counted per request.

Database triggers (migrations 0011 and 0020) count every statement that writes milestones,
deadline revisions, organizations, initiatives or milestone editions in
``DashboardState.changes``, whoever writes them: services, the admin, imports, the scheduler, a
hand-written UPDATE. The figures are stored as
``DashboardTally`` rows together with the count they were made at; a request finds them current
when no write has happened since and reads them — a few rows, however many milestones there are
— and otherwise counts afresh from the milestones and stores the result. ``recount`` does the
same on demand and says whether the stored figures had drifted (``manage.py recount_dashboard``).
"""

from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from roadmap import dashboard
from roadmap.models import DashboardState, DashboardTally, Milestone

STATE = DashboardState.ROW
SECTIONS = ("area", "owner", "prefecture", "system")


@dataclass
class Figures:
    """What the dashboard shows: area rows, the owner rows (a sliceable), progress rows."""

    areas: list
    owners: object
    prefectures: list
    systems: list


class OwnerRows:
    """The stored owner rows as the paginator wants them: counted, sliced, one page read."""

    def __init__(self):
        self.rows = DashboardTally.objects.filter(section="owner").order_by("position")

    def count(self):
        # Stored at positions 0 to n - 1 (``store``): the last position, found in the unique
        # index, counts them without reading the rows.
        last = self.rows.reverse().values_list("position", flat=True).first()
        return 0 if last is None else last + 1

    def __getitem__(self, index):
        return [tally.figures for tally in self.rows[index]]


def current() -> Figures:
    """Return the unfiltered dashboard's figures, counting them afresh only if they changed.

    One request counts at a time: while another process is counting, a request shows the
    figures stored before (a count behind at most) rather than count the same again.
    """
    state = DashboardState.objects.filter(pk=STATE).first()
    if state is None or state.counted != state.changes:
        with counting_alone() as alone:
            if alone or state is None or state.counted is None:
                count_and_store(state.changes if state else None)
    return stored()


# The PostgreSQL advisory lock held by the one process counting the figures.
COUNTING_LOCK = 0x726F61646D6170  # "roadmap"


@contextmanager
def counting_alone():
    """Yield whether this process is the only one counting (always, but on PostgreSQL)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [COUNTING_LOCK])
        alone = cursor.fetchone()[0]
    try:
        yield alone
    finally:
        if alone:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [COUNTING_LOCK])


def stored() -> Figures:
    """Return the figures as stored (areas, prefectures and systems in one query)."""
    rows = {section: [] for section in SECTIONS}
    shown_whole = [section for section in SECTIONS if section != "owner"]
    tallies = DashboardTally.objects.filter(section__in=shown_whole)
    for tally in tallies.order_by("section", "position"):
        rows[tally.section].append(tally.figures)
    return Figures(
        areas=dashboard.with_area_titles(rows["area"]),
        owners=OwnerRows(),
        prefectures=dashboard.with_prefectures([progress(row) for row in rows["prefecture"]]),
        systems=dashboard.with_systems([progress(row) for row in rows["system"]]),
    )


def progress(row: dict) -> dashboard.Progress:
    return dashboard.Progress(row["key"], row["done"], row["in_progress"], row["not_started"])


def counted_afresh() -> dict[str, list[dict]]:
    """Return the figures of every section counted from the milestones, as stored rows."""
    milestones = Milestone.objects.order_by()
    areas = [
        {key: value for key, value in row.items() if key != "initiative"}
        for row in dashboard.by_area(milestones)
    ]
    return {
        "area": areas,
        "owner": list(dashboard.by_owner(milestones)),
        "prefecture": [
            progress_row(row)
            for row in dashboard.body_progress(
                milestones, Coalesce(F("owner__parent_id"), F("owner_id"))
            )
        ],
        "system": [
            progress_row(row) for row in dashboard.body_progress(milestones, F("business_system"))
        ],
    }


def progress_row(row: dashboard.Progress) -> dict:
    return {
        "key": row.key,
        "done": row.done,
        "in_progress": row.in_progress,
        "not_started": row.not_started,
    }


def count_and_store(changes) -> int:
    """Count every section afresh and store it as counted at ``changes``.

    Return how many stored rows differed from the fresh count.
    """
    # Read before counting: a write that lands meanwhile leaves the figures marked stale.
    figures = counted_afresh()
    with transaction.atomic():
        # One writer at a time: a second request waits here, then stores the same figures.
        state, _ = DashboardState.objects.select_for_update().get_or_create(pk=STATE)
        differed = store(figures)
        # Storing the tallies is not a change of what they count.
        DashboardState.objects.filter(pk=STATE).update(
            counted=state.changes if changes is None else changes, counted_at=timezone.now()
        )
    return differed


def store(figures: dict[str, list[dict]]) -> int:
    """Write the rows of ``figures`` that differ from those stored; return how many differed.

    Rows written, added and removed are counted; the others are left as they are. A section's
    rows are at positions 0 to n - 1, as ``OwnerRows.count`` relies on.
    A change to one milestone alters a few rows (its area, its owner, its prefecture and
    system): rewriting the two thousand others each time would leave as many dead rows for
    vacuum, and under a steady stream of saves the table would grow faster than it is vacuumed.
    """
    kept = {(tally.section, tally.position): tally for tally in DashboardTally.objects.all()}
    changed, added = [], []
    for section, rows in figures.items():
        for position, row in enumerate(rows):
            tally = kept.pop((section, position), None)
            if tally is None:
                added.append(DashboardTally(section=section, position=position, figures=row))
            elif tally.figures != row:
                tally.figures = row
                changed.append(tally)
    if kept:
        DashboardTally.objects.filter(pk__in=[tally.pk for tally in kept.values()]).delete()
    DashboardTally.objects.bulk_update(changed, ["figures"], batch_size=500)
    DashboardTally.objects.bulk_create(added)
    return len(changed) + len(added) + len(kept)


def recount() -> int:
    """Count afresh, store, and return how many stored rows differed from the fresh count."""
    state = DashboardState.objects.filter(pk=STATE).first()
    return count_and_store(state.changes if state else None)
