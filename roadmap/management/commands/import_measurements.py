"""Import indicator measurements from a CSV file or workbook (see README, "Indicators")."""

from django.core.management.base import BaseCommand

from roadmap.management.arguments import add_import_arguments, importing_user, run_import
from roadmap.measurement_imports import import_measurements


class Command(BaseCommand):
    help = "Record indicator measurements from a CSV file or workbook; one bad row rejects it all."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="CSV file (UTF-8, with or without BOM) or .xlsx workbook."
        )
        add_import_arguments(
            parser, user_help="Import as this user: only their organizations' indicators."
        )

    def handle(self, *args, file, user, dry_run, **options):
        importer = importing_user(user)

        def load():
            with open(file, "rb") as table:
                return import_measurements(table, user=importer, dry_run=dry_run)

        result = run_import(file, load)
        verb = "Would record" if dry_run else "Recorded"
        self.stdout.write(
            f"{verb} {len(result.created)} measurements, "
            f"left {len(result.unchanged)} already recorded."
        )
