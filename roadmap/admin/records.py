"""The admin of everything but milestones: reference data, steps, revisions, notices, settings."""

import logging

from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from roadmap.admin.access import MemberAccess, ReadOnlyRecords, is_member, refuse_milestones
from roadmap.admin.filters import StepNumberFilter, StepStateFilter
from roadmap.models import (
    DeadlineRevision,
    DietSession,
    Initiative,
    Membership,
    Notification,
    Organization,
    Plan,
    Step,
    UserPreference,
)

logger = logging.getLogger(__name__)


class MembershipInline(MemberAccess, admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(MemberAccess, admin.ModelAdmin):
    list_display = ["code", "name_ja", "name_en", "kind", "parent"]
    list_select_related = ["parent"]
    list_filter = ["kind"]
    search_fields = ["code", "name_ja", "name_en", "name_kana"]
    raw_id_fields = ["parent"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        # Members lists are for the organization's own people.
        return super().get_queryset(request).visible_to(request.user)


@admin.register(Plan)
class PlanAdmin(MemberAccess, admin.ModelAdmin):
    list_display = ["code", "title_ja", "title_en", "decided_on"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Initiative)
class InitiativeAdmin(MemberAccess, admin.ModelAdmin):
    list_display = ["number", "title_ja", "title_en", "plan", "lead_organization"]
    list_select_related = ["plan", "lead_organization"]
    list_filter = ["plan"]
    search_fields = ["number", "title_ja", "title_en"]
    raw_id_fields = ["parent", "lead_organization"]


@admin.register(DietSession)
class DietSessionAdmin(MemberAccess, admin.ModelAdmin):
    list_display = ["number", "convened_on", "closes_on"]


@admin.register(Step)
class StepAdmin(ReadOnlyRecords, admin.ModelAdmin):
    """The standard steps of the milestones the user may see, read-only.

    Steps are written by the owners' report screen and the monthly import; no one edits them here.
    """

    list_display = ["milestone", "milestone_owner", "number", "state", "changed_on"]
    list_select_related = ["milestone__owner"]
    list_filter = [StepNumberFilter, StepStateFilter]
    search_fields = ["=milestone__ref", "=milestone__owner__code"]
    # The unique (milestone, number) index: a page is read off it, never sorted.
    ordering = ["milestone_id", "number"]
    show_full_result_count = False
    list_per_page = 100

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and not request.user.is_superuser and str(object_id).isdigit():
            milestone = Step.objects.filter(pk=object_id).values_list("milestone_id", flat=True)
            if milestone:
                refuse_milestones(request, "open step", milestone)
        return obj

    @admin.display(description=_("owner"), ordering="milestone__owner__code")
    def milestone_owner(self, obj):
        return obj.milestone.owner


@admin.register(DeadlineRevision)
class DeadlineRevisionAdmin(ReadOnlyRecords, admin.ModelAdmin):
    list_display = [
        "milestone",
        "old_phrase",
        "old_deadline",
        "new_phrase",
        "new_deadline",
        "kind",
        "reason",
        "decided_by",
        "decided_at",
    ]
    list_select_related = ["milestone", "decided_by"]
    list_filter = ["kind"]
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyRecords, admin.ModelAdmin):
    list_display = [
        "recipient",
        "milestone",
        "measurement",
        "kind",
        "deadline",
        "lead",
        "state",
        "attempts",
        "last_error",
        "sent_at",
    ]
    list_select_related = ["milestone", "measurement__indicator"]
    list_filter = ["state", "kind"]
    search_fields = ["recipient"]
    show_full_result_count = False
    actions = ["send_again"]

    @admin.action(
        description=_("Send the selected failed notifications again"), permissions=["send_again"]
    )
    def send_again(self, request, queryset):
        sent_again = queryset.send_again()
        logger.info(
            "%s sent %d failed notifications again", request.user.get_username(), sent_again
        )
        left = queryset.count() - sent_again
        self.message_user(
            request,
            ngettext(
                "%(count)d notification will go out with the next digests.",
                "%(count)d notifications will go out with the next digests.",
                sent_again,
            )
            % {"count": sent_again},
            messages.SUCCESS if sent_again else messages.WARNING,
        )
        if left:
            self.message_user(
                request,
                ngettext(
                    "%(count)d selected notification had not failed and was left as it was.",
                    "%(count)d selected notifications had not failed and were left as they were.",
                    left,
                )
                % {"count": left},
                messages.WARNING,
            )

    def has_send_again_permission(self, request):
        # Operators who have fixed what the mail server refused: not the owners.
        return request.user.is_superuser


@admin.register(UserPreference)
class UserPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "language", "digests_enabled", "working_days_only"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(user=request.user)

    def get_readonly_fields(self, request, obj=None):
        return [] if request.user.is_superuser else ["user"]

    def has_module_permission(self, request):
        return is_member(request)

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        return is_member(request) and (obj is None or obj.user == request.user)

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
