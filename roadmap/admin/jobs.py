"""Admin list of the items the scheduled jobs could not process (superusers only)."""

from django.contrib import admin

from roadmap.models import JobFailure


@admin.register(JobFailure)
class JobFailureAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "job", "item", "reason"]
    list_filter = ["job"]
    search_fields = ["item", "reason"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
