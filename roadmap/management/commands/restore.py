"""Put a backup made by `manage.py backup` back in place of the SQLite database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from roadmap import backups


class Command(BaseCommand):
    help = "Replace the SQLite database's contents with a backup made by `manage.py backup`."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup file.")

    def handle(self, *args, file, **options):
        try:
            target = backups.sqlite_path()
            backups.restore(Path(file), target)
        except backups.BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Restored {target} from {file}. Run `python manage.py migrate` if the backup is "
            "older than the code."
        )
