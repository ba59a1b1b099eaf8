"""Every organization to choose from: for the filter forms' script, and as a page of links.

A filter form carries only the owner chosen (``filter_form.chosen_owner``). Its script fetches
the rest from ``owner_options``, the stored options (``filter_form.owner_choice``) revalidated
by an ETag of the count of changes, so a reader's browser fetches them again only after an
organization changed. Without script, the form links to ``owners``: every organization under
its ministry group or prefecture, each a link to the page it came from filtered by that owner.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import gettext

from roadmap import language
from roadmap.filter_form import owner_choice, owner_groups
from roadmap.filters import BadQuery, check_query_string, shorten
from roadmap.models import DashboardState
from roadmap.views.reading import html_answer, reading_view

# Part of the options' ETag: raise it when their markup changes.
RENDERING = 1
# The pages with an owner filter, which the page of owners links back to.
FILTERED_PAGES = ("roadmap:timeline", "roadmap:dashboard")
# Dropped from the address the page of owners links back to: a new owner starts at page 1.
DROPPED = ("owner", "page")


@reading_view(html_answer)
def owner_options(request):
    """Answer the <optgroup>s of every organization in the reader's language, none selected."""
    check_query_string(request, allowed={"lang"}, filters=())
    current, changes = language.current(), DashboardState.changes_now()
    # No counter row (a database emptied by hand): nothing tells when the options change.
    etag = None if changes is None else f'"owners-{RENDERING}-{current}-{changes}"'
    response = get_conditional_response(request, etag=etag) if etag else None
    if response is None:
        response = HttpResponse(owner_choice(current), content_type="text/html; charset=utf-8")
    if etag:
        response["ETag"] = etag
    # Kept by the browser, and asked again (one row read, 304) before each use.
    patch_cache_control(response, no_cache=True)
    return response


@reading_view(html_answer)
def owners(request):
    """List every organization as a link that filters the page named by ``next`` by it."""
    check_query_string(request, allowed={"lang", "next"}, filters=())
    target, kept = filtered_page(request.GET.get("next", ""))
    groups = [
        (group.label, [(name, link(target, kept, code)) for code, name in group.options])
        for group in owner_groups(language.current())
    ]
    return render(request, "roadmap/owners.html", {"groups": groups, "back": link(target, kept)})


def filtered_page(address: str) -> tuple[str, list]:
    """Return the path of the filtered page ``address`` names and its query, less the owner.

    Only the timeline and the dashboard are linked to, by their own path (never a host taken
    from the address); no address means the timeline.
    """
    if not address:
        return reverse(FILTERED_PAGES[0]), []
    parts = urlsplit(address)
    try:
        match = None if parts.scheme or parts.netloc else resolve(parts.path)
    except Resolver404:
        match = None
    if match is None or match.view_name not in FILTERED_PAGES:
        raise BadQuery(
            [
                gettext(
                    "next must be the address of the timeline or the dashboard, not “%(value)s”."
                )
                % {"value": shorten(address)}
            ]
        )
    query = [(name, value) for name, value in parse_qsl(parts.query) if name not in DROPPED]
    return reverse(match.view_name), query


def link(path: str, query: list, owner: str = "") -> str:
    """Return ``path`` with ``query`` and, if given, the owner filter."""
    query = [*query, ("owner", owner)] if owner else query
    return f"{path}?{urlencode(query)}" if query else path
