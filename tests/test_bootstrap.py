"""`make run`'s bootstrap: loads the plan and the admin account once, however often it runs."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from roadmap.models import Milestone, Plan

pytestmark = pytest.mark.django_db


def bootstrap():
    out = io.StringIO()
    call_command("bootstrap", stdout=out)
    return out.getvalue()


def test_first_run_loads_the_plan_and_prints_the_generated_password_once(monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)

    output = bootstrap()

    assert Plan.objects.filter(code="priority-plan-2024").exists()
    password = re.search(r"shown only this once: (\S+)", output).group(1)
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(password)


def test_second_run_duplicates_nothing_and_keeps_edits(monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    bootstrap()
    milestones = Milestone.objects.count()
    edited = Milestone.objects.order_by("pk").first()
    Milestone.objects.filter(pk=edited.pk).update(title_en="Edited by an owner")

    output = bootstrap()

    assert Milestone.objects.count() == milestones
    assert get_user_model().objects.filter(is_superuser=True).count() == 1
    assert "shown only this once" not in output
    edited.refresh_from_db()
    assert edited.title_en == "Edited by an owner"


def test_admin_account_can_be_chosen_from_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "digital-admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long chosen passphrase")

    output = bootstrap()

    admin = get_user_model().objects.get(username="digital-admin")
    assert admin.check_password("a long chosen passphrase")
    assert "a long chosen passphrase" not in output


def test_overdue_flags_are_brought_up_to_today():
    bootstrap()

    # The plan's milestones due by 2025 are open and long past by now.
    assert Milestone.objects.filter(overdue_since__isnull=False).exists()
    assert not Milestone.objects.filter(
        overdue_since__isnull=True,
        deadline__lt="2025-01-01",
        status__in=["planned", "in_progress"],
        kind="deadline",
    ).exists()


def test_loaded_milestones_start_with_a_history_record():
    bootstrap()

    with_history = set(Milestone.history.values_list("id", flat=True))
    assert with_history == set(Milestone.objects.values_list("id", flat=True)) != set()
