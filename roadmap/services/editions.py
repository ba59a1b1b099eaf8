"""Import an edition of the plan: classify every row against the previous edition, then apply.

The file has the columns of ``import_milestones`` plus an optional ``previous_ref`` (the ref in
the previous edition where a commitment was renamed or split). Every row is checked and
classified before anything is written; a file with one bad row is rejected whole. Moves and
rewordings become official re-plan revisions citing the edition, so the original deadline stays
the baseline; a commitment the new edition drops is cancelled with the edition as the reason,
never deleted. An edition once imported does not change: importing the same file again changes
nothing, and a different file for the same edition is refused.
"""

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction

from roadmap import imports
from roadmap.editions import Change, ChangeClass, classify, counts
from roadmap.imports import ImportRejected, RowError
from roadmap.models import (
    DeadlineRevision,
    DietSession,
    Initiative,
    Milestone,
    MilestoneEdition,
    Organization,
    Plan,
)
from roadmap.services.milestones import (
    _lock,
    _save,
    create_milestone,
    edit_texts,
    resolve_window,
    revise_deadline,
    set_status,
)
from roadmap.tabular import TableError, read_table

PREVIOUS_REF = "previous_ref"
COLUMNS = (*imports.COLUMNS, PREVIOUS_REF)
OPTIONAL_COLUMNS = imports.OPTIONAL_COLUMNS | {PREVIOUS_REF}
# Fields of an entry that an import of the same edition must repeat exactly, by file column.
REPEATED = {
    "title_ja": "title_ja",
    "phrase": "phrase",
    "initiative_number": "initiative",
    "previous_ref": PREVIOUS_REF,
}
_CARRIED_FIXED = {
    "owner": "an edition does not move a milestone to another owner; an administrator can.",
    "initiative": "an edition does not move a milestone to another initiative; "
    "an administrator can.",
    "kind": "a milestone's kind stays what it is; add a new milestone instead.",
}


class EditionRefused(Exception):
    """The edition cannot be imported as asked; the message says why."""


@dataclass
class EditionResult:
    plan: Plan
    previous: Plan | None
    changes: list[Change] = field(default_factory=list)
    dry_run: bool = False
    already_imported: bool = False

    @property
    def counts(self) -> dict[str, int]:
        return counts(self.changes)


@dataclass
class _Context:
    plan: Plan
    previous: Plan | None
    is_new: bool
    sessions: list
    previous_entries: dict = field(default_factory=dict)
    carriers: dict = field(default_factory=dict)
    taken: dict = field(default_factory=dict)


def import_edition(
    file,
    *,
    code: str,
    title_ja: str,
    decided_on: date,
    title_en: str = "",
    previous_code: str | None = None,
    user=None,
    dry_run: bool = False,
) -> EditionResult:
    """Check and classify every row of an edition file, then record the edition in one go."""
    existing = Plan.objects.filter(code=code).first()
    previous = previous_edition(code, decided_on, previous_code, existing)
    if existing is None:
        plan = new_plan(code, title_ja, title_en, decided_on, previous)
    else:
        plan = same_edition(existing, decided_on, previous)
    try:
        table = read_table(file)
    except TableError as error:
        raise ImportRejected([RowError(None, str(error))]) from None
    context = _Context(plan, previous, existing is None, DietSession.objects.for_resolver())
    rows, errors = [], imports._check_header(table, COLUMNS, OPTIONAL_COLUMNS)
    if not errors:
        rows, errors = imports._values(table, COLUMNS)
    errors = errors or check_rows(rows, context)
    if existing is not None and not errors:
        errors = differences(rows, existing)
    if errors:
        raise ImportRejected(errors)
    old = list(context.previous_entries.values())
    if existing is not None:
        changes = classify(old, list(existing.entries.all()))
        return EditionResult(existing, previous, changes, dry_run, already_imported=True)
    result = EditionResult(plan, previous, classify(old, [row.entry for row in rows]), dry_run)
    if not dry_run:
        apply_edition(rows, result, user)
    return result


def previous_edition(code, decided_on, previous_code, existing) -> Plan | None:
    """Return the edition the new one replaces: the one named, else the latest before it."""
    if previous_code:
        previous = Plan.objects.filter(code=previous_code).first()
        if previous is None:
            raise EditionRefused(f"There is no edition {previous_code!r} to compare with.")
        if previous.code == code or previous.decided_on >= decided_on:
            raise EditionRefused(
                f"The previous edition {previous_code!r} was decided on {previous.decided_on}, "
                f"not before {decided_on}."
            )
        return previous
    if existing is not None:
        return existing.previous
    earlier = Plan.objects.filter(decided_on__lt=decided_on).exclude(code=code)
    return earlier.order_by("-decided_on").first()


def new_plan(code, title_ja, title_en, decided_on, previous) -> Plan:
    """Return the unsaved edition, or refuse a code or title that cannot be stored."""
    plan = Plan(
        code=code, title_ja=title_ja, title_en=title_en, decided_on=decided_on, previous=previous
    )
    try:
        plan.full_clean(exclude=["previous"], validate_unique=False)
    except ValidationError as error:
        problems = "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
        )
        raise EditionRefused(f"The edition cannot be recorded ({problems}).") from None
    return plan


def same_edition(existing: Plan, decided_on: date, previous: Plan | None) -> Plan:
    """Return the imported edition, or refuse an import that states it differently."""
    if existing.decided_on != decided_on or existing.previous_id != (previous and previous.pk):
        follows = existing.previous.code if existing.previous else "no earlier edition"
        raise EditionRefused(
            f"Edition {existing.code!r} was imported as decided on {existing.decided_on} "
            f"following {follows}; an imported edition does not change."
        )
    return existing


def check_rows(rows, context: _Context) -> list[RowError]:
    """Return every problem of every row, looking rows up with a fixed number of queries."""
    errors = []
    initiatives = series_initiatives(context.previous)
    owners = Organization.objects.in_bulk([r.values["owner"] for r in rows], field_name="code")
    if context.previous is not None:
        entries = context.previous.entries.select_related(
            "milestone__owner", "milestone__initiative"
        )
        context.previous_entries = {entry.ref: entry for entry in entries}
    context.carriers = carriers(rows, context.previous_entries)
    context.taken = Milestone.objects.in_bulk([r.values["ref"] for r in rows], field_name="ref")
    first_line = {}
    for row in rows:
        row.initiative = initiatives.get(row.values["initiative"])
        row.owner = owners.get(row.values["owner"])
        # An edition's phrases name no events: the Diet sessions are the only dates it knows.
        known_dates = (context.sessions, ())
        row_errors = imports._check_row(row, context.plan, known_dates, first_line)
        row_errors += check_carriage(row, context)
        if not row_errors:
            row.entry = entry_of(row, context)
        errors += row_errors
    return errors


def series_initiatives(previous: Plan | None) -> dict[str, Initiative]:
    """Return the initiatives by number of the editions the new one follows, latest first."""
    plans, plan = [], previous
    all_plans = Plan.objects.in_bulk()
    while plan is not None and plan.pk not in plans:
        plans.append(plan.pk)
        plan = all_plans.get(plan.previous_id)
    found = {}
    for initiative in Initiative.objects.filter(plan__in=plans).order_by("-plan__decided_on"):
        found.setdefault(initiative.number, initiative)
    return found


def carriers(rows, previous_entries) -> dict:
    """Return, by previous ref, the row that carries that commitment over.

    Where several rows name one previous ref (a split), the row keeping the ref carries it,
    else the first; the others are added as new commitments.
    """
    chosen = {}
    for row in rows:
        key = row.values[PREVIOUS_REF] or row.values["ref"]
        if key not in previous_entries:
            continue
        if key not in chosen or (row.values["ref"] == key != chosen[key].values["ref"]):
            chosen[key] = row
    return chosen


def check_carriage(row, context: _Context) -> list[RowError]:
    """Return the problems of the row's link to the previous edition and to existing refs."""
    values, errors = row.values, []

    def error(column, message):
        errors.append(RowError(row.place(column), message))

    ref, previous_ref = values["ref"], values[PREVIOUS_REF]
    if previous_ref:
        try:
            validate_slug(previous_ref)
        except ValidationError:
            error(PREVIOUS_REF, "use only letters, digits, hyphens and underscores.")
        if context.previous is None:
            error(PREVIOUS_REF, "there is no previous edition for this reference to be in.")
        elif previous_ref not in context.previous_entries:
            error(
                PREVIOUS_REF, f"edition {context.previous.code} has no milestone {previous_ref!r}."
            )
    key = previous_ref or ref
    carried = context.previous_entries[key] if context.carriers.get(key) is row else None
    row.existing = carried.milestone if carried else None
    holder = context.taken.get(ref)
    if context.is_new and holder is not None and holder != row.existing:
        error(
            "ref",
            f"{ref!r} is the reference of another milestone, which this row does not carry "
            "over; choose a new reference.",
        )
    if row.existing is not None and context.is_new:
        errors += check_carried(row)
    return errors


def check_carried(row) -> list[RowError]:
    """Return the problems of a row that would change what an edition does not change."""
    milestone, values = row.existing, row.values
    stored = {
        "owner": milestone.owner.code,
        "initiative": milestone.initiative.number,
        "kind": milestone.kind,
    }
    errors = [
        RowError(
            row.place(column),
            f"milestone {milestone.ref!r} has {column} {value!r}; {_CARRIED_FIXED[column]}",
        )
        for column, value in stored.items()
        if values[column] != value
    ]
    if values["status"] and values["status"] != milestone.status:
        errors.append(
            RowError(
                row.place("status"),
                f"milestone {milestone.ref!r} is {milestone.status!r}; an edition does not "
                "change the status of a milestone it carries over (leave the cell empty).",
            )
        )
    return errors


def entry_of(row, context: _Context) -> MilestoneEdition:
    """Return the unsaved entry of a checked row: its wording and window in the new edition."""
    values = row.values
    window = resolve_window(
        values["phrase"],
        reference=context.plan.decided_on,
        diet_sessions=context.sessions,
        events=(),
    )
    # An empty cell keeps a carried milestone's English title, and the previous edition's
    # verbatim wording: a file need not repeat them.
    kept = row.existing or Milestone()
    before = (
        context.previous_entries[values[PREVIOUS_REF] or values["ref"]] if row.existing else kept
    )
    return MilestoneEdition(
        plan=context.plan,
        milestone=row.existing,
        ref=values["ref"],
        previous_ref=values[PREVIOUS_REF],
        initiative_number=values["initiative"],
        title_ja=values["title_ja"],
        title_en=values["title_en"] or kept.title_en,
        source_text=values["source_text"] or before.source_text,
        phrase=values["phrase"],
        window_start=window.start,
        window_end=window.end,
        precision=str(window.precision),
        soft=window.soft,
        deadline=window.deadline(values["kind"]),
    )


def differences(rows, existing: Plan) -> list[RowError]:
    """Return how a file differs from the edition as it was imported (nothing: no problem)."""
    stored = {entry.ref: entry for entry in existing.entries.all()}
    errors = []
    for row in rows:
        entry = stored.pop(row.values["ref"], None)
        if entry is None:
            errors.append(
                RowError(row.place("ref"), f"edition {existing.code} was imported without it.")
            )
            continue
        errors += [
            RowError(
                row.place(column),
                f"edition {existing.code} was imported with {getattr(entry, name)!r}; "
                "an imported edition does not change.",
            )
            for name, column in REPEATED.items()
            if getattr(entry, name) != getattr(row.entry, name)
        ]
    errors += [
        RowError(
            None, f"edition {existing.code} was imported with {ref!r}, which this file lacks."
        )
        for ref in stored
    ]
    return errors


def replan_reason(plan: Plan) -> str:
    return f"計画の改定：{plan.title_ja}（{plan.code}、{plan.decided_on:%Y-%m-%d}決定）"


def drop_reason(plan: Plan) -> str:
    return f"{replan_reason(plan)}に記載がなく、終了"


@transaction.atomic
def apply_edition(rows, result: EditionResult, user) -> None:
    """Record the edition: carry over, add, move and drop as classified."""
    plan = result.plan
    try:
        plan.save()
    except IntegrityError:
        # Another import of the same edition committed first; this one's reading is stale.
        raise EditionRefused(
            f"Edition {plan.code!r} was imported by another run meanwhile; import again to "
            "check the file against it."
        ) from None
    carried = []
    for row in rows:
        if row.existing is None:
            add(row, plan, user)
        else:
            carry(row, plan, user)
            carried.append(row.entry)
    MilestoneEdition.objects.bulk_create(carried)
    for change in result.changes:
        if change.change_class == ChangeClass.DROPPED:
            drop(change.old.milestone, plan, user)


def add(row, plan: Plan, user) -> Milestone:
    """Create the milestone of a row the previous edition did not carry."""
    values = row.values
    milestone = create_milestone(
        initiative=row.initiative,
        owner=row.owner,
        ref=values["ref"],
        title_ja=values["title_ja"],
        title_en=values["title_en"],
        phrase=values["phrase"],
        kind=values["kind"],
        source_text=values["source_text"],
        reference_date=plan.decided_on,
        status=values["status"] or Milestone.Status.PLANNED,
        user=user,
        edition=plan,
    )
    if values[PREVIOUS_REF]:
        milestone.editions.filter(plan=plan).update(previous_ref=values[PREVIOUS_REF])
    return milestone


def carry(row, plan: Plan, user) -> Milestone:
    """Bring a carried milestone's reference, wording and deadline to the new edition's."""
    entry, milestone = row.entry, row.existing
    if milestone.ref != entry.ref:
        milestone = rename(milestone=milestone, ref=entry.ref, user=user)
    texts = (entry.title_ja, entry.title_en, row.values["source_text"] or milestone.source_text)
    if texts != (milestone.title_ja, milestone.title_en, milestone.source_text):
        milestone = edit_texts(
            milestone=milestone,
            user=user,
            title_ja=texts[0],
            title_en=texts[1],
            source_text=texts[2],
        )
    window = (entry.phrase, entry.window_start, entry.window_end, entry.deadline)
    if window != (
        milestone.phrase,
        milestone.window_start,
        milestone.window_end,
        milestone.deadline,
    ):
        revise_deadline(
            milestone=milestone,
            new_phrase=entry.phrase,
            reason=replan_reason(plan),
            kind=DeadlineRevision.Kind.REPLAN,
            user=user,
            reference_date=plan.decided_on,
        )
    entry.milestone = milestone
    return milestone


def drop(milestone: Milestone, plan: Plan, user) -> None:
    """Cancel an open milestone the new edition no longer carries; a finished one stays done."""
    if milestone.is_closed:
        return
    set_status(
        milestone=milestone,
        status=Milestone.Status.CANCELLED,
        user=user,
        comment=drop_reason(plan),
    )


@transaction.atomic
def rename(*, milestone: Milestone, ref: str, user) -> Milestone:
    """Give a milestone the reference a new edition uses for it; the old one stays recorded."""
    locked = _lock(milestone)
    locked.ref = ref
    locked.full_clean(exclude=["initiative", "owner"])
    _save(locked, user)
    return locked


def record_first_editions() -> int:
    """Record each plan milestone no edition carries yet as carried by its own plan's edition.

    The wording recorded is the original one: a revised milestone's first phrase and deadline.
    Programme milestones (one per body and business system) are not entries of an edition.
    """
    milestones = (
        Milestone.objects.filter(business_system__isnull=True, editions__isnull=True)
        .select_related("initiative__plan")
        .prefetch_related("revisions")
    )
    sessions = DietSession.objects.for_resolver()
    entries = [original_entry(milestone, sessions) for milestone in milestones]
    MilestoneEdition.objects.bulk_create(entries, batch_size=2000)
    return len(entries)


def original_entry(milestone: Milestone, sessions) -> MilestoneEdition:
    """Return the entry of a milestone as its own plan stated it, before any revision."""
    plan = milestone.initiative.plan
    revisions = sorted(milestone.revisions.all(), key=lambda r: (r.decided_at, r.pk))
    first = revisions[0] if revisions else None
    phrase = first.old_phrase if first else milestone.phrase
    start, end = milestone.window_start, milestone.window_end
    precision, soft = milestone.precision, milestone.soft
    if first is not None:
        try:
            window = resolve_window(phrase, reference=plan.decided_on, diet_sessions=sessions)
            start, end, precision, soft = window.start, window.end, window.precision, window.soft
        except ValidationError:
            start, end = None, milestone.baseline_deadline
    return MilestoneEdition(
        plan=plan,
        milestone=milestone,
        ref=milestone.ref,
        initiative_number=milestone.initiative.number,
        title_ja=milestone.title_ja,
        title_en=milestone.title_en,
        source_text=milestone.source_text,
        phrase=phrase,
        window_start=start,
        window_end=end,
        precision=str(precision),
        soft=soft,
        deadline=milestone.baseline_deadline,
    )
