"""Prepare a local installation: load the 2024 plan once, create an admin account once, and
bring the overdue flags up to today (beat does that only after midnight)."""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from roadmap.models import Plan
from roadmap.services.first_editions import record_first_editions
from roadmap.services.recurring import create_occurrences
from roadmap.services.scheduler import flag_overdue

PLAN_FIXTURE = settings.BASE_DIR / "fixtures" / "plan_2024.json"


class Command(BaseCommand):
    help = "Load the 2024 plan and create a local admin account, each only if missing."

    def handle(self, *args, **options):
        self.load_plan()
        self.create_admin()
        created = create_occurrences(as_of=timezone.localdate())["created"]
        self.stdout.write(f"Recurring commitments: {created} yearly milestones created.")
        counts = flag_overdue(as_of=timezone.localdate())
        self.stdout.write(f"Overdue today: {counts['flagged']} newly flagged.")

    def load_plan(self):
        if not PLAN_FIXTURE.exists():
            self.stdout.write("No plan fixture yet; starting with an empty tracker.")
        elif Plan.objects.filter(code=Plan.PRIORITY_PLAN_2024).exists():
            self.stdout.write("The 2024 plan is already loaded.")
        else:
            call_command("loaddata", PLAN_FIXTURE, verbosity=0)
            # loaddata writes no history; give each milestone its first record.
            call_command("populate_history", "roadmap.Milestone", verbosity=0)
            # The plan's milestones are the first entries of its edition.
            record_first_editions()
            self.stdout.write(self.style.SUCCESS("Loaded the 2024 plan."))

    def create_admin(self):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("An admin account exists already.")
            return
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "admin")
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "admin@localhost")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        generated = not password
        password = password or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email=email, password=password)
        self.stdout.write(self.style.SUCCESS(f"Created the admin account {username!r}."))
        if generated:
            self.stdout.write(f"Its password, shown only this once: {password}")
