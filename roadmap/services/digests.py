"""E-mail digests: one message per recipient listing every notice waiting for them.

Each recipient's notices are claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` and marked sent in
the same transaction once the mail server has accepted the message, so two workers never mail
the same notice. Temporary failures are retried with exponential backoff, a bounded number of
times; permanent ones are recorded on the notice for the admin.
"""

import smtplib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Value, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from roadmap import periods
from roadmap.models import Notification, UserPreference
from roadmap.workdays import is_working_day

FIRST_RETRY = timedelta(minutes=5)
# One digest lists at most this many notices; the rest go out with the next run.
MAX_NOTICES_PER_DIGEST = 500
NO_LONGER_APPLIES = "Not sent: the milestone was closed or its deadline changed first."


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
    connection = get_connection()
    for recipient, waiting in _recipients(now):
        if recipient.working_days_only and not is_working_day(as_of):
            counts["held"] += waiting
            continue
        for key, value in _send_digest(recipient, as_of=as_of, now=now, connection=connection):
            counts[key] += value
    return counts


def _skip_for_users_without_digests(now) -> None:
    """Keep notices queued before a user turned digests off out of the mail."""
    Notification.objects.pending(now=now).filter(user__preference__digests_enabled=False).update(
        state=Notification.State.SKIPPED
    )


def _recipients(now):
    """Yield each address with pending notices, its preferences and how many wait."""
    rows = (
        Notification.objects.pending(now=now)
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


def _send_digest(recipient, *, as_of, now, connection):
    """Claim, mail and mark one recipient's notices; return (count name, number) pairs."""
    with transaction.atomic():
        claimed = _claim(recipient.address, now)
        current = [n for n in claimed if _still_applies(n)]
        _mark_no_longer_applying([n for n in claimed if not _still_applies(n)])
        if not current:
            return []
        message = build_digest(recipient, current, as_of=as_of, connection=connection)
        try:
            _deliver(message)
        except TemporaryFailure as error:
            return _defer(current, error, now=now)
        except PermanentFailure as error:
            _fail(current, error)
            return [("failed", len(current))]
        _claimed(current).update(
            state=Notification.State.SENT, sent_at=now, attempts=F("attempts") + 1
        )
        return [("mails", 1), ("notifications", len(current))]


def _claim(address, now) -> list[Notification]:
    """Lock and return the address's pending notices that no other worker holds."""
    return list(
        Notification.objects.pending(now=now)
        .filter(recipient=address)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("milestone")
        .order_by(_overdue_first(), "deadline", "pk")[:MAX_NOTICES_PER_DIGEST]
    )


def _overdue_first():
    return Case(
        When(kind=Notification.Kind.OVERDUE, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )


def _still_applies(notice) -> bool:
    milestone = notice.milestone
    return not milestone.is_closed and milestone.deadline == notice.deadline


def _mark_no_longer_applying(notices) -> None:
    if notices:
        _claimed(notices).update(state=Notification.State.SKIPPED, last_error=NO_LONGER_APPLIES)


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
        state=Notification.State.FAILED, attempts=F("attempts") + 1, last_error=str(error)
    )
    retry_at = now + FIRST_RETRY * 2 ** max(notice.attempts for notice in notices)
    deferred = claimed.filter(attempts__lt=last_attempt).update(
        attempts=F("attempts") + 1, last_error=str(error), next_attempt_at=retry_at
    )
    return [("failed", failed), ("deferred", deferred)]


def _fail(notices, error) -> None:
    _claimed(notices).update(
        state=Notification.State.FAILED, attempts=F("attempts") + 1, last_error=str(error)
    )


def build_digest(recipient, notices, *, as_of, connection=None) -> EmailMultiAlternatives:
    """Return the digest of ``notices`` for ``recipient``, in the recipient's language."""
    with translation.override(recipient.language):
        context = {
            "items": [_item(notice, as_of, recipient.language) for notice in notices],
            "as_of": as_of,
            "site_url": settings.SITE_URL,
            "settings_path": reverse("roadmap:settings"),
        }
        context["overdue_count"] = sum(item["overdue"] for item in context["items"])
        context["due_soon_count"] = len(context["items"]) - context["overdue_count"]
        # Collapsing whitespace keeps the subject on one header line whatever it contains.
        subject = " ".join(render_to_string("roadmap/email/digest_subject.txt", context).split())
        text = render_to_string("roadmap/email/digest.txt", context)
        html = render_to_string("roadmap/email/digest.html", context)
    message = EmailMultiAlternatives(subject, text, to=[recipient.address], connection=connection)
    message.attach_alternative(html, "text/html")
    return message


def _item(notice, as_of, language) -> dict:
    milestone = notice.milestone
    overdue = notice.kind == Notification.Kind.OVERDUE
    return {
        "overdue": overdue,
        "days": abs((as_of - notice.deadline).days),
        "title": milestone.title(language),
        "deadline": notice.deadline,
        "fiscal_year": periods.fiscal_year_label(periods.fiscal_year(notice.deadline), language),
        "phrase": milestone.phrase,
        "status": milestone.get_status_display(),
        "url": settings.SITE_URL + milestone.get_absolute_url(),
    }
