"""On PostgreSQL, keep the programme tallies per statement rather than per row.

A national report moves the counts of 35,000 progress rows in one statement; with transition
tables the tallies follow in two grouped statements instead of 140,000 small ones. SQLite has
no statement triggers and keeps the row triggers of migration 0015.
"""

from importlib import import_module

from django.db import migrations

PROGRESS = "roadmap_systemprogress"
# Each tally: its table, its key, and the key's value for a group of progress rows.
TALLIES = (
    ("roadmap_systemtally", ("prefecture_id", "system"), ("prefecture_id", "system")),
    ("roadmap_bodytally", ("body_id",), ("body_id", "MAX(prefecture_id) AS prefecture_id")),
)
SUMS = {
    "systems": "COUNT(*)",
    "complete": "SUM(done + not_applicable)",
    "in_progress_steps": "SUM(in_progress)",
    "not_started_steps": "SUM(not_started)",
}
EVENTS = {
    "insert": ("INSERT", "NEW TABLE AS new_rows", ("add",)),
    "update": ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", ("take", "add")),
    "delete": ("DELETE", "OLD TABLE AS old_rows", ("take",)),
}


def grouped(table_rows: str, keys: tuple, selected: tuple) -> str:
    sums = ", ".join(f"{value} AS {name}" for name, value in SUMS.items())
    return (
        f"SELECT {', '.join(selected)}, {sums} FROM {table_rows}"  # noqa: S608
        f" WHERE NOT cancelled GROUP BY {', '.join(keys)}"
    )


def statements(action: str) -> list[str]:
    """Return the statements that take old_rows out of the tallies, or add new_rows to them."""
    result = []
    for table, keys, selected in TALLIES:
        if action == "take":
            moved = ", ".join(f"{name} = t.{name} - d.{name}" for name in SUMS)
            match = " AND ".join(f"t.{key} = d.{key}" for key in keys)
            result.append(
                f"UPDATE {table} t SET {moved}"  # noqa: S608
                f" FROM ({grouped('old_rows', keys, selected)}) d WHERE {match}"
            )
        else:
            carried = [name for name in ("prefecture_id",) if name not in keys]
            columns = [*keys, *carried, *SUMS]
            updates = [f"{name} = {table}.{name} + excluded.{name}" for name in SUMS] + [
                f"{name} = excluded.{name}" for name in carried
            ]
            result.append(
                f"INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608
                f" {grouped('new_rows', keys, selected)}"
                f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(updates)}"
            )
    return result


def per_statement(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {PROGRESS}_tally ON {PROGRESS}")
    schema_editor.execute("DROP FUNCTION IF EXISTS roadmap_progress_tally()")
    for name, (event, tables, actions) in EVENTS.items():
        body = "; ".join(sql for action in actions for sql in statements(action))
        schema_editor.execute(
            f"CREATE FUNCTION roadmap_progress_tally_{name}() RETURNS trigger"
            f" LANGUAGE plpgsql AS $$ BEGIN {body}; RETURN NULL; END $$"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {PROGRESS}_tally_{name} AFTER {event} ON {PROGRESS}"
            f" REFERENCING {tables} FOR EACH STATEMENT"
            f" EXECUTE FUNCTION roadmap_progress_tally_{name}()"
        )


def per_row(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in EVENTS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {PROGRESS}_tally_{name} ON {PROGRESS}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS roadmap_progress_tally_{name}()")
    # Migration 0015's row trigger, as it made it.
    import_module("roadmap.migrations.0015_programme_tallies").create_row_trigger(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0017_step_milestone_indexes_covered"),
    ]

    operations = [migrations.RunPython(per_statement, per_row)]
