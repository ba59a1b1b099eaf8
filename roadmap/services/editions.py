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
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from roadmap.editions import Change, ChangeClass, classify, counts
from roadmap.importing import ImportRefused, commitment_of
from roadmap.models import DeadlineRevision, DietSession, Milestone, MilestoneEdition, Plan
from roadmap.services.edition_rows import PREVIOUS_REF, Context, checked_rows
from roadmap.services.milestones import (
    _lock,
    create_milestone,
    edit_texts,
    revise_deadline,
    set_status,
)


class EditionRefused(ImportRefused):
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
    context = Context(plan, previous, existing is None, DietSession.objects.for_resolver())
    rows = checked_rows(file, context, existing)
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
            message = gettext("There is no edition %(code)s to compare with.")
            raise EditionRefused(message % {"code": repr(previous_code)})
        if previous.code == code or previous.decided_on >= decided_on:
            raise EditionRefused(
                gettext(
                    "The previous edition %(code)s was decided on %(previous)s, not before "
                    "%(day)s."
                )
                % {"code": repr(previous_code), "previous": previous.decided_on, "day": decided_on}
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
        message = gettext("The edition cannot be recorded (%(problems)s).")
        raise EditionRefused(message % {"problems": problems}) from None
    return plan


def same_edition(existing: Plan, decided_on: date, previous: Plan | None) -> Plan:
    """Return the imported edition, or refuse an import that states it differently."""
    if existing.decided_on != decided_on or existing.previous_id != (previous and previous.pk):
        follows = existing.previous.code if existing.previous else gettext("no earlier edition")
        raise EditionRefused(
            gettext(
                "Edition %(code)s was imported as decided on %(day)s following %(previous)s; "
                "an imported edition does not change."
            )
            % {"code": repr(existing.code), "day": existing.decided_on, "previous": follows}
        )
    return existing


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
            gettext(
                "Edition %(code)s was imported by another run meanwhile; import again to check "
                "the file against it."
            )
            % {"code": repr(plan.code)}
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
        **commitment_of(row),
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
    locked = _lock(milestone, user, "rename")
    locked.ref = ref
    locked.full_clean(exclude=["initiative", "owner"])
    locked.save_recorded(user=user)
    return locked
