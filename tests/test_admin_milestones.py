"""The owners' admin, through the real admin views: who sees and changes which milestones."""

from datetime import date

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from roadmap.models import DeadlineRevision, Membership, Milestone, Notification, StatusComment
from roadmap.services.milestones import set_status
from tests.admin_client import as_user, refusals
from tests.factories import (
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    OrganizationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:roadmap_milestone_changelist")


def change_url(milestone):
    return reverse("admin:roadmap_milestone_change", args=[milestone.pk])


def history_url(milestone):
    return reverse("admin:roadmap_milestone_history", args=[milestone.pk])


@pytest.fixture
def org_a():
    return OrganizationFactory(code="org-a", name_ja="デジタル庁", name_en="Digital Agency")


@pytest.fixture
def org_b():
    return OrganizationFactory(code="org-b", name_ja="総務省", name_en="MIC")


def change_data(milestone, **overrides):
    """Return the change form as an owner who opens it now would post it."""
    data = {
        "base_version": Milestone.objects.get(pk=milestone.pk).version,
        "title_ja": milestone.title_ja,
        "title_en": milestone.title_en,
        "source_text": milestone.source_text,
        "status": milestone.status,
        "rag": milestone.rag,
        "status_comment": "",
        "_save": "Save",
    }
    return data | overrides


# Change list --------------------------------------------------------------------------------


def test_owner_sees_only_their_organizations_milestones(client, owner_a, milestone_a, milestone_b):
    response = as_user(client, owner_a).get(CHANGELIST)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [milestone_a]


def test_superuser_sees_every_milestone(admin_client, milestone_a, milestone_b):
    response = admin_client.get(CHANGELIST)
    assert set(response.context["cl"].result_list) == {milestone_a, milestone_b}


def test_staff_without_membership_cannot_open_the_milestones(client, milestone_a):
    response = as_user(client, UserFactory(is_staff=True)).get(CHANGELIST)
    assert response.status_code == 403


def test_change_list_shows_deadline_with_its_fiscal_year(client, owner_a, milestone_a):
    response = as_user(client, owner_a).get(CHANGELIST)
    assert "2026-03-31 (2025年度（令和7年度）)" in response.content.decode()


@pytest.mark.parametrize("count", [10, 200])
def test_change_list_costs_a_constant_number_of_queries(
    client, owner_a, org_a, count, django_assert_max_num_queries
):
    initiative = InitiativeFactory()
    MilestoneFactory.create_batch(count, owner=org_a, initiative=initiative)
    as_user(client, owner_a)
    with django_assert_max_num_queries(10):
        response = client.get(CHANGELIST, {"status": "planned"})
    assert len(response.context["cl"].result_list) == min(count, 100)


def test_filter_by_fiscal_year_of_the_deadline(client, owner_a, org_a):
    fy2025 = MilestoneFactory(owner=org_a, deadline=date(2026, 3, 31))
    MilestoneFactory(owner=org_a, deadline=date(2026, 4, 1))
    response = as_user(client, owner_a).get(CHANGELIST, {"deadline_fy": "2025"})
    assert list(response.context["cl"].result_list) == [fy2025]


def test_filter_overdue(client, owner_a, org_a):
    late = MilestoneFactory(owner=org_a, overdue_since=date(2026, 4, 1))
    MilestoneFactory(owner=org_a)
    response = as_user(client, owner_a).get(CHANGELIST, {"overdue": "yes"})
    assert list(response.context["cl"].result_list) == [late]


@pytest.mark.parametrize("term", ["標準", "standardiz", "2025年度まで", "m-"])
def test_search_titles_phrase_and_ref_in_japanese_and_english(
    client, owner_a, milestone_a, org_a, term
):
    MilestoneFactory(owner=org_a, title_ja="別件", title_en="Other", phrase="2026年度", ref="x")
    response = as_user(client, owner_a).get(CHANGELIST, {"q": term})
    assert list(response.context["cl"].result_list) == [milestone_a]


@pytest.mark.parametrize("term", ["デジタル庁", "digital agency"])
def test_search_by_owner_name(client, owner_a, milestone_a, org_a, term):
    other = MembershipFactory(user=owner_a, role=Membership.Role.OWNER).organization
    MilestoneFactory(owner=other)
    response = as_user(client, owner_a).get(CHANGELIST, {"q": term})
    assert list(response.context["cl"].result_list) == [milestone_a]


# Change form --------------------------------------------------------------------------------


def test_owner_changes_status_with_a_comment(client, owner_a, milestone_a):
    data = change_data(milestone_a, status="in_progress", status_comment="調達を開始")
    response = as_user(client, owner_a).post(change_url(milestone_a), data)
    assert response.status_code == 302
    milestone_a.refresh_from_db()
    comment = StatusComment.objects.get()
    assert milestone_a.status == "in_progress"
    assert (comment.comment, comment.author, comment.new_status) == (
        "調達を開始",
        owner_a,
        "in_progress",
    )
    assert milestone_a.history.latest().history_user == owner_a


def test_owner_assesses_rag(client, owner_a, milestone_a):
    as_user(client, owner_a).post(change_url(milestone_a), change_data(milestone_a, rag="amber"))
    milestone_a.refresh_from_db()
    assert (milestone_a.rag, milestone_a.rag_assessed_by) == ("amber", owner_a)


def test_change_form_cannot_edit_the_deadline(client, owner_a, milestone_a):
    data = change_data(milestone_a, title_en="Renamed", deadline="2030-03-31", phrase="2029年度")
    as_user(client, owner_a).post(change_url(milestone_a), data)
    milestone_a.refresh_from_db()
    assert milestone_a.title_en == "Renamed"
    assert (milestone_a.deadline, milestone_a.phrase) == (date(2026, 3, 31), "2025年度まで")


def test_owner_cannot_open_another_organizations_milestone(
    client, owner_a, milestone_b, security_log
):
    response = as_user(client, owner_a).get(change_url(milestone_b))
    assert response.status_code == 403
    assert refusals(security_log) == [
        f"refused: user={owner_a.username} action=open milestone ids={milestone_b.pk}"
    ]


def test_owner_cannot_change_another_organizations_milestone(
    client, owner_a, milestone_b, security_log
):
    data = change_data(milestone_b, status="done")
    response = as_user(client, owner_a).post(change_url(milestone_b), data)
    assert response.status_code == 403
    milestone_b.refresh_from_db()
    assert milestone_b.status == "planned"
    assert refusals(security_log)


def test_viewer_sees_a_read_only_form(client, viewer_a, milestone_a):
    response = as_user(client, viewer_a).get(change_url(milestone_a))
    assert response.status_code == 200
    assert 'name="status"' not in response.content.decode()
    assert "標準化" in response.content.decode()


def test_viewer_cannot_change(client, viewer_a, milestone_a):
    data = change_data(milestone_a, status="done")
    response = as_user(client, viewer_a).post(change_url(milestone_a), data)
    assert response.status_code == 403
    milestone_a.refresh_from_db()
    assert milestone_a.status == "planned"


def test_only_superusers_delete_milestones(client, owner_a, milestone_a):
    url = reverse("admin:roadmap_milestone_delete", args=[milestone_a.pk])
    assert as_user(client, owner_a).post(url, {"post": "yes"}).status_code == 403
    assert Milestone.objects.filter(pk=milestone_a.pk).exists()


def test_owner_adds_a_milestone_with_its_phrase_resolved(client, owner_a, org_a):
    initiative = InitiativeFactory()
    data = {
        "ref": "new-one",
        "initiative": initiative.pk,
        "owner": org_a.pk,
        "title_ja": "新規",
        "title_en": "New",
        "source_text": "",
        "kind": "deadline",
        "phrase": "2024年度後半",
        "status": "planned",
    }
    response = as_user(client, owner_a).post(reverse("admin:roadmap_milestone_add"), data)
    assert response.status_code == 302
    created = Milestone.objects.get(ref="new-one")
    assert (created.window_start, created.deadline) == (date(2024, 10, 1), date(2025, 3, 31))
    assert created.history.get().history_user == owner_a


def test_owner_cannot_add_a_milestone_for_another_organization(client, owner_a, org_b):
    data = {
        "ref": "theirs",
        "initiative": InitiativeFactory().pk,
        "owner": org_b.pk,
        "title_ja": "他",
        "kind": "deadline",
        "phrase": "2025年度",
        "status": "planned",
    }
    response = as_user(client, owner_a).post(reverse("admin:roadmap_milestone_add"), data)
    assert response.status_code == 200
    assert "owner" in response.context["adminform"].form.errors
    assert not Milestone.objects.filter(ref="theirs").exists()


# Bulk actions -------------------------------------------------------------------------------


def action(client, name, *ids):
    data = {"action": name, ACTION_CHECKBOX_NAME: [str(i) for i in ids], "index": "0"}
    return client.post(CHANGELIST, data)


def test_mark_done_changes_the_selected_and_records_who(client, owner_a, milestone_a):
    response = action(as_user(client, owner_a), "mark_done", milestone_a.pk)
    assert response.status_code == 302
    milestone_a.refresh_from_db()
    assert milestone_a.status == "done"
    assert milestone_a.history.latest().history_user == owner_a


def test_mark_in_progress(client, owner_a, milestone_a):
    action(as_user(client, owner_a), "mark_in_progress", milestone_a.pk)
    milestone_a.refresh_from_db()
    assert milestone_a.status == "in_progress"


def test_forged_ids_in_a_bulk_action_are_refused_and_change_nothing(
    client, owner_a, milestone_a, milestone_b, security_log
):
    response = action(as_user(client, owner_a), "mark_done", milestone_a.pk, milestone_b.pk)
    assert response.status_code == 403
    assert set(Milestone.objects.values_list("status", flat=True)) == {"planned"}
    assert refusals(security_log) == [
        f"refused: user={owner_a.username} action=mark_done milestone ids={milestone_b.pk}"
    ]


def test_viewer_bulk_action_is_refused(client, viewer_a, milestone_a, security_log):
    response = action(as_user(client, viewer_a), "mark_done", milestone_a.pk)
    assert response.status_code == 403
    milestone_a.refresh_from_db()
    assert milestone_a.status == "planned"
    assert refusals(security_log)


# History and revert -------------------------------------------------------------------------


def test_history_shows_who_changed_the_milestone(client, owner_a, milestone_a):
    set_status(milestone=milestone_a, status="in_progress", user=owner_a)
    response = as_user(client, owner_a).get(history_url(milestone_a))
    assert response.status_code == 200
    assert owner_a.username in response.content.decode()


def test_history_of_another_organizations_milestone_is_refused(
    client, owner_a, milestone_b, security_log
):
    set_status(milestone=milestone_b, status="in_progress", user=None)
    response = as_user(client, owner_a).get(history_url(milestone_b))
    assert response.status_code == 403
    assert f"milestone ids={milestone_b.pk}" in refusals(security_log)[0]


def first_version_url(milestone):
    version = milestone.history.earliest()
    return reverse(
        "admin:roadmap_milestone_simple_history", args=[milestone.pk, version.history_id]
    )


def test_revert_of_another_organizations_milestone_is_refused(
    client, owner_a, milestone_b, security_log
):
    set_status(milestone=milestone_b, status="done", user=None)
    url = first_version_url(milestone_b)
    as_user(client, owner_a)
    assert client.get(url).status_code == 403
    response = client.post(url, change_data(milestone_b, status="planned"))
    assert response.status_code == 403
    milestone_b.refresh_from_db()
    assert milestone_b.status == "done"
    assert len(refusals(security_log)) == 2


def test_viewer_cannot_revert(client, viewer_a, milestone_a):
    set_status(milestone=milestone_a, status="done", user=None)
    url = first_version_url(milestone_a)
    response = as_user(client, viewer_a).post(url, change_data(milestone_a, status="planned"))
    assert response.status_code == 403
    milestone_a.refresh_from_db()
    assert milestone_a.status == "done"


def test_owner_reverts_status_but_never_the_deadline(client, owner_a, milestone_a):
    set_status(milestone=milestone_a, status="done", user=owner_a)
    Milestone.objects.filter(pk=milestone_a.pk).update(deadline=date(2027, 3, 31))
    url = first_version_url(milestone_a)
    response = as_user(client, owner_a).post(url, change_data(milestone_a, status="planned"))
    assert response.status_code == 302
    milestone_a.refresh_from_db()
    assert (milestone_a.status, milestone_a.completed_on) == ("planned", None)
    assert milestone_a.deadline == date(2027, 3, 31)


# Reference data and read-only records -------------------------------------------------------


@pytest.mark.parametrize("model", ["organization", "plan", "initiative", "dietsession"])
def test_only_superusers_add_reference_data(client, owner_a, admin_client, model):
    url = reverse(f"admin:roadmap_{model}_add")
    assert as_user(client, owner_a).get(url).status_code == 403
    assert admin_client.get(url).status_code == 200


def test_superuser_edits_diet_sessions(admin_client):
    url = reverse("admin:roadmap_dietsession_add")
    data = {"number": 223, "convened_on": "2027-01-22", "closes_on": "2027-06-20"}
    assert admin_client.post(url, data).status_code == 302


def test_notifications_list_their_state_and_last_error_read_only(
    client, owner_a, milestone_a, milestone_b
):
    Notification.objects.create(
        recipient="a@example.go.jp",
        milestone=milestone_a,
        kind="overdue",
        deadline=milestone_a.deadline,
        lead=1,
        state="failed",
        last_error="SMTP 421 try later",
    )
    Notification.objects.create(
        recipient="b@example.go.jp",
        milestone=milestone_b,
        kind="overdue",
        deadline=milestone_b.deadline,
        lead=1,
    )
    as_user(client, owner_a)
    response = client.get(reverse("admin:roadmap_notification_changelist"))
    content = response.content.decode()
    assert "SMTP 421 try later" in content and "a@example.go.jp" in content
    assert "b@example.go.jp" not in content
    notification = Notification.objects.get(recipient="a@example.go.jp")
    url = reverse("admin:roadmap_notification_change", args=[notification.pk])
    client.post(url, {"state": "sent"})
    notification.refresh_from_db()
    assert notification.state == "failed"


def failed_and_sent_notices(*milestones):
    return [
        Notification.objects.create(
            recipient=f"{state}@example.go.jp",
            milestone=milestone,
            kind="overdue",
            deadline=milestone.deadline,
            lead=1,
            state=state,
            attempts=1,
            last_error="SMTP 554: 5.7.1 Relay denied" if state == "failed" else "",
        )
        for milestone, state in zip(milestones, ["failed", "sent"], strict=False)
    ]


def test_a_superuser_sends_failed_notifications_again(admin_client, milestone_a, milestone_b):
    failed, sent = failed_and_sent_notices(milestone_a, milestone_b)

    response = admin_client.post(
        reverse("admin:roadmap_notification_changelist"),
        {"action": "send_again", ACTION_CHECKBOX_NAME: [failed.pk, sent.pk]},
        follow=True,
    )

    content = response.content.decode()
    assert "1 件の通知を次のダイジェストで送信します。" in content
    assert "選択した通知のうち 1 件は送信に失敗していないため、そのままにしました。" in content
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.state, failed.attempts, failed.last_error) == ("pending", 0, "")
    assert (sent.state, sent.attempts) == ("sent", 1)


def test_owners_cannot_send_notifications_again(client, owner_a, milestone_a, milestone_b):
    (failed,) = failed_and_sent_notices(milestone_a)
    as_user(client, owner_a)
    url = reverse("admin:roadmap_notification_changelist")

    assert 'value="send_again"' not in client.get(url).content.decode()
    client.post(url, {"action": "send_again", ACTION_CHECKBOX_NAME: [failed.pk]})
    failed.refresh_from_db()
    assert failed.state == "failed"


def test_deadline_revisions_are_listed_read_only(client, owner_a, milestone_a):
    DeadlineRevision.objects.create(
        milestone=milestone_a, new_phrase="2026年度", reason="理由", kind="slip"
    )
    response = as_user(client, owner_a).get(reverse("admin:roadmap_deadlinerevision_changelist"))
    assert "理由" in response.content.decode()
    assert (
        as_user(client, owner_a).get(reverse("admin:roadmap_deadlinerevision_add")).status_code
        == 403
    )


# Prefecture or ministry filter --------------------------------------------------------------


@pytest.fixture
def prefecture_13():
    tokyo = OrganizationFactory(code="13", name_ja="東京都", kind="prefecture")
    OrganizationFactory(code="27", name_ja="大阪府", kind="prefecture")
    return tokyo


def test_area_filter_keeps_a_prefecture_and_its_municipalities(admin_client, prefecture_13):
    ward = OrganizationFactory(code="131016", kind="municipality", parent=prefecture_13)
    osaka = OrganizationFactory(
        code="271004", kind="municipality", parent=OrganizationFactory(code="27")
    )
    own, local = MilestoneFactory(owner=prefecture_13), MilestoneFactory(owner=ward)
    MilestoneFactory(owner=osaka)
    response = admin_client.get(CHANGELIST, {"area": "13"})
    assert set(response.context["cl"].result_list) == {own, local}


def test_area_filter_lists_top_level_bodies_not_every_owner(admin_client, prefecture_13):
    MilestoneFactory(
        owner=OrganizationFactory(code="131016", kind="municipality", parent=prefecture_13)
    )
    content = admin_client.get(CHANGELIST).content.decode()
    assert "?area=13" in content and "?area=27" in content
    assert "?area=131016" not in content


def test_area_filter_offers_an_owner_only_their_own_areas(client, owner_a, prefecture_13):
    content = as_user(client, owner_a).get(CHANGELIST).content.decode()
    assert "?area=org-a" in content
    assert "?area=13" not in content


def test_search_by_owner_code(admin_client, milestone_a, milestone_b):
    response = admin_client.get(CHANGELIST, {"q": "org-b"})
    assert list(response.context["cl"].result_list) == [milestone_b]


def test_initiative_filter_lists_only_initiatives_of_milestones_the_user_sees(
    client, owner_a, org_a, org_b
):
    MilestoneFactory(owner=org_a, initiative=InitiativeFactory(number="5.1", title_ja="標準化"))
    MilestoneFactory(owner=org_a, initiative=InitiativeFactory(number="5.2", title_ja="基盤"))
    MilestoneFactory(owner=org_b, initiative=InitiativeFactory(number="6.2", title_ja="防災"))
    InitiativeFactory(number="7.3", title_ja="未使用")
    content = as_user(client, owner_a).get(CHANGELIST).content.decode()
    assert "5.1 標準化" in content and "5.2 基盤" in content
    assert "6.2 防災" not in content and "7.3 未使用" not in content
