"""The daily scheduler: flag overdue milestones and queue the notices their owners receive.

Both jobs are set-based and idempotent, so running them twice, concurrently or late is safe:
flags are written by conditional UPDATEs and notices by inserts that the unique key on
(recipient, milestone, kind, deadline, lead) turns into no-ops on a rerun.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    Func,
    Q,
    Value,
    When,
)
from django.utils import timezone

from roadmap.models import Membership, Milestone, Notification, Organization

FLAGGED_REASON = "flagged overdue by the scheduler"
CLEARED_REASON = "overdue flag cleared by the scheduler"
# The settings form allows lead times up to a year.
MAX_LEAD_DAYS = 365


class DayAfter(Func):
    """The day after a date column, as a date (PostgreSQL's date + integer)."""

    template = "(%(expressions)s + 1)"
    output_field = DateField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="date(%(expressions)s, '+1 day')", **extra_context
        )


@transaction.atomic
def flag_overdue(*, as_of: date) -> dict:
    """Flag milestones overdue on ``as_of`` and clear flags that no longer hold."""
    stamp = timezone.now()
    overdue = Milestone.overdue_condition(as_of)
    # overdue_since is the first day the milestone is overdue: the day after its deadline.
    # Rows flagged for an earlier deadline that has been revised and missed again are moved.
    first_day = DayAfter("deadline")
    to_flag = overdue & ~Q(overdue_since=first_day)
    to_clear = Milestone.FLAGGED & ~overdue
    changed = Milestone.objects.filter(to_flag | to_clear).update_recorded(
        reason=Case(When(overdue, then=Value(FLAGGED_REASON)), default=Value(CLEARED_REASON)),
        stamp=stamp,
        overdue_since=Case(When(overdue, then=first_day), default=Value(None)),
    )
    if not changed:
        return {"flagged": 0, "cleared": 0}
    return Milestone.objects.filter(updated_at=stamp).aggregate(
        flagged=Count("pk", filter=Milestone.FLAGGED),
        cleared=Count("pk", filter=~Milestone.FLAGGED),
    )


@dataclass(frozen=True)
class NoticeRecipient:
    """Who is owed notices about an organization's milestones, and how often."""

    address: str
    user_id: int | None
    lead_days: tuple[int, ...]
    repeat_days: int
    state: str


@transaction.atomic
def queue_notifications(*, as_of: date) -> dict:
    """Queue the overdue and due-soon notices owed on ``as_of`` to owners and contacts."""
    stamp = timezone.now()
    # Milestones that will be overdue a day after the furthest lead time unless someone acts.
    horizon = Milestone.objects.overdue(as_of=as_of + timedelta(days=_max_lead_days() + 1))
    watched = list(
        horizon.annotate(
            is_overdue=ExpressionWrapper(Milestone.overdue_condition(as_of), BooleanField())
        )
        .values("pk", "owner_id", "deadline", "is_overdue")
        .order_by()
    )
    # The owners as a list: a subquery made PostgreSQL probe the milestones once per membership.
    recipients = _recipients_by_organization({m["owner_id"] for m in watched})
    notices = {}
    for milestone in watched:
        for recipient in recipients.get(milestone["owner_id"], ()):
            notice = _notice(milestone, recipient, as_of=as_of, stamp=stamp)
            if notice is not None:
                key = (notice.recipient, notice.milestone_id, notice.kind, notice.lead)
                notices.setdefault(key, notice)
    # Rows the unique key turned away are not created: count what this run added.
    before = _created_at(stamp)
    Notification.objects.bulk_create(notices.values(), ignore_conflicts=True)
    after = _created_at(stamp)
    return {kind: after[kind] - before[kind] for kind in after}


def _created_at(stamp) -> dict:
    return Notification.objects.filter(created_at=stamp).aggregate(
        overdue=Count("pk", filter=Q(kind=Notification.Kind.OVERDUE)),
        due_soon=Count("pk", filter=Q(kind=Notification.Kind.DUE_SOON)),
    )


def _max_lead_days() -> int:
    return max(MAX_LEAD_DAYS, *settings.ROADMAP_DUE_SOON_LEAD_DAYS)


def _notice(milestone, recipient, *, as_of, stamp):
    """Return the notice ``recipient`` is owed about ``milestone`` on ``as_of``, if any."""
    days_left = (milestone["deadline"] - as_of).days
    if milestone["is_overdue"]:
        # First on the first overdue day, then every repeat_days while it stays overdue.
        late, every = -days_left, recipient.repeat_days
        kind, lead = Notification.Kind.OVERDUE, 1 + (late - 1) // every * every
    else:
        # A lead time is due from its day until the deadline; a late run sends only the
        # nearest one, never several reminders at once.
        due = [lead for lead in recipient.lead_days if lead >= days_left >= 0]
        if not due:
            return None
        kind, lead = Notification.Kind.DUE_SOON, min(due)
    return Notification(
        recipient=recipient.address,
        user_id=recipient.user_id,
        milestone_id=milestone["pk"],
        kind=kind,
        deadline=milestone["deadline"],
        lead=lead,
        created_at=stamp,
        next_attempt_at=stamp,
        state=recipient.state,
    )


def _recipients_by_organization(organization_ids) -> dict[int, list[NoticeRecipient]]:
    """Return each organization's owners with an address, then its contact address."""
    recipients = {}
    owners = (
        Membership.objects.filter(
            organization__in=organization_ids,
            role=Membership.Role.OWNER,
            user__is_active=True,
        )
        .exclude(user__email="")
        .values(
            "organization_id",
            "user_id",
            "user__email",
            "user__preference__lead_days",
            "user__preference__overdue_repeat_days",
            "user__preference__digests_enabled",
        )
        .order_by("organization_id", "user_id")
    )
    for row in owners:
        recipients.setdefault(row["organization_id"], []).append(_owner(row))
    contacts = (
        Organization.objects.filter(pk__in=organization_ids)
        .exclude(contact_email="")
        .values_list("pk", "contact_email")
    )
    for organization_id, address in contacts:
        recipients.setdefault(organization_id, []).append(_contact(address))
    return recipients


def _owner(row) -> NoticeRecipient:
    digests = row["user__preference__digests_enabled"] is not False
    return NoticeRecipient(
        address=row["user__email"],
        user_id=row["user_id"],
        lead_days=tuple(row["user__preference__lead_days"] or settings.ROADMAP_DUE_SOON_LEAD_DAYS),
        repeat_days=row["user__preference__overdue_repeat_days"]
        or settings.ROADMAP_OVERDUE_REPEAT_DAYS,
        # Users who turned digests off still see the notice in the tracker.
        state=Notification.State.PENDING if digests else Notification.State.SKIPPED,
    )


def _contact(address) -> NoticeRecipient:
    return NoticeRecipient(
        address=address,
        user_id=None,
        lead_days=tuple(settings.ROADMAP_DUE_SOON_LEAD_DAYS),
        repeat_days=settings.ROADMAP_OVERDUE_REPEAT_DAYS,
        state=Notification.State.PENDING,
    )
