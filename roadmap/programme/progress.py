"""The programme's kept counts, and their repair when they drift.

No request counts 1.4 million steps: the step service keeps one ``SystemProgress`` row of state
counts per body's system, and database triggers on those rows keep them summed per prefecture's
system (``SystemTally``) and per body (``BodyTally``), leaving out cancelled systems; others on
the designations keep them per reason (``DesignationTally``). A writer that goes around the
service — a hand-written UPDATE of the steps, a restore — can leave them behind; ``repair``
counts them all afresh from the steps and says how many rows had differed
(``manage.py recount_dashboard``). It sums every snapshot's rows afresh too: a snapshot's tallies
and totals are written once, when it is taken, and must always equal its rows.
"""

from django.db import transaction
from django.db.models import Q

from roadmap.programme.models import (
    BodyTally,
    DesignationTally,
    ProgressSnapshot,
    SnapshotBodyTally,
    SnapshotDesignationTally,
    SnapshotSystemTally,
    SystemProgress,
    SystemTally,
)
from roadmap.programme.rates import SUMS, designations_counted
from roadmap.programme.snapshots import store_sums
from roadmap.programme.steps import recount_all

SNAPSHOT_TALLIES = (SnapshotSystemTally, SnapshotBodyTally, SnapshotDesignationTally)
KEPT = (
    (SystemProgress, ("milestone_id",)),
    (SystemTally, ("prefecture_id", "system")),
    (BodyTally, ("body_id",)),
    (DesignationTally, ("reason",)),
    (SnapshotSystemTally, ("snapshot_id", "prefecture_id", "system")),
    (SnapshotBodyTally, ("snapshot_id", "body_id")),
    (SnapshotDesignationTally, ("snapshot_id", "reason")),
    (ProgressSnapshot, ("as_of",)),
)


# A tally counting nothing is the same as none: the triggers leave a row at nought when the last
# row it counts goes (a body's systems all deleted, a reason's last designation), and add to it
# again when one comes.
NOTHING_COUNTED = Q(systems=0, complete=0, in_progress_steps=0, not_started_steps=0)
NOUGHT = {
    SystemTally: NOTHING_COUNTED,
    BodyTally: NOTHING_COUNTED,
    DesignationTally: Q(systems=0, bodies=0),
}


def kept() -> dict[tuple, tuple]:
    """Return every kept row, by its table and key, with its values."""
    rows = {}
    for model, key in KEPT:
        # Everything but a surrogate id, which a recount renews.
        names = [field.attname for field in model._meta.concrete_fields if field.name != "id"]
        stored = model.objects.all()
        if model in NOUGHT:
            stored = stored.exclude(NOUGHT[model])
        for row in stored.values_list(*names):
            values = dict(zip(names, row, strict=True))
            rows[(model.__name__, *(values[k] for k in key))] = row
    return rows


def counted_afresh() -> None:
    """Recount the progress rows from the steps; sum them, and every snapshot's rows, anew."""
    recount_all()
    counted = SystemProgress.objects.filter(cancelled=False)
    SystemTally.objects.all().delete()
    SystemTally.objects.bulk_create(
        SystemTally(**row)
        for row in counted.values("prefecture_id", "system").annotate(**SUMS).order_by()
    )
    BodyTally.objects.all().delete()
    BodyTally.objects.bulk_create(
        BodyTally(**row)
        for row in counted.values("body_id", "prefecture_id").annotate(**SUMS).order_by()
    )
    DesignationTally.objects.all().delete()
    DesignationTally.objects.bulk_create(DesignationTally(**row) for row in designations_counted())
    for model in SNAPSHOT_TALLIES:
        model.objects.all().delete()
    store_sums()


@transaction.atomic
def repair() -> int:
    """Count the kept rows afresh, store them, and return how many had differed."""
    before = kept()
    counted_afresh()
    after = kept()
    return sum(1 for key in before.keys() | after.keys() if before.get(key) != after.get(key))
