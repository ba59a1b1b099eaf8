"""Audit log of sign-ins and refused access, on the ``roadmap.security`` logger."""

import logging
from math import ceil

from axes.helpers import get_cool_off, get_failure_limit
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.shortcuts import render

log = logging.getLogger("roadmap.security")


def client_address(request):
    """Return the client's address as Django sees it."""
    if request is None:
        return "-"
    return request.META.get("REMOTE_ADDR", "-")


@receiver(user_logged_in)
def log_login(sender, request, user, **kwargs):
    log.info("login user=%s address=%s", user.get_username(), client_address(request))


@receiver(user_logged_out)
def log_logout(sender, request, user, **kwargs):
    name = user.get_username() if user else "-"
    log.info("logout user=%s address=%s", name, client_address(request))


@receiver(user_login_failed)
def log_login_failure(sender, credentials, request=None, **kwargs):
    log.warning(
        "login failed user=%s address=%s",
        credentials.get("username", "-"),
        client_address(request),
    )


@receiver(user_locked_out)
def log_lockout(sender, request, username=None, ip_address=None, **kwargs):
    log.warning("login locked out user=%s address=%s", username or "-", ip_address or "-")


def refuse(request, action, detail=""):
    """Log an attempt to reach what the user may not; the caller then answers 403 or 404."""
    user = getattr(request, "user", None)
    name = user.get_username() if user and user.is_authenticated else "anonymous"
    log.warning(
        "refused user=%s action=%s path=%s address=%s %s",
        name,
        action,
        request.path,
        client_address(request),
        detail,
    )


def locked_out(request, original_response=None, credentials=None):
    """Answer a locked-out sign-in with 429 and a page that says when to try again."""
    minutes = ceil(get_cool_off(request).total_seconds() / 60)
    context = {"minutes": minutes, "failure_limit": get_failure_limit(request, credentials)}
    return render(request, "roadmap/locked_out.html", context, status=429)
