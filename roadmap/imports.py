"""Import milestones from a CSV file or an .xlsx workbook: every row is checked before anything
is written.

roadmap.milestone_checks reads and checks the file (columns, places, reasons); a file with one
bad row is rejected whole. This module applies a checked file: it creates the new milestones
and recurring commitments and updates the titles, source wording and status of existing ones,
each through the services, so that every change is recorded with the user.
"""

from django.db import transaction

from roadmap.importing import ImportRejected, ImportResult, commitment_of
from roadmap.milestone_checks import CheckedRow, check_milestones, row_changes
from roadmap.models import Milestone, Plan, RecurringCommitment
from roadmap.services.milestones import (
    create_milestone,
    edit_texts,
    owned_organizations,
    set_status,
)
from roadmap.services.recurring import create_series


def import_milestones(
    file, *, plan_code: str = Plan.PRIORITY_PLAN_2024, user=None, dry_run: bool = False
) -> ImportResult:
    """Check every row of a CSV file or workbook, then create or update its milestones."""
    checked = check_milestones(file, plan_code=plan_code, user=user)
    if checked.errors:
        raise ImportRejected(checked.errors)
    return apply_checked(checked.rows, user, dry_run=dry_run)


def apply_checked(rows: list[CheckedRow], user, *, dry_run: bool = False) -> ImportResult:
    """Create or update the milestones of the checked rows; with ``dry_run``, only say so."""
    result = ImportResult(dry_run=dry_run)
    planned = [(row, *_outcome(row)) for row in rows]
    for row, outcome, _changes in planned:
        getattr(result, outcome).append(row.values["ref"])
    if dry_run or not (result.created or result.updated):
        # A file that changes nothing costs no transaction.
        return result
    creates = any(outcome == "created" and not row.recurring for row, outcome, _ in planned)
    # The organizations the user may write for, read once for the whole file.
    owned = owned_organizations(user) if creates else None
    with transaction.atomic():
        for row, outcome, changes in planned:
            if outcome == "updated":
                _update(row, changes, user)
            elif outcome == "created" and row.recurring:
                _create_series(row)
            elif outcome == "created":
                _create(row, user, owned)
    return result


def _outcome(row: CheckedRow) -> tuple[str, dict]:
    """Return what importing the row does ("created", "updated" or "unchanged") and the
    fields an update changes."""
    if row.existing is not None:
        changes = row_changes(row)
        return ("updated" if changes else "unchanged"), changes
    if row.recurring and row.existing_series is not None:
        return "unchanged", {}
    return "created", {}


def _create(row: CheckedRow, user, owned) -> Milestone:
    return create_milestone(
        **commitment_of(row),
        status=row.values["status"] or Milestone.Status.PLANNED,
        anchor=row.anchor,
        user=user,
        owned=owned,
    )


def _create_series(row: CheckedRow) -> RecurringCommitment:
    return create_series(**commitment_of(row))


def _update(row: CheckedRow, changes: dict[str, str], user) -> None:
    milestone = row.existing
    if changes.keys() - {"status"}:
        milestone = edit_texts(
            milestone=milestone,
            user=user,
            title_ja=changes.get("title_ja", milestone.title_ja),
            title_en=changes.get("title_en", milestone.title_en),
            source_text=changes.get("source_text", milestone.source_text),
        )
    if "status" in changes:
        set_status(milestone=milestone, status=changes["status"], user=user)
