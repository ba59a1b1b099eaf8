"""The programme's completion rates by the ministries' published formula, computed here only.

For each business system of each body: completion = (done + not applicable) / 40, in progress =
in progress / 40, not started = not started / 40. Every higher level — a body, a prefecture with
its municipalities, a business system, a ministry in charge, the nation — is the average of
those per-system rates, which is the sum of the counts over 40 × the number of systems. Sums of
whole numbers are exact, so a figure rounds to the published decimal the same way every time.

The systems averaged are those a body migrates: a system whose milestone is cancelled is no
longer one of them, and is left out of every level (its steps are not counted as not started).

The counts come either from the live counts or from a monthly snapshot (``SnapshotRow``, one row
per body's system). Either way they are read already summed: per prefecture's system (at most
47 × 20 rows) for the national figures and per body for the body table. Live, the per-system
counts (``SystemProgress``, kept current by the step service) are summed into ``SystemTally``
and ``BodyTally`` by database triggers; a snapshot's rows are summed into
``SnapshotSystemTally``, ``SnapshotBodyTally`` and ``SnapshotDesignationTally`` once, when it is
taken (``snapshots.store_sums``). Every figure is the same sums over 40 × systems whatever it
reads.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from roadmap.language import localized
from roadmap.models import Organization
from roadmap.models.counts import kept_number
from roadmap.programme.models import (
    BodyTally,
    Designation,
    DesignationTally,
    ProgressSnapshot,
    SnapshotBodyTally,
    SnapshotRow,
    SnapshotSystemTally,
    SystemMinistry,
    SystemProgress,
    SystemTally,
)
from roadmap.standard_steps import STEP_COUNT
from roadmap.standard_systems import SYSTEMS_BY_NUMBER

# The ministries' own caveat, shown wherever a rate is.
CAVEAT = _(
    "A step is not a unit of work: steps differ in workload, so the completion rate is the "
    "share of the 40 standard steps completed, not the share of the migration work done."
)
ONE_DECIMAL = Decimal("0.1")


def percent(count: int, systems: int) -> Decimal:
    """Return ``count`` steps of ``systems`` systems as a percentage rounded to one decimal."""
    if not systems:
        return Decimal("0.0")
    exact = Decimal(100 * count) / Decimal(STEP_COUNT * systems)
    return exact.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


@dataclass
class Rates:
    """Summed step counts over some systems, and their rates."""

    systems: int = 0
    complete: int = 0
    in_progress_steps: int = 0
    not_started_steps: int = 0
    key: object = None
    label: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def completion(self) -> Decimal:
        return percent(self.complete, self.systems)

    @property
    def in_progress(self) -> Decimal:
        return percent(self.in_progress_steps, self.systems)

    @property
    def not_started(self) -> Decimal:
        return percent(self.not_started_steps, self.systems)

    def add(self, other: Rates) -> None:
        self.systems += other.systems
        self.complete += other.complete
        self.in_progress_steps += other.in_progress_steps
        self.not_started_steps += other.not_started_steps

    def as_json(self) -> dict:
        return {
            "completion": float(self.completion),
            "in_progress": float(self.in_progress),
            "not_started": float(self.not_started),
        }


# The sums of per-system counts (progress or snapshot rows), and of tallies already summed.
SUMS = {
    "systems": Count("pk"),
    "complete": Sum(F("done") + F("not_applicable")),
    "in_progress_steps": Sum("in_progress"),
    "not_started_steps": Sum("not_started"),
}
TALLY_SUMS = {name: Sum(name) for name in SUMS}


def counts(snapshot: ProgressSnapshot | None = None) -> QuerySet:
    """Return the per-system counts: live, or as frozen in ``snapshot``."""
    if snapshot is None:
        return SystemProgress.objects.filter(cancelled=False)
    return SnapshotRow.objects.filter(snapshot=snapshot)


def cells(snapshot: ProgressSnapshot | None = None) -> QuerySet:
    """Return the counts summed by prefecture and system: live, or as of ``snapshot``."""
    if snapshot is None:
        return SystemTally.objects.all()
    return SnapshotSystemTally.objects.filter(snapshot=snapshot)


def summed(queryset: QuerySet, *group: str) -> list[Rates]:
    """Return one Rates per ``group`` value of the tallies, from one grouped query."""
    rows = queryset.values(*group).annotate(**TALLY_SUMS).order_by(*group)
    return [
        Rates(
            row["systems"],
            row["complete"] or 0,
            row["in_progress_steps"] or 0,
            row["not_started_steps"] or 0,
            key=tuple(row[g] for g in group) if len(group) > 1 else row[group[0]],
        )
        for row in rows
    ]


@dataclass
class Figures:
    """Everything the programme's pages and API show, live or as of a snapshot."""

    snapshot: ProgressSnapshot | None
    national: Rates
    prefectures: list[Rates]
    systems: list[Rates]
    ministries: list[Rates]
    bodies: int
    designated: dict

    @property
    def live(self) -> bool:
        return self.snapshot is None


def programme_figures(snapshot: ProgressSnapshot | None = None, *, language="ja") -> Figures:
    """Return the national, prefecture, business-system and ministry rates and designations."""
    national, by_prefecture, by_system = Rates(), defaultdict(Rates), defaultdict(Rates)
    for cell in summed(cells(snapshot), "prefecture", "system"):
        prefecture, system = cell.key
        national.add(cell)
        by_prefecture[prefecture].add(cell)
        by_system[system].add(cell)
    return Figures(
        snapshot=snapshot,
        national=national,
        prefectures=label_prefectures(by_prefecture, language),
        systems=label_systems(by_system, language),
        ministries=ministries(by_system, language),
        bodies=body_count(snapshot),
        designated=designations(snapshot),
    )


def body_count(snapshot: ProgressSnapshot | None = None) -> int:
    """Return how many bodies have a system counted in the rates (kept: no page counts them)."""
    if snapshot is None:
        return kept_number(BodyTally)
    return snapshot.bodies


def rates_by_prefecture(snapshot: ProgressSnapshot | None = None, *, language="ja"):
    """Return each prefecture's rates (with its municipalities), in code order."""
    by_prefecture = defaultdict(Rates)
    for cell in summed(cells(snapshot), "prefecture"):
        by_prefecture[cell.key].add(cell)
    return label_prefectures(by_prefecture, language)


def label_prefectures(by_prefecture: dict, language: str) -> list[Rates]:
    orgs = Organization.objects.in_bulk(list(by_prefecture))
    rows = []
    for pk, rates in by_prefecture.items():
        org = orgs.get(pk)
        rates.key = org.code if org else pk
        rates.label = org.name(language) if org else str(pk)
        rows.append(rates)
    return sorted(rows, key=lambda r: str(r.key))


def label_systems(by_system: dict, language: str) -> list[Rates]:
    rows = []
    for number in sorted(by_system):
        rates = by_system[number]
        rates.key = number
        system = SYSTEMS_BY_NUMBER.get(number)
        rates.label = system.name(language) if system else str(number)
        rows.append(rates)
    return rows


def ministries(by_system: dict, language: str) -> list[Rates]:
    """Return the rates of each ministry in charge, over the systems it is in charge of."""
    by_ministry = {}
    for charge in SystemMinistry.objects.order_by("system"):
        name = localized(charge, "ministry", language)
        rates = by_ministry.setdefault(
            charge.ministry_ja, Rates(key=charge.ministry_ja, label=name)
        )
        rates.extra.setdefault("systems", []).append(charge.system)
        if charge.system in by_system:
            rates.add(by_system[charge.system])
    return list(by_ministry.values())


def designations(snapshot: ProgressSnapshot | None = None) -> dict:
    """Return the designated bodies and systems, in all and by reason, live or as of a snapshot."""
    if snapshot is None:
        tallies = DesignationTally.objects.values("systems", "bodies", r=F("reason"))
        reasons = {row["r"]: row for row in tallies}
        totals = reasons.get(DesignationTally.ANY_REASON, {"systems": 0, "bodies": 0})
    else:
        by_reason = snapshot.designation_tallies.values("systems", "bodies", r=F("reason"))
        reasons = {row["r"]: row for row in by_reason.order_by()}
        totals = {"systems": snapshot.designated_systems, "bodies": snapshot.designated_bodies}
    return {
        "bodies": totals["bodies"],
        "systems": totals["systems"],
        "by_reason": [
            {
                "reason": reason.value,
                "label": str(reason.label),
                "systems": reasons.get(reason.value, {}).get("systems", 0),
                "bodies": reasons.get(reason.value, {}).get("bodies", 0),
            }
            for reason in Designation.Reason
        ],
    }


def designations_counted() -> list[dict]:
    """Count the designated systems and bodies per reason and in all (``DesignationTally``)."""
    rows = Designation.objects.annotate(r=F("reason"), b=F("body_id"))
    counts = {reason.value: {"systems": 0, "bodies": 0} for reason in Designation.Reason}
    by_reason = rows.values("r").annotate(systems=Count("pk"), bodies=Count("b", distinct=True))
    for row in by_reason.order_by():
        counts[row["r"]] = {"systems": row["systems"], "bodies": row["bodies"]}
    counts[DesignationTally.ANY_REASON] = rows.aggregate(
        systems=Count("pk"), bodies=Count("b", distinct=True)
    )
    return [{"reason": reason, **values} for reason, values in counts.items()]


BODY_NAMES = ("body_id", "body__code", "body__name_ja", "body__name_kana")


def body_rates(snapshot: ProgressSnapshot | None = None, **filters) -> QuerySet:
    """Return one row of summed counts per body (its code and names), in code order."""
    if snapshot is None:
        tallies = BodyTally.objects.all()
    else:
        tallies = SnapshotBodyTally.objects.filter(snapshot=snapshot)
    rows = tallies.filter(systems__gt=0, **filters).values(*BODY_NAMES, *SUMS)
    return rows.order_by("body__code")


def as_rates(row: dict) -> Rates:
    """Return the Rates of one summed row."""
    return Rates(
        row["systems"],
        row["complete"] or 0,
        row["in_progress_steps"] or 0,
        row["not_started_steps"] or 0,
        key=row.get("body__code"),
        label=row.get("body__name_ja", ""),
    )


def system_rates(snapshot: ProgressSnapshot | None, body: Organization) -> list[dict]:
    """Return each business system of one body with its state counts and rates."""
    rows = counts(snapshot).filter(body=body).order_by("system")
    result = []
    for row in rows:
        rates = Rates(
            1, row.done + row.not_applicable, row.in_progress, row.not_started, key=row.system
        )
        result.append({"row": row, "rates": rates, "system": SYSTEMS_BY_NUMBER.get(row.system)})
    return result
