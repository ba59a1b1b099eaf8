"""One bad item costs that item, not the job.

A job that meets an item it cannot process (a corrupt row written by hand, a template error, an
address the mail library refuses) records the item and the reason as a ``JobFailure`` (listed in
the admin), logs it with the ids, and goes on with the others; the command that ran the job
exits with status 1 afterwards.
"""

import logging
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils import translation

from roadmap.models import JobFailure
from roadmap.validators import escape_control_characters

logger = logging.getLogger("roadmap.jobs")
MAX_REASON = 2000


def describe(error: BaseException) -> str:
    """Return the error as one line in English: type and message, control characters escaped."""
    with translation.override("en"):
        message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    return escape_control_characters(f"{type(error).__name__}: {message}")[:MAX_REASON]


class Failures:
    """The items one run of ``job`` could not process."""

    def __init__(self, job: str):
        self.job = job

    def record(self, item: str, error: BaseException) -> str:
        """Record and log that ``item`` (named with its ids) failed; return the reason."""
        reason = describe(error)
        logger.error("%s: %s failed and was skipped: %s", self.job, item, reason)
        JobFailure.objects.create(job=self.job, item=item[:300], reason=reason)
        return reason

    @contextmanager
    def item(self, item: str):
        """Run the block for one item; an exception in it is recorded instead of raised."""
        try:
            yield
        except Exception as error:  # noqa: BLE001 (whatever broke, the other items go on)
            self.record(item, error)


def failed_since(started) -> int:
    """Return how many items the jobs could not process since ``started``."""
    return JobFailure.objects.filter(occurred_at__gte=started).count()


def refuse_if_failed(started) -> None:
    """Raise CommandError (exit status 1) if any item failed since ``started``."""
    count = failed_since(started)
    if count:
        raise CommandError(
            f"{count} item(s) could not be processed and were skipped; everything else was "
            "done. See the failed job items in the admin and the log for their ids."
        )
