"""The daily scheduler: flag overdue milestones and queue the notices their owners receive.

Both jobs are set-based and idempotent, so running them twice, concurrently or late is safe:
flags are written by conditional UPDATEs and notices by inserts that the unique key on
(recipient, milestone, kind, deadline, lead) turns into no-ops on a rerun.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    DateTimeField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Q,
    Value,
    When,
)
from django.utils import timezone

from roadmap.models import Membership, Milestone, Notification, Organization
from roadmap.services.isolation import Failures
from roadmap.validators import REPEAT_DAYS_RANGE, validate_lead_days

logger = logging.getLogger("roadmap.jobs")
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


def flag_overdue(*, as_of: date) -> dict:
    """Flag milestones overdue on ``as_of`` and clear flags that no longer hold.

    All milestones are flagged by a few statements; if the database refuses them because of
    one row, each milestone is flagged on its own and the ones refused are recorded as failed.
    """
    try:
        with transaction.atomic():
            return _flag(Milestone.objects.all(), as_of=as_of)
    except DatabaseError as error:
        logger.warning("flag_overdue: flagging all at once failed (%s); one by one", error)
    failures, counts = Failures("flag_overdue"), {"flagged": 0, "cleared": 0}
    overdue = Milestone.overdue_condition(as_of)
    for pk in Milestone.objects.filter(overdue | Q(overdue_since__isnull=False)).values_list(
        "pk", flat=True
    ):
        with failures.item(f"milestone {pk}"), transaction.atomic():
            for key, value in _flag(Milestone.objects.filter(pk=pk), as_of=as_of).items():
                counts[key] += value
    return counts


def _flag(milestones, *, as_of: date) -> dict:
    stamp = timezone.now()
    overdue = Milestone.overdue_condition(as_of)
    # overdue_since is the first day the milestone is overdue: the day after its deadline.
    # Rows flagged for an earlier deadline that has been revised and missed again are moved.
    first_day = DayAfter("deadline")
    flagged = (
        milestones.filter(overdue)
        .exclude(overdue_since=first_day)
        .update(overdue_since=first_day, version=F("version") + 1, updated_at=stamp)
    )
    cleared = (
        milestones.filter(overdue_since__isnull=False)
        .exclude(overdue)
        .update(overdue_since=None, version=F("version") + 1, updated_at=stamp)
    )
    if flagged or cleared:
        reason = Case(
            When(overdue_since__isnull=True, then=Value(CLEARED_REASON)),
            default=Value(FLAGGED_REASON),
        )
        _record_history(milestones.filter(updated_at=stamp), stamp=stamp, reason=reason)
    return {"flagged": flagged, "cleared": cleared}


def _record_history(milestones, *, stamp, reason) -> None:
    """Copy ``milestones`` into their history table with one INSERT … SELECT."""
    history = Milestone.history.model
    fixed = {
        "history_date": Value(stamp, output_field=DateTimeField()),
        "history_change_reason": reason,
        "history_type": Value("~"),
        "history_user": Value(None, output_field=IntegerField()),
    }
    fields = [field for field in history._meta.concrete_fields if not field.primary_key]
    select = milestones.order_by().values(
        **{f"h{i}": fixed.get(field.name, F(field.attname)) for i, field in enumerate(fields)}
    )
    sql, params = select.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(history._meta.db_table)} ({columns}) {sql}", params)


@dataclass(frozen=True)
class Recipient:
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
    failures = Failures("queue_notifications")
    recipients = _recipients_by_organization({m["owner_id"] for m in watched}, failures)
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


def _recipients_by_organization(
    organization_ids, failures: Failures | None = None
) -> dict[int, list[Recipient]]:
    """Return each organization's owners with an address, then its contact address.

    An owner whose settings break the rules (a row written around the validators) is recorded
    in ``failures`` (by default as queue_notifications') and left out; everyone else is served.
    """
    failures = failures or Failures("queue_notifications")
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
        with failures.item(f"notification settings of user {row['user_id']}"):
            recipients.setdefault(row["organization_id"], []).append(_owner(row))
    contacts = (
        Organization.objects.filter(pk__in=organization_ids)
        .exclude(contact_email="")
        .values_list("pk", "contact_email")
    )
    for organization_id, address in contacts:
        recipients.setdefault(organization_id, []).append(_contact(address))
    return recipients


def _owner(row) -> Recipient:
    """Return the owner as a recipient; raise ValidationError if their settings break the rules."""
    digests = row["user__preference__digests_enabled"] is not False
    lead_days = row["user__preference__lead_days"] or settings.ROADMAP_DUE_SOON_LEAD_DAYS
    repeat_days = row["user__preference__overdue_repeat_days"]
    validate_lead_days(lead_days)
    if repeat_days is not None and not REPEAT_DAYS_RANGE[0] <= repeat_days <= REPEAT_DAYS_RANGE[1]:
        raise ValidationError(f"overdue repeat of {repeat_days!r} days is not from 1 to 90")
    return Recipient(
        address=row["user__email"],
        user_id=row["user_id"],
        lead_days=tuple(lead_days),
        repeat_days=repeat_days or settings.ROADMAP_OVERDUE_REPEAT_DAYS,
        # Users who turned digests off still see the notice in the tracker.
        state=Notification.State.PENDING if digests else Notification.State.SKIPPED,
    )


def _contact(address) -> Recipient:
    return Recipient(
        address=address,
        user_id=None,
        lead_days=tuple(settings.ROADMAP_DUE_SOON_LEAD_DAYS),
        repeat_days=settings.ROADMAP_OVERDUE_REPEAT_DAYS,
        state=Notification.State.PENDING,
    )
