"""The admin of indicators, their measurements, recurring commitments and event dates.

Measurements are scoped like milestones: an owner of an indicator's organization records and
corrects its measurements, a viewer reads them, nobody else sees them. Indicators, recurring
commitments and event dates are plan data: members read them, superusers change them.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone

from roadmap.admin.access import MemberAccess, OwnedAccess
from roadmap.admin.forms import COMMITMENT_FIELDS
from roadmap.models import EventDate, Indicator, Measurement, RecurringCommitment
from roadmap.security import refuse
from roadmap.services.indicators import record_measurement, save_indicator
from roadmap.services.milestones import resolve_window
from roadmap.services.recurring import check_recurrence, create_missing


@admin.register(EventDate)
class EventDateAdmin(MemberAccess, admin.ModelAdmin):
    list_display = ["code", "name_ja", "name_en", "occurred_on"]


class RecurringCommitmentForm(forms.ModelForm):
    class Meta:
        model = RecurringCommitment
        fields = [*COMMITMENT_FIELDS, "first_year", "last_year"]

    def clean_phrase(self):
        phrase = self.cleaned_data["phrase"]
        try:
            check_recurrence(phrase)
        except ValidationError as error:
            raise ValidationError(error.message_dict["phrase"]) from None
        return phrase


@admin.register(RecurringCommitment)
class RecurringCommitmentAdmin(MemberAccess, admin.ModelAdmin):
    form = RecurringCommitmentForm
    list_display = ["ref", "title_ja", "phrase", "owner", "first_year", "last_year"]
    list_select_related = ["owner"]
    raw_id_fields = ["initiative", "owner"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        create_missing(obj, as_of=timezone.localdate())


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = Indicator
        fields = [
            "ref",
            "initiative",
            "milestone",
            "owner",
            "name_ja",
            "name_en",
            "unit_ja",
            "unit_en",
            "direction",
            "source_text",
            "baseline_value",
            "baseline_on",
            "target_value",
            "target_phrase",
        ]

    def clean(self):
        cleaned = super().clean()
        initiative = cleaned.get("initiative")
        if initiative is not None:
            try:
                resolve_window(
                    cleaned.get("target_phrase", ""), reference=initiative.plan.decided_on
                )
            except ValidationError as error:
                self.add_error("target_phrase", error.message_dict["phrase"])
        return cleaned


@admin.register(Indicator)
class IndicatorAdmin(MemberAccess, admin.ModelAdmin):
    form = IndicatorForm
    list_display = ["ref", "name_ja", "owner", "target_value", "unit_ja", "target_on"]
    list_select_related = ["owner"]
    readonly_fields = ["target_on"]
    raw_id_fields = ["initiative", "milestone", "owner"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def save_model(self, request, obj, form, change):
        save_indicator(indicator=obj)


class MeasurementForm(forms.ModelForm):
    class Meta:
        model = Measurement
        fields = ["indicator", "measured_on", "value", "source"]


@admin.register(Measurement)
class MeasurementAdmin(OwnedAccess, admin.ModelAdmin):
    form = MeasurementForm
    list_display = ["indicator", "measured_on", "value", "source", "recorded_by", "recorded_at"]
    list_select_related = ["indicator", "recorded_by"]
    list_filter = ["indicator"]
    date_hierarchy = "measured_on"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.filter(indicator__in=Indicator.objects.visible_to(request.user))

    def owner_id(self, obj) -> int:
        return obj.indicator.owner_id

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "indicator":
            kwargs["queryset"] = Indicator.objects.editable_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            if not self.has_change_permission(request, obj):
                raise refuse(request.user, "change", request=request, measurement_ids=[obj.pk])
            obj.save()
            return
        created = record_measurement(
            indicator=obj.indicator,
            measured_on=obj.measured_on,
            value=obj.value,
            source=obj.source,
            user=request.user,
        )
        obj.pk, obj._state.adding = created.pk, False
