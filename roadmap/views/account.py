"""The signed-in user's pages: notification settings and notifications."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from roadmap.filters import paginate
from roadmap.forms import PreferenceForm
from roadmap.models import Notification, UserPreference
from roadmap.security import refuse
from roadmap.views.reading import html_answer, reading_view

PER_PAGE = 50


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """Show and change how and when the user is reminded."""
    preference, _created = UserPreference.objects.get_or_create(user=request.user)
    form = PreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your notification settings were saved."))
        return redirect("roadmap:settings")
    status = 400 if form.errors else 200
    return render(request, "roadmap/settings.html", {"form": form}, status=status)


@login_required
@reading_view(html_answer)
def notifications(request):
    """List the user's notifications, unread first, then newest."""
    inbox = (
        Notification.objects.filter(user=request.user)
        .select_related("milestone", "milestone__owner", "measurement__indicator__owner")
        .order_by(_unread_first(), "-created_at", "-pk")
    )
    page = paginate(request, inbox, PER_PAGE)
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    return render(request, "roadmap/notifications.html", {"page": page, "unread": unread})


def _unread_first():
    return Case(
        When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
    )


@login_required
@require_POST
def mark_read(request, pk):
    """Mark one of the user's notifications as read."""
    mine = Notification.objects.filter(pk=pk, user=request.user)
    if not mine.exists():
        # Someone else's or none at all: the same answer, so ids reveal nothing; logged.
        refuse(request, "mark read", f"notification={pk}")
        raise Http404(_("There is no such notification."))
    mine.filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("roadmap:notifications")


@login_required
@require_POST
def mark_all_read(request):
    """Mark all of the user's notifications as read."""
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("roadmap:notifications")
