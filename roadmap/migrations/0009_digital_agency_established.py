"""Fill the event dates the 2024 plan counts from (users add later ones)."""

from datetime import date

from django.db import migrations

KNOWN_EVENTS = [
    ("digital-agency-established", "デジタル庁の設置", "Establishment of the Digital Agency", date(2021, 9, 1)),
]


def add_events(apps, schema_editor):
    EventDate = apps.get_model("roadmap", "EventDate")
    for code, name_ja, name_en, occurred_on in KNOWN_EVENTS:
        EventDate.objects.update_or_create(
            code=code,
            defaults={"name_ja": name_ja, "name_en": name_en, "occurred_on": occurred_on},
        )


def remove_events(apps, schema_editor):
    EventDate = apps.get_model("roadmap", "EventDate")
    EventDate.objects.filter(code__in=[code for code, *_ in KNOWN_EVENTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("roadmap", "0008_indicators_recurrence_events")]

    operations = [migrations.RunPython(add_events, remove_events)]
