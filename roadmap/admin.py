"""The owners' admin.

Access follows Membership, not Django's per-user model permissions: a staff user who is an
owner of an organization sees and changes that organization's milestones, a viewer sees them
read-only, and nobody else sees them at all. Only superusers add or change organizations,
plans, initiatives and Diet sessions. Every change goes through roadmap.services, and the
deadline only ever changes through "Revise deadline", which records a reason.
"""

import logging
from datetime import date

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Exists, Max, Min, OuterRef, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from roadmap import (
    admin_jobs,  # noqa: F401 (registers the failed job items)
    periods,
)
from roadmap.admin_forms import MilestoneAddForm, MilestoneChangeForm, ReviseDeadlineForm
from roadmap.admin_import import MilestoneImportMixin
from roadmap.models import (
    DeadlineRevision,
    DietSession,
    Initiative,
    Membership,
    Milestone,
    Notification,
    Organization,
    Plan,
    Step,
    UserPreference,
)
from roadmap.services.milestones import (
    assess_rag,
    bulk_set_status,
    create_milestone,
    edit_texts,
    revise_deadline,
    set_status,
)
from roadmap.standard_steps import STEPS

security_log = logging.getLogger("roadmap.security")


def roles(request) -> dict[int, str]:
    """Return the user's role in each organization they belong to, read once per request."""
    if not request.user.is_authenticated:
        return {}
    if not hasattr(request, "_roadmap_roles"):
        request._roadmap_roles = dict(
            Membership.objects.filter(user=request.user).values_list("organization_id", "role")
        )
    return request._roadmap_roles


def owned(request) -> set[int]:
    """Return the ids of the organizations the user is an owner of."""
    return {org for org, role in roles(request).items() if role == Membership.Role.OWNER}


def log_refusal(request, action: str, ids) -> None:
    """Log an attempt on milestones the user may not touch, naming who, what and which."""
    security_log.warning(
        "refused: user=%s action=%s milestone ids=%s",
        request.user.get_username(),
        action,
        ", ".join(str(i) for i in ids),
    )


def refuse(request, action: str, ids) -> None:
    """Log the attempt and answer 403."""
    log_refusal(request, action, ids)
    raise PermissionDenied


def fiscal_year_text(day: date | None) -> str:
    """Return a date with its fiscal year, such as 2026-03-31（2025年度（令和7年度））."""
    if day is None:
        return "—"
    label = periods.fiscal_year_label(periods.fiscal_year(day), get_language() or "ja")
    return f"{day.isoformat()} ({label})"


class MemberReadable:
    """Reference data: members of any organization read it, only superusers change it."""

    def has_module_permission(self, request):
        return request.user.is_superuser or bool(roles(request))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class MembershipInline(MemberReadable, admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(MemberReadable, admin.ModelAdmin):
    list_display = ["code", "name_ja", "name_en", "kind", "parent"]
    list_select_related = ["parent"]
    list_filter = ["kind"]
    search_fields = ["code", "name_ja", "name_en", "name_kana"]
    raw_id_fields = ["parent"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        # Members lists are for the organization's own people.
        return queryset.filter(pk__in=list(roles(request)))


@admin.register(Plan)
class PlanAdmin(MemberReadable, admin.ModelAdmin):
    list_display = ["code", "title_ja", "title_en", "decided_on"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Initiative)
class InitiativeAdmin(MemberReadable, admin.ModelAdmin):
    list_display = ["number", "title_ja", "title_en", "plan", "lead_organization"]
    list_select_related = ["plan", "lead_organization"]
    list_filter = ["plan"]
    search_fields = ["number", "title_ja", "title_en"]
    raw_id_fields = ["parent", "lead_organization"]


@admin.register(DietSession)
class DietSessionAdmin(MemberReadable, admin.ModelAdmin):
    list_display = ["number", "convened_on", "closes_on"]


class DeadlineFiscalYearFilter(admin.SimpleListFilter):
    title = _("fiscal year of the deadline")
    parameter_name = "deadline_fy"

    def lookups(self, request, model_admin):
        bounds = model_admin.get_queryset(request).aggregate(
            first=Min("deadline"), last=Max("deadline")
        )
        if bounds["first"] is None:
            return []
        years = range(
            periods.fiscal_year(bounds["first"]), periods.fiscal_year(bounds["last"]) + 1
        )
        language = get_language() or "ja"
        return [(str(fy), periods.fiscal_year_label(fy, language)) for fy in years]

    def queryset(self, request, queryset):
        if not (self.value() or "").isdigit():
            return queryset
        first, last = periods.fiscal_year_bounds(int(self.value()))
        return queryset.filter(deadline__gte=first, deadline__lte=last)


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(overdue_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(overdue_since__isnull=True)
        return queryset


class UsedRelatedFilter(admin.RelatedOnlyFieldListFilter):
    """Related objects that a row the user sees refers to, each found by one index probe."""

    def field_choices(self, field, request, model_admin):
        # Not a DISTINCT over every milestone on each page, as RelatedOnlyFieldListFilter does.
        used = model_admin.get_queryset(request).filter(**{self.field_path: OuterRef("pk")})
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, limit_choices_to=Q(Exists(used)), ordering=ordering
        )


class OwnerAreaFilter(admin.SimpleListFilter):
    """Owners by prefecture (with its municipalities) or ministry: 47 entries, not 1,788."""

    title = _("prefecture or ministry")
    parameter_name = "area"

    def lookups(self, request, model_admin):
        areas = Organization.objects.filter(parent__isnull=True).only("code", "name_ja", "name_en")
        if not request.user.is_superuser:
            ids = list(roles(request))
            parents = Organization.objects.filter(pk__in=ids).values("parent_id")
            areas = areas.filter(Q(pk__in=ids) | Q(pk__in=parents))
        language = get_language() or "ja"
        return [(area.code, area.name(language)) for area in areas.order_by("code")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        area = Organization.objects.filter(Q(code=self.value()) | Q(parent__code=self.value()))
        return queryset.filter(owner__in=area.values("pk"))


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
class MilestoneAdmin(MilestoneImportMixin, SimpleHistoryAdmin):
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
    history_list_display = ["status", "deadline"]
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
            refuse(request, "open", [object_id])
        return obj

    def has_module_permission(self, request):
        return request.user.is_superuser or bool(roles(request))

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        if obj is None:
            return bool(roles(request))
        if obj.owner_id not in roles(request):
            log_refusal(request, "view", [obj.pk])
            return False
        return True

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        return obj.owner_id in owned(request) if obj is not None else bool(owned(request))

    def has_add_permission(self, request):
        return request.user.is_superuser or bool(owned(request))

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

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
        if db_field.name == "owner" and not request.user.is_superuser:
            kwargs["queryset"] = Organization.objects.filter(pk__in=owned(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            created = self._create(request, form.cleaned_data)
            obj.pk, obj._state.adding = created.pk, False
            return
        self._apply_changes(request, Milestone.objects.get(pk=obj.pk), form.cleaned_data)

    def _create(self, request, data) -> Milestone:
        if not request.user.is_superuser and data["owner"].pk not in owned(request):
            refuse(request, "add", [data["ref"]])
        return create_milestone(
            initiative=data["initiative"],
            owner=data["owner"],
            ref=data["ref"],
            title_ja=data["title_ja"],
            title_en=data["title_en"],
            phrase=data["phrase"],
            kind=data["kind"],
            source_text=data["source_text"],
            status=data["status"],
            anchor=data.get("anchor"),
            user=request.user,
        )

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
        return obj.title(get_language())

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
        rows = obj.revisions.select_related("decided_by")
        return format_html_join(
            "\n",
            "<p>{} {}: 「{}」 {} → 「{}」 {} ({}) — {}</p>",
            (
                (
                    r.decided_at.date(),
                    r.decided_by,
                    r.old_phrase,
                    r.old_deadline,
                    r.new_phrase,
                    r.new_deadline,
                    r.get_kind_display(),
                    r.reason,
                )
                for r in rows
            ),
        ) or _("None")

    @admin.display(description=_("status comments"))
    def comments(self, obj):
        rows = obj.comments.select_related("author")
        return format_html_join(
            "\n",
            "<p>{} {}: {} → {} — {}</p>",
            (
                (
                    c.created_at.date(),
                    c.author,
                    c.get_old_status_display(),
                    c.get_new_status_display(),
                    c.comment,
                )
                for c in rows
            ),
        ) or _("None")

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
            refuse(request, request.POST["action"], forged)

    @admin.action(description=_("Mark selected milestones in progress"), permissions=["change"])
    def mark_in_progress(self, request, queryset):
        self._bulk_status(request, queryset, Milestone.Status.IN_PROGRESS)

    @admin.action(description=_("Mark selected milestones done"), permissions=["change"])
    def mark_done(self, request, queryset):
        self._bulk_status(request, queryset, Milestone.Status.DONE)

    def _bulk_status(self, request, queryset, status) -> None:
        editable = Milestone.objects.editable_by(request.user).values("pk")
        outside = list(queryset.exclude(pk__in=editable).values_list("pk", flat=True))
        if outside:
            refuse(request, f"set status {status}", outside)
        changed = bulk_set_status(milestones=queryset, status=status, user=request.user)
        count = len(changed)
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
                refuse(request, "revert", [object_id])
        return super().history_form_view(request, object_id, version_id, extra_context)

    # Revising the deadline ----------------------------------------------------------------

    def get_urls(self):
        revise = path(
            "<path:object_id>/revise-deadline/",
            self.admin_site.admin_view(self.revise_deadline_view),
            name="roadmap_milestone_revise_deadline",
        )
        return [revise, *super().get_urls()]

    def revise_deadline_view(self, request, object_id):
        milestone = self.get_object(request, object_id)
        if milestone is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, milestone):
            refuse(request, "revise deadline", [milestone.pk])
        form = ReviseDeadlineForm(request.POST or None)
        preview = None
        if request.method == "POST" and form.is_valid():
            if "_preview" in request.POST:
                preview = form.window
            else:
                response = self._revise(request, milestone, form)
                if response is not None:
                    return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": milestone,
            "title": _("Revise the deadline of %(milestone)s") % {"milestone": milestone},
            "form": form,
            "preview": preview,
            "current_deadline": fiscal_year_text(milestone.deadline),
            "baseline_deadline": fiscal_year_text(milestone.baseline_deadline),
            "preview_deadline": fiscal_year_text(preview.deadline(milestone.kind))
            if preview
            else None,
        }
        return TemplateResponse(request, "admin/roadmap/milestone/revise_deadline.html", context)

    def _revise(self, request, milestone, form):
        """Revise through the service; return the redirect, or None with the form's errors."""
        try:
            revision = revise_deadline(
                milestone=milestone,
                new_phrase=form.cleaned_data["new_phrase"],
                reason=form.cleaned_data["reason"],
                kind=form.cleaned_data["kind"],
                user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return None
        window = revision.milestone.window
        self.message_user(
            request,
            _(
                "Deadline revised: 「%(old)s」 %(old_deadline)s → 「%(new)s」 "
                "%(start)s – %(end)s, due %(deadline)s."
            )
            % {
                "old": revision.old_phrase,
                "old_deadline": fiscal_year_text(revision.old_deadline),
                "new": revision.new_phrase,
                "start": window.start or "…",
                "end": window.end or "…",
                "deadline": fiscal_year_text(revision.new_deadline),
            },
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:roadmap_milestone_change", args=[milestone.pk]))


class StepNumberFilter(admin.SimpleListFilter):
    title = _("step")
    parameter_name = "number"

    def lookups(self, request, model_admin):
        # The standard steps, not a DISTINCT over 1.4 million rows.
        language = get_language() or "ja"
        return [
            (str(step.number), f"{step.number} {step.work_item} {step.name(language)}")
            for step in STEPS
        ]

    def queryset(self, request, queryset):
        if not (self.value() or "").isdigit():
            return queryset
        return queryset.filter(number=int(self.value()))


class StepStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return Step.State.choices

    def queryset(self, request, queryset):
        if self.value() in Step.State.values:
            return queryset.filter(state=self.value())
        return queryset


@admin.register(Step)
class StepAdmin(admin.ModelAdmin):
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

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(milestone__in=Milestone.objects.visible_to(request.user))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and not request.user.is_superuser and str(object_id).isdigit():
            milestone = Step.objects.filter(pk=object_id).values_list("milestone_id", flat=True)
            if milestone:
                refuse(request, "open step", list(milestone))
        return obj

    def has_module_permission(self, request):
        return request.user.is_superuser or bool(roles(request))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("owner"), ordering="milestone__owner__code")
    def milestone_owner(self, obj):
        return obj.milestone.owner


class ReadOnlyForMembers:
    """Records written by services only: members read those of their organizations."""

    milestone_path = "milestone__owner__memberships__user"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.milestone_path: request.user})

    def has_module_permission(self, request):
        return request.user.is_superuser or bool(roles(request))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DeadlineRevision)
class DeadlineRevisionAdmin(ReadOnlyForMembers, admin.ModelAdmin):
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
class NotificationAdmin(ReadOnlyForMembers, admin.ModelAdmin):
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

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        # About a milestone or an indicator measurement of the member's organizations.
        mine = list(roles(request))
        return queryset.filter(
            Q(milestone__owner__in=mine) | Q(measurement__indicator__owner__in=mine)
        )


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
        return request.user.is_superuser or bool(roles(request))

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        return self.has_module_permission(request) and (obj is None or obj.user == request.user)

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


# Registered here so that the admin's autodiscovery finds them.
from roadmap import admin_indicators  # noqa: E402, F401

# The programme's records register themselves with the admin site.
from roadmap.programme import admin as programme_admin  # noqa: E402, F401
