"""Create the yearly milestones of recurring commitments now, as the nightly job does."""

from django.core.management.base import BaseCommand

from roadmap.management.commands.send_notifications import add_as_of, parse_as_of
from roadmap.services.recurring import create_occurrences


class Command(BaseCommand):
    help = (
        "Create each recurring commitment's yearly milestones up to the year after a day "
        "(default: today in Japan)."
    )

    def add_arguments(self, parser):
        add_as_of(parser)

    def handle(self, *args, **options):
        counts = create_occurrences(as_of=parse_as_of(options["as_of"]))
        self.stdout.write(f"Created {counts['created']} yearly milestones.")
