"""Freeze the programme's figures as of a day, as the monthly job does."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from roadmap.management.commands.send_notifications import parse_as_of
from roadmap.programme.snapshots import last_month_end, take_snapshot


class Command(BaseCommand):
    help = (
        "Freeze the step counts and designations as of a day (default: the last day of the "
        "previous month); a day already frozen is left as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="The day, YYYY-MM-DD.")

    def handle(self, *args, **options):
        day = parse_as_of(options["as_of"]) if options["as_of"] else None
        day = day or last_month_end(timezone.localdate())
        try:
            snapshot, created = take_snapshot(as_of=day)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if created:
            self.stdout.write(f"Snapshot as of {day} taken: {snapshot.rows.count():,} systems.")
        else:
            self.stdout.write(f"A snapshot as of {day} exists already; nothing was changed.")
