"""What the commands share: a day written YYYY-MM-DD, and how an import is run."""

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError

from roadmap.importing import ImportRefused, ImportRejected
from roadmap.tasks import run_date

T = TypeVar("T")


def add_as_of(parser) -> None:
    """Add ``--as-of``: the day the job runs for."""
    parser.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="Run as if today in Japan were this day (default: today).",
    )


def parse_day(value: str | None, *, option: str, returncode: int = 1) -> date:
    """Return the day ``option`` names, or today in Asia/Tokyo; refuse anything else."""
    try:
        return run_date(value, name=option)
    except ValueError as error:
        raise CommandError(str(error), returncode=returncode) from None


def add_import_arguments(parser, *, user_help: str) -> None:
    """Add ``--user`` (whom the import acts as) and ``--dry-run`` to an import command."""
    parser.add_argument("--user", help=user_help)
    parser.add_argument(
        "--dry-run", action="store_true", help="Check the file and report; write nothing."
    )


def importing_user(username: str | None):
    """Return the user named ``username`` (None for none); refuse a name nobody has."""
    if username is None:
        return None
    User = get_user_model()
    try:
        return User.objects.get_by_natural_key(username)
    except User.DoesNotExist:
        raise CommandError(f"There is no user {username!r}.") from None


def run_import(file, load: Callable[[], T]) -> T:
    """Return ``load()``; an unreadable, refused or rejected file ends the command with why."""
    try:
        return load()
    except OSError as error:
        raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
    except (PermissionDenied, ImportRefused) as error:
        raise CommandError(f"Nothing was imported: {error}") from None
    except ImportRejected as rejected:
        problems = "\n".join(f"  {file}, {error}" for error in rejected.errors)
        raise CommandError(
            f"Nothing was imported: {len(rejected.errors)} problem(s) in {file}.\n{problems}"
        ) from None
