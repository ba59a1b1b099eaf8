"""Import milestones from a CSV file or .xlsx workbook (see README, "Importing milestones")."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from roadmap.imports import ImportRejected, import_milestones


class Command(BaseCommand):
    help = "Create or update milestones from CSV or .xlsx; one bad row rejects the whole file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8) or .xlsx workbook (first sheet).")
        parser.add_argument("--plan", default="priority-plan-2024", help="Plan code.")
        parser.add_argument(
            "--user", help="Import as this user: only their organizations' rows are accepted."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; write nothing."
        )

    def handle(self, *args, file, plan, user, dry_run, **options):
        importer = self.user(user)
        try:
            with open(file, "rb") as table:
                result = import_milestones(table, plan_code=plan, user=importer, dry_run=dry_run)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except ImportRejected as rejected:
            problems = "\n".join(f"  {file}, {error}" for error in rejected.errors)
            raise CommandError(
                f"Nothing was imported: {len(rejected.errors)} problem(s) in {file}.\n{problems}"
            ) from None
        verb = "Would create" if dry_run else "Created"
        self.stdout.write(
            f"{verb} {len(result.created)}, "
            f"{'would update' if dry_run else 'updated'} {len(result.updated)}, "
            f"left {len(result.unchanged)} unchanged."
        )

    def user(self, username):
        if username is None:
            return None
        try:
            return get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"There is no user {username!r}.") from None
