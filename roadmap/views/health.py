from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from roadmap.health import dependency_states


@csrf_exempt
@never_cache
@require_GET
def healthz(request):
    """Report each dependency's state: 200 when all answer, 503 otherwise."""
    states = dependency_states()
    healthy = all(state == "ok" for state in states.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": states},
        status=200 if healthy else 503,
    )
