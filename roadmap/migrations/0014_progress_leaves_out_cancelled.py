"""Mark the progress rows of cancelled milestones, and keep the mark with the status."""

from django.db import migrations, models

MARK = (
    "UPDATE roadmap_systemprogress SET cancelled = ({status} = 'cancelled')"
    " WHERE milestone_id = {id} AND cancelled <> ({status} = 'cancelled')"
)


def add_trigger(apps, schema_editor):
    """Follow every change of a milestone's status, whoever writes it."""
    vendor = schema_editor.connection.vendor
    schema_editor.execute(
        "UPDATE roadmap_systemprogress SET cancelled = TRUE WHERE milestone_id IN"
        " (SELECT id FROM roadmap_milestone WHERE status = 'cancelled')"
    )
    if vendor == "postgresql":
        schema_editor.execute(
            "CREATE FUNCTION roadmap_progress_cancelled() RETURNS trigger LANGUAGE plpgsql AS"
            f" $$ BEGIN {MARK.format(status='NEW.status', id='NEW.id')}; RETURN NULL; END $$"
        )
        schema_editor.execute(
            "CREATE TRIGGER roadmap_milestone_progress AFTER UPDATE OF status"
            " ON roadmap_milestone FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)"
            " EXECUTE FUNCTION roadmap_progress_cancelled()"
        )
    elif vendor == "sqlite":
        schema_editor.execute(
            "CREATE TRIGGER roadmap_milestone_progress AFTER UPDATE OF status"
            " ON roadmap_milestone WHEN OLD.status <> NEW.status"
            f" BEGIN {MARK.format(status='NEW.status', id='NEW.id')}; END"
        )


def drop_trigger(apps, schema_editor):
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS roadmap_milestone_progress"
        + (" ON roadmap_milestone" if schema_editor.connection.vendor == "postgresql" else "")
    )
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS roadmap_progress_cancelled()")


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0013_field_rules_and_job_failures"),
    ]

    operations = [
        migrations.AddField(
            model_name="systemprogress",
            name="cancelled",
            field=models.BooleanField(default=False, verbose_name="cancelled"),
        ),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
