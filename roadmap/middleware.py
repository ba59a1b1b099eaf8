"""Request-level audit: every refused request is logged with who asked for what."""

from roadmap.security import refuse


class RefusedAccessLogMiddleware:
    """Log each 403 response on the ``roadmap.security`` logger."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            refuse(request, "forbidden", f"method={request.method}")
        return response
