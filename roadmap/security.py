"""Audit log of sign-ins and refused access, on the ``roadmap.security`` logger."""

import logging
from math import ceil

from axes.helpers import get_cool_off, get_failure_limit
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import PermissionDenied
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


class Refused(PermissionDenied):
    """A refusal already written to the security log."""


def refuse(user, action: str, *, request=None, message=None, **subjects) -> Refused:
    """Log a refused attempt once, naming who, what and on which rows; return the 403 to raise.

    ``subjects`` name the rows, such as ``milestone_ids=[4, 7]`` or ``notification=12``;
    they are logged as ``milestone ids=4, 7`` and ``notification=12``. ``message`` is the
    sentence the refused user reads.
    """
    details = " ".join(_subject(name, value) for name, value in subjects.items())
    log.warning("refused: user=%s action=%s %s", _name(user), action, details)
    if request is not None:
        # The 403 that follows is logged here, not once more by RefusedAccessLogMiddleware.
        request.refusal_logged = True
    return Refused(message) if message else Refused()


def log_forbidden(request) -> None:
    """Log a 403 answered by a rule outside the tracker's own, such as Django's admin."""
    if getattr(request, "refusal_logged", False):
        return
    log.warning(
        "refused user=%s action=forbidden path=%s address=%s method=%s",
        _name(getattr(request, "user", None)),
        request.path,
        client_address(request),
        request.method,
    )


def _name(user) -> str:
    return user.get_username() if user is not None and user.is_authenticated else "anonymous"


def _subject(name: str, value) -> str:
    if name.endswith("_ids"):
        return f"{name.removesuffix('_ids')} ids={', '.join(str(item) for item in value)}"
    return f"{name}={value}"


def locked_out(request, original_response=None, credentials=None):
    """Answer a locked-out sign-in with 429 and a page that says when to try again."""
    minutes = ceil(get_cool_off(request).total_seconds() / 60)
    context = {"minutes": minutes, "failure_limit": get_failure_limit(request, credentials)}
    return render(request, "roadmap/locked_out.html", context, status=429)
