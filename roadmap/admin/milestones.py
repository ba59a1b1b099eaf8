"""The milestones in the admin: who sees and changes which, the forms, bulk actions, history."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from roadmap import language
from roadmap.admin.access import OwnedAccess, may_see, refuse_milestones
from roadmap.admin.deadlines import ReviseDeadlineMixin, fiscal_year_text
from roadmap.admin.filters import (
    DeadlineFiscalYearFilter,
    OverdueFilter,
    OwnerAreaFilter,
    UsedRelatedFilter,
)
from roadmap.admin.forms import MilestoneAddForm, MilestoneChangeForm
from roadmap.admin.history import MilestoneHistoryAdmin
from roadmap.admin.imports import MilestoneImportMixin
from roadmap.models import Milestone, Organization
from roadmap.security import refuse
from roadmap.services.milestones import (
    assess_rag,
    bulk_set_status,
    create_milestone,
    edit_texts,
    set_status,
)


def paragraphs(template: str, rows, cells) -> str:
    """Return one escaped paragraph per row, ``template`` filled with ``cells(row)``, or None."""
    return format_html_join("\n", template, (cells(row) for row in rows)) or _("None")


def revision_cells(r) -> tuple:
    old, new = (r.old_phrase, r.old_deadline), (r.new_phrase, r.new_deadline)
    return (r.decided_at.date(), r.decided_by, *old, *new, r.get_kind_display(), r.reason)


def comment_cells(c) -> tuple:
    old, new = c.get_old_status_display(), c.get_new_status_display()
    return (c.created_at.date(), c.author, old, new, c.comment)


EDITABLE_FIELDS = (
    "title_ja",
    "title_en",
    "source_text",
    "status",
    "status_comment",
    "rag",
    "base_version",
)
# Form-only fields that a read-only view leaves out.
CHANGE_ONLY_FIELDS = ("status_comment",)


@admin.register(Milestone)
class MilestoneAdmin(
    OwnedAccess, ReviseDeadlineMixin, MilestoneImportMixin, MilestoneHistoryAdmin
):
    list_display = [
        "display_title",
        "owner",
        "phrase",
        "deadline_with_fiscal_year",
        "status",
        "overdue",
        "rag",
    ]
    list_select_related = ["owner"]
    list_filter = [
        "status",
        # A list of every owner would name all 1,788 bodies on each page; owners are searched.
        OwnerAreaFilter,
        DeadlineFiscalYearFilter,
        OverdueFilter,
        "precision",
        ("initiative", UsedRelatedFilter),
    ]
    search_fields = [
        "title_ja",
        "title_en",
        "phrase",
        "ref",
        "owner__code",
        "owner__name_ja",
        "owner__name_en",
    ]
    show_full_result_count = False
    list_per_page = 100
    actions = ["mark_in_progress", "mark_done"]
    change_form_fieldsets = [
        (None, {"fields": ["ref", "initiative", "owner", "title_ja", "title_en", "source_text"]}),
        (
            _("Deadline"),
            {
                "fields": [
                    "kind",
                    "deadline_summary",
                    "phrase",
                    "window",
                    "precision",
                    "soft",
                    "rule",
                    "reference_date",
                    "baseline_deadline",
                    "revisions",
                ]
            },
        ),
        (
            _("Status"),
            {
                "fields": [
                    "status",
                    "status_comment",
                    "completed_on",
                    "overdue_since",
                    "comments",
                    "rag",
                    "rag_assessed_by",
                    "rag_assessed_at",
                    "version",
                ]
            },
        ),
    ]

    # Who sees what ---------------------------------------------------------------------

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and not request.user.is_superuser and self._exists(object_id):
            refuse_milestones(request, "open", [object_id])
        return obj

    def has_view_permission(self, request, obj=None):
        if obj is not None and not may_see(request, obj.owner_id):
            refuse(request.user, "view", request=request, milestone_ids=[obj.pk])
            return False
        return super().has_view_permission(request, obj)

    @staticmethod
    def _exists(object_id) -> bool:
        return str(object_id).isdigit() and Milestone.objects.filter(pk=object_id).exists()

    # Forms --------------------------------------------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = MilestoneChangeForm if obj is not None else MilestoneAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": MilestoneAddForm._meta.fields})]
        if self.has_change_permission(request, obj):
            return self.change_form_fieldsets
        return [
            (name, {"fields": [f for f in options["fields"] if f not in CHANGE_ONLY_FIELDS]})
            for name, options in self.change_form_fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        shown = [f for _name, options in self.change_form_fieldsets for f in options["fields"]]
        return [f for f in shown if f not in EDITABLE_FIELDS]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = Organization.objects.editable_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            created = self._create(request, form.cleaned_data)
            obj.pk, obj._state.adding = created.pk, False
            return
        self._apply_changes(request, Milestone.objects.get(pk=obj.pk), form.cleaned_data)

    def _create(self, request, data) -> Milestone:
        fields = {name: data[name] for name in MilestoneAddForm._meta.fields}
        return create_milestone(**fields, user=request.user)

    def _apply_changes(self, request, current: Milestone, data) -> None:
        """Call the service for each kind of change, compared with the row as it is now."""
        user = request.user
        texts = {name: data[name] for name in ("title_ja", "title_en", "source_text")}
        if any(getattr(current, name) != value for name, value in texts.items()):
            edit_texts(milestone=current, user=user, **texts)
        if data["status"] != current.status or data.get("status_comment"):
            comment = data.get("status_comment", "")
            set_status(milestone=current, status=data["status"], user=user, comment=comment)
        if data["rag"] != current.rag:
            assess_rag(milestone=current, rag=data["rag"], user=user)

    # Read-only displays -------------------------------------------------------------------

    @admin.display(description=_("title"), ordering="title_ja")
    def display_title(self, obj):
        return obj.title(language.current())

    @admin.display(description=_("deadline"), ordering="deadline")
    def deadline_with_fiscal_year(self, obj):
        return fiscal_year_text(obj.deadline)

    @admin.display(description=_("overdue"), ordering="overdue_since")
    def overdue(self, obj):
        # A warning for what is overdue; nothing alarming (no red cross) for what is not.
        if not obj.is_overdue:
            return "—"
        return format_html(
            '<span class="overdue-warning"><span aria-hidden="true">⚠</span> {}</span>',
            _("Overdue since %(since)s") % {"since": obj.overdue_since.isoformat()},
        )

    @admin.display(description=_("deadline"))
    def deadline_summary(self, obj):
        url = reverse("admin:roadmap_milestone_revise_deadline", args=[obj.pk])
        return format_html(
            '{} <a class="button" href="{}">{}</a>',
            fiscal_year_text(obj.deadline),
            url,
            _("Revise deadline"),
        )

    @admin.display(description=_("window"))
    def window(self, obj):
        return f"{obj.window_start or '…'} – {obj.window_end or '…'}"

    @admin.display(description=_("deadline revisions"))
    def revisions(self, obj):
        template = "<p>{} {}: 「{}」 {} → 「{}」 {} ({}) — {}</p>"
        return paragraphs(template, obj.revisions.select_related("decided_by"), revision_cells)

    @admin.display(description=_("status comments"))
    def comments(self, obj):
        template = "<p>{} {}: {} → {} — {}</p>"
        return paragraphs(template, obj.comments.select_related("author"), comment_cells)

    # Bulk actions -------------------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and request.POST.get("action"):
            self._refuse_unowned_selection(request)
        return super().changelist_view(request, extra_context)

    def _refuse_unowned_selection(self, request) -> None:
        """Refuse an action naming any milestone the user may not change, forged ids included."""
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        numeric = [int(i) for i in selected if i.isdigit()]
        editable = set(
            Milestone.objects.editable_by(request.user)
            .filter(pk__in=numeric)
            .values_list("pk", flat=True)
        )
        forged = [i for i in selected if not i.isdigit() or int(i) not in editable]
        if forged:
            refuse_milestones(request, request.POST["action"], forged)

    @admin.action(description=_("Mark selected milestones in progress"), permissions=["change"])
    def mark_in_progress(self, request, queryset):
        self._bulk_status(request, queryset, Milestone.Status.IN_PROGRESS)

    @admin.action(description=_("Mark selected milestones done"), permissions=["change"])
    def mark_done(self, request, queryset):
        self._bulk_status(request, queryset, Milestone.Status.DONE)

    def _bulk_status(self, request, queryset, status) -> None:
        count = bulk_set_status(milestones=queryset, status=status, user=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d milestone changed to %(status)s.",
                "%(count)d milestones changed to %(status)s.",
                count,
            )
            % {"count": count, "status": Milestone.Status(status).label},
            messages.SUCCESS,
        )

    # History ------------------------------------------------------------------------------

    @transaction.atomic
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Atomic like the change form, so the version check's row lock lasts until the save.
        if request.method == "POST":
            current = (
                Milestone.objects.filter(pk=object_id).first()
                if str(object_id).isdigit()
                else None
            )
            if current is None or not self.has_change_permission(request, current):
                refuse_milestones(request, "revert", [object_id])
        return super().history_form_view(request, object_id, version_id, extra_context)
