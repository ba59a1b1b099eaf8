"""A snapshot's rows summed as the live pages read them, per prefecture's system, per body and per
designation reason, with its bodies and designations counted on the snapshot (filled by 0022).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0020_count_edition_changes"),
    ]

    operations = [
        migrations.AddField(
            model_name="progresssnapshot",
            name="bodies",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="progresssnapshot",
            name="designated_bodies",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="progresssnapshot",
            name="designated_systems",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.CreateModel(
            name="SnapshotBodyTally",
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
                    "body",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
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
                (
                    "snapshot",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="body_tallies",
                        to="roadmap.progresssnapshot",
                    ),
                ),
            ],
            options={
                "verbose_name": "snapshot body tally",
                "verbose_name_plural": "snapshot body tallies",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("snapshot", "body"), name="unique_snapshot_body_tally"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="SnapshotDesignationTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("reason", models.PositiveSmallIntegerField(verbose_name="reason")),
                ("systems", models.IntegerField(default=0)),
                ("bodies", models.IntegerField(default=0)),
                (
                    "snapshot",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="designation_tallies",
                        to="roadmap.progresssnapshot",
                    ),
                ),
            ],
            options={
                "verbose_name": "snapshot designation tally",
                "verbose_name_plural": "snapshot designation tallies",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("snapshot", "reason"), name="unique_snapshot_designation_tally"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="SnapshotSystemTally",
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
                (
                    "snapshot",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="system_tallies",
                        to="roadmap.progresssnapshot",
                    ),
                ),
            ],
            options={
                "verbose_name": "snapshot system tally",
                "verbose_name_plural": "snapshot system tallies",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("snapshot", "prefecture", "system"),
                        name="unique_snapshot_system_tally",
                    )
                ],
            },
        ),
    ]
