"""Import indicator measurements from a CSV file or workbook (see README, "Indicators")."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from roadmap.imports import ImportRejected
from roadmap.measurement_imports import import_measurements


class Command(BaseCommand):
    help = "Record indicator measurements from a CSV file or workbook; one bad row rejects it all."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="CSV file (UTF-8, with or without BOM) or .xlsx workbook."
        )
        parser.add_argument(
            "--user", help="Import as this user: only their organizations' indicators."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; write nothing."
        )

    def handle(self, *args, file, user, dry_run, **options):
        importer = self.user(user)
        try:
            with open(file, "rb") as csv_file:
                result = import_measurements(csv_file, user=importer, dry_run=dry_run)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except ImportRejected as rejected:
            problems = "\n".join(f"  {file}, {error}" for error in rejected.errors)
            raise CommandError(
                f"Nothing was imported: {len(rejected.errors)} problem(s) in {file}.\n{problems}"
            ) from None
        verb = "Would record" if dry_run else "Recorded"
        self.stdout.write(
            f"{verb} {len(result.created)} measurements, "
            f"left {len(result.unchanged)} already recorded."
        )

    def user(self, username):
        if username is None:
            return None
        try:
            return get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"There is no user {username!r}.") from None
