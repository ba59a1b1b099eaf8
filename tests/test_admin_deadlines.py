"""Revising a milestone's deadline in the admin: preview, reason, and who may."""

from datetime import date

import pytest
from django.urls import reverse

from roadmap.models import DeadlineRevision
from tests.admin_client import as_user, refusals

pytestmark = pytest.mark.django_db


def revise_url(milestone):
    return reverse("admin:roadmap_milestone_revise_deadline", args=[milestone.pk])


def test_revise_form_shows_the_current_deadline(client, owner_a, milestone_a):
    response = as_user(client, owner_a).get(revise_url(milestone_a))
    assert response.status_code == 200
    assert "2026-03-31 (2025年度（令和7年度）)" in response.content.decode()


def test_revise_preview_shows_the_resolved_dates_and_changes_nothing(client, owner_a, milestone_a):
    data = {"new_phrase": "2026年度後半", "kind": "slip", "reason": "遅延", "_preview": "1"}
    response = as_user(client, owner_a).post(revise_url(milestone_a), data)
    content = response.content.decode()
    assert "2026-10-01" in content and "2027-03-31" in content
    assert not DeadlineRevision.objects.exists()


def test_revise_requires_a_reason(client, owner_a, milestone_a):
    data = {"new_phrase": "2026年度末", "kind": "slip", "reason": "  ", "_revise": "1"}
    response = as_user(client, owner_a).post(revise_url(milestone_a), data)
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert not DeadlineRevision.objects.exists()


def test_revise_with_an_unresolvable_phrase_names_it(client, owner_a, milestone_a):
    data = {"new_phrase": "いつか", "kind": "slip", "reason": "r", "_revise": "1"}
    response = as_user(client, owner_a).post(revise_url(milestone_a), data)
    assert "いつか" in str(response.context["form"].errors["new_phrase"])
    assert not DeadlineRevision.objects.exists()


def test_revise_records_the_revision_and_moves_the_deadline(client, owner_a, milestone_a):
    data = {"new_phrase": "2026年度末まで", "kind": "replan", "reason": "再計画", "_revise": "1"}
    response = as_user(client, owner_a).post(revise_url(milestone_a), data)
    assert response.status_code == 302
    revision = DeadlineRevision.objects.get()
    milestone_a.refresh_from_db()
    assert (revision.decided_by, revision.kind, revision.reason) == (owner_a, "replan", "再計画")
    assert (milestone_a.deadline, milestone_a.baseline_deadline) == (
        date(2027, 3, 31),
        date(2026, 3, 31),
    )


def test_revise_of_another_organizations_milestone_is_refused(
    client, owner_a, milestone_b, security_log
):
    data = {"new_phrase": "2030年度", "kind": "slip", "reason": "r", "_revise": "1"}
    response = as_user(client, owner_a).post(revise_url(milestone_b), data)
    assert response.status_code == 403
    assert not DeadlineRevision.objects.exists()
    assert refusals(security_log)


def test_viewer_cannot_revise(client, viewer_a, milestone_a, security_log):
    data = {"new_phrase": "2030年度", "kind": "slip", "reason": "r", "_revise": "1"}
    response = as_user(client, viewer_a).post(revise_url(milestone_a), data)
    assert response.status_code == 403
    assert not DeadlineRevision.objects.exists()
