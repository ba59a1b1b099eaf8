"""Forms of the signed-in user's pages."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from roadmap.models import UserPreference

MAX_LEAD_TIMES = 5


class AccessibleErrorsMixin:
    """Point each invalid field at its error message with aria-invalid and aria-describedby."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            bound = self[name]
            described_by = [f"{bound.auto_id}_error"]
            if bound.help_text:
                described_by.append(f"{bound.auto_id}_helptext")
            bound.field.widget.attrs.update(
                {"aria-invalid": "true", "aria-describedby": " ".join(described_by)}
            )


class PreferenceForm(AccessibleErrorsMixin, forms.ModelForm):
    lead_days = forms.CharField(
        label=_("Reminder lead times (days before the deadline)"),
        required=False,
    )
    overdue_repeat_days = forms.IntegerField(
        label=_("Repeat overdue notices every (days)"),
        min_value=1,
        max_value=90,
        help_text=_("From 1 to 90 days."),
    )

    class Meta:
        model = UserPreference
        fields = [
            "lead_days",
            "overdue_repeat_days",
            "language",
            "digests_enabled",
            "working_days_only",
        ]
        labels = {"language": _("Language of e-mail digests")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.initial.get("lead_days")
        if isinstance(current, list):
            self.initial["lead_days"] = ", ".join(str(day) for day in current)
        defaults = ", ".join(str(day) for day in settings.ROADMAP_DUE_SOON_LEAD_DAYS)
        self.fields["lead_days"].help_text = _(
            "Up to five numbers from 1 to 365, separated by commas. "
            "Leave empty for the defaults: %(defaults)s."
        ) % {"defaults": defaults}

    def clean_lead_days(self):
        """Return the lead times as a list of distinct days, longest first."""
        text = self.cleaned_data["lead_days"].replace("、", ",").replace("，", ",")
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if not all(part.isdecimal() for part in parts):
            raise forms.ValidationError(
                _("Enter whole numbers of days separated by commas, such as 30, 7, 1.")
            )
        days = sorted({int(part) for part in parts}, reverse=True)
        if any(not 1 <= day <= 365 for day in days):
            raise forms.ValidationError(_("Each lead time must be from 1 to 365 days."))
        if len(days) > MAX_LEAD_TIMES:
            raise forms.ValidationError(
                _("Enter at most %(count)d lead times.") % {"count": MAX_LEAD_TIMES}
            )
        return days
