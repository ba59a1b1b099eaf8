"""Owners cannot reach beyond their organizations: forged fields and ids are refused and logged.

tests/test_admin_milestones.py covers forged ids in bulk actions, reverts and revisions of another
organization's milestones; this module covers the other ways in.
"""

import logging

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from roadmap.models import DeadlineRevision, Membership, Milestone, UserPreference
from tests.factories import (
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    NotificationFactory,
    UserFactory,
    UserPreferenceFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, owner_a):
    client.force_login(owner_a)
    return client


def warnings_about(caplog, user):
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "roadmap.security"
        and r.levelno >= logging.WARNING
        and user.get_username() in r.getMessage()
    ]


def change_form(client, milestone):
    form = client.get(reverse("admin:roadmap_milestone_change", args=[milestone.pk]))
    form = form.context["adminform"].form
    return {name: form[name].value() or "" for name in form.fields} | {"_save": "Save"}


def test_an_owner_cannot_move_their_milestone_to_another_organization(signed_in, org_a, org_b):
    milestone = MilestoneFactory(owner=org_a)
    forged = change_form(signed_in, milestone) | {
        "owner": org_b.pk,
        "initiative": InitiativeFactory().pk,
        "deadline": "2040-03-31",
        "version": "1",
    }

    signed_in.post(reverse("admin:roadmap_milestone_change", args=[milestone.pk]), forged)

    milestone.refresh_from_db()
    assert milestone.owner == org_a
    assert str(milestone.deadline) == "2026-03-31"


def test_an_owner_cannot_add_a_milestone_with_a_forged_owner_id(signed_in, org_b):
    data = {
        "ref": "forged",
        "initiative": InitiativeFactory().pk,
        "owner": str(org_b.pk),
        "title_ja": "他",
        "kind": "deadline",
        "phrase": "2025年度",
        "status": "planned",
    }
    response = signed_in.post(reverse("admin:roadmap_milestone_add"), data)
    assert "owner" in response.context["adminform"].form.errors
    assert not Milestone.objects.filter(ref="forged").exists()


def test_an_owner_cannot_make_themselves_owner_of_another_organization(
    signed_in, owner_a, org_b, security_log
):
    url = reverse("admin:roadmap_organization_change", args=[org_b.pk])
    data = {
        "code": org_b.code,
        "name_ja": org_b.name_ja,
        "name_en": org_b.name_en,
        "kind": org_b.kind,
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "0",
        "memberships-0-user": str(owner_a.pk),
        "memberships-0-role": "owner",
        "_save": "Save",
    }
    response = signed_in.post(url, data)
    assert response.status_code == 403
    assert not Membership.objects.filter(user=owner_a, organization=org_b).exists()
    assert warnings_about(security_log, owner_a)


def test_an_owner_cannot_promote_a_viewer_of_their_own_organization(signed_in, org_a):
    viewer = MembershipFactory(organization=org_a, role=Membership.Role.VIEWER)
    url = reverse("admin:roadmap_organization_change", args=[org_a.pk])
    data = {
        "code": org_a.code,
        "name_ja": org_a.name_ja,
        "kind": org_a.kind,
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "1",
        "memberships-0-id": str(viewer.pk),
        "memberships-0-organization": str(org_a.pk),
        "memberships-0-user": str(viewer.user_id),
        "memberships-0-role": "owner",
        "_save": "Save",
    }
    assert signed_in.post(url, data).status_code == 403
    viewer.refresh_from_db()
    assert viewer.role == Membership.Role.VIEWER


def test_an_owner_cannot_change_another_users_notification_settings(signed_in, owner_a):
    theirs = UserPreferenceFactory(user=UserFactory(), digests_enabled=True)
    url = reverse("admin:roadmap_userpreference_change", args=[theirs.pk])
    response = signed_in.post(url, {"language": "en", "overdue_repeat_days": "7"})
    # Not among the owner's own: answered as if it did not exist.
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert (theirs.language, theirs.digests_enabled) == ("ja", True)
    assert UserPreference.objects.filter(user=owner_a).count() == 0


def test_an_import_as_an_owner_refuses_another_organizations_rows(
    tmp_path, owner_a, org_a, org_b, security_log
):
    initiative = InitiativeFactory(number="5.1")
    path = tmp_path / "rows.csv"
    path.write_text(
        "ref,initiative,owner,title_ja,title_en,phrase,kind,status\n"
        f"mine,{initiative.number},org-a,自組織,,2025年度,deadline,planned\n"
        f"theirs,{initiative.number},org-b,他組織,,2025年度,deadline,planned\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="line 3, column owner"):
        call_command("import_milestones", str(path), user=owner_a.username)
    assert not Milestone.objects.exists()
    assert warnings_about(security_log, owner_a)


def test_an_import_as_an_owner_cannot_update_another_organizations_milestone(
    tmp_path, owner_a, org_b, security_log
):
    theirs = MilestoneFactory(owner=org_b, ref="theirs", title_ja="元の題")
    path = tmp_path / "rows.csv"
    path.write_text(
        "ref,initiative,owner,title_ja,title_en,phrase,kind,status\n"
        f"theirs,{theirs.initiative.number},org-b,書き換え,,{theirs.phrase},deadline,done\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError):
        call_command("import_milestones", str(path), user=owner_a.username)
    theirs.refresh_from_db()
    assert (theirs.title_ja, theirs.status) == ("元の題", "planned")
    assert warnings_about(security_log, owner_a)


def test_marking_another_users_notification_read_is_not_found_and_logged(
    signed_in, owner_a, security_log
):
    theirs = NotificationFactory()
    response = signed_in.post(reverse("roadmap:notification_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert any(f"notification={theirs.pk}" in m for m in warnings_about(security_log, owner_a))


def test_an_owner_cannot_open_the_revise_page_of_another_organizations_milestone(
    signed_in, owner_a, org_b, security_log
):
    theirs = MilestoneFactory(owner=org_b)
    url = reverse("admin:roadmap_milestone_revise_deadline", args=[theirs.pk])
    assert signed_in.get(url).status_code == 403
    data = {"new_phrase": "2030年度", "kind": "slip", "reason": "延期", "_revise": "1"}
    assert signed_in.post(url, data).status_code == 403
    theirs.refresh_from_db()
    assert str(theirs.deadline) == "2026-03-31"
    assert not DeadlineRevision.objects.exists()
    assert len(warnings_about(security_log, owner_a)) >= 2
