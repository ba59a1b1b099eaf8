"""Fill the ordinary Diet sessions known when the tracker was set up (users add later ones)."""

from datetime import date

from django.db import migrations

KNOWN_SESSIONS = [
    (213, date(2024, 1, 26), date(2024, 6, 23)),
    (217, date(2025, 1, 24), date(2025, 6, 22)),
    (220, date(2026, 1, 23), date(2026, 6, 21)),
]


def add_sessions(apps, schema_editor):
    DietSession = apps.get_model("roadmap", "DietSession")
    for number, convened_on, closes_on in KNOWN_SESSIONS:
        DietSession.objects.update_or_create(
            number=number, defaults={"convened_on": convened_on, "closes_on": closes_on}
        )


def remove_sessions(apps, schema_editor):
    DietSession = apps.get_model("roadmap", "DietSession")
    DietSession.objects.filter(number__in=[number for number, *_ in KNOWN_SESSIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("roadmap", "0001_initial")]

    operations = [migrations.RunPython(add_sessions, remove_sessions)]
