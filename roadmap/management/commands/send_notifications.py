"""Queue today's notices and mail the digests now, as the morning job does."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from roadmap.services.digests import send_digests
from roadmap.services.indicator_notices import queue_indicator_notices
from roadmap.services.isolation import refuse_if_failed
from roadmap.services.scheduler import queue_notifications
from roadmap.tasks import run_date


def add_as_of(parser):
    parser.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="Run as if today in Japan were this day (default: today).",
    )


def parse_as_of(value: str | None) -> date:
    """Return the --as-of day, or today in Asia/Tokyo; refuse anything else with a sentence."""
    try:
        return run_date(value, name="--as-of")
    except ValueError as error:
        raise CommandError(str(error)) from None


class Command(BaseCommand):
    help = (
        "Queue the overdue, due-soon and behind-target notices owed on a day, then mail the "
        "digests."
    )

    def add_arguments(self, parser):
        add_as_of(parser)

    def handle(self, *args, **options):
        started = timezone.now()
        as_of = parse_as_of(options["as_of"])
        queued = queue_notifications(as_of=as_of)
        behind = queue_indicator_notices(as_of=as_of)["behind"]
        sent = send_digests(as_of=as_of)
        self.stdout.write(
            f"Queued {queued['overdue']} overdue and {queued['due_soon']} due-soon notices, "
            f"{behind} behind-target indicator notices. "
            f"Sent {sent['mails']} digests covering {sent['notifications']} notices; "
            f"{sent['deferred']} deferred for a retry, {sent['failed']} failed, "
            f"{sent['held']} held for the next working day."
        )
        refuse_if_failed(started)
