"""Request-level middleware: the audit of refused requests, the ``?lang=`` switch."""

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from roadmap.security import refuse

LANGUAGES = ("ja", "en")


class RefusedAccessLogMiddleware:
    """Log each 403 response on the ``roadmap.security`` logger."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            refuse(request, "forbidden", f"method={request.method}")
        return response


class LanguageParameterMiddleware:
    """Honour ``?lang=ja`` or ``?lang=en`` on every address: pages, 404s and the admin.

    The admin reads every query parameter as a list filter, so there the parameter is taken
    out of the query and kept in the language cookie for the pages that follow.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.GET.get("lang", "")
        if chosen not in LANGUAGES:
            return self.get_response(request)
        translation.activate(chosen)
        request.LANGUAGE_CODE = chosen
        in_admin = request.path.startswith(reverse("admin:index"))
        if in_admin:
            query = request.GET.copy()
            del query["lang"]
            request.GET = query
            request.META["QUERY_STRING"] = query.urlencode()
        response = self.get_response(request)
        if in_admin:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, chosen, samesite="Lax", secure=request.is_secure()
            )
        return response
