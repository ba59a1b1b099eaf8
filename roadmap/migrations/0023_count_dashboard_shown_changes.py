# The dashboard shows more than the milestones it counts: the programme's rates (its tallies,
# kept from the step counts), its snapshots and designations, and the indicators with their
# measurements. Writing any of them moves a second count, ``shown_changes``, so that nothing
# keyed by both counts (the kept dashboard, its ETag) outlives what it shows, while the stored
# figures and the exports' ETags, which read milestones only, go on following ``changes``.

from django.db import migrations, models

TABLES = (
    "roadmap_systemtally",
    "roadmap_progresssnapshot",
    "roadmap_snapshotrow",
    "roadmap_designation",
    "roadmap_indicator",
    "roadmap_measurement",
)
BUMP = "UPDATE roadmap_dashboardstate SET shown_changes = shown_changes + 1 WHERE id = 1"


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "CREATE FUNCTION roadmap_dashboard_shown_changed() RETURNS trigger LANGUAGE plpgsql"
            f" AS $$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_dashboard AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
                f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION roadmap_dashboard_shown_changed()"
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
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS roadmap_dashboard_shown_changed()")


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0022_fill_snapshot_tallies"),
    ]

    operations = [
        # Added in place: SQLite's way of adding a column with a default (copying the table
        # and renaming the copy) fails on the triggers of migration 0011 that name the table.
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE roadmap_dashboardstate"
                    " ADD COLUMN shown_changes bigint NOT NULL DEFAULT 0",
                    "ALTER TABLE roadmap_dashboardstate DROP COLUMN shown_changes",
                )
            ],
            state_operations=[
                migrations.AddField(
                    model_name="dashboardstate",
                    name="shown_changes",
                    field=models.BigIntegerField(default=0),
                )
            ],
        ),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
