"""Record each existing milestone as carried by its plan's edition, with its original wording.

Programme milestones (one per body and standard business system) follow the programme, not the
plan's text, and are not entries of an edition.
"""

from django.db import migrations

from roadmap import periods

BATCH = 2000


def original_entry(MilestoneEdition, milestone, first_old_phrase, plan, sessions):
    """Return the entry of a milestone as its own plan stated it, before any revision."""
    start, end = milestone.window_start, milestone.window_end
    phrase, precision, soft = milestone.phrase, milestone.precision, milestone.soft
    if first_old_phrase is not None:
        phrase = first_old_phrase
        try:
            window = periods.resolve(phrase, reference=plan.decided_on, diet_sessions=sessions)
            start, end = window.start, window.end
            precision, soft = str(window.precision), window.soft
        except periods.PhraseError:
            start, end = None, milestone.baseline_deadline
    return MilestoneEdition(
        plan=plan,
        milestone_id=milestone.pk,
        ref=milestone.ref,
        initiative_number=milestone.initiative.number,
        title_ja=milestone.title_ja,
        title_en=milestone.title_en,
        source_text=milestone.source_text,
        phrase=phrase,
        window_start=start,
        window_end=end,
        precision=precision,
        soft=soft,
        deadline=milestone.baseline_deadline,
    )


def record(apps, schema_editor):
    Milestone = apps.get_model("roadmap", "Milestone")
    MilestoneEdition = apps.get_model("roadmap", "MilestoneEdition")
    DeadlineRevision = apps.get_model("roadmap", "DeadlineRevision")
    DietSession = apps.get_model("roadmap", "DietSession")
    sessions = [
        periods.DietSession(s.number, s.convened_on, s.closes_on)
        for s in DietSession.objects.order_by("convened_on")
    ]
    first_old = {}
    for milestone_id, old_phrase in DeadlineRevision.objects.order_by(
        "-decided_at", "-pk"
    ).values_list("milestone_id", "old_phrase"):
        first_old[milestone_id] = old_phrase
    batch = []
    for milestone in (
        Milestone.objects.filter(business_system__isnull=True)
        .select_related("initiative__plan")
        .iterator(BATCH)
    ):
        plan = milestone.initiative.plan
        batch.append(
            original_entry(MilestoneEdition, milestone, first_old.get(milestone.pk), plan, sessions)
        )
        if len(batch) == BATCH:
            MilestoneEdition.objects.bulk_create(batch)
            batch = []
    MilestoneEdition.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("roadmap", "0006_plan_editions")]

    operations = [migrations.RunPython(record, migrations.RunPython.noop)]
