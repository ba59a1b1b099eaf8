"""Count the dashboard's and the programme's figures afresh and repair the stored ones."""

from django.core.management.base import BaseCommand

from roadmap import tallies
from roadmap.models import counts
from roadmap.programme import progress


class Command(BaseCommand):
    help = (
        "Count the unfiltered dashboard's figures, the programme's step counts and tallies and "
        "the snapshots' sums and the kept numbers of milestones and steps from scratch, store "
        "them, and say whether the stored ones had drifted from the milestones, steps and "
        "snapshot rows (--check: exit 1 if they had)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Exit with status 1 when stored figures differed from the fresh count.",
        )

    def handle(self, *args, **options):
        differed = tallies.recount() + progress.repair() + counts.repair()
        if not differed:
            self.stdout.write("The stored dashboard and programme figures matched a fresh count.")
            return
        message = (
            f"{differed} stored dashboard or programme rows differed from a fresh count; repaired."
        )
        if options["check"]:
            self.stderr.write(message)
            raise SystemExit(1)
        self.stdout.write(message)
