"""Arguments the commands share: a day written YYYY-MM-DD, refused with a sentence."""

from datetime import date

from django.core.management.base import CommandError

from roadmap.tasks import run_date


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
