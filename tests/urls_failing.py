"""A URLconf with one view that fails, to show the 500 page."""

from django.urls import include, path


def broken(request):
    raise RuntimeError("internal detail that must not be shown")


urlpatterns = [path("broken/", broken), path("", include("tracker.urls"))]
