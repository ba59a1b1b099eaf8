import re

import pytest
from django.test import Client
from django.urls import reverse

from roadmap.models import Notification, UserPreference
from tests.factories import NotificationFactory, UserFactory, UserPreferenceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def settings_form(**changes):
    data = {
        "lead_days": "30, 7, 1",
        "overdue_repeat_days": "7",
        "language": "ja",
        "digests_enabled": "on",
        "working_days_only": "on",
    }
    return {key: value for key, value in (data | changes).items() if value is not None}


# Access --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("roadmap:settings", [], "get"),
        ("roadmap:notifications", [], "get"),
        ("roadmap:notification_read", [1], "post"),
        ("roadmap:notifications_read_all", [], "post"),
    ],
)
def test_the_pages_ask_anonymous_visitors_to_sign_in(client, name, args, method):
    url = reverse(name, args=args)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert f"next={url}" in response["Location"]


# Settings ------------------------------------------------------------------------------------


def test_the_settings_page_shows_the_defaults_to_a_new_user(signed_in, user):
    response = signed_in.get(reverse("roadmap:settings"))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<label for="id_lead_days">' in page
    assert 'name="overdue_repeat_days" value="7"' in page
    assert UserPreference.objects.get(user=user).lead_days == []


def test_saving_the_settings_stores_them(signed_in, user):
    response = signed_in.post(
        reverse("roadmap:settings"),
        settings_form(
            lead_days="3, 14，60",
            overdue_repeat_days="3",
            language="en",
            digests_enabled=None,
            working_days_only=None,
        ),
    )
    assert response.status_code == 302
    preference = UserPreference.objects.get(user=user)
    assert preference.lead_days == [60, 14, 3]
    assert preference.overdue_repeat_days == 3
    assert preference.language == "en"
    assert (preference.digests_enabled, preference.working_days_only) == (False, False)


def test_empty_lead_times_mean_the_defaults(signed_in, user):
    UserPreferenceFactory(user=user, lead_days=[10])
    signed_in.post(reverse("roadmap:settings"), settings_form(lead_days=""))
    assert UserPreference.objects.get(user=user).lead_days == []


@pytest.mark.parametrize(
    ("lead_days", "message"),
    [
        ("0, 7", "from 1 to 365"),
        ("366", "from 1 to 365"),
        ("30, 20, 10, 5, 2, 1", "at most 5"),
        ("a week", "whole numbers"),
        ("-1", "whole numbers"),
    ],
)
def test_bad_lead_times_are_refused_with_a_linked_message(signed_in, user, lead_days, message):
    UserPreferenceFactory(user=user, lead_days=[10])
    with_language = {"HTTP_ACCEPT_LANGUAGE": "en"}
    signed_in.cookies["django_language"] = "en"
    response = signed_in.post(
        reverse("roadmap:settings"), settings_form(lead_days=lead_days), **with_language
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    field = re.search(r'<input[^>]*name="lead_days"[^>]*>', page).group()
    assert 'aria-invalid="true"' in field
    assert "id_lead_days_error" in re.search(r'aria-describedby="([^"]*)"', field).group(1)
    assert 'id="id_lead_days_error"' in page
    assert UserPreference.objects.get(user=user).lead_days == [10]


@pytest.mark.parametrize("days", ["0", "91"])
def test_the_overdue_repeat_interval_must_be_1_to_90_days(signed_in, user, days):
    response = signed_in.post(reverse("roadmap:settings"), settings_form(overdue_repeat_days=days))
    assert response.status_code == 400
    assert UserPreference.objects.get(user=user).overdue_repeat_days == 7


# Notifications -------------------------------------------------------------------------------


def test_the_list_shows_only_the_users_own_notifications(signed_in, user):
    mine = NotificationFactory(user=user, milestone__title_ja="自分の通知")
    NotificationFactory(milestone__title_ja="他人の通知")
    response = signed_in.get(reverse("roadmap:notifications"))
    assert list(response.context["page"].object_list) == [mine]
    assert "自分の通知" in response.content.decode()
    assert "他人の通知" not in response.content.decode()


def test_unread_notifications_come_first_then_the_newest(signed_in, user):
    old_unread = NotificationFactory(user=user)
    read = NotificationFactory(user=user)
    new_unread = NotificationFactory(user=user)
    Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)
    response = signed_in.get(reverse("roadmap:notifications"))
    assert list(response.context["page"].object_list) == [new_unread, old_unread, read]


def test_the_list_is_paginated_by_fifty(signed_in, user):
    NotificationFactory.create_batch(51, user=user)
    first = signed_in.get(reverse("roadmap:notifications"))
    second = signed_in.get(reverse("roadmap:notifications"), {"page": 2})
    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 1


@pytest.mark.parametrize("count", [3, 50])
def test_the_list_costs_the_same_queries_whatever_its_length(
    signed_in, user, count, django_assert_num_queries
):
    NotificationFactory.create_batch(count, user=user)
    # Session, user, page count, page rows, unread count.
    with django_assert_num_queries(5):
        response = signed_in.get(reverse("roadmap:notifications"))
    assert len(response.context["page"].object_list) == count


def test_marking_one_as_read(signed_in, user):
    notice = NotificationFactory(user=user)
    response = signed_in.post(reverse("roadmap:notification_read", args=[notice.pk]))
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_another_users_notification_is_not_found(signed_in):
    theirs = NotificationFactory()
    response = signed_in.post(reverse("roadmap:notification_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_as_read_needs_a_post(signed_in, user):
    notice = NotificationFactory(user=user)
    response = signed_in.get(reverse("roadmap:notification_read", args=[notice.pk]))
    assert response.status_code == 405


def test_marking_as_read_needs_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    notice = NotificationFactory(user=user)
    response = client.post(reverse("roadmap:notification_read", args=[notice.pk]))
    assert response.status_code == 403
    notice.refresh_from_db()
    assert notice.read_at is None


def test_marking_all_as_read_leaves_other_users_alone(signed_in, user):
    NotificationFactory.create_batch(3, user=user)
    theirs = NotificationFactory()
    signed_in.post(reverse("roadmap:notifications_read_all"))
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
