"""Let a step report rewrite the steps in place (heap-only tuples, no index entries written).

The step's ``changed_by`` loses its index, and on PostgreSQL the step table keeps half of each
page free (``fillfactor``), so that the new version of a step fits beside the old one. The
existing steps are laid out again to match: ``VACUUM FULL`` locks the table while it rewrites it,
a few seconds for the full programme, so the migration runs outside a transaction.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FILL_FACTOR = 50


def leave_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE roadmap_step SET (fillfactor = {FILL_FACTOR})")
        schema_editor.execute("VACUUM FULL roadmap_step")


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE roadmap_step RESET (fillfactor)")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("roadmap", "0026_progress_follows_cancellation_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="step",
            name="changed_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="changed by",
            ),
        ),
        migrations.RunPython(leave_room, fill_pages),
    ]
