"""Count the dashboard's figures afresh from the milestones and repair the stored ones."""

from django.core.management.base import BaseCommand

from roadmap import tallies


class Command(BaseCommand):
    help = (
        "Count the unfiltered dashboard's figures from scratch, store them, and say whether "
        "the stored figures had drifted from the milestones (--check: exit 1 if they had)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Exit with status 1 when stored figures differed from the fresh count.",
        )

    def handle(self, *args, **options):
        differed = tallies.recount()
        if not differed:
            self.stdout.write("The stored dashboard figures matched a fresh count.")
            return
        message = f"{differed} stored dashboard rows differed from a fresh count; repaired."
        if options["check"]:
            self.stderr.write(message)
            raise SystemExit(1)
        self.stdout.write(message)
