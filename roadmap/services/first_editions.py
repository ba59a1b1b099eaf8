"""The first edition of each milestone: how its own plan stated it, before any revision."""

from django.core.exceptions import ValidationError

from roadmap.models import DietSession, Milestone, MilestoneEdition
from roadmap.services.milestones import resolve_window


def record_first_editions() -> int:
    """Record each plan milestone no edition carries yet as carried by its own plan's edition.

    The wording recorded is the original one: a revised milestone's first phrase and deadline.
    Programme milestones (one per body and business system) are not entries of an edition.
    """
    milestones = (
        Milestone.objects.filter(business_system__isnull=True, editions__isnull=True)
        .select_related("initiative__plan")
        .prefetch_related("revisions")
    )
    sessions = DietSession.objects.for_resolver()
    entries = [original_entry(milestone, sessions) for milestone in milestones]
    MilestoneEdition.objects.bulk_create(entries, batch_size=2000)
    return len(entries)


def original_entry(milestone: Milestone, sessions) -> MilestoneEdition:
    """Return the entry of a milestone as its own plan stated it, before any revision."""
    plan = milestone.initiative.plan
    revisions = sorted(milestone.revisions.all(), key=lambda r: (r.decided_at, r.pk))
    fields = {"deadline": milestone.baseline_deadline}
    if revisions:
        fields["phrase"] = revisions[0].old_phrase
        try:
            window = resolve_window(
                fields["phrase"], reference=plan.decided_on, diet_sessions=sessions
            )
            fields |= {
                "window_start": window.start,
                "window_end": window.end,
                "precision": str(window.precision),
                "soft": window.soft,
            }
        except ValidationError:
            fields |= {"window_start": None, "window_end": milestone.baseline_deadline}
    return MilestoneEdition.carrying(milestone, plan, **fields)
