"""Designate a body's system for special support (特定移行支援システム): a re-plan with a reason.

Designating moves the milestone's deadline through a deadline revision of the official re-plan
kind, so the programme's FY2025 deadline stays the baseline and the history says why.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from roadmap import security
from roadmap.importing import ImportRejected, RowError, required
from roadmap.models import DeadlineRevision, Milestone
from roadmap.programme.models import Designation
from roadmap.programme.reports import (
    header_of,
    programme_milestones,
    read_records,
    whole_number,
)

# The Digital Agency's labels of the four reasons.
REASON_LABELS_JA = {
    Designation.Reason.MAINFRAME: "メインフレーム",
    Designation.Reason.CUSTOM_BUILT: "個別開発",
    Designation.Reason.NO_PRODUCT: "パッケージ未提供等",
    Designation.Reason.VENDOR_CAPACITY: "事業者のリソース逼迫等",
}
DESIGNATION_COLUMNS = ("body", "system", "reason", "deadline", "basis")


@transaction.atomic
def designate(
    *, milestone: Milestone, reason: int, phrase: str, basis: str, user
) -> tuple[Designation, bool]:
    """Designate a system with its reason and new deadline; return it and whether it changed."""
    from roadmap.services.milestones import revise_deadline

    if user is not None and not Milestone.objects.editable_by(user).filter(pk=milestone.pk):
        raise security.refuse(
            user,
            "designate",
            milestone_ids=[milestone.pk],
            message=_("You may designate the systems of your own organization only."),
        )
    if reason not in Designation.Reason.values:
        raise ValidationError({"reason": _("The reason must be 1, 2, 3 or 4.")})
    if not basis.strip():
        raise ValidationError({"basis": _("Give the basis of the designation.")})
    current = Designation.objects.filter(milestone=milestone).first()
    if current and (current.reason, current.phrase, current.basis) == (reason, phrase, basis):
        return current, False
    revision = revise_deadline(
        milestone=milestone,
        new_phrase=phrase,
        reason=f"特定移行支援システム（{REASON_LABELS_JA[reason]}）: {basis.strip()}",
        kind=DeadlineRevision.Kind.REPLAN,
        user=user,
    )
    designation, _created = Designation.objects.update_or_create(
        milestone=milestone,
        defaults={
            "body_id": milestone.owner_id,
            "reason": reason,
            "phrase": phrase,
            "basis": basis.strip(),
            "revision": revision,
            "decided_by": user,
            "decided_at": timezone.now(),
        },
    )
    return designation, True


def import_designations(path: Path, *, user=None, dry_run: bool = False) -> dict:
    """Check every row of a designation file, then designate each system (all or nothing)."""
    records = read_records(path)
    columns = header_of(records, DESIGNATION_COLUMNS)
    milestones = programme_milestones()
    accepted, errors = [], []
    for record in records:
        fields = record.fields
        values = {n: (fields[i] if i < len(fields) else "").strip() for n, i in columns.items()}
        system = whole_number(values["system"], 1, 20)
        reason = whole_number(values["reason"], 1, 4)
        milestone = milestones.get((values["body"], system))
        place = {name: record.place(name, columns) for name in DESIGNATION_COLUMNS}
        if milestone is None:
            errors.append(RowError(place["body"], _("no such body and business system.")))
        if reason is None:
            errors.append(RowError(place["reason"], _("must be 1, 2, 3 or 4.")))
        if not values["deadline"]:
            errors.append(RowError(place["deadline"], _("a deadline phrase is required.")))
        if not values["basis"]:
            errors.append(RowError(place["basis"], required()))
        accepted.append((record, columns, milestone, reason, values))
    if errors:
        raise ImportRejected(errors)
    return apply_designations(accepted, user=user, dry_run=dry_run)


def apply_designations(accepted: list, *, user, dry_run: bool) -> dict:
    """Designate each accepted row in one transaction; a phrase the resolver refuses undoes all."""
    changed = 0
    with transaction.atomic():
        targets = Milestone.objects.in_bulk([row[2] for row in accepted])
        for record, columns, milestone, reason, values in accepted:
            try:
                _designation, did = designate(
                    milestone=targets[milestone],
                    reason=reason,
                    phrase=values["deadline"],
                    basis=values["basis"],
                    user=user,
                )
            except ValidationError as error:
                place = record.place("deadline", columns)
                raise ImportRejected([RowError(place, " ".join(error.messages))]) from None
            changed += did
        if dry_run:
            transaction.set_rollback(True)
    return {"rows": len(accepted), "changed": changed, "dry_run": dry_run}
