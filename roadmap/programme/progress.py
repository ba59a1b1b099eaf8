"""The programme's kept counts, and their repair when they drift.

No request counts 1.4 million steps: the step service keeps one ``SystemProgress`` row of state
counts per body's system, and database triggers on those rows keep them summed per prefecture's
system (``SystemTally``) and per body (``BodyTally``), leaving out cancelled systems. A writer
that goes around the service — a hand-written UPDATE of the steps, a restore — can leave them
behind; ``repair`` counts all three afresh from the steps and says how many rows had differed
(``manage.py recount_dashboard``).
"""

from django.db import transaction

from roadmap.programme.models import BodyTally, SystemProgress, SystemTally
from roadmap.programme.rates import SUMS
from roadmap.programme.steps import recount_all

KEPT = (
    (SystemProgress, ("milestone_id",)),
    (SystemTally, ("prefecture_id", "system")),
    (BodyTally, ("body_id",)),
)


def kept() -> dict[tuple, tuple]:
    """Return every kept row, by its table and key, with its values."""
    rows = {}
    for model, key in KEPT:
        # Everything but a surrogate id, which a recount renews.
        names = [field.attname for field in model._meta.concrete_fields if field.name != "id"]
        for row in model.objects.values_list(*names):
            values = dict(zip(names, row, strict=True))
            rows[(model.__name__, *(values[k] for k in key))] = row
    return rows


def counted_afresh() -> None:
    """Recount the progress rows from the steps and sum them into the tallies anew."""
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


@transaction.atomic
def repair() -> int:
    """Count the kept rows afresh, store them, and return how many had differed."""
    before = kept()
    counted_afresh()
    after = kept()
    return sum(1 for key in before.keys() | after.keys() if before.get(key) != after.get(key))
