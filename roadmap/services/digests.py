"""E-mail digests: one message per recipient listing every notice waiting for them.

The notices of a batch of recipients are claimed at once: one statement locks them with ``SELECT …
FOR UPDATE SKIP LOCKED`` and stamps them with the run's key, so two workers never mail the same
notice, and one query reads them all. The batch's digests are made by
``roadmap.services.digest_mail`` and mailed over one connection to the mail server
(``roadmap.services.mail_delivery``). The notices of the digests the server took are marked by one
statement per ``MARK_EVERY`` digests, and at once when the run stops on an exception: a narrow
insert into ``SentMark`` rather than a rewrite of each wide notification row under all its indexes,
written before the next digest leaves and, on PostgreSQL, while it is being written
(``roadmap.services.digest_marks``). Once per batch, and when a run starts, the marks are folded
into their notices (sent, claim cleared). A notice with a mark is never claimed again, so a worker
killed outright mid-batch mails at most the digests sent since its last marking statement again,
and the next run folds its marks. A digest the server refuses is marked deferred or failed on its
own and the others go on. On PostgreSQL the run holds a session advisory lock on its key, which the
server drops with a dead worker's connection, so its unsent notices can be claimed at once;
elsewhere, and for a run that hangs, the claim expires. The run's statements are committed without
waiting for the disk (``synchronous_commit`` off, for the run's session only): a marking statement
costs a tenth of a millisecond instead of a disk flush, a killed worker loses none of them (the
server has them), and only a crash of the database server itself within the last moment before it
may forget marks, whose digests then go out again. Temporary failures are retried with exponential
backoff, a bounded number of times; permanent ones are recorded on the notice for the admin.
"""

import secrets
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection as database
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation

from roadmap.models import Milestone, Notification, SentMark
from roadmap.services import digest_mail
from roadmap.services.digest_mail import DigestTemplates
from roadmap.services.digest_marks import MarkingFailed, SentMarks, marking
from roadmap.services.isolation import Failures
from roadmap.services.mail_delivery import (
    PermanentFailure,
    TemporaryFailure,
    deliver,
    mail_session,
    reconnect,
)
from roadmap.services.recipients import Recipient
from roadmap.workdays import is_working_day

FIRST_RETRY = timedelta(seconds=settings.ROADMAP_FIRST_RETRY_SECONDS)
# Recipients whose notices one statement claims. Each claim looks through the pending notices
# once, so a run costs about that many times the pending notices over this size: at full size
# (1,543 recipients, 3,598 notices) batches of 100 took 0.21 s of a 0.6 s run to claim, of 500
# 0.11 s. A batch is still mailed in minutes, far within CLAIM_USE_FOR.
CLAIM_BATCH = 500
# A claim older than this belongs to a worker that died or hangs; its notices may be claimed again.
CLAIM_EXPIRES = timedelta(minutes=15)
# A run stops mailing under a claim long before it expires, so no other run can take it over
# while it is still in use; the recipients not reached are claimed afresh.
CLAIM_USE_FOR = CLAIM_EXPIRES / 3
# Digests the mail server has taken are marked sent by one statement per this many: a worker
# killed outright (SIGKILL, power loss) mails at most these again, so it stays at one, the
# exactly-once promise; one stopped by an exception marks everything it sent before it stops.
MARK_EVERY = 1
# The class of the PostgreSQL advisory locks a claim takes on its recipients' addresses (the
# two-key form, which pg_locks tells apart from the runs' keys).
RECIPIENT_LOCKS = 0x64696765
# One digest lists at most this many notices; the rest go out with the next run.
MAX_NOTICES_PER_DIGEST = 500
NO_LONGER_APPLIES = "Not sent: the milestone was closed or its deadline changed first."
# Digests and notices that could not be built or sent, recorded for the admin.
FAILURES = Failures("send_digests")
# Every statement that marks a notice also ends its claim.
UNCLAIMED = {"claim": None, "claimed_at": None}
# A claimed notice is read as one row: what its entry shows, and what the run needs besides.
COLUMNS = tuple(
    dict.fromkeys((*digest_mail.COLUMNS, "recipient", "attempts", "milestone__deadline"))
)


def send_digests(*, as_of: date | None = None, now: datetime | None = None) -> dict:
    """Mail each recipient one digest of their pending notices; return what happened."""
    now = now or timezone.now()
    as_of = as_of or timezone.localdate(now)
    counts = dict.fromkeys(("mails", "notifications", "failed", "deferred", "held"), 0)
    # What a worker killed mid-batch had mailed is marked sent before anything else.
    _fold_marks()
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


@dataclass
class Run:
    """What a digest run knows while it mails its batches."""

    as_of: date
    now: datetime
    templates: DigestTemplates
    counts: dict
    key: int = 0
    # The current batch's marks (``digest_marks``).
    marks: SentMarks | None = None


@contextmanager
def _run_key():
    """Yield this run's claim key, held as a PostgreSQL session advisory lock while it runs.

    On PostgreSQL the run's session also commits without waiting for the disk, as the module's
    description says; the setting goes back to the session's default when the run ends.
    """
    key = secrets.randbits(62) + 1
    if database.vendor != "postgresql":
        yield key
        return
    with database.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_lock(%s), set_config('synchronous_commit', 'off', false)", [key]
        )
    try:
        yield key
    finally:
        with database.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_unlock(%s), set_config(name, reset_val, false)"
                " FROM pg_settings WHERE name = 'synchronous_commit'",
                [key],
            )


# The keys of the runs alive now: a bigint advisory lock shows as its halves in pg_locks.
LIVE_KEYS = RawSQL(
    "SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks"
    " WHERE locktype = 'advisory' AND objsubid = 1 AND granted"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    [],
)


def _skip_for_users_without_digests(now) -> None:
    """Keep notices queued before a user turned digests off out of the mail.

    A notice another run is mailing now is left to it.
    """
    _claimable(now).filter(user__preference__digests_enabled=False).update(
        state=Notification.State.SKIPPED
    )


def _claimable(now):
    """Return the pending notices that no live run has claimed and no run has mailed."""
    free = Q(claim__isnull=True) | Q(claimed_at__lt=timezone.now() - CLAIM_EXPIRES)
    if database.vendor == "postgresql":
        # Read in the same statement as the claims: a run locks its key before claiming.
        free |= ~Q(claim__in=LIVE_KEYS)
    mailed = Exists(SentMark.objects.filter(notification=OuterRef("pk")))
    return Notification.objects.pending(now=now).filter(free).exclude(mailed)


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
    return Recipient.with_choices(
        row["recipient"],
        language=row["user__preference__language"],
        working_days_only=row["user__preference__working_days_only"],
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
    connection = get_connection()
    try:
        # Also when the run is stopped by an exception, ``marking`` marks what went out.
        with mail_session(connection), marking(run.now, run.counts, every=MARK_EVERY) as marks:
            run.marks = marks
            for index, recipient in enumerate(recipients):
                if index and timezone.now() - claimed_at > CLAIM_USE_FOR:
                    _release([n for r in recipients[index:] for n in notices.get(r.address, ())])
                    return recipients[index:]
                current = [n for n in notices.get(recipient.address, ()) if _still_applies(n)]
                with translation.override(recipient.language):
                    current, entries = _entries(current, run, language=recipient.language)
                    if _send_isolated(recipient, current, entries, run, connection):
                        marks.add(current)
    finally:
        _fold_marks()
    return []


def _fold_marks() -> None:
    """Mark every notice with a ``SentMark`` sent, clearing its claim, and delete the marks.

    Runs fold each other's marks too; each mark is folded once, whichever run folds it.
    """
    notices, marks = Notification.objects.all(), SentMark.objects.all()
    if database.vendor == "postgresql":
        quote = database.ops.quote_name
        with database.cursor() as cursor:
            # One statement: a mark is deleted and its notice marked together, and a mark that
            # another fold deletes first is not returned here.
            cursor.execute(
                f"WITH folded AS (DELETE FROM {quote(marks.model._meta.db_table)}"  # noqa: S608
                " RETURNING notification_id, sent_at)"
                f" UPDATE {quote(notices.model._meta.db_table)} AS notice SET state = %s,"
                " sent_at = folded.sent_at, attempts = notice.attempts + 1, claim = NULL,"
                " claimed_at = NULL FROM folded WHERE notice.id = folded.notification_id",
                [Notification.State.SENT.value],
            )
        return
    # SQLite: the first write of a transaction keeps every other writer out until it commits,
    # so no mark is written between these two statements.
    with transaction.atomic():
        mark = marks.filter(notification=OuterRef("pk")).values("sent_at")[:1]
        notices.filter(pk__in=marks.values("notification")).update(
            state=Notification.State.SENT,
            sent_at=Subquery(mark),
            attempts=F("attempts") + 1,
            **UNCLAIMED,
        )
        marks.delete()


def _claim(addresses, now, *, key) -> dict[str, list]:
    """Claim the addresses' notices that no other run holds; return their rows by address."""
    with transaction.atomic():
        # One statement: the rows stay locked until they carry the claim.
        locked = (
            _claimable(now)
            .filter(recipient__in=addresses)
            .filter(_whole_recipients(addresses))
            .select_for_update(skip_locked=True, of=("self",))
            .values("pk")
        )
        Notification.objects.filter(pk__in=locked).update(claim=key, claimed_at=timezone.now())
    claimed = (
        Notification.objects.filter(claim=key)
        .order_by("recipient", _overdue_first(), "deadline", "pk")
        .values_list(*COLUMNS, named=True)
    )
    by_address, later = defaultdict(list), []
    for notice in claimed:
        waiting = by_address[notice.recipient]
        (waiting if len(waiting) < MAX_NOTICES_PER_DIGEST else later).append(notice)
    _release(later)
    return by_address


def _whole_recipients(addresses) -> Q:
    """Return the condition that this claim takes each recipient's notices whole, or none.

    On PostgreSQL two runs claiming at the same moment would each lock some of a recipient's
    notices and mail two digests. So the claim takes an advisory lock on each address for its
    transaction and claims the notices of the addresses it got; another run claiming at the same
    time passes over those addresses, and once the claim is committed its notices carry it.
    (SQLite runs one writer at a time.) The addresses are also matched by the plain list, which
    the pending notices' index serves.
    """
    if database.vendor != "postgresql":
        return Q()
    # OFFSET 0 keeps the subquery whole: it runs once, locking each address once.
    got = RawSQL(
        "SELECT address FROM unnest(%s::text[]) AS address"
        " WHERE pg_try_advisory_xact_lock(%s, hashtext(address)) OFFSET 0",
        (list(addresses), RECIPIENT_LOCKS),
    )
    return Q(recipient__in=got)


def _release(notices) -> None:
    """Give up the claim on notices this run will not mail."""
    if notices:
        _claimed(notices).update(claim=None, claimed_at=None)


def _send_isolated(recipient, current, entries, run, connection) -> bool:
    """Mail one digest; one that cannot be built or sent fails alone, with the reason."""
    try:
        return _send_digest(recipient, current, entries, run, connection)
    except MarkingFailed:
        # The digest before this one could not be marked: not this digest's fault.
        raise
    except Exception as error:  # noqa: BLE001 (one bad digest never stops the others)
        ids = ", ".join(str(notice.pk) for notice in current)
        reason = FAILURES.record(f"digest of notifications {ids} to {recipient.address!r}", error)
        reconnect(connection)
        _fail(current, reason)
        run.counts["failed"] += len(current)
        return False


def _entries(notices, run, *, language) -> tuple[list, list]:
    """Return the notices whose digest entry can be made, and their entries.

    Each other notice fails on its own, with the reason.
    """
    good, entries = [], []
    for notice in notices:
        try:
            entry = digest_mail.item(notice, run.as_of, language)
        except Exception as error:  # noqa: BLE001 (a corrupt row costs its own notice)
            _fail([notice], FAILURES.record(f"notification {notice.pk}", error))
            run.counts["failed"] += 1
        else:
            good.append(notice)
            entries.append(entry)
    return good, entries


def _send_digest(recipient, current, entries, run, connection) -> bool:
    """Mail one recipient's current notices; return whether the server took the digest.

    A digest the server did not take is marked deferred or failed at once, on its own.
    """
    if not current:
        return False
    message = digest_mail.digest_message(
        recipient, current, entries, as_of=run.as_of, templates=run.templates
    )
    # The digest before this one is marked before this one leaves (the exactly-once promise).
    run.marks.settle()
    try:
        deliver(message, connection)
    except TemporaryFailure as error:
        reconnect(connection)
        for name, value in _defer(current, error, now=run.now):
            run.counts[name] += value
        return False
    except PermanentFailure as error:
        reconnect(connection)
        _fail(current, error)
        run.counts["failed"] += len(current)
        return False
    return True


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
    return (
        notice.milestone__status not in Milestone.CLOSED_STATUSES
        and notice.milestone__deadline == notice.deadline
    )


def _mark_no_longer_applying(notices) -> None:
    if notices:
        _claimed(notices).update(
            state=Notification.State.SKIPPED, last_error=NO_LONGER_APPLIES, **UNCLAIMED
        )


def _claimed(notices):
    return Notification.objects.filter(pk__in=[notice.pk for notice in notices])


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
