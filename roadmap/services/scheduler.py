"""The daily scheduler: flag overdue milestones and queue the notices their owners receive.

Both jobs are set-based and idempotent, so running them twice, concurrently or late is safe:
flags are written by conditional UPDATEs and notices by inserts that the unique key on
(recipient, milestone, kind, deadline, lead) turns into no-ops on a rerun.
"""

import json
import logging
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, DateField, F, Func, Q, Value, When
from django.utils import timezone

from roadmap.models import Membership, Milestone, Notification, Organization, UserPreference
from roadmap.services.isolation import Failures
from roadmap.services.recipients import Recipient
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
    for pk in Milestone.objects.filter(overdue | Milestone.FLAGGED).values_list("pk", flat=True):
        with failures.item(f"milestone {pk}"), transaction.atomic():
            for key, value in _flag(Milestone.objects.filter(pk=pk), as_of=as_of).items():
                counts[key] += value
    return counts


def overdue_flag(as_of: date, *, status: str | None = None) -> Case:
    """Return the flag the overdue rule gives a row on ``as_of``: the day after its deadline.

    overdue_since is the first day the milestone is overdue, so rows flagged for an earlier
    deadline that has been revised and missed again are moved; a row no longer late gets None.
    With ``status``, the flag of rows about to be given that status.
    """
    return Case(
        When(Milestone.overdue_condition(as_of, status=status), then=DayAfter("deadline")),
        default=Value(None),
    )


def _flag(milestones, *, as_of: date) -> dict:
    overdue = Milestone.overdue_condition(as_of)
    to_flag = overdue & ~Q(overdue_since=DayAfter("deadline"))
    to_clear = Milestone.FLAGGED & ~overdue
    # One recorded update flags and clears; each row's history reason says which it got, read
    # from the row as updated: flagged rows carry a flag, cleared ones none.
    changed = milestones.filter(to_flag | to_clear).update_recorded_by_reason(
        reason=Case(
            When(Milestone.FLAGGED, then=Value(FLAGGED_REASON)), default=Value(CLEARED_REASON)
        ),
        overdue_since=overdue_flag(as_of),
    )
    return {"flagged": changed.get(FLAGGED_REASON, 0), "cleared": changed.get(CLEARED_REASON, 0)}


# Notification columns in the order the SELECTs below give their values.
NOTICE_FIELDS = (
    "recipient",
    "user",
    "milestone",
    "kind",
    "deadline",
    "lead",
    "created_at",
    "state",
    "attempts",
    "next_attempt_at",
    "last_error",
)
# What differs between the databases, in one place: the days from the run day to a deadline
# (%s is the run day), and the rows of a JSON array of lead times, as a FROM item "leads".
DIALECTS = {
    "postgresql": {
        "days_left": "(m.due - CAST(%s AS DATE))",
        "lead_set": "jsonb_array_elements_text({}) AS leads(value)",
        "array_length": "jsonb_array_length({})",
        "json": "CAST({} AS jsonb)",
    },
    "sqlite": {
        "days_left": "CAST(julianday(m.due) - julianday(%s) AS INTEGER)",
        "lead_set": "json_each({}) AS leads",
        "array_length": "json_array_length({})",
        "json": "{}",
    },
}


@transaction.atomic
def queue_notifications(*, as_of: date) -> dict:
    """Queue the overdue and due-soon notices owed on ``as_of`` to owners and contacts.

    Each kind is one INSERT … SELECT … ON CONFLICT DO NOTHING: the database joins the
    milestones to their recipients and to each recipient's lead times and writes the rows.
    """
    # As the ORM would store it: SQLite keeps datetimes as text in UTC.
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    dialect = DIALECTS[connection.vendor]
    # Milestones that will be overdue a day after the furthest lead time unless someone acts.
    horizon = as_of + timedelta(days=_max_lead_days() + 1)
    watched = Milestone.objects.overdue(as_of=horizon).values(
        milestone=F("pk"), organization=F("owner_id"), due=F("deadline")
    )
    milestones, milestone_params = watched.order_by().query.sql_with_params()
    broken = _owners_with_broken_settings(Failures("queue_notifications"))
    recipients, recipient_params = _recipients_sql(dialect, excluded=broken)
    source = f" FROM ({milestones}) m JOIN ({recipients}) r ON r.organization_id = m.organization"
    source_params = [*milestone_params, *recipient_params]
    days_left, lead = dialect["days_left"], "CAST(leads.value AS INTEGER)"
    # Owners come before an organization's contact address: where both are one address, the
    # owner's notice (and their choice about digests) is the one kept.
    order = " ORDER BY r.rank, r.user_id, m.milestone"
    selects = {
        # First on the first overdue day, then every ``every`` days while it stays overdue.
        Notification.Kind.OVERDUE: (
            f"SELECT r.address, r.user_id, m.milestone, %s, m.due,"
            f" 1 + (-{days_left} - 1) / r.every * r.every, %s, r.state, 0, %s, ''"
            f"{source} WHERE m.due < %s{order}",
            [Notification.Kind.OVERDUE.value, as_of, stamp, stamp, *source_params, as_of],
        ),
        # A lead time is due from its day until the deadline; a late run sends only the
        # nearest one, never several reminders at once.
        Notification.Kind.DUE_SOON: (
            f"SELECT r.address, r.user_id, m.milestone, %s, m.due, MIN({lead}), %s, r.state, 0,"
            f" %s, ''{source} CROSS JOIN {dialect['lead_set'].format('r.leads')}"
            f" WHERE m.due >= %s AND {lead} >= {days_left}"
            f" GROUP BY r.rank, r.user_id, r.address, r.state, m.milestone, m.due{order}",
            [Notification.Kind.DUE_SOON.value, stamp, stamp, *source_params, as_of, as_of],
        ),
    }
    quote = connection.ops.quote_name
    table = quote(Notification._meta.db_table)
    columns = ", ".join(quote(Notification._meta.get_field(f).column) for f in NOTICE_FIELDS)
    queued = {}
    with connection.cursor() as cursor:
        for kind, (select, params) in selects.items():
            # Rows the unique key turns away are not counted: the count is what this run added.
            cursor.execute(
                f"INSERT INTO {table} ({columns}) {select} ON CONFLICT DO NOTHING", params
            )
            queued[kind.value] = cursor.rowcount
    return queued


def _max_lead_days() -> int:
    return max(MAX_LEAD_DAYS, *settings.ROADMAP_DUE_SOON_LEAD_DAYS)


def _owners_with_broken_settings(failures) -> list[int]:
    """Return the users whose settings break the rules (written around the validators).

    Each is recorded in ``failures`` and left out of the queueing; everyone else is served.
    """
    broken = []
    for user_id, lead_days, repeat_days in UserPreference.objects.values_list(
        "user_id", "lead_days", "overdue_repeat_days"
    ):
        with failures.item(f"notification settings of user {user_id}"):
            try:
                validate_lead_days(lead_days)
                if not REPEAT_DAYS_RANGE[0] <= repeat_days <= REPEAT_DAYS_RANGE[1]:
                    raise ValidationError(f"overdue repeat of {repeat_days!r} days is not 1 to 90")
            except ValidationError:
                broken.append(user_id)
                raise
    return broken


def _recipients_sql(dialect, excluded=()) -> tuple[str, list]:
    """Return the SELECT of every recipient by organization, with the choices that apply.

    Columns: organization_id, address, user_id, leads (a JSON array of lead days), every (days
    between overdue notices), state (of their notices) and rank (owners 0, contact address 1).
    """
    defaults = json.dumps([int(days) for days in settings.ROADMAP_DUE_SOON_LEAD_DAYS])
    default_leads = dialect["json"].format("%s")
    users = get_user_model()._meta.db_table
    # Table names and literals from the code; the values as parameters.
    owners = (
        "SELECT o.organization_id, u.email AS address, u.id AS user_id,"  # noqa: S608
        f" CASE WHEN p.lead_days IS NULL OR {dialect['array_length'].format('p.lead_days')} = 0"
        f" THEN {default_leads} ELSE p.lead_days END AS leads,"
        " COALESCE(NULLIF(p.overdue_repeat_days, 0), %s) AS every,"
        # Users who turned digests off still see the notice in the tracker.
        " CASE WHEN p.digests_enabled = %s THEN %s ELSE %s END AS state, 0 AS rank"
        f" FROM {Membership._meta.db_table} o JOIN {users} u ON u.id = o.user_id"
        f" LEFT JOIN {UserPreference._meta.db_table} p ON p.user_id = u.id"
        " WHERE o.role = %s AND u.is_active AND u.email <> ''"
        + (f" AND u.id NOT IN ({', '.join(['%s'] * len(excluded))})" if excluded else "")
    )
    contacts = (
        f"SELECT c.id, c.contact_email, NULL, {default_leads}, %s, %s, 1"  # noqa: S608
        f" FROM {Organization._meta.db_table} c WHERE c.contact_email <> ''"
    )
    repeat = settings.ROADMAP_OVERDUE_REPEAT_DAYS
    params = [
        defaults,
        repeat,
        False,
        Notification.State.SKIPPED.value,
        Notification.State.PENDING.value,
        Membership.Role.OWNER.value,
        *excluded,
        defaults,
        repeat,
        Notification.State.PENDING.value,
    ]
    return f"{owners} UNION ALL {contacts}", params


def _recipients_by_organization(organization_ids) -> dict[int, list[Recipient]]:
    """Return each organization's owners with an address, then its contact address.

    The same recipients, with the same choices, as the queueing statements join.
    """
    wanted = set(organization_ids)
    if not wanted:
        return {}
    recipients, params = _recipients_sql(DIALECTS[connection.vendor])
    recipients_by_organization = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.organization_id, r.address, r.user_id, r.state"  # noqa: S608
            f" FROM ({recipients}) r ORDER BY r.organization_id, r.rank, r.user_id",
            params,
        )
        for organization_id, address, user_id, state in cursor.fetchall():
            if organization_id in wanted:
                recipients_by_organization.setdefault(organization_id, []).append(
                    Recipient(address, user_id=user_id, state=state)
                )
    return recipients_by_organization
