"""Flag overdue milestones now, as the nightly job does."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from roadmap.management.arguments import add_as_of, parse_day
from roadmap.services.isolation import refuse_if_failed
from roadmap.services.scheduler import flag_overdue


class Command(BaseCommand):
    help = "Flag milestones overdue on a day (default: today in Japan) and clear stale flags."

    def add_arguments(self, parser):
        add_as_of(parser)

    def handle(self, *args, **options):
        started = timezone.now()
        counts = flag_overdue(as_of=parse_day(options["as_of"], option="--as-of"))
        self.stdout.write(f"Flagged {counts['flagged']}, cleared {counts['cleared']}.")
        refuse_if_failed(started)
