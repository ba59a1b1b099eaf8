"""Security headers, CSRF, brute-force throttling and the audit log of sign-ins."""

import logging

import pytest
from axes.models import AccessAttempt
from django.test import Client

from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.mark.parametrize("path", ["/healthz", "/admin/login/", "/no-such-page/"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)

    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_hsts_is_sent_over_https(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000

    response = client.get("/healthz", secure=True)

    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_production_cookies_are_secure_and_http_only(settings):
    # The test run keeps DEBUG off, so these are the production values.
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.CSRF_COOKIE_SECURE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True


def test_login_form_refuses_a_post_without_csrf_token():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "x", "password": "y"})

    assert response.status_code == 403


def test_language_switch_refuses_a_post_without_csrf_token():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/i18n/setlang/", {"language": "en"})

    assert response.status_code == 403


def login(client, username, password, address="192.0.2.10"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def test_repeated_failed_logins_lock_the_address_for_that_user(client, settings):
    user = StaffUserFactory(username="owner")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, user.username, "wrong")

    response = login(client, user.username, PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_lock_from_one_address_does_not_lock_the_user_out_elsewhere(client, settings):
    user = StaffUserFactory(username="owner")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, user.username, "wrong", address="203.0.113.66")

    response = login(Client(), user.username, PASSWORD, address="192.0.2.10")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_a_lock_expires_after_the_cool_off(client, settings):
    user = StaffUserFactory(username="owner")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, user.username, "wrong")
    AccessAttempt.objects.update(attempt_time="2000-01-01T00:00:00Z")

    response = login(client, user.username, PASSWORD)

    assert response.status_code == 302


def test_logins_and_failures_are_logged(client, caplog):
    user = StaffUserFactory(username="owner")
    with caplog.at_level(logging.INFO, logger="roadmap.security"):
        login(client, user.username, "wrong")
        login(client, user.username, PASSWORD)

    messages = [r.getMessage() for r in caplog.records if r.name == "roadmap.security"]
    assert "login failed user=owner address=192.0.2.10" in messages
    assert "login user=owner address=192.0.2.10" in messages


def test_refused_admin_access_is_logged(client, caplog):
    user = StaffUserFactory(username="owner")
    client.force_login(user)
    with caplog.at_level(logging.WARNING, logger="roadmap.security"):
        response = client.get("/admin/auth/user/")

    assert response.status_code == 403
    assert any(
        "refused user=owner" in r.getMessage() and "/admin/auth/user/" in r.getMessage()
        for r in caplog.records
    )
