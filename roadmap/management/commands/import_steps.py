"""Import the month's step states from a CSV or XLSX file (see README, "Programme reporting")."""

from pathlib import Path

from django.core.management.base import BaseCommand

from roadmap.management.arguments import add_import_arguments, importing_user, run_import
from roadmap.programme.reports import import_steps


class Command(BaseCommand):
    help = (
        "Create or update the standard steps' states from a CSV or XLSX file with the columns "
        "body, system, step and state; one bad row rejects the whole file."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV (UTF-8, BOM optional) or XLSX file.")
        add_import_arguments(
            parser, user_help="Import as this user: only their organizations' bodies are accepted."
        )

    def handle(self, *args, file, user, dry_run, **options):
        importer = importing_user(user)
        result = run_import(file, lambda: import_steps(file, user=importer, dry_run=dry_run))
        if dry_run:
            self.stdout.write(f"{result.rows:,} rows checked; nothing written (dry run).")
            return
        self.stdout.write(
            f"{result.rows:,} rows read: {result.outcome.steps:,} steps changed "
            f"in {result.outcome.milestones:,} systems."
        )
