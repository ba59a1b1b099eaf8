"""Create milestones and change them by the rules: the deadline only through a revision.

Every function that changes a milestone takes the user who asks and refuses, with
``PermissionDenied`` and one line in the security log, anyone who does not own the milestone's
organization; ``user=None`` is the tracker itself (the scheduler, a loader, an import run by an
operator).
"""

from collections.abc import Sequence
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, QuerySet, Value, When
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.translation import gettext as _

from roadmap import periods, security
from roadmap.models import (
    DeadlineRevision,
    DietSession,
    EventDate,
    Initiative,
    Milestone,
    MilestoneEdition,
    Organization,
    Plan,
    StatusComment,
)

UNDATED = periods.Window(
    phrase="", start=None, end=None, precision=periods.Precision.OPEN, soft=False, rule="open"
)


def resolve_window(
    phrase: str,
    *,
    reference: date,
    diet_sessions: Sequence[periods.DietSession] | None = None,
    events: Sequence[periods.Event] | None = None,
    anchor: EventDate | None = None,
) -> periods.Window:
    """Return the window ``phrase`` stands for, or raise a ValidationError naming it.

    ``anchor`` is the event a phrase that names none (「10年を経過する前から」) counts from.
    """
    if not phrase.strip():
        # A commitment the source gives no date for: open, so it can never be overdue.
        return UNDATED
    if diet_sessions is None:
        diet_sessions = DietSession.objects.for_resolver()
    if events is None:
        events = EventDate.objects.for_resolver()
    try:
        return periods.resolve(
            phrase,
            reference=reference,
            diet_sessions=diet_sessions,
            events=events,
            anchor=anchor.as_resolver_event() if anchor else None,
        )
    except periods.PhraseError as error:
        # The resolver's sentence names the phrase and says what was expected.
        raise ValidationError({"phrase": ValidationError(str(error), code="phrase")}) from error


def window_fields(window: periods.Window, kind: str) -> dict:
    """Return the Milestone field values that store ``window`` for a milestone of ``kind``."""
    return {
        "phrase": window.phrase,
        "window_start": window.start,
        "window_end": window.end,
        "precision": str(window.precision),
        "soft": window.soft,
        "rule": window.rule,
        "deadline": window.deadline(kind),
    }


@transaction.atomic
def create_milestone(
    *,
    initiative: Initiative,
    owner: Organization,
    ref: str,
    title_ja: str,
    title_en: str,
    phrase: str,
    kind: Milestone.Kind | str,
    source_text: str = "",
    reference_date: date | None = None,
    status: Milestone.Status | str = Milestone.Status.PLANNED,
    anchor: EventDate | None = None,
    series=None,
    occurrence_year: int | None = None,
    user=None,
    edition: Plan | None = None,
    owned: frozenset[int] | None = None,
) -> Milestone:
    """Create a milestone with its phrase resolved; its first deadline is the baseline.

    The milestone is recorded as carried by ``edition`` (default: its initiative's plan).
    A caller creating many milestones for one user passes ``owned_organizations(user)`` as
    ``owned``, read once instead of once a milestone.
    """
    if user is not None:
        if owned is None:
            owned = owned_organizations(user, owner=owner)
        if owner.pk not in owned:
            raise security.refuse(user, "add", milestone_ids=[ref])
    reference = reference_date or initiative.plan.decided_on
    fields = window_fields(resolve_window(phrase, reference=reference, anchor=anchor), kind)
    milestone = Milestone(
        initiative=initiative,
        owner=owner,
        ref=ref,
        title_ja=title_ja,
        title_en=title_en,
        source_text=source_text,
        kind=kind,
        reference_date=reference,
        baseline_deadline=fields["deadline"],
        status=status,
        completed_on=timezone.localdate() if status == Milestone.Status.DONE else None,
        anchor=anchor,
        series=series,
        occurrence_year=occurrence_year,
        **fields,
    )
    milestone.full_clean()
    milestone.save_recorded(user=user)
    record_edition(milestone=milestone, plan=edition or initiative.plan)
    return milestone


def owned_organizations(user, *, owner: Organization | None = None) -> frozenset[int] | None:
    """Return the ids of the organizations ``user`` may write for (None: the tracker itself),
    or only whether they include ``owner``."""
    if user is None:
        return None
    organizations = Organization.objects.editable_by(user)
    if owner is not None:
        organizations = organizations.filter(pk=owner.pk)
    return frozenset(organizations.values_list("pk", flat=True))


def record_edition(*, milestone: Milestone, plan: Plan) -> MilestoneEdition:
    """Record that ``plan`` carries the milestone with its present wording and window."""
    entry = MilestoneEdition.carrying(milestone, plan)
    entry.save(force_insert=True)
    return entry


@transaction.atomic
def revise_deadline(
    *,
    milestone: Milestone,
    new_phrase: str,
    reason: str,
    kind: DeadlineRevision.Kind | str,
    user,
    reference_date: date | None = None,
) -> DeadlineRevision:
    """Move a milestone's deadline to what ``new_phrase`` resolves to, recording why."""
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for revising the deadline.")})
    if kind not in DeadlineRevision.Kind.values:
        raise ValidationError({"kind": _("Say whether this is an official re-plan or a slip.")})
    locked = _lock(milestone, user, "revise deadline")
    reference = reference_date or timezone.localdate()
    fields = window_fields(
        resolve_window(new_phrase, reference=reference, anchor=locked.anchor), locked.kind
    )
    revision = DeadlineRevision.objects.create(
        milestone=locked,
        old_phrase=locked.phrase,
        old_deadline=locked.deadline,
        new_phrase=new_phrase,
        new_deadline=fields["deadline"],
        reason=reason.strip(),
        kind=kind,
        decided_by=user,
    )
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.reference_date = reference
    # The scheduler's rule, applied now: the flag follows the new deadline whether the
    # scheduler's run for today came before this revision or comes after it.
    locked.overdue_since = _first_overdue_day(locked, timezone.localdate())
    locked.save_recorded(user=user)
    return revision


@transaction.atomic
def set_status(
    *,
    milestone: Milestone,
    status: Milestone.Status | str,
    user,
    comment: str = "",
    on: date | None = None,
) -> Milestone:
    """Change a milestone's status, with an optional comment kept alongside its history."""
    locked = _lock(milestone, user, f"set status {status}")
    if comment.strip():
        StatusComment.objects.create(
            milestone=locked,
            old_status=locked.status,
            new_status=status,
            comment=comment.strip(),
            author=user,
        )
    _apply_status(locked, status, on=on)
    _clear_overdue_unless_still_late(locked)
    locked.save_recorded(user=user)
    return locked


@transaction.atomic
def bulk_set_status(*, milestones: QuerySet, status: Milestone.Status | str, user) -> int:
    """Change the status of many milestones at once, recording each change in their history."""
    _check_status(status)
    # By primary key alone: the caller's queryset may carry joins or DISTINCT.
    selected = Milestone.objects.filter(pk__in=milestones.values("pk"))
    if user is not None:
        outside = list(selected.exclude(pk__in=Milestone.objects.editable_by(user).values("pk")))
        if outside:
            raise security.refuse(
                user, f"set status {status}", milestone_ids=[m.pk for m in outside]
            )
    changing = list(
        selected.exclude(status=status).select_for_update().values_list("pk", flat=True)
    )
    today = timezone.localdate()
    return Milestone.objects.filter(pk__in=changing).update_recorded(
        reason=None,
        user=user,
        status=status,
        completed_on=today if status == Milestone.Status.DONE else None,
        # The overdue rule, for the new status: a flag stays only while the milestone is late.
        overdue_since=Case(
            When(Milestone.overdue_condition(today, status=status), then=F("overdue_since")),
            default=Value(None),
        ),
    )


@transaction.atomic
def assess_rag(*, milestone: Milestone, rag: Milestone.Rag | str, user) -> Milestone:
    """Record a person's RAG assessment of a milestone (automation never sets one)."""
    locked = _lock(milestone, user, "assess RAG")
    locked.rag = rag
    locked.rag_assessed_by = user
    locked.rag_assessed_at = timezone.now()
    locked.save_recorded(user=user)
    return locked


@transaction.atomic
def edit_texts(
    *, milestone: Milestone, user, title_ja: str, title_en: str, source_text: str
) -> Milestone:
    """Correct a milestone's titles and source wording; its dates stay as they are."""
    locked = _lock(milestone, user, "edit texts")
    locked.title_ja, locked.title_en, locked.source_text = title_ja, title_en, source_text
    locked.full_clean(exclude=["initiative", "owner"])
    locked.save_recorded(user=user)
    return locked


def check_version(*, milestone: Milestone, seen_version: int) -> None:
    """Lock the milestone until the caller commits; refuse it if changed after ``seen_version``.

    Holding the row lock until the caller's save commits makes compare-and-save one step, so
    of two people editing from the same version exactly one succeeds and the other is told.
    """
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError("check_version must run inside the saving transaction.")
    current = _lock(milestone, None, "check version")
    if current.version != seen_version:
        raise ValidationError(_conflict_message(current), code="conflict")


def _conflict_message(milestone: Milestone) -> str:
    last = milestone.history.select_related("history_user").order_by("-history_date").first()
    who = last.history_user if last and last.history_user else _("the scheduler")
    when = timezone.localtime(last.history_date if last else milestone.updated_at)
    return _(
        "This milestone was changed by %(who)s at %(when)s after you opened it; "
        "reload and reapply your change."
    ) % {"who": who, "when": when.strftime("%Y-%m-%d %H:%M")}


def _lock(milestone: Milestone, user, action: str) -> Milestone:
    """Return the milestone's row, locked until the transaction ends, if ``user`` may change it."""
    if user is None:
        return Milestone.objects.select_for_update().get(pk=milestone.pk)
    # Only the milestone's row: PostgreSQL would otherwise lock the joined rows as well.
    rows = Milestone.objects.editable_by(user).select_for_update(of=("self",))
    locked = rows.filter(pk=milestone.pk).first()
    if locked is None:
        raise security.refuse(user, action, milestone_ids=[milestone.pk])
    return locked


def _check_status(status: str) -> None:
    if status not in Milestone.Status.values:
        raise ValidationError(
            {"status": _("Unknown status %(status)s.")}, params={"status": status}
        )


def _apply_status(milestone: Milestone, status: str, *, on: date | None) -> None:
    """Set the status and the completion date that goes with it (default: today in Tokyo)."""
    _check_status(status)
    if status != Milestone.Status.DONE:
        milestone.completed_on = None
    elif on is not None or milestone.status != Milestone.Status.DONE:
        milestone.completed_on = on or timezone.localdate()
    milestone.status = status


def _clear_overdue_unless_still_late(milestone: Milestone) -> None:
    """Clear ``overdue_since`` unless the milestone is still late by the one overdue rule."""
    if milestone.overdue_since is None:
        return
    if milestone.deadline is None or not _is_late(milestone, timezone.localdate()):
        milestone.overdue_since = None


def _first_overdue_day(milestone: Milestone, today: date) -> date | None:
    """Return the day after the deadline if the milestone is late on ``today``, else None."""
    if milestone.deadline is None or not _is_late(milestone, today):
        return None
    return milestone.deadline + timedelta(days=1)


def _is_late(milestone: Milestone, today: date) -> bool:
    """Say whether the milestone's unsaved values meet ``Milestone.overdue_condition``."""
    values = {"deadline": milestone.deadline, "kind": milestone.kind, "status": milestone.status}
    return Milestone.overdue_condition(today).check(values)
