"""Bad values are refused where they enter: the admin, the settings page, imports and services."""

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from roadmap.imports import ImportRejected, import_milestones
from roadmap.models import Milestone, Organization, UserPreference
from roadmap.services.milestones import create_milestone, edit_texts
from tests.factories import (
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    OrganizationFactory,
    UserFactory,
    UserPreferenceFactory,
)

pytestmark = pytest.mark.django_db

HOSTILE_LEAD_DAYS = [
    ["x", 3],
    [0],
    [366],
    [-1],
    [1.5],
    [True],
    [30, 30],
    [1, 2, 3, 4, 5, 6],
    "7",
    {"days": 7},
    [[7]],
    [None],
]
HOSTILE_REPEAT_DAYS = [0, 91, 32767]
ESCAPE = "計画\x1b[2J\x1b]0;owned\x07"
HOSTILE_TEXTS = [ESCAPE, "null\x00byte", "delete\x7f", "c1\x85control"]


@pytest.fixture
def superuser(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def owner(client):
    membership = MembershipFactory(organization=OrganizationFactory(code="digital"))
    client.force_login(membership.user)
    return membership


# Lead times and the overdue repeat -----------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE_LEAD_DAYS, ids=repr)
def test_the_model_refuses_hostile_lead_times(value):
    preference = UserPreference(user=UserFactory(), lead_days=value)
    with pytest.raises(ValidationError) as error:
        preference.save()
    assert "lead_days" in error.value.message_dict
    assert not UserPreference.objects.exists()


@pytest.mark.parametrize("value", [[], [30, 7, 1], [365, 1], [5]])
def test_the_model_keeps_good_lead_times(value):
    preference = UserPreferenceFactory(lead_days=value)
    preference.refresh_from_db()
    assert preference.lead_days == value


@pytest.mark.parametrize("value", HOSTILE_LEAD_DAYS, ids=repr)
def test_the_admin_refuses_hostile_lead_times(client, superuser, value):
    preference = UserPreferenceFactory(lead_days=[30, 7, 1])
    url = reverse("admin:roadmap_userpreference_change", args=[preference.pk])
    response = client.post(url, admin_preference_form(preference, lead_days=json.dumps(value)))
    assert response.status_code == 200
    assert "lead_days" in response.context["adminform"].form.errors
    preference.refresh_from_db()
    assert preference.lead_days == [30, 7, 1]


@pytest.mark.parametrize("value", HOSTILE_REPEAT_DAYS)
def test_the_admin_refuses_a_hostile_overdue_repeat(client, superuser, value):
    preference = UserPreferenceFactory()
    url = reverse("admin:roadmap_userpreference_change", args=[preference.pk])
    response = client.post(url, admin_preference_form(preference, overdue_repeat_days=value))
    assert response.status_code == 200
    assert "overdue_repeat_days" in response.context["adminform"].form.errors
    preference.refresh_from_db()
    assert preference.overdue_repeat_days == 7


@pytest.mark.parametrize("value", ["x, 3", "0", "366", "1, 2, 3, 4, 5, 6", "1.5", "７\x1b"])
def test_the_settings_page_refuses_hostile_lead_times(client, value):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("roadmap:settings"), settings_form(lead_days=value))
    assert response.status_code == 400
    assert "lead_days" in response.context["form"].errors
    assert not UserPreference.objects.filter(user=user).exclude(lead_days=[]).exists()


@pytest.mark.parametrize("value", HOSTILE_REPEAT_DAYS)
def test_the_database_refuses_an_overdue_repeat_out_of_range(value):
    preference = UserPreferenceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        UserPreference.objects.filter(pk=preference.pk).update(overdue_repeat_days=value)


@pytest.mark.parametrize("value", HOSTILE_REPEAT_DAYS)
def test_the_model_refuses_an_overdue_repeat_out_of_range(value):
    with pytest.raises(ValidationError) as error:
        UserPreference(user=UserFactory(), overdue_repeat_days=value).save()
    assert "overdue_repeat_days" in error.value.message_dict


# Free-form text ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=repr)
def test_the_service_refuses_control_characters_in_a_new_milestone(text):
    with pytest.raises(ValidationError) as error:
        create_milestone(
            initiative=InitiativeFactory(),
            owner=OrganizationFactory(),
            ref="hostile",
            title_ja=text,
            title_en="",
            phrase="2025年度",
            kind="deadline",
        )
    assert "title_ja" in error.value.message_dict
    assert not Milestone.objects.filter(ref="hostile").exists()


@pytest.mark.parametrize("field", ["title_ja", "title_en", "source_text"])
def test_the_service_refuses_control_characters_in_an_edit(field):
    milestone = MilestoneFactory(title_ja="元", title_en="Original", source_text="")
    texts = {"title_ja": "元", "title_en": "Original", "source_text": ""}
    with pytest.raises(ValidationError) as error:
        edit_texts(milestone=milestone, user=None, **(texts | {field: ESCAPE}))
    assert field in error.value.message_dict
    milestone.refresh_from_db()
    assert {name: getattr(milestone, name) for name in texts} == texts


def test_line_breaks_and_tabs_are_text_not_control_characters():
    milestone = MilestoneFactory(source_text="第一段落\r\n\t第二段落")
    milestone.refresh_from_db()
    assert milestone.source_text == "第一段落\r\n\t第二段落"


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=repr)
def test_the_admin_refuses_control_characters_in_a_new_milestone(client, owner, text):
    data = {
        "ref": "hostile",
        "initiative": InitiativeFactory().pk,
        "owner": owner.organization.pk,
        "title_ja": text,
        "title_en": "",
        "source_text": "",
        "kind": "deadline",
        "phrase": "2025年度",
        "status": "planned",
    }
    response = client.post(reverse("admin:roadmap_milestone_add"), data)
    assert response.status_code == 200
    assert "title_ja" in response.context["adminform"].form.errors
    assert not Milestone.objects.filter(ref="hostile").exists()


def test_the_admin_refuses_control_characters_in_an_organization_name(client, superuser):
    data = {"code": "evil", "name_ja": ESCAPE, "name_en": "", "kind": "ministry"}
    response = client.post(reverse("admin:roadmap_organization_add"), data)
    assert response.status_code == 200
    assert "name_ja" in response.context["adminform"].form.errors
    assert not Organization.objects.filter(code="evil").exists()


@pytest.mark.usefixtures("in_english")
@pytest.mark.parametrize("column", ["title_ja", "title_en", "phrase", "source_text"])
def test_an_import_with_control_characters_is_rejected_naming_row_and_column(column):
    InitiativeFactory(number="5.4.1.3")
    OrganizationFactory(code="digital")
    values = {
        "ref": "std-a",
        "initiative": "5.4.1.3",
        "owner": "digital",
        "title_ja": "標準化",
        "title_en": "Standardization",
        "phrase": "2025年度",
        "kind": "deadline",
        "status": "planned",
        "source_text": "",
    }
    values[column] += "\x1b[31m"
    text = ",".join(values) + "\n" + ",".join(values.values()) + "\n"
    with pytest.raises(ImportRejected) as error:
        import_milestones(io.BytesIO(text.encode()))
    assert any(
        str(problem).startswith(f"line 2, column {column}: ") and "U+001B" in str(problem)
        for problem in error.value.errors
    )
    assert not Milestone.objects.exists()


# Helpers -------------------------------------------------------------------------------------


def admin_preference_form(preference, **changes):
    data = {
        "user": preference.user_id,
        "language": preference.language,
        "digests_enabled": "on",
        "lead_days": json.dumps(preference.lead_days),
        "overdue_repeat_days": preference.overdue_repeat_days,
        "working_days_only": "on",
    }
    return data | changes


def settings_form(**changes):
    data = {
        "lead_days": "30, 7, 1",
        "overdue_repeat_days": "7",
        "language": "ja",
        "digests_enabled": "on",
        "working_days_only": "on",
    }
    return data | changes
