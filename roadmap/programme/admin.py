"""The programme's records in the admin: snapshots and designations to read (superusers),
ministries to edit."""

from django.contrib import admin

from roadmap.admin.access import NoWrites
from roadmap.programme.models import Designation, ProgressSnapshot, SystemMinistry


@admin.register(ProgressSnapshot)
class ProgressSnapshotAdmin(NoWrites, admin.ModelAdmin):
    list_display = ["as_of", "taken_at", "systems"]


@admin.register(Designation)
class DesignationAdmin(NoWrites, admin.ModelAdmin):
    list_display = ["milestone", "reason", "phrase", "decided_by", "decided_at"]
    list_filter = ["reason"]
    list_select_related = ["milestone", "decided_by"]
    search_fields = ["=milestone__owner__code", "milestone__owner__name_ja"]


@admin.register(SystemMinistry)
class SystemMinistryAdmin(admin.ModelAdmin):
    list_display = ["system", "ministry_ja", "ministry_en"]
    list_editable = ["ministry_ja", "ministry_en"]
