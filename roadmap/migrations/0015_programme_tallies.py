"""Programme tallies: the progress rows summed per body and per prefecture's system, kept by
triggers on the progress rows; and the body of each designation beside its milestone.
"""

import django.db.models.deletion
from django.db import migrations, models

PROGRESS = "roadmap_systemprogress"
# Each tally: its table, its key columns, and what else a row carries.
TALLIES = (
    ("roadmap_systemtally", ("prefecture_id", "system"), ()),
    ("roadmap_bodytally", ("body_id",), ("prefecture_id",)),
)
SUMS = {
    "systems": "1",
    "complete": "{row}.done + {row}.not_applicable",
    "in_progress_steps": "{row}.in_progress",
    "not_started_steps": "{row}.not_started",
}


def take(row: str) -> list[str]:
    """Return the statements that take progress row ``row`` (OLD) out of its tallies."""
    return [
        f"UPDATE {table} SET "  # noqa: S608
        + ", ".join(f"{name} = {name} - ({value.format(row=row)})" for name, value in SUMS.items())
        + " WHERE "
        + " AND ".join(f"{key} = {row}.{key}" for key in keys)
        for table, keys, _carried in TALLIES
    ]


def add(row: str) -> list[str]:
    """Return the statements that add progress row ``row`` (NEW) to its tallies."""
    statements = []
    for table, keys, carried in TALLIES:
        columns = [*keys, *carried, *SUMS]
        values = [f"{row}.{c}" for c in (*keys, *carried)] + [
            value.format(row=row) for value in SUMS.values()
        ]
        updates = [f"{name} = {table}.{name} + excluded.{name}" for name in SUMS] + [
            f"{name} = excluded.{name}" for name in carried
        ]
        statements.append(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(values)})"  # noqa: S608
            f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(updates)}"
        )
    return statements


def fill(schema_editor) -> None:
    """Sum the progress rows not cancelled into empty tallies."""
    sums = ", ".join(f"SUM({value.format(row='p')})" for value in SUMS.values())
    for table, keys, carried in TALLIES:
        group = ", ".join(f"p.{c}" for c in (*keys, *carried))
        schema_editor.execute(
            f"INSERT INTO {table} ({', '.join((*keys, *carried, *SUMS))})"  # noqa: S608
            f" SELECT {group}, {sums} FROM {PROGRESS} p WHERE NOT p.cancelled GROUP BY {group}"
        )


def create_row_trigger(schema_editor) -> None:
    """Create the PostgreSQL row trigger that keeps the tallies."""
    body = (
        "BEGIN IF TG_OP <> 'INSERT' AND NOT OLD.cancelled THEN "
        + "; ".join(take("OLD"))
        + "; END IF; IF TG_OP <> 'DELETE' AND NOT NEW.cancelled THEN "
        + "; ".join(add("NEW"))
        + "; END IF; RETURN NULL; END"
    )
    schema_editor.execute(
        f"CREATE FUNCTION roadmap_progress_tally() RETURNS trigger LANGUAGE plpgsql AS $${body}$$"
    )
    schema_editor.execute(
        f"CREATE TRIGGER {PROGRESS}_tally AFTER INSERT OR UPDATE OR DELETE ON {PROGRESS}"
        " FOR EACH ROW EXECUTE FUNCTION roadmap_progress_tally()"
    )


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute(
        "UPDATE roadmap_designation SET body_id = (SELECT m.owner_id FROM roadmap_milestone m"
        " WHERE m.id = roadmap_designation.milestone_id)"
    )
    fill(schema_editor)
    if vendor == "postgresql":
        create_row_trigger(schema_editor)
    elif vendor == "sqlite":
        for name, event, row, statements in (
            ("insert", "INSERT", "NEW", add("NEW")),
            ("delete", "DELETE", "OLD", take("OLD")),
            ("update_old", "UPDATE", "OLD", take("OLD")),
            ("update_new", "UPDATE", "NEW", add("NEW")),
        ):
            schema_editor.execute(
                f"CREATE TRIGGER {PROGRESS}_tally_{name} AFTER {event} ON {PROGRESS}"
                f" WHEN NOT {row}.cancelled BEGIN {'; '.join(statements)}; END"
            )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {PROGRESS}_tally ON {PROGRESS}")
        schema_editor.execute("DROP FUNCTION IF EXISTS roadmap_progress_tally()")
    else:
        for name in ("insert", "delete", "update_old", "update_new"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {PROGRESS}_tally_{name}")


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0014_progress_leaves_out_cancelled"),
    ]

    operations = [
        migrations.AddField(
            model_name="designation",
            name="body",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="roadmap.organization",
            ),
        ),
        migrations.CreateModel(
            name="BodyTally",
            fields=[
                ("systems", models.IntegerField(default=0)),
                ("complete", models.IntegerField(default=0)),
                ("in_progress_steps", models.IntegerField(default=0)),
                ("not_started_steps", models.IntegerField(default=0)),
                (
                    "body",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="roadmap.organization",
                    ),
                ),
                (
                    "prefecture",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="roadmap.organization",
                    ),
                ),
            ],
            options={
                "verbose_name": "body tally",
                "verbose_name_plural": "body tallies",
            },
        ),
        migrations.CreateModel(
            name="SystemTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("systems", models.IntegerField(default=0)),
                ("complete", models.IntegerField(default=0)),
                ("in_progress_steps", models.IntegerField(default=0)),
                ("not_started_steps", models.IntegerField(default=0)),
                (
                    "system",
                    models.PositiveSmallIntegerField(verbose_name="standard business system"),
                ),
                (
                    "prefecture",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="roadmap.organization",
                    ),
                ),
            ],
            options={
                "verbose_name": "system tally",
                "verbose_name_plural": "system tallies",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("prefecture", "system"), name="unique_system_tally"
                    )
                ],
            },
        ),
        migrations.RunPython(add_triggers, drop_triggers),
        migrations.AlterField(
            model_name="designation",
            name="body",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="roadmap.organization",
            ),
        ),
    ]
