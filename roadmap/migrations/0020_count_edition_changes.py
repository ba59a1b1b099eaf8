# The exports' ETags are made from the dashboard's count of changes (migration 0011): an export
# read against a baseline shows the editions' deadlines, so writing them counts too.

from django.db import migrations

TABLE = "roadmap_milestoneedition"
BUMP = "UPDATE roadmap_dashboardstate SET changes = changes + 1 WHERE id = 1"


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # The function roadmap_dashboard_changed() comes from migration 0011.
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_dashboard AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
            f" ON {TABLE} FOR EACH STATEMENT EXECUTE FUNCTION roadmap_dashboard_changed()"
        )
    elif vendor == "sqlite":
        for event in ("INSERT", "UPDATE", "DELETE"):
            schema_editor.execute(
                f"CREATE TRIGGER {TABLE}_dashboard_{event.lower()} AFTER {event} ON {TABLE}"
                f" BEGIN {BUMP}; END"
            )


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_dashboard ON {TABLE}")
    elif vendor == "sqlite":
        for event in ("insert", "update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_dashboard_{event}")


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0019_milestone_timeline_day"),
    ]

    operations = [
        migrations.RunPython(add_triggers, drop_triggers),
    ]
