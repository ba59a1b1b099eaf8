"""Preview an import row by row, then apply exactly what was previewed.

An upload in the admin is checked like any import (roadmap.milestone_checks) and shown as the
rows it would create, update or refuse, with the reasons; nothing is written. The file is kept in a
PendingImport until it is confirmed. Confirming checks the kept file again with the milestones
it names locked, and applies it only if the outcome is the one that was shown: the fingerprint
of the preview covers each row's outcome, the fields it changes and the version of every
milestone it names, so a change made by anyone in between refuses the confirmation.
"""

import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from roadmap.importing import ImportRejected, ImportResult, RowError
from roadmap.imports import apply_checked
from roadmap.milestone_checks import CheckedRow, check_milestones, row_changes
from roadmap.models import PendingImport
from roadmap.tabular import Place

# An upload not confirmed within this time is dropped.
KEPT_FOR = timedelta(days=1)


class Outcome:
    """What an import does with one row."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


@dataclass
class RowOutcome:
    place: Place
    ref: str
    outcome: str
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)


@dataclass
class Preview:
    """The outcome of every row, the problems of the file as a whole, and a fingerprint."""

    rows: list[RowOutcome]
    problems: list[str]
    fingerprint: str

    @property
    def refused(self) -> bool:
        return bool(self.problems) or any(r.outcome == Outcome.REFUSED for r in self.rows)

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def writes(self) -> bool:
        return any(r.outcome in (Outcome.CREATE, Outcome.UPDATE) for r in self.rows)


class PreviewOutdated(Exception):
    """The data changed since the preview: the confirmation would not do what was shown."""


def preview_import(data: bytes, *, plan_code: str, user) -> Preview:
    """Return what importing ``data`` as ``user`` would do, row by row, writing nothing."""
    return _preview(data, plan_code=plan_code, user=user)[0]


def _preview(data: bytes, *, plan_code: str, user, lock: bool = False):
    checked = check_milestones(io.BytesIO(data), plan_code=plan_code, user=user, lock=lock)
    by_row = {}
    for error in checked.errors:
        by_row.setdefault(error.place.row if error.place else None, []).append(error)
    rows = [_outcome(row, by_row.pop(row.line, [])) for row in checked.rows]
    problems = [str(error) for errors in by_row.values() for error in errors]
    return Preview(rows, problems, _fingerprint(data, checked.rows, rows)), checked


def _outcome(row: CheckedRow, errors: list[RowError]) -> RowOutcome:
    outcome = RowOutcome(row.source.place(), row.values["ref"], Outcome.CREATE)
    if errors:
        outcome.outcome = Outcome.REFUSED
        outcome.reasons = [_reason(error) for error in errors]
    elif row.existing is None and row.recurring and row.existing_series is not None:
        outcome.outcome = Outcome.UNCHANGED
    elif row.existing is not None:
        changes = row_changes(row)
        outcome.outcome = Outcome.UPDATE if changes else Outcome.UNCHANGED
        outcome.changes = {
            name: (str(getattr(row.existing, name)), str(value)) for name, value in changes.items()
        }
    return outcome


def _reason(error: RowError) -> str:
    column = error.place.name if error.place and error.place.name else ""
    return f"{column}: {error.message}" if column else error.message


def _fingerprint(data: bytes, checked: list[CheckedRow], rows: list[RowOutcome]) -> str:
    """Return a digest of the file, each row's outcome and the versions of what it names."""
    state = [
        [row.ref, row.outcome, sorted(row.changes.items()), _version(source)]
        for source, row in zip(checked, rows, strict=True)
    ]
    text = hashlib.sha256(data).hexdigest() + json.dumps(state, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _version(row: CheckedRow):
    return [row.existing.pk, row.existing.version] if row.existing else None


def keep_upload(*, user, name: str, data: bytes, plan_code: str) -> PendingImport:
    """Keep an uploaded file until it is confirmed, dropping the user's stale uploads."""
    PendingImport.objects.filter(uploaded_at__lt=timezone.now() - KEPT_FOR).delete()
    return PendingImport.objects.create(
        user=user,
        file_name=name[:200],
        content=data,
        digest=hashlib.sha256(data).hexdigest(),
        plan_code=plan_code,
    )


def confirm_import(*, pending: PendingImport, user, fingerprint: str) -> ImportResult:
    """Apply the kept file exactly as previewed, or refuse if anything changed since."""
    with transaction.atomic():
        data = bytes(pending.content)
        if hashlib.sha256(data).hexdigest() != pending.digest:
            raise PreviewOutdated(
                gettext("the file kept for this import is not the one previewed.")
            )
        preview, checked = _preview(data, plan_code=pending.plan_code, user=user, lock=True)
        if preview.fingerprint != fingerprint:
            raise PreviewOutdated(
                gettext(
                    "milestones in the file changed after the preview; upload the file again to "
                    "see what it would do now."
                )
            )
        if preview.refused:
            raise ImportRejected([RowError(None, problem) for problem in preview.problems])
        result = apply_checked(checked.rows, user)
        pending.delete()
    return result
