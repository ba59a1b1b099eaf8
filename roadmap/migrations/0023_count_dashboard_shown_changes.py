# The dashboard shows more than milestones: the programme's rates (its tallies, kept from the
# step counts), its snapshots and designations, and the indicators with their measurements.
# Writing any of them counts as a change (migration 0011's count), so that nothing keyed by the
# count (the rendered dashboard, its ETag) outlives what it shows.

from django.db import migrations

TABLES = (
    "roadmap_systemtally",
    "roadmap_progresssnapshot",
    "roadmap_snapshotrow",
    "roadmap_designation",
    "roadmap_indicator",
    "roadmap_measurement",
)
BUMP = "UPDATE roadmap_dashboardstate SET changes = changes + 1 WHERE id = 1"


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            # The function roadmap_dashboard_changed() comes from migration 0011.
            schema_editor.execute(
                f"CREATE TRIGGER {table}_dashboard AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
                f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION roadmap_dashboard_changed()"
            )
        elif vendor == "sqlite":
            for event in ("INSERT", "UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_dashboard_{event.lower()} AFTER {event} ON {table}"
                    f" BEGIN {BUMP}; END"
                )


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_dashboard ON {table}")
        elif vendor == "sqlite":
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_dashboard_{event}")


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0022_fill_snapshot_tallies"),
    ]

    operations = [
        migrations.RunPython(add_triggers, drop_triggers),
    ]
