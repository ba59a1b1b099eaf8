"""The OpenAPI description of the JSON API."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from roadmap import openapi


@csrf_exempt
@require_safe
def openapi_view(request):
    """Answer the OpenAPI 3.0 description of /api/milestones/ as JSON."""
    return JsonResponse(openapi.schema(), json_dumps_params={"ensure_ascii": False})
