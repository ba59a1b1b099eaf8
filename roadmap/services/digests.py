"""E-mail digests: one message per recipient listing every notice waiting for them.

The notices of a batch of recipients are claimed at once: one statement locks them with
``SELECT … FOR UPDATE SKIP LOCKED`` and stamps them with the run's key, so two workers never
mail the same notice, and one query reads them all. The batch's digests are rendered from
templates compiled once per run and mailed over one connection to the mail server; the notices
of the digests the server took are marked sent, clearing the claim, by one statement per
``MARK_EVERY`` digests, and at once when the run stops on an exception. A digest the server
refuses is marked deferred or failed on its own and the others go on. A worker killed outright
mid-batch mails at most the digests sent since its last marking statement again.
On PostgreSQL the run holds a
session advisory lock on its key, which the server drops with a dead worker's connection, so its
unsent notices can be claimed at once; elsewhere, and for a run that hangs, the claim expires.
Temporary failures are retried with exponential backoff, a bounded number of times; permanent
ones are recorded on the notice for the admin.
"""

import secrets
import smtplib
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as database
from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.db.models.expressions import RawSQL
from django.template.backends.django import Template
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from roadmap import periods
from roadmap.exports import absolute_url
from roadmap.models import Notification, UserPreference
from roadmap.services.isolation import Failures
from roadmap.workdays import is_working_day

FIRST_RETRY = timedelta(seconds=settings.ROADMAP_FIRST_RETRY_SECONDS)
# Recipients whose notices one statement claims.
CLAIM_BATCH = 100
# A claim older than this belongs to a worker that died or hangs; its notices may be claimed again.
CLAIM_EXPIRES = timedelta(minutes=15)
# A run stops mailing under a claim long before it expires, so no other run can take it over
# while it is still in use; the recipients not reached are claimed afresh.
CLAIM_USE_FOR = CLAIM_EXPIRES / 3
# Digests the mail server has taken are marked sent by one statement per this many: a worker
# killed outright (SIGKILL, power loss) mails at most these again, so it stays at one, the
# exactly-once promise; one stopped by an exception marks everything it sent before it stops.
MARK_EVERY = 1
# One digest lists at most this many notices; the rest go out with the next run.
MAX_NOTICES_PER_DIGEST = 500
NO_LONGER_APPLIES = "Not sent: the milestone was closed or its deadline changed first."
# Digests and notices that could not be built or sent, recorded for the admin.
FAILURES = Failures("send_digests")
# The header of each digest that names the ids of the notices it carries.
NOTICES_HEADER = "X-Roadmap-Notices"
# Every statement that marks a notice also ends its claim.
UNCLAIMED = {"claim": None, "claimed_at": None}


class TemporaryFailure(Exception):
    """The mail server could not take the message now; try again later."""


class PermanentFailure(Exception):
    """The mail server refused the message; trying again would not help."""


@dataclass(frozen=True)
class Recipient:
    address: str
    language: str
    working_days_only: bool


def send_digests(*, as_of: date | None = None, now: datetime | None = None) -> dict:
    """Mail each recipient one digest of their pending notices; return what happened."""
    now = now or timezone.now()
    as_of = as_of or timezone.localdate(now)
    counts = dict.fromkeys(("mails", "notifications", "failed", "deferred", "held"), 0)
    _skip_for_users_without_digests(now)
    due = []
    for recipient, waiting in _recipients(now):
        if recipient.working_days_only and not is_working_day(as_of):
            counts["held"] += waiting
        else:
            due.append(recipient)
    if not due:
        return counts
    run = Run(as_of=as_of, now=now, templates=DigestTemplates.load(), counts=counts)
    with _run_key() as run.key:
        while due:
            batch, due = due[:CLAIM_BATCH], due[CLAIM_BATCH:]
            due = _send_batch(batch, run) + due
    return counts


@dataclass(frozen=True)
class DigestTemplates:
    """The digest's three templates, compiled once for a whole run."""

    subject: Template
    text: Template
    html: Template

    @classmethod
    def load(cls) -> "DigestTemplates":
        return cls(
            get_template("roadmap/email/digest_subject.txt"),
            get_template("roadmap/email/digest.txt"),
            get_template("roadmap/email/digest.html"),
        )


@dataclass
class Run:
    """What a digest run knows while it mails its batches."""

    as_of: date
    now: datetime
    templates: DigestTemplates
    counts: dict
    key: int = 0


@contextmanager
def _run_key():
    """Yield this run's claim key, held as a PostgreSQL session advisory lock while it runs."""
    key = secrets.randbits(62) + 1
    if database.vendor != "postgresql":
        yield key
        return
    with database.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield key
    finally:
        with database.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


# The keys of the runs alive now: a bigint advisory lock shows as its halves in pg_locks.
LIVE_KEYS = RawSQL(
    "SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks"
    " WHERE locktype = 'advisory' AND objsubid = 1 AND granted"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    [],
)


def _skip_for_users_without_digests(now) -> None:
    """Keep notices queued before a user turned digests off out of the mail."""
    Notification.objects.pending(now=now).filter(user__preference__digests_enabled=False).update(
        state=Notification.State.SKIPPED
    )


def _claimable(now):
    """Return the pending notices that no live run has claimed."""
    free = Q(claim__isnull=True) | Q(claimed_at__lt=timezone.now() - CLAIM_EXPIRES)
    if database.vendor == "postgresql":
        # Read in the same statement as the claims: a run locks its key before claiming.
        free |= ~Q(claim__in=LIVE_KEYS)
    return Notification.objects.pending(now=now).filter(free)


def _recipients(now):
    """Yield each address with pending notices, its preferences and how many wait."""
    rows = (
        _claimable(now)
        .values(
            "recipient",
            "user_id",
            "user__preference__language",
            "user__preference__working_days_only",
        )
        .annotate(waiting=Count("pk"))
        .order_by("recipient", F("user_id").asc(nulls_last=True))
    )
    recipients = {}
    for row in rows:
        if row["recipient"] in recipients:
            # The same address as a contact and as a user: the user's choices apply.
            recipient, waiting = recipients[row["recipient"]]
            recipients[row["recipient"]] = (recipient, waiting + row["waiting"])
            continue
        recipients[row["recipient"]] = (_recipient(row), row["waiting"])
    return recipients.values()


def _recipient(row) -> Recipient:
    # Contact addresses and users without settings: Japanese, working days only.
    language = row["user__preference__language"] or UserPreference.Language.JAPANESE
    working_days_only = row["user__preference__working_days_only"]
    return Recipient(
        address=row["recipient"],
        language=language,
        working_days_only=True if working_days_only is None else working_days_only,
    )


def _send_batch(recipients, run) -> list[Recipient]:
    """Claim the recipients' notices and mail each a digest; return those not reached.

    One statement claims the notices of the whole batch and one reads them; the notices that no
    longer apply are marked by one statement; the digests go out over one connection to the
    mail server. Each digest's notices are marked as soon as the server has taken it, so a run
    that dies has marked every digest it sent.
    """
    claimed_at = timezone.now()
    notices = _claim([recipient.address for recipient in recipients], run.now, key=run.key)
    _mark_no_longer_applying(
        [n for waiting in notices.values() for n in waiting if not _still_applies(n)]
    )
    connection, sent = get_connection(), []
    with _mail_session(connection):
        try:
            for index, recipient in enumerate(recipients):
                if index and timezone.now() - claimed_at > CLAIM_USE_FOR:
                    _release([n for r in recipients[index:] for n in notices.get(r.address, ())])
                    return recipients[index:]
                current = [n for n in notices.get(recipient.address, ()) if _still_applies(n)]
                current = _renderable(current, run, language=recipient.language)
                if _send_isolated(recipient, current, run, connection):
                    sent.append(current)
                if len(sent) >= MARK_EVERY:
                    _mark_sent(sent, run)
        finally:
            # Also when the run is stopped by an exception: what went out is marked sent.
            _mark_sent(sent, run)
    return []


def _mark_sent(sent, run) -> None:
    """Mark the notices of the digests in ``sent`` as sent, with one statement, and empty it."""
    notices = [notice for current in sent for notice in current]
    if notices:
        _claimed(notices).update(
            state=Notification.State.SENT,
            sent_at=run.now,
            attempts=F("attempts") + 1,
            **UNCLAIMED,
        )
        run.counts["mails"] += len(sent)
        run.counts["notifications"] += len(notices)
    sent.clear()


def _claim(addresses, now, *, key) -> dict[str, list[Notification]]:
    """Claim the addresses' notices that no other run holds; return them by address."""
    with transaction.atomic():
        # One statement: the rows stay locked until they carry the claim.
        locked = (
            _claimable(now)
            .filter(recipient__in=addresses)
            .select_for_update(skip_locked=True, of=("self",))
            .values("pk")
        )
        Notification.objects.filter(pk__in=locked).update(claim=key, claimed_at=timezone.now())
    claimed = (
        Notification.objects.filter(claim=key)
        .select_related("milestone", "measurement__indicator")
        .order_by("recipient", _overdue_first(), "deadline", "pk")
    )
    by_address, later = defaultdict(list), []
    for notice in claimed:
        waiting = by_address[notice.recipient]
        (waiting if len(waiting) < MAX_NOTICES_PER_DIGEST else later).append(notice)
    _release(later)
    return by_address


def _release(notices) -> None:
    """Give up the claim on notices this run will not mail."""
    if notices:
        _claimed(notices).update(claim=None, claimed_at=None)


@contextmanager
def _mail_session(connection):
    """Keep one connection to the mail server open for the digests of a batch."""
    _open_quietly(connection)
    try:
        yield
    finally:
        _close_quietly(connection)


def _open_quietly(connection) -> None:
    # A server that cannot be reached now fails each digest on its own, as a temporary failure.
    try:
        connection.open()
    except (OSError, smtplib.SMTPException):
        _close_quietly(connection)


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except (OSError, smtplib.SMTPException):
        # Nothing to lose: every digest has been answered or counted as failed already.
        if hasattr(connection, "connection"):
            connection.connection = None


def _send_isolated(recipient, current, run, connection) -> bool:
    """Mail one digest; one that cannot be built or sent fails alone, with the reason."""
    try:
        return _send_digest(recipient, current, run, connection)
    except Exception as error:  # noqa: BLE001 (one bad digest never stops the others)
        ids = ", ".join(str(notice.pk) for notice in current)
        reason = FAILURES.record(f"digest of notifications {ids} to {recipient.address!r}", error)
        _reconnect(connection)
        _fail(current, reason)
        run.counts["failed"] += len(current)
        return False


def _renderable(notices, run, *, language) -> list:
    """Return the notices whose digest entry can be made; each other one fails on its own."""
    good = []
    with translation.override(language):
        for notice in notices:
            try:
                _item(notice, run.as_of, language)
            except Exception as error:  # noqa: BLE001 (a corrupt row costs its own notice)
                _fail([notice], FAILURES.record(f"notification {notice.pk}", error))
                run.counts["failed"] += 1
            else:
                good.append(notice)
    return good


def _send_digest(recipient, current, run, connection) -> bool:
    """Mail one recipient's current notices; return whether the server took the digest.

    A digest the server did not take is marked deferred or failed at once, on its own.
    """
    if not current:
        return False
    message = build_digest(
        recipient, current, as_of=run.as_of, connection=connection, templates=run.templates
    )
    try:
        _deliver(message)
    except TemporaryFailure as error:
        _reconnect(connection)
        for name, value in _defer(current, error, now=run.now):
            run.counts[name] += value
        return False
    except PermanentFailure as error:
        _reconnect(connection)
        _fail(current, error)
        run.counts["failed"] += len(current)
        return False
    return True


def _reconnect(connection) -> None:
    """Start the next digest on a fresh connection: a failed one may have left it unusable."""
    _close_quietly(connection)
    _open_quietly(connection)


def _overdue_first():
    return Case(
        When(kind=Notification.Kind.OVERDUE, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )


def _still_applies(notice) -> bool:
    if notice.milestone_id is None:
        # A behind-target notice reports a measurement, which stays what it was.
        return True
    milestone = notice.milestone
    return not milestone.is_closed and milestone.deadline == notice.deadline


def _mark_no_longer_applying(notices) -> None:
    if notices:
        _claimed(notices).update(
            state=Notification.State.SKIPPED, last_error=NO_LONGER_APPLIES, **UNCLAIMED
        )


def _claimed(notices):
    return Notification.objects.filter(pk__in=[notice.pk for notice in notices])


def _deliver(message) -> None:
    """Send ``message``, sorting the mail server's errors into temporary and permanent."""
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        raise PermanentFailure(f"Recipient refused: {error.recipients}") from error
    except smtplib.SMTPResponseException as error:
        reason = f"SMTP {error.smtp_code}: {_text(error.smtp_error)}"
        if 400 <= error.smtp_code < 500:
            raise TemporaryFailure(reason) from error
        raise PermanentFailure(reason) from error
    except OSError as error:
        # Connection refused or dropped, time-outs, and SMTPServerDisconnected (an OSError).
        raise TemporaryFailure(f"{type(error).__name__}: {error}") from error


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _defer(notices, error, *, now):
    """Retry later with exponential backoff, or give up after the allowed attempts."""
    last_attempt = settings.ROADMAP_SEND_ATTEMPTS - 1
    claimed = _claimed(notices)
    failed = claimed.filter(attempts__gte=last_attempt).update(
        state=Notification.State.FAILED,
        attempts=F("attempts") + 1,
        last_error=str(error),
        **UNCLAIMED,
    )
    retry_at = now + FIRST_RETRY * 2 ** max(notice.attempts for notice in notices)
    deferred = claimed.filter(attempts__lt=last_attempt).update(
        attempts=F("attempts") + 1, last_error=str(error), next_attempt_at=retry_at, **UNCLAIMED
    )
    return [("failed", failed), ("deferred", deferred)]


def _fail(notices, error) -> None:
    _claimed(notices).update(
        state=Notification.State.FAILED,
        attempts=F("attempts") + 1,
        last_error=str(error),
        **UNCLAIMED,
    )


def build_digest(
    recipient, notices, *, as_of, connection=None, templates=None
) -> EmailMultiAlternatives:
    """Return the digest of ``notices`` for ``recipient``, in the recipient's language."""
    templates = templates or DigestTemplates.load()
    with translation.override(recipient.language):
        context = {
            "items": [_item(notice, as_of, recipient.language) for notice in notices],
            "as_of": as_of,
            "site_url": settings.SITE_URL,
            "settings_path": reverse("roadmap:settings"),
            # Translated once per digest rather than in every item.
            "labels": {
                "deadline": gettext("Deadline"),
                "phrase": gettext("Phrase"),
                "status": gettext("Status"),
                "edit": gettext("Update it in the admin"),
            },
        }
        context["overdue_count"] = sum(item["overdue"] for item in context["items"])
        context["behind_count"] = sum(item["behind"] for item in context["items"])
        context["due_soon_count"] = (
            len(context["items"]) - context["overdue_count"] - context["behind_count"]
        )
        # Collapsing whitespace keeps the subject on one header line whatever it contains.
        subject = " ".join(templates.subject.render(context).split())
        text = templates.text.render(context)
        html = templates.html.render(context)
    # The notices' ids let a mail server's log be matched with the notices in the admin.
    message = EmailMultiAlternatives(
        subject,
        text,
        to=[recipient.address],
        connection=connection,
        headers={NOTICES_HEADER: ",".join(str(notice.pk) for notice in notices)},
    )
    message.attach_alternative(html, "text/html")
    return message


def _item(notice, as_of, language) -> dict:
    # Dates and phrases are made here once, not by template filters and tags in both parts.
    if notice.measurement_id is not None:
        return _indicator_item(notice, language)
    milestone = notice.milestone
    overdue = notice.kind == Notification.Kind.OVERDUE
    days = abs((as_of - notice.deadline).days)
    return {
        "overdue": overdue,
        "behind": False,
        "days": days,
        "when": _when(overdue, days),
        "title": milestone.title(language),
        "deadline": notice.deadline,
        "deadline_iso": notice.deadline.isoformat(),
        "fiscal_year": periods.fiscal_year_label(periods.fiscal_year(notice.deadline), language),
        "phrase": milestone.phrase,
        "status": milestone.get_status_display(),
        "url": absolute_url(milestone),
        "edit_url": settings.SITE_URL
        + reverse("admin:roadmap_milestone_change", args=[milestone.pk]),
    }


def _indicator_item(notice, language) -> dict:
    measurement = notice.measurement
    indicator = measurement.indicator
    unit = indicator.unit(language)
    return {
        "overdue": False,
        "behind": True,
        "title": indicator.name(language),
        "measured": gettext("%(value)s %(unit)s on %(day)s")
        % {"value": number(measurement.value), "unit": unit, "day": measurement.measured_on},
        "target": gettext("%(value)s %(unit)s by %(day)s")
        % {
            "value": number(indicator.target_value),
            "unit": unit,
            "day": indicator.target_on or "—",
        },
        "source": measurement.source,
        "url": f"{settings.SITE_URL}{reverse('roadmap:dashboard')}#indicator-{indicator.ref}",
    }


def number(value) -> str:
    """Return a decimal without trailing zeros, grouped by thousands: 1,500 or 12.5."""
    text = f"{value.normalize():,f}"
    return text


def _when(overdue, days) -> str:
    """Return how far past or before the deadline the item is, in the active language."""
    if overdue:
        return ngettext("%(days)s day overdue", "%(days)s days overdue", days) % {"days": days}
    if days == 0:
        return gettext("due today")
    return ngettext("due in %(days)s day", "due in %(days)s days", days) % {"days": days}
