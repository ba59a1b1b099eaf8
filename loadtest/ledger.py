"""The soak's ledger: who is owed which notice on which day, from the data and the notice rules.

It is written from the rules as the README and the settings page state them, not from the
jobs' code or what they wrote, so that it can disagree with them:

- An owner (an active member with the owner role and an e-mail address) of the organization
  that owns a milestone still open (not done or cancelled) with a deadline is owed, on day D:
  an **overdue** notice when the deadline has passed, first on the day after the deadline and
  then every ``overdue_repeat_days`` (default 7) while it stays overdue — the notice of day D is
  the one of the period it falls in, numbered by the first day of that period
  (1, 1 + every, …); a **due-soon** notice when the deadline is at most one of the owner's lead
  times away (default 30, 7 and 1 days) — the nearest lead time that has been reached.
- An owner who turned digests off is owed no mail.
- The same notice (owner, milestone, kind, deadline, period or lead time) is owed once however
  many days it stays owed.

The soak's driver records the milestones as they stood at the end of each day's edits, and when.
Notices owed by that state are **firm** (each must reach the mail server exactly once) unless
the milestone was closed or given another deadline while the notice could rightly still be
waiting: the tracker does not mail a notice whose milestone was closed or re-planned meanwhile.
How long a notice can wait is the ledger's ``window`` (seconds): the mail server's faults and
the retries' backoff bound it, so a change made later than that after the notice was owed no
longer excuses it. Notices that a job running while the day's edits were being made could
rightly have sent (the state before the edits, or after those of the next day, on the same
day) are **allowed**: they may arrive, at most once.

A notice the mail server refused for good (5xx) is marked failed; the operator sends the failed
notices again once the server is mended (the admin's "send again"), and then it is owed as any
other, unless its milestone was closed or re-planned by then.
"""

from dataclasses import dataclass, field
from datetime import date

DEFAULT_LEADS = (30, 7, 1)
DEFAULT_REPEAT = 7


@dataclass(frozen=True)
class Owner:
    address: str
    organization: int
    leads: tuple[int, ...]
    every: int
    mailed: bool


@dataclass(frozen=True)
class State:
    """A milestone as it stood: who owns it, its deadline, whether it is closed."""

    organization: int
    deadline: date | None
    closed: bool


# (recipient, milestone, kind, deadline, lead): the identity of a notice.
Key = tuple[str, int, str, date, int]


def owed_on(day: date, states: dict[int, State], owners: list[Owner]) -> set[Key]:
    """Return the notices owed on ``day`` by milestones in ``states``."""
    by_organization = {}
    for owner in owners:
        if owner.mailed:
            by_organization.setdefault(owner.organization, []).append(owner)
    owed = set()
    for pk, state in states.items():
        if state.closed or state.deadline is None:
            continue
        for owner in by_organization.get(state.organization, ()):
            days_left = (state.deadline - day).days
            if days_left < 0:
                late = -days_left
                period = 1 + (late - 1) // owner.every * owner.every
                owed.add((owner.address, pk, "overdue", state.deadline, period))
            else:
                reached = [lead for lead in owner.leads if lead >= days_left]
                if reached:
                    owed.add((owner.address, pk, "due_soon", state.deadline, min(reached)))
    return owed


@dataclass
class Ledger:
    """The milestones as they stood, day by day, and the owners: what was owed when."""

    owners: list[Owner]
    # How long (seconds) a notice may rightly wait for the mail server; None: without bound.
    window: float | None = None
    # The state at the end of each day's edits, and the one before the first day's edits.
    days: dict[date, dict[int, State]] = field(default_factory=dict)
    initial: dict[int, State] = field(default_factory=dict)
    # When each day's edits began and when its state was recorded (monotonic seconds).
    times: dict[date, tuple[float, float]] = field(default_factory=dict)

    def record(self, day: date, states: dict[int, State], *, began: float, at: float) -> None:
        """Record the milestones as they stood after ``day``'s edits (made from ``began``)."""
        self.days[day] = states
        self.times[day] = (began, at)

    def firm(self) -> set[Key]:
        """Return the notices that must reach the mail server exactly once."""
        ordered = sorted(self.days)
        firm = set()
        for index, day in enumerate(ordered):
            states = self.days[day]
            # Milestones closed or given another deadline while a notice could still wait.
            overtaken = {
                pk
                for later in ordered[index + 1 :]
                if self._could_overtake(day, later)
                for pk, state in self.days[later].items()
                if _applies(state) != _applies(states.get(pk))
            }
            owed = owed_on(day, states, self.owners)
            firm |= {key for key in owed if key[1] not in overtaken}
        return firm

    def _could_overtake(self, day: date, later: date) -> bool:
        """Say whether ``later``'s edits began while a notice owed on ``day`` could still wait."""
        if self.window is None or day not in self.times or later not in self.times:
            return True
        return self.times[later][0] - self.times[day][1] <= self.window

    def allowed(self) -> set[Key]:
        """Return every notice that may rightly have reached the mail server (at most once)."""
        ordered = sorted(self.days)
        allowed = set()
        states = [self.initial, *(self.days[day] for day in ordered)]
        for index, day in enumerate(ordered):
            # states[index] is the day before's; states[index + 2] the next day's.
            for seen in states[index : index + 3]:
                allowed |= owed_on(day, seen, self.owners)
        return allowed


def _applies(state: State | None):
    """Return what decides whether a waiting notice still goes out: deadline and closure."""
    return None if state is None else (state.deadline, state.closed)


@dataclass
class Comparison:
    owed: int
    allowed: int
    delivered: int
    # Of the owed notices: delivered; refused for good (5xx) and sent again by the operator; of
    # those, the ones that no longer applied when sent again (closed or re-planned by then).
    owed_delivered: int
    refused: int
    no_longer_applied: int
    duplicated: list
    lost: list
    unowed: list

    @property
    def ok(self) -> bool:
        return not (self.duplicated or self.lost or self.unowed)


def compare(
    ledger: Ledger,
    delivered: list[Key],
    refused: set[Key],
    no_longer_applied: set[Key] = frozenset(),
) -> Comparison:
    """Compare the ledger with the notices the mail server took (one entry per delivery).

    ``refused`` are the notices of digests the mail server refused for good (5xx), which the
    tracker marks failed and the operator sends again; ``no_longer_applied`` are those of them the
    tracker then rightly left out, their milestone closed or re-planned by then. Every other owed
    notice must have been delivered, refused or not.
    """
    firm, allowed = ledger.firm(), ledger.allowed()
    seen, duplicated = set(), []
    for key in delivered:
        if key in seen:
            duplicated.append(key)
        seen.add(key)
    excused = refused & no_longer_applied
    return Comparison(
        owed=len(firm),
        allowed=len(allowed),
        delivered=len(seen),
        owed_delivered=len(firm & seen),
        refused=len(firm & refused),
        no_longer_applied=len(firm & excused - seen),
        duplicated=sorted(duplicated, key=str),
        lost=sorted(firm - seen - excused, key=str),
        unowed=sorted(seen - allowed, key=str),
    )
