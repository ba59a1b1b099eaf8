"""The municipal standardization programme as data: its bodies, milestones, re-plans and steps.

Every local government (the 47 prefectures and 1,741 municipalities of ``data/bodies.tsv``,
with their official codes and names; see ``roadmap.bodies``) migrates its standard business
systems — municipalities all 20, prefectures 15 and 16 — by the programme deadline
「原則2025年度までに」. A seeded share of bodies and systems moved to the end of FY2030 by the
official re-plan for hard-to-migrate systems (移行困難システム), in the proportion of the
December 2025 survey (743 bodies, 5,009 systems). Each milestone is tracked through the 40
standard ``STEPS``; the statuses and step states are synthetic, seeded, on the real bodies:
``roadmap.seeding`` draws them, this module writes them.

``generate`` writes all of it with bulk inserts and set-based updates and can be run again: it
only adds what is missing (organizations by code, milestones by ref, one re-plan revision per
milestone, steps for milestones that have none) and recounts the systems' progress.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from simple_history.utils import bulk_create_with_history

from roadmap import bodies as code_list
from roadmap import periods
from roadmap.bodies import Body, programme_bodies
from roadmap.models import (
    DeadlineRevision,
    Initiative,
    Membership,
    Milestone,
    Organization,
    Plan,
    Step,
)
from roadmap.programme.models import Designation
from roadmap.programme.steps import recount_all
from roadmap.seeding import REF_PREFIX, Spec, programme_specs, step_dates
from roadmap.services.milestones import window_fields
from roadmap.standard_systems import STANDARD_SYSTEMS

PLAN_TITLE_JA = "デジタル社会の実現に向けた重点計画"
PLAN_TITLE_EN = "Priority Policy Program for Realizing a Digital Society"
PLAN_DECIDED_ON = date(2024, 6, 21)
# Section 5.4 (デジタル・ガバメントの強化), 1 (公共分野), third item of the 2024 plan.
INITIATIVE_NUMBER = "5.4.1.3"
INITIATIVE_TITLE_JA = "地方公共団体情報システムの統一・標準化"
INITIATIVE_TITLE_EN = "Unification and standardization of local government information systems"
SOURCE_TEXT = (
    "基幹業務システムを利用する全ての地方公共団体が、原則2025年度までに、"
    "標準準拠システムヘ円滑かつ安全に移行できるよう、環境を整備します。"
)
PROGRAMME_PHRASE = "原則2025年度までに"
# The programme's scope as officially counted, beside what the rule above generates: every
# municipality all 20 standard business systems, every prefecture two. The official figure
# counts the systems the bodies actually run, which the rule does not know, so it is lower.
OFFICIAL_SYSTEM_COUNT = 34_592
GENERATED_SYSTEM_COUNT = 1741 * 20 + 47 * 2

REPLAN_PHRASE = "2030年度末までに"
REPLAN_REASON = "移行困難システム（特定移行支援システム）として個別の移行期限を設定"
REPLAN_DECIDED_AT = datetime(2025, 12, 26, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
OWNER_EMAIL_DOMAIN = "example.jp"
BATCH_SIZE = 2000


@dataclass
class Report:
    """What a run of ``generate`` found and added."""

    created: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    elapsed: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """Return the report as lines for the operator."""
        lines = [
            f"{name}: {count:,} added, {self.totals.get(name, 0):,} in all"
            for name, count in self.created.items()
        ]
        lines += [f"{name}: {seconds:.1f} s" for name, seconds in self.elapsed.items()]
        return lines


def generate(
    *,
    seed: int = 2024,
    steps: bool = False,
    owners: bool = False,
    limit_prefectures: int | None = None,
    max_municipalities: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> Report:
    """Write the programme's bodies, milestones, re-plans (and owners, steps) where missing."""
    report = Report()
    records = code_list.read_bodies()
    bodies = programme_bodies(
        records, limit_prefectures=limit_prefectures, max_municipalities=max_municipalities
    )
    specs = programme_specs(bodies, seed=seed)
    with timed(report, "organizations"):
        org_ids = ensure_organizations(bodies, records, report)
    if owners:
        with timed(report, "owners"):
            ensure_owners(bodies, org_ids, report)
    with timed(report, "milestones"):
        ensure_milestones(specs, org_ids, report, batch_size=batch_size)
    with timed(report, "re-plans"):
        ensure_replans(specs, report, batch_size=batch_size)
        ensure_designations(seed, report)
    if steps:
        with timed(report, "steps"):
            ensure_steps(seed, report, batch_size=batch_size)
    with timed(report, "progress"):
        recount_all()
    with timed(report, "statistics"):
        refresh_statistics()
    return report


def refresh_statistics() -> None:
    """Let PostgreSQL see the new rows now rather than at the next autovacuum."""
    # Without statistics the planner still believes the tables nearly empty and picks nested
    # loops that make the scheduler's queries a hundred times slower. Outside a transaction
    # the tables are vacuumed too, as autovacuum would have done in a running tracker: until
    # then no page is marked all-visible and every index-only scan (counting a page of the
    # lists, say) reads the table as well.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")


@contextmanager
def timed(report: Report, name: str) -> Iterator[None]:
    """Record the seconds the block takes in the report under ``name``."""
    started = time.perf_counter()
    yield
    report.elapsed[name] = time.perf_counter() - started


def ensure_organizations(
    bodies: list[Body], records: list[code_list.BodyRecord], report: Report
) -> dict[str, int]:
    """Load the programme's bodies from the code list by code; return their ids by code."""
    wanted = {body.code for body in bodies}
    loaded = code_list.load_bodies([r for r in records if r.code in wanted])
    ids = dict(Organization.objects.filter(code__in=wanted).values_list("code", "pk"))
    report.created["organizations"] = loaded["created"]
    report.totals["organizations"] = len(ids)
    return ids


def ensure_owners(bodies: list[Body], org_ids: dict[str, int], report: Report) -> None:
    """Give each body one owner account with an e-mail address, where it has none."""
    User = get_user_model()
    names = {f"owner-{b.code}": b.code for b in bodies}
    taken = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    users = [
        User(
            username=name,
            email=f"{name}@{OWNER_EMAIL_DOMAIN}",
            is_staff=True,
            password=make_password(None),
        )
        for name in names
        if name not in taken
    ]
    User.objects.bulk_create(users, batch_size=BATCH_SIZE, ignore_conflicts=True)
    user_ids = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    Membership.objects.bulk_create(
        [
            Membership(
                user_id=user_ids[name], organization_id=org_ids[code], role=Membership.Role.OWNER
            )
            for name, code in names.items()
        ],
        batch_size=BATCH_SIZE,
        ignore_conflicts=True,
    )
    report.created["owners"] = len(users)
    report.totals["owners"] = len(user_ids)


def programme_initiative() -> Initiative:
    """Return the programme's initiative in the 2024 plan, creating plan and item if missing."""
    plan, _ = Plan.objects.get_or_create(
        code=Plan.PRIORITY_PLAN_2024,
        defaults={
            "title_ja": PLAN_TITLE_JA,
            "title_en": PLAN_TITLE_EN,
            "decided_on": PLAN_DECIDED_ON,
        },
    )
    existing = Initiative.objects.filter(plan=plan, title_ja=INITIATIVE_TITLE_JA).first()
    if existing:
        return existing
    initiative, _ = Initiative.objects.get_or_create(
        plan=plan,
        number=INITIATIVE_NUMBER,
        defaults={"title_ja": INITIATIVE_TITLE_JA, "title_en": INITIATIVE_TITLE_EN},
    )
    return initiative


def ensure_milestones(
    specs: list[Spec], org_ids: dict[str, int], report: Report, *, batch_size: int
) -> None:
    """Create the milestones missing by ref, each with its first history record."""
    initiative = programme_initiative()
    window = periods.resolve(PROGRAMME_PHRASE, reference=initiative.plan.decided_on)
    existing = set(
        Milestone.objects.filter(ref__startswith=REF_PREFIX).values_list("ref", flat=True)
    )
    missing = [spec for spec in specs if spec.ref not in existing]
    for batch in batched(missing, batch_size):
        with transaction.atomic():
            bulk_create_with_history(
                [programme_milestone(spec, initiative, window, org_ids) for spec in batch],
                Milestone,
                batch_size=batch_size,
                default_change_reason="標準化対象システムの移行計画を登録",
            )
    report.created["milestones"] = len(missing)
    report.totals["milestones"] = len(existing) + len(missing)


def programme_milestone(
    spec: Spec, initiative: Initiative, window: periods.Window, org_ids: dict[str, int]
) -> Milestone:
    """Return the unsaved milestone of one body and business system."""
    system = STANDARD_SYSTEMS[spec.system - 1]
    deadline = window.deadline(Milestone.Kind.DEADLINE)
    return Milestone(
        ref=spec.ref,
        initiative=initiative,
        owner_id=org_ids[spec.body.code],
        title_ja=f"{spec.body.name_ja} {system.name_ja}システムの標準準拠システムへの移行",
        title_en=f"{spec.body.name_en}: {system.name_en} system migrated to the standard",
        source_text=SOURCE_TEXT,
        kind=Milestone.Kind.DEADLINE,
        business_system=spec.system,
        reference_date=initiative.plan.decided_on,
        **window_fields(window, Milestone.Kind.DEADLINE),
        baseline_deadline=deadline,
        status=spec.status,
        completed_on=spec.completed_on,
    )


def ensure_replans(specs: list[Spec], report: Report, *, batch_size: int) -> None:
    """Move the re-planned milestones to FY2030 with a revision each, once."""
    window = periods.resolve(REPLAN_PHRASE, reference=REPLAN_DECIDED_AT.date())
    refs = [spec.ref for spec in specs if spec.replanned]
    already = DeadlineRevision.objects.filter(
        milestone=OuterRef("pk"), kind=DeadlineRevision.Kind.REPLAN, reason=REPLAN_REASON
    )
    created = 0
    for batch in batched(refs, batch_size):
        pending = list(
            Milestone.objects.filter(ref__in=batch)
            .exclude(Exists(already))
            .values_list("pk", "phrase", "deadline")
        )
        if pending:
            replan_batch(pending, window)
        created += len(pending)
    report.created["re-plans"] = created
    report.totals["re-plans"] = DeadlineRevision.objects.filter(
        kind=DeadlineRevision.Kind.REPLAN, reason=REPLAN_REASON
    ).count()


@transaction.atomic
def replan_batch(pending: list[tuple], window: periods.Window) -> None:
    """Record the re-plan of a batch of milestones and apply it with one UPDATE."""
    new_deadline = window.deadline(Milestone.Kind.DEADLINE)
    DeadlineRevision.objects.bulk_create(
        DeadlineRevision(
            milestone_id=pk,
            old_phrase=phrase,
            old_deadline=deadline,
            new_phrase=window.phrase,
            new_deadline=new_deadline,
            reason=REPLAN_REASON,
            kind=DeadlineRevision.Kind.REPLAN,
            decided_at=REPLAN_DECIDED_AT,
        )
        for pk, phrase, deadline in pending
    )
    ids = [pk for pk, *_ in pending]
    Milestone.objects.filter(pk__in=ids).update_recorded(
        reason=REPLAN_REASON,
        **window_fields(window, Milestone.Kind.DEADLINE),
        reference_date=REPLAN_DECIDED_AT.date(),
    )


# The reasons of the systems designated as of 2025-07-31, in their published proportions.
DESIGNATION_WEIGHTS = {1: 45, 2: 196, 3: 184, 4: 3345}


def ensure_designations(seed: int, report: Report) -> None:
    """Record each re-planned system as designated for special support, with a seeded reason."""
    rng = random.Random(f"{seed}:designations")
    revisions = (
        DeadlineRevision.objects.filter(kind=DeadlineRevision.Kind.REPLAN, reason=REPLAN_REASON)
        .exclude(Exists(Designation.objects.filter(milestone=OuterRef("milestone"))))
        .order_by("milestone_id")
        .values_list("pk", "milestone_id", "milestone__owner_id")
    )
    reasons, weights = list(DESIGNATION_WEIGHTS), list(DESIGNATION_WEIGHTS.values())
    new = [
        Designation(
            milestone_id=milestone,
            body_id=body,
            reason=rng.choices(reasons, weights)[0],
            phrase=REPLAN_PHRASE,
            basis=REPLAN_REASON,
            revision_id=revision,
            decided_at=REPLAN_DECIDED_AT,
        )
        for revision, milestone, body in revisions
    ]
    Designation.objects.bulk_create(new, batch_size=BATCH_SIZE, ignore_conflicts=True)
    report.created["designations"] = len(new)
    report.totals["designations"] = Designation.objects.count()


def ensure_steps(seed: int, report: Report, *, batch_size: int) -> None:
    """Create the 40 steps of every programme milestone that has none yet."""
    without = (
        Milestone.objects.filter(ref__startswith=REF_PREFIX)
        .exclude(Exists(Step.objects.filter(milestone=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", "ref", "status", "completed_on")
    )
    created = 0
    for batch in batched(list(without), batch_size):
        rows = list(step_rows(batch, seed))
        with transaction.atomic():
            insert_steps(rows)
        created += len(rows)
    report.created["steps"] = created
    report.totals["steps"] = Step.objects.filter(milestone__ref__startswith=REF_PREFIX).count()


def step_rows(milestones: Iterable[tuple], seed: int) -> Iterator[tuple]:
    """Yield (milestone id, step number, state, changed on) for each step of ``milestones``."""
    for pk, ref, status, completed_on in milestones:
        steps = step_dates(ref, status, completed_on, seed=seed)
        for number, (state, day) in enumerate(steps, 1):
            yield pk, number, state, day


def insert_steps(rows: list[tuple]) -> None:
    """Insert step rows: COPY on PostgreSQL, batched INSERTs elsewhere."""
    if connection.vendor != "postgresql":
        Step.objects.bulk_create(
            [Step(milestone_id=pk, number=n, state=s, changed_on=d) for pk, n, s, d in rows],
            batch_size=BATCH_SIZE,
        )
        return
    table = Step._meta.db_table
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {table} (milestone_id, number, state, changed_on) FROM STDIN"
        ) as copy,
    ):
        for row in rows:
            copy.write_row(row)


def batched(items: list, size: int) -> Iterator[list]:
    """Yield consecutive slices of ``items`` of at most ``size`` elements."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
