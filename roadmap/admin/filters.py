"""The admin's list filters: each offers only what the user's rows use, found cheaply."""

from django.contrib import admin
from django.db.models import Exists, Max, Min, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from roadmap import language, periods
from roadmap.models import Organization, Step
from roadmap.standard_steps import STEPS


class YesNoFilter(admin.SimpleListFilter):
    """A filter answering yes or no; ``filter(queryset, yes)`` keeps the matching rows."""

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return self.filter(queryset, self.value() == "yes")
        return queryset


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
        reader = language.current()
        return [(str(fy), periods.fiscal_year_label(fy, reader)) for fy in years]

    def queryset(self, request, queryset):
        if not (self.value() or "").isdigit():
            return queryset
        return queryset.due_in_fiscal_year(int(self.value()))


class OverdueFilter(YesNoFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def filter(self, queryset, yes):
        return queryset.flagged_overdue(yes)


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
            member = Organization.objects.visible_to(request.user)
            areas = areas.filter(Q(pk__in=member.values("pk")) | Q(pk__in=member.values("parent")))
        reader = language.current()
        return [(area.code, area.name(reader)) for area in areas.order_by("code")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        area = Organization.objects.filter(Q(code=self.value()) | Q(parent__code=self.value()))
        return queryset.filter(owner__in=area.values("pk"))


class StepNumberFilter(admin.SimpleListFilter):
    title = _("step")
    parameter_name = "number"

    def lookups(self, request, model_admin):
        # The standard steps, not a DISTINCT over 1.4 million rows.
        reader = language.current()
        return [
            (str(step.number), f"{step.number} {step.work_item} {step.name(reader)}")
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
