"""Fire the status trigger of migration 0014 only when a milestone enters or leaves cancelled.

It fired on every change of status. Its one-row update of the progress row changes nothing
unless the milestone is or was cancelled, but on PostgreSQL it still ran the tallies' statement
triggers (migration 0018) each time: a national step report that moves 28,000 statuses spent
more than a minute there.
"""

from importlib import import_module

from django.db import migrations

ON_CANCELLATION = "((OLD.status = 'cancelled') <> (NEW.status = 'cancelled'))"
ON_ANY_CHANGE = {
    "postgresql": "(OLD.status IS DISTINCT FROM NEW.status)",
    "sqlite": "OLD.status <> NEW.status",
}


def follow(schema_editor, condition: str) -> None:
    """Create the status trigger again, firing when ``condition`` holds."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS roadmap_milestone_progress ON roadmap_milestone"
        )
        schema_editor.execute(
            "CREATE TRIGGER roadmap_milestone_progress AFTER UPDATE OF status"
            f" ON roadmap_milestone FOR EACH ROW WHEN {condition}"
            " EXECUTE FUNCTION roadmap_progress_cancelled()"
        )
    elif vendor == "sqlite":
        initial = import_module("roadmap.migrations.0014_progress_leaves_out_cancelled")
        mark = initial.MARK.format(status="NEW.status", id="NEW.id")
        schema_editor.execute("DROP TRIGGER IF EXISTS roadmap_milestone_progress")
        schema_editor.execute(
            "CREATE TRIGGER roadmap_milestone_progress AFTER UPDATE OF status"
            f" ON roadmap_milestone WHEN {condition} BEGIN {mark}; END"
        )


def on_cancellation(apps, schema_editor):
    follow(schema_editor, ON_CANCELLATION)


def on_any_change(apps, schema_editor):
    follow(schema_editor, ON_ANY_CHANGE.get(schema_editor.connection.vendor, ""))


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0025_sent_marks"),
    ]

    operations = [migrations.RunPython(on_cancellation, on_any_change)]
