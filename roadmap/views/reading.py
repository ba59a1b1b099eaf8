"""What every reading view shares: the milestone query, ``?lang=``, refusing bad input, ETags."""

import hashlib
import secrets
from functools import wraps

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from roadmap.filters import BadQuery, PageNotFound, shorten
from roadmap.language import LANGUAGES
from roadmap.models import DashboardState, Milestone
from roadmap.validators import escape_control_characters


def milestones():
    """Return all milestones with what a list row shows, nearest day first, undated last.

    The day is the deadline, or a dated event's date (``Milestone.TIMELINE_ORDER``), so an
    event sorts among the deadlines across every page, not only within one.
    """
    # The order of an index: a page is read off it, not sorted from every row.
    return Milestone.objects.select_related("owner", "initiative").order_by(
        *Milestone.TIMELINE_ORDER
    )


def reading_view(answer):
    """Wrap a GET view: honour ``?lang=``, and answer bad input in the view's own format."""

    def decorate(view):
        # A reading address changes nothing, so other methods get 405 with Allow, not the CSRF
        # refusal meant for forms.
        @csrf_exempt
        @require_safe
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                chosen = request.GET.get("lang", "")
                if chosen and chosen not in LANGUAGES:
                    raise BadQuery(
                        [
                            gettext("lang must be ja or en, not “%(value)s”.")
                            % {"value": shorten(chosen)}
                        ]
                    )
                if chosen:
                    translation.activate(chosen)
                    request.LANGUAGE_CODE = chosen
                return view(request, *args, **kwargs)
            except BadQuery as error:
                return answer(request, 400, error.problems)
            except PageNotFound as error:
                return answer(request, 404, [str(error)])

        return wrapper

    return decorate


def html_answer(request, status, problems):
    """Answer bad input with the readable error page."""
    template = "roadmap/bad_request.html" if status == 400 else "roadmap/404.html"
    return render(request, template, {"problems": problems}, status=status)


def json_answer(request, status, problems):
    """Answer bad input to the API as JSON."""
    return JsonResponse(
        {"error": " ".join(problems), "problems": problems},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def text_answer(request, status, problems):
    """Answer bad input to a feed or export as plain text, control characters escaped."""
    text = "\n".join(escape_control_characters(problem) for problem in problems)
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


def changes_tag(*parts, shown: bool = False) -> str:
    """Return a tag that changes whenever the milestones change, or ``parts`` do.

    It is made of the stored count of changes (``DashboardState.changes``, moved by database
    triggers with every statement that writes milestones, their owners, initiatives, revisions
    or editions) and of ``parts``, which stand for the request: one row is read, however much
    the page shows. With ``shown``, also the count of the rest the dashboard shows (the
    programme's tallies, snapshots and designations, indicators and measurements).
    """
    changes = DashboardState.changes_now(shown=shown)
    if changes is None:
        # No counter row (a database emptied by hand): a tag that no later request matches.
        changes = f"uncounted {secrets.token_hex(8)}"
    return digest(changes, *parts)


def digest(*parts) -> str:
    """Return a short hash of ``parts``."""
    return hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:32]
