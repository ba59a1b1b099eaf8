"""Keep the designated systems and bodies per reason, so that no page counts them distinctly.

Triggers on the designations add each one to its reason's row and to the row of every reason
(0), and take it away again. A body counts once in a row: a designation added is a new body of
the row when the body had none there before the statement; one taken away loses the body when
it has none left after it.

PostgreSQL: a trigger per statement over its transition tables. Writers take turns on the row
of every reason before counting a body's designations, so each sees the others' committed
rows; a statement that wrote no designation (a cascade from a milestone without one) takes
no lock. SQLite (one writer at a time): a trigger per row, taking the old row away before an
update or a delete and adding the new one after an insert or an update.
"""

from django.db import migrations, models

DESIGNATION = "roadmap_designation"
KEPT = "roadmap_designationtally"
ANY_REASON = 0

# Each statement's designations, +1 for each added and -1 for each taken away.
CHANGED = {
    "insert": ("INSERT", "NEW TABLE AS added", "SELECT reason, body_id, 1 AS n FROM added"),
    "update": (
        "UPDATE",
        "OLD TABLE AS removed NEW TABLE AS added",
        "SELECT reason, body_id, 1 AS n FROM added"
        " UNION ALL SELECT reason, body_id, -1 FROM removed",
    ),
    "delete": ("DELETE", "OLD TABLE AS removed", "SELECT reason, body_id, -1 AS n FROM removed"),
}


def statement_function(changed: str) -> str:
    """Return the body of a statement trigger that moves the changed designations' counts."""
    return f"""
    BEGIN
      IF NOT EXISTS ({changed}) THEN RETURN NULL; END IF;
      INSERT INTO {KEPT} (reason, systems, bodies) VALUES ({ANY_REASON}, 0, 0)
        ON CONFLICT (reason) DO NOTHING;
      PERFORM 1 FROM {KEPT} WHERE reason = {ANY_REASON} FOR UPDATE;
      WITH changed AS ({changed}),
      moved AS (
        SELECT reason, body_id, SUM(n) AS delta FROM changed GROUP BY reason, body_id
        UNION ALL SELECT {ANY_REASON}, body_id, SUM(n) FROM changed GROUP BY body_id
      ),
      counted AS (
        SELECT m.reason, m.delta, (
          SELECT COUNT(*) FROM {DESIGNATION} d
          WHERE d.body_id = m.body_id AND m.reason IN ({ANY_REASON}, d.reason)
        ) AS now
        FROM moved m WHERE m.delta <> 0
      )
      INSERT INTO {KEPT} AS kept (reason, systems, bodies)
      SELECT reason, SUM(delta),
        SUM(CASE WHEN now - delta = 0 THEN 1 WHEN now = 0 THEN -1 ELSE 0 END)
      FROM counted GROUP BY reason
      ON CONFLICT (reason) DO UPDATE
        SET systems = kept.systems + excluded.systems, bodies = kept.bodies + excluded.bodies;
      RETURN NULL;
    END"""


def row_statements(row: str, sign: str) -> str:
    """Return the SQLite statements that add (+) or take away (-) one designation ``row``.

    Adding runs after the row is written, taking away before it is gone: either way the body
    joins or leaves a tally row when this designation is its only one there.
    """
    only = (
        f"(SELECT COUNT(*) FROM {DESIGNATION} d WHERE d.body_id = {row}.body_id"
        f" AND {KEPT}.reason IN ({ANY_REASON}, d.reason)) = 1"
    )
    return (
        f"INSERT OR IGNORE INTO {KEPT} (reason, systems, bodies)"
        f" VALUES ({ANY_REASON}, 0, 0), ({row}.reason, 0, 0);"
        f" UPDATE {KEPT} SET systems = systems {sign} 1, bodies = bodies {sign} ({only})"
        f" WHERE reason IN ({ANY_REASON}, {row}.reason);"
    )


SQLITE_TRIGGERS = {
    "insert": ("AFTER INSERT", "", row_statements("NEW", "+")),
    "delete": ("BEFORE DELETE", "", row_statements("OLD", "-")),
    "update_old": (
        "BEFORE UPDATE OF reason, body_id",
        "WHEN OLD.reason IS NOT NEW.reason OR OLD.body_id IS NOT NEW.body_id",
        row_statements("OLD", "-"),
    ),
    "update_new": (
        "AFTER UPDATE OF reason, body_id",
        "WHEN OLD.reason IS NOT NEW.reason OR OLD.body_id IS NOT NEW.body_id",
        row_statements("NEW", "+"),
    ),
}

COUNTED_AFRESH = (
    f"INSERT INTO {KEPT} (reason, systems, bodies)"  # noqa: S608
    f" SELECT reason, COUNT(*), COUNT(DISTINCT body_id) FROM {DESIGNATION} GROUP BY reason"
    f" UNION ALL SELECT {ANY_REASON}, COUNT(*), COUNT(DISTINCT body_id) FROM {DESIGNATION}"
)


def add_triggers(apps, schema_editor):
    execute = schema_editor.execute
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for name, (event, tables, changed) in CHANGED.items():
            execute(
                f"CREATE FUNCTION roadmap_designation_tally_{name}() RETURNS trigger"
                f" LANGUAGE plpgsql AS $${statement_function(changed)}$$"
            )
            execute(
                f"CREATE TRIGGER {DESIGNATION}_tally_{name} AFTER {event} ON {DESIGNATION}"
                f" REFERENCING {tables} FOR EACH STATEMENT"
                f" EXECUTE FUNCTION roadmap_designation_tally_{name}()"
            )
    elif vendor == "sqlite":
        for name, (timing, when, body) in SQLITE_TRIGGERS.items():
            execute(
                f"CREATE TRIGGER {DESIGNATION}_tally_{name} {timing} ON {DESIGNATION}"
                f" FOR EACH ROW {when} BEGIN {body} END"
            )
    # A reason without designations needs no row: the triggers make one when its first comes.
    execute(COUNTED_AFRESH)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for name in CHANGED:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {DESIGNATION}_tally_{name} ON {DESIGNATION}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS roadmap_designation_tally_{name}()")
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {DESIGNATION}_tally_{name}")


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0029_owner_choice"),
    ]

    operations = [
        migrations.CreateModel(
            name="DesignationTally",
            fields=[
                (
                    "reason",
                    models.PositiveSmallIntegerField(
                        primary_key=True, serialize=False, verbose_name="reason"
                    ),
                ),
                ("systems", models.IntegerField(default=0)),
                ("bodies", models.IntegerField(default=0)),
            ],
            options={
                "verbose_name": "designation tally",
                "verbose_name_plural": "designation tallies",
            },
        ),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
