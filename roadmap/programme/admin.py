"""The programme's records in the admin: snapshots and designations to read, ministries to edit."""

from django.contrib import admin

from roadmap.programme.models import Designation, ProgressSnapshot, SystemMinistry


class ReadOnly:
    """Records written by their services only: superusers read them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProgressSnapshot)
class ProgressSnapshotAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["as_of", "taken_at", "systems"]


@admin.register(Designation)
class DesignationAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["milestone", "reason", "phrase", "decided_by", "decided_at"]
    list_filter = ["reason"]
    list_select_related = ["milestone", "decided_by"]
    search_fields = ["=milestone__owner__code", "milestone__owner__name_ja"]


@admin.register(SystemMinistry)
class SystemMinistryAdmin(admin.ModelAdmin):
    list_display = ["system", "ministry_ja", "ministry_en"]
    list_editable = ["ministry_ja", "ministry_en"]
