"""The seeded picture of the standardization programme on the snapshot day.

Which bodies' systems were moved by the official re-plan (in the proportion of the December 2025
survey: 743 of the 1,788 bodies, 5,009 systems), each milestone's status and completion day, and
the state of each of its 40 standard steps. Everything is drawn from a seed, so the same seed
gives the same picture; ``roadmap.standardization`` writes it.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import NamedTuple

from roadmap.bodies import Body
from roadmap.models import Milestone, StepState
from roadmap.standard_steps import STEPS

REF_PREFIX = "std-"
# The December 2025 survey: 743 of the 1,788 bodies, 5,009 systems.
REPLAN_BODIES, REPLAN_SYSTEMS, ALL_BODIES = 743, 5009, 1788

# The day the generated statuses describe: nothing is completed after it.
SNAPSHOT = date(2026, 10, 31)
PROGRAMME_START = date(2022, 4, 1)
FY2024_START = date(2024, 4, 1)


class Spec(NamedTuple):
    """What one generated milestone looks like on the snapshot day."""

    ref: str
    body: Body
    system: int
    status: str
    completed_on: date | None
    replanned: bool


def milestone_ref(body_code: str, system: int) -> str:
    """Return the stable reference of a body's milestone for one business system."""
    return f"{REF_PREFIX}{body_code}-{system:02d}"


def programme_specs(bodies: list[Body], *, seed: int) -> list[Spec]:
    """Return the milestones of ``bodies`` with seeded statuses and re-plans."""
    rng = random.Random(seed)
    replanned = replanned_slots(bodies, rng)
    return [
        spec(rng, body, system, replanned=(body.code, system) in replanned)
        for body in bodies
        for system in body.systems
    ]


def spec(rng: random.Random, body: Body, system: int, *, replanned: bool) -> Spec:
    """Return the seeded picture of one body's milestone for one business system."""
    status, completed_on = seeded_status(rng, replanned)
    return Spec(milestone_ref(body.code, system), body, system, status, completed_on, replanned)


def replanned_slots(bodies: list[Body], rng: random.Random) -> set[tuple[str, int]]:
    """Return the (body, system) pairs re-planned, in the December 2025 proportions."""
    body_count = round(len(bodies) * REPLAN_BODIES / ALL_BODIES)
    chosen = rng.sample(bodies, body_count)
    slots = {(body.code, rng.choice(body.systems)) for body in chosen}
    spare = sorted({(b.code, s) for b in chosen for s in b.systems} - slots)
    extra = round(body_count * REPLAN_SYSTEMS / REPLAN_BODIES) - len(slots)
    return slots | set(rng.sample(spare, min(max(extra, 0), len(spare))))


def seeded_status(rng: random.Random, replanned: bool) -> tuple[str, date | None]:
    """Return a status and completion day as seen on the snapshot day."""
    draw = rng.random()
    if replanned:
        return (
            (Milestone.Status.PLANNED, None)
            if draw < 0.2
            else (Milestone.Status.IN_PROGRESS, None)
        )
    if draw < 0.78:  # on time, mostly in the last months before the deadline
        return Milestone.Status.DONE, day_between(rng, FY2024_START, date(2026, 3, 31), 0.85)
    if draw < 0.88:  # late, in the months after it
        return Milestone.Status.DONE, day_between(rng, date(2026, 4, 1), SNAPSHOT, 0.2)
    if draw < 0.97:
        return Milestone.Status.IN_PROGRESS, None
    return Milestone.Status.PLANNED, None


def day_between(rng: random.Random, first: date, last: date, mode: float) -> date:
    """Return a day from a triangular distribution over [first, last] peaking at ``mode``."""
    span = (last - first).days
    return first + timedelta(days=round(rng.triangular(0, span, span * mode)))


def step_dates(ref: str, status: str, completed_on: date | None, *, seed: int) -> list:
    """Return the state and the day it was reached (or None) of each of the 40 steps."""
    rng = random.Random(f"{seed}:{ref}")
    if status == Milestone.Status.DONE:
        started = max(PROGRAMME_START, completed_on - timedelta(days=rng.randint(300, 900)))
        days = sorted_days(rng, started, completed_on, len(STEPS), end_included=True)
        return [(finished_state(rng, n), day) for n, day in enumerate(days, 1)]
    if status == Milestone.Status.IN_PROGRESS:
        started = SNAPSHOT - timedelta(days=rng.randint(200, 900))
        days = sorted_days(rng, started, SNAPSHOT, rng.randint(4, len(STEPS) - 1))
        finished = [(finished_state(rng, n), day) for n, day in enumerate(days, 1)]
        working = [(StepState.IN_PROGRESS, SNAPSHOT)]
        return finished + working + [(StepState.NOT_STARTED, None)] * (len(STEPS) - len(days) - 1)
    return [(StepState.NOT_STARTED, None)] * len(STEPS)


def finished_state(rng: random.Random, number: int) -> str:
    """Return the state of a finished step: done, or now and then not applicable (not step 40)."""
    if number < len(STEPS) and rng.random() < 0.03:
        return StepState.NOT_APPLICABLE
    return StepState.DONE


def sorted_days(rng, first: date, last: date, count: int, *, end_included=False) -> list[date]:
    """Return ``count`` non-decreasing days between ``first`` and ``last``."""
    span = max((last - first).days, 0)
    days = sorted(first + timedelta(days=rng.randint(0, span)) for _ in range(count))
    if end_included and days:
        days[-1] = last
    return days
