"""Request-level audit: every refused request is logged with who asked for what, once."""

from roadmap.security import Refused, log_forbidden


class RefusedAccessLogMiddleware:
    """Log each 403 response on the ``roadmap.security`` logger unless its refusal was logged."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            log_forbidden(request)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, Refused):
            request.refusal_logged = True
