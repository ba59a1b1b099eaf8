"""Back up the embedded SQLite database while the tracker runs."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from roadmap import backups


class Command(BaseCommand):
    help = "Copy the SQLite database to a file with SQLite's online backup API."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            metavar="FILE",
            help="Where to write the backup (default: VAR_DIR/backups/tracker-<time>.sqlite3).",
        )

    def handle(self, *args, output, **options):
        try:
            source = backups.sqlite_path()
            target = (
                Path(output)
                if output
                else backups.default_backup_file(settings.VAR_DIR / "backups")
            )
            backups.backup(source, target)
        except backups.BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Backed up {source} to {target}.")
