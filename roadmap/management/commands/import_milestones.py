"""Import milestones from a CSV file or .xlsx workbook (see README, "Importing milestones")."""

from django.core.management.base import BaseCommand

from roadmap.imports import import_milestones
from roadmap.management.arguments import add_import_arguments, importing_user, run_import
from roadmap.models import Plan


class Command(BaseCommand):
    help = "Create or update milestones from CSV or .xlsx; one bad row rejects the whole file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8) or .xlsx workbook (first sheet).")
        parser.add_argument("--plan", default=Plan.PRIORITY_PLAN_2024, help="Plan code.")
        add_import_arguments(
            parser, user_help="Import as this user: only their organizations' rows are accepted."
        )

    def handle(self, *args, file, plan, user, dry_run, **options):
        importer = importing_user(user)

        def load():
            with open(file, "rb") as table:
                return import_milestones(table, plan_code=plan, user=importer, dry_run=dry_run)

        result = run_import(file, load)
        verb = "Would create" if dry_run else "Created"
        self.stdout.write(
            f"{verb} {len(result.created)}, "
            f"{'would update' if dry_run else 'updated'} {len(result.updated)}, "
            f"left {len(result.unchanged)} unchanged."
        )
