"""Import the month's step states from a CSV or XLSX file (see README, "Programme reporting")."""

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from roadmap.imports import ImportRejected
from roadmap.management.commands.import_milestones import Command as ImportMilestones
from roadmap.programme.reports import import_steps


class Command(BaseCommand):
    help = (
        "Create or update the standard steps' states from a CSV or XLSX file with the columns "
        "body, system, step and state; one bad row rejects the whole file."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV (UTF-8, BOM optional) or XLSX file.")
        parser.add_argument(
            "--user", help="Import as this user: only their organizations' bodies are accepted."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; write nothing."
        )

    def handle(self, *args, file, user, dry_run, **options):
        importer = ImportMilestones.user(self, user)
        try:
            result = import_steps(file, user=importer, dry_run=dry_run)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except PermissionDenied as error:
            raise CommandError(f"Nothing was imported: {error}") from None
        except ImportRejected as rejected:
            problems = "\n".join(f"  {file}, {error}" for error in rejected.errors)
            raise CommandError(
                f"Nothing was imported: {len(rejected.errors)} problem(s) in {file}.\n{problems}"
            ) from None
        if dry_run:
            self.stdout.write(f"{result.rows:,} rows checked; nothing written (dry run).")
            return
        self.stdout.write(
            f"{result.rows:,} rows read: {result.outcome.steps:,} steps changed "
            f"in {result.outcome.milestones:,} systems."
        )
