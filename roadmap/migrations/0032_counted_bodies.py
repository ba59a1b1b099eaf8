"""Keep the number of bodies the programme's figures count, so that no page counts them.

A body is counted while its tally has a system counted (``systems > 0``): the national figures'
"bodies" and the length of the body table. Triggers on the body tallies (themselves kept by the
progress rows' triggers, 0015 and 0018) add the tallies that come to count a system and take
away those that stop, into the kept row counts of migration 0028 under the body tallies' table.

PostgreSQL: a trigger per statement over its transition tables; a statement that moves no tally
across nought leaves the kept row alone (no lock taken on it). SQLite: a trigger per row.
"""

from django.db import migrations

TALLY = "roadmap_bodytally"
KEPT = "roadmap_rowcount"
COUNTED = "systems > 0"

# Each statement's tallies that count a system: those added, less those taken away.
CHANGED = {
    "insert": ("INSERT", "NEW TABLE AS added", f"(SELECT COUNT(*) FROM added WHERE {COUNTED})"),
    "update": (
        "UPDATE",
        "OLD TABLE AS removed NEW TABLE AS added",
        f"(SELECT COUNT(*) FROM added WHERE {COUNTED})"
        f" - (SELECT COUNT(*) FROM removed WHERE {COUNTED})",
    ),
    "delete": (
        "DELETE",
        "OLD TABLE AS removed",
        f"- (SELECT COUNT(*) FROM removed WHERE {COUNTED})",
    ),
}


def add_triggers(apps, schema_editor):
    execute = schema_editor.execute
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for name, (event, tables, moved) in CHANGED.items():
            execute(
                f"CREATE FUNCTION roadmap_counted_bodies_{name}() RETURNS trigger"
                f" LANGUAGE plpgsql AS $$ DECLARE n bigint := {moved}; BEGIN IF n <> 0 THEN"
                f' UPDATE {KEPT} SET rows = rows + n WHERE "table" = TG_TABLE_NAME;'
                " END IF; RETURN NULL; END $$"
            )
            execute(
                f"CREATE TRIGGER {TALLY}_counted_{name} AFTER {event} ON {TALLY}"
                f" REFERENCING {tables} FOR EACH STATEMENT"
                f" EXECUTE FUNCTION roadmap_counted_bodies_{name}()"
            )
        # The row counts' own function: a TRUNCATE leaves nought.
        execute(
            f"CREATE TRIGGER {TALLY}_counted_truncate AFTER TRUNCATE ON {TALLY}"
            " FOR EACH STATEMENT EXECUTE FUNCTION roadmap_rows_truncated()"
        )
    elif vendor == "sqlite":
        moved = {
            "insert": ("INSERT", f"new.{COUNTED}", f"new.{COUNTED}"),
            "update": (
                "UPDATE OF systems",
                f"(new.{COUNTED}) <> (old.{COUNTED})",
                f"(new.{COUNTED}) - (old.{COUNTED})",
            ),
            "delete": ("DELETE", f"old.{COUNTED}", "-1"),
        }
        for name, (event, when, n) in moved.items():
            execute(
                f"CREATE TRIGGER {TALLY}_counted_{name} AFTER {event} ON {TALLY}"
                f" WHEN {when} BEGIN UPDATE {KEPT} SET rows = rows + ({n})"
                f" WHERE \"table\" = '{TALLY}'; END"
            )
    execute(
        f'INSERT INTO {KEPT} ("table", rows) SELECT %s, COUNT(*) FROM {TALLY}'  # noqa: S608
        f" WHERE {COUNTED}",
        [TALLY],
    )


def drop_triggers(apps, schema_editor):
    execute = schema_editor.execute
    for name in (*CHANGED, "truncate"):
        if schema_editor.connection.vendor == "postgresql":
            execute(f"DROP TRIGGER IF EXISTS {TALLY}_counted_{name} ON {TALLY}")
        else:
            execute(f"DROP TRIGGER IF EXISTS {TALLY}_counted_{name}")
    if schema_editor.connection.vendor == "postgresql":
        for name in CHANGED:
            execute(f"DROP FUNCTION IF EXISTS roadmap_counted_bodies_{name}()")
    execute(f'DELETE FROM {KEPT} WHERE "table" = %s', [TALLY])  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0031_milestone_heap_only_flags"),
    ]

    operations = [migrations.RunPython(add_triggers, drop_triggers)]
