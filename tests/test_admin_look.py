"""The owners' admin as its users see it: its name, words for overdue, labels, language."""

import re
from datetime import date

import pytest
from django.urls import reverse

from roadmap.models import Membership
from tests.factories import MembershipFactory, MilestoneFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:roadmap_milestone_changelist")


@pytest.fixture
def owner(client):
    organization = OrganizationFactory(code="digital", name_ja="デジタル庁")
    user = MembershipFactory(organization=organization, role=Membership.Role.OWNER).user
    client.force_login(user)
    return organization


def test_admin_is_branded_with_the_trackers_name_in_either_language(client, owner):
    japanese = client.get(reverse("admin:index")).content.decode()
    english = client.get(reverse("admin:index") + "?lang=en").content.decode()
    assert "デジタル重点計画 工程表トラッカー" in japanese
    assert "Digital policy roadmap tracker" in english
    assert "Django" not in japanese + english


def test_overdue_column_warns_in_words_and_shows_nothing_alarming_otherwise(client, owner):
    MilestoneFactory(owner=owner, overdue_since=date(2026, 4, 1))
    MilestoneFactory(owner=owner)
    html = client.get(CHANGELIST).content.decode()
    assert html.count("2026-04-01 から期限超過") == 1
    assert "icon-no" not in html and "icon-yes" not in html


def test_change_form_labels_are_translated_and_the_hidden_version_has_no_label(client, owner):
    milestone = MilestoneFactory(owner=owner)
    html = client.get(reverse("admin:roadmap_milestone_change", args=[milestone.pk])).content
    html = html.decode()
    assert re.search(r'<input type="hidden" name="base_version" value="1"', html)
    assert 'for="id_base_version"' not in html
    labels = re.findall(r"<label[^>]*>([^<]+)</label>", html)
    assert not {"Initiative:", "Version:", "Base version:"} & set(labels)
    assert {"施策:", "版:"} <= set(labels)


def test_language_parameter_works_on_admin_lists_without_an_error_redirect(client, owner):
    response = client.get(CHANGELIST + "?lang=en")
    assert response.status_code == 200
    assert "Select milestone to change" in response.content.decode()
    # The choice stays for the admin pages that follow.
    assert "Select milestone to change" in client.get(CHANGELIST).content.decode()


def test_history_pages_speak_japanese_with_labels_not_stored_values(client, owner):
    milestone = MilestoneFactory(owner=owner, status="planned")
    client.post(
        reverse("admin:roadmap_milestone_changelist"),
        {"action": "mark_in_progress", "_selected_action": [milestone.pk]},
    )
    history = client.get(reverse("admin:roadmap_milestone_history", args=[milestone.pk]))
    html = history.content.decode()
    assert "の変更履歴" in html
    assert "状態: 未着手 → 実施中" in re.sub(r"<[^>]+>", "", html)
    for english in ("Choose a date", "Object", "Comment", "Changed by", "Change reason", "None"):
        assert english not in html, english
    first = milestone.history.order_by("history_id").first()
    form = client.get(
        reverse("admin:roadmap_milestone_simple_history", args=[milestone.pk, first.pk])
    ).content.decode()
    assert "この版に戻す" in form
    for english in ("Revert", "Historical", "Press the", ">Roadmap<"):
        assert english not in form, english
