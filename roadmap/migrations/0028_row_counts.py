"""Keep the number of milestones and steps, so that an unfiltered list is paged without COUNT(*).

Each table gets triggers that add the rows a statement inserts and subtract those it deletes
(PostgreSQL: statement triggers over the statement's transition table; a TRUNCATE sets nought.
SQLite: a trigger per row). Creating a trigger locks the table against writers until the
migration commits, so the rows counted here are the rows the triggers go on from.

A statement that inserts or deletes rows holds its table's kept row until its transaction ends,
as one that writes milestones holds the count of changes (0011): writers of new milestones, or
of new steps, take turns. A statement that writes none (a step report whose steps all exist
inserts none) leaves the row alone.
"""

from django.db import migrations, models

COUNTED = ("roadmap_milestone", "roadmap_step")
KEPT = "roadmap_rowcount"


def add_triggers(apps, schema_editor):
    execute = schema_editor.execute
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for name, sign in (("added", "+"), ("removed", "-")):
            # A statement that wrote no row leaves the kept row alone: no lock taken on it.
            execute(
                f"CREATE FUNCTION roadmap_rows_{name}() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" DECLARE n bigint := (SELECT count(*) FROM {name}); BEGIN IF n > 0 THEN"
                f' UPDATE {KEPT} SET rows = rows {sign} n WHERE "table" = TG_TABLE_NAME;'
                " END IF; RETURN NULL; END $$"
            )
        execute(
            "CREATE FUNCTION roadmap_rows_truncated() RETURNS trigger LANGUAGE plpgsql AS $$"
            f' BEGIN UPDATE {KEPT} SET rows = 0 WHERE "table" = TG_TABLE_NAME;'
            " RETURN NULL; END $$"
        )
        for table in COUNTED:
            execute(
                f"CREATE TRIGGER {table}_rows_added AFTER INSERT ON {table}"
                " REFERENCING NEW TABLE AS added FOR EACH STATEMENT"
                " EXECUTE FUNCTION roadmap_rows_added()"
            )
            execute(
                f"CREATE TRIGGER {table}_rows_removed AFTER DELETE ON {table}"
                " REFERENCING OLD TABLE AS removed FOR EACH STATEMENT"
                " EXECUTE FUNCTION roadmap_rows_removed()"
            )
            execute(
                f"CREATE TRIGGER {table}_rows_truncated AFTER TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION roadmap_rows_truncated()"
            )
    elif vendor == "sqlite":
        for table in COUNTED:
            for event, sign in (("INSERT", "+"), ("DELETE", "-")):
                execute(
                    f"CREATE TRIGGER {table}_rows_{event.lower()} AFTER {event} ON {table}"
                    f" BEGIN UPDATE {KEPT} SET rows = rows {sign} 1"
                    f" WHERE \"table\" = '{table}'; END"
                )
    for table in COUNTED:
        execute(f'INSERT INTO {KEPT} ("table", rows) SELECT %s, COUNT(*) FROM {table}', [table])


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in COUNTED:
        if vendor == "postgresql":
            for name in ("added", "removed", "truncated"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_rows_{name} ON {table}")
        elif vendor == "sqlite":
            for event in ("insert", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_rows_{event}")
    if vendor == "postgresql":
        for name in ("added", "removed", "truncated"):
            schema_editor.execute(f"DROP FUNCTION IF EXISTS roadmap_rows_{name}()")


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0027_steps_updated_in_place"),
    ]

    operations = [
        migrations.CreateModel(
            name="RowCount",
            fields=[
                ("table", models.CharField(max_length=63, primary_key=True, serialize=False)),
                ("rows", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
