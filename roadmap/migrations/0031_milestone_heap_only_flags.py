"""Let the scheduler's overdue flag be written without touching an index.

A milestone's row is rewritten each time it is flagged or cleared. PostgreSQL writes such a
change in place on its page, leaving every index alone (a heap-only update), when no indexed
column changes and the page has room: so ``overdue_since`` and ``updated_at`` lose their indexes
(the recorded update no longer looks its rows up by stamp, see ``update_recorded_by_reason``,
and the overdue filter reads the timeline's index) and the table's pages are filled to 85 %,
keeping room for the new version. Rows stored before this migration gain that room once the
table is rewritten (``VACUUM FULL roadmap_milestone``, see docs/operations.md).

The history is read by milestone and date only: its copies of the milestone's other indexed
columns lose their indexes, which every recorded change wrote.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MILESTONE = "roadmap_milestone"
# Percentage of each page new rows may fill: the rest is room for the next versions of its rows.
FILLFACTOR = 85


def leave_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {MILESTONE} SET (fillfactor = {FILLFACTOR})")


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {MILESTONE} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0030_designation_tallies"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(leave_room, fill_pages),
        migrations.RemoveIndex(
            model_name="milestone",
            name="milestone_overdue",
        ),
        migrations.RemoveIndex(
            model_name="milestone",
            name="milestone_updated_at",
        ),
        migrations.AlterField(
            model_name="historicalmilestone",
            name="anchor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                help_text="The event a phrase such as 10年を経過する前 counts from.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="roadmap.eventdate",
                verbose_name="counted from",
            ),
        ),
        migrations.AlterField(
            model_name="historicalmilestone",
            name="initiative",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="roadmap.initiative",
                verbose_name="initiative",
            ),
        ),
        migrations.AlterField(
            model_name="historicalmilestone",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="roadmap.organization",
                verbose_name="owner",
            ),
        ),
        migrations.AlterField(
            model_name="historicalmilestone",
            name="rag_assessed_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="RAG assessed by",
            ),
        ),
        migrations.AlterField(
            model_name="historicalmilestone",
            name="ref",
            field=models.SlugField(
                db_index=False,
                help_text="Stable identifier used by imports, feeds and links.",
                max_length=80,
                verbose_name="reference",
            ),
        ),
        migrations.AlterField(
            model_name="historicalmilestone",
            name="series",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="roadmap.recurringcommitment",
                verbose_name="recurring commitment",
            ),
        ),
    ]
