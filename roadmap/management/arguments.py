"""What the commands share: a day written YYYY-MM-DD, and how an import is run."""

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext

from roadmap import language
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
        with translation.override(language.of_locale()):
            message = gettext("There is no user %(user)s.") % {"user": repr(username)}
        raise CommandError(message) from None


def run_import(file, load: Callable[[], T]) -> T:
    """Return ``load()``; an unreadable, refused or rejected file ends the command with why, in
    the language of the user's locale (``language.of_locale``)."""
    with translation.override(language.of_locale()):
        try:
            return load()
        except OSError as error:
            message = gettext("Cannot read %(file)s: %(reason)s.")
            raise CommandError(message % {"file": file, "reason": error.strerror}) from None
        except (PermissionDenied, ImportRefused) as error:
            message = gettext("Nothing was imported: %(reason)s") % {"reason": error}
            raise CommandError(message) from None
        except ImportRejected as rejected:
            message = gettext("Nothing was imported: %(count)d problem(s) in %(file)s.") % {
                "count": len(rejected.errors),
                "file": file,
            }
            problems = "".join(f"\n  {file}, {error}" for error in rejected.errors)
            raise CommandError(message + problems) from None
