"""Import special-support designations from a CSV or XLSX file (see README)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from roadmap.management.arguments import add_import_arguments, importing_user, run_import
from roadmap.programme.designations import import_designations


class Command(BaseCommand):
    help = (
        "Designate systems for special support from a CSV or XLSX file with the columns body, "
        "system, reason (1-4), deadline and basis; one bad row rejects the whole file."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV (UTF-8, BOM optional) or XLSX file.")
        add_import_arguments(parser, user_help="Import as this user.")

    def handle(self, *args, file, user, dry_run, **options):
        importer = importing_user(user)
        result = run_import(
            file, lambda: import_designations(file, user=importer, dry_run=dry_run)
        )
        verb = "would change" if dry_run else "changed"
        self.stdout.write(f"{result['rows']:,} rows read: {verb} {result['changed']:,}.")
