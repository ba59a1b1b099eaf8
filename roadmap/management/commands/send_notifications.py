"""Queue today's notices and mail the digests now, as the morning job does."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from roadmap.management.arguments import add_as_of, parse_day
from roadmap.services.digests import send_digests
from roadmap.services.indicator_notices import queue_indicator_notices
from roadmap.services.isolation import refuse_if_failed
from roadmap.services.scheduler import queue_notifications


class Command(BaseCommand):
    help = (
        "Queue the overdue, due-soon and behind-target notices owed on a day, then mail the "
        "digests."
    )

    def add_arguments(self, parser):
        add_as_of(parser)

    def handle(self, *args, **options):
        started = timezone.now()
        as_of = parse_day(options["as_of"], option="--as-of")
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
