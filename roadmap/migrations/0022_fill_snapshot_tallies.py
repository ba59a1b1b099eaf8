"""Sum the rows of the snapshots already taken into their tallies, as taking one now does.

Set-based: one INSERT … SELECT per tally for every snapshot at once and one UPDATE of the
snapshots' totals, the same statements on SQLite and PostgreSQL.
"""

from django.db import migrations

ROWS = "roadmap_snapshotrow"
SNAPSHOTS = "roadmap_progresssnapshot"
SUMS = "COUNT(*), SUM(done + not_applicable), SUM(in_progress), SUM(not_started)"
TALLY = "systems, complete, in_progress_steps, not_started_steps"


def of_snapshot(table: str, value: str) -> str:
    """Return a subquery of ``value`` over ``table``'s rows of the snapshot being updated."""
    return f"(SELECT {value} FROM {table} t WHERE t.snapshot_id = {SNAPSHOTS}.id)"  # noqa: S608


STATEMENTS = (
    f"INSERT INTO roadmap_snapshotsystemtally (snapshot_id, prefecture_id, system, {TALLY})"  # noqa: S608
    f" SELECT snapshot_id, prefecture_id, system, {SUMS} FROM {ROWS}"
    " GROUP BY snapshot_id, prefecture_id, system",
    f"INSERT INTO roadmap_snapshotbodytally (snapshot_id, body_id, prefecture_id, {TALLY})"  # noqa: S608
    f" SELECT snapshot_id, body_id, MAX(prefecture_id), {SUMS} FROM {ROWS}"
    " GROUP BY snapshot_id, body_id",
    "INSERT INTO roadmap_snapshotdesignationtally (snapshot_id, reason, systems, bodies)"  # noqa: S608
    f" SELECT snapshot_id, designation_reason, COUNT(*), COUNT(DISTINCT body_id) FROM {ROWS}"
    " WHERE designation_reason IS NOT NULL GROUP BY snapshot_id, designation_reason",
    f"UPDATE {SNAPSHOTS} SET"  # noqa: S608
    f" bodies = {of_snapshot('roadmap_snapshotbodytally', 'COUNT(*)')},"
    f" designated_systems = {of_snapshot(ROWS, 'COUNT(designation_reason)')},"
    " designated_bodies = "
    + of_snapshot(
        ROWS, "COUNT(DISTINCT CASE WHEN designation_reason IS NOT NULL THEN body_id END)"
    ),
)


def fill(apps, schema_editor):
    for statement in STATEMENTS:
        schema_editor.execute(statement)


def empty(apps, schema_editor):
    for table in ("systemtally", "bodytally", "designationtally"):
        schema_editor.execute(f"DELETE FROM roadmap_snapshot{table}")  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0021_snapshot_tallies"),
    ]

    operations = [migrations.RunPython(fill, empty)]
