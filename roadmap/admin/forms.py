"""Forms of the owners' admin: the deadline fields are never among the editable ones."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from roadmap.models import DeadlineRevision, Milestone
from roadmap.services.milestones import check_version, resolve_window

# What a milestone and a recurring commitment are both created with.
COMMITMENT_FIELDS = (
    "ref",
    "initiative",
    "owner",
    "title_ja",
    "title_en",
    "source_text",
    "kind",
    "phrase",
)


class MilestoneAddForm(forms.ModelForm):
    """A new milestone: its phrase is resolved against the plan's decision date."""

    class Meta:
        model = Milestone
        fields = [*COMMITMENT_FIELDS, "anchor", "status"]

    def clean(self):
        cleaned = super().clean()
        initiative = cleaned.get("initiative")
        if initiative is not None and "phrase" in cleaned:
            try:
                resolve_window(
                    cleaned["phrase"],
                    reference=initiative.plan.decided_on,
                    anchor=cleaned.get("anchor"),
                )
            except ValidationError as error:
                self.add_error("phrase", error.message_dict["phrase"])
        return cleaned


class MilestoneChangeForm(forms.ModelForm):
    """What an owner may change directly: titles, wording, status (with a comment) and RAG."""

    status_comment = forms.CharField(
        label=_("comment on the status"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the milestone's history, for example why it is late."),
    )

    # The version the form was opened at: saving refuses it if someone changed the milestone
    # since (optimistic locking; see README, "Concurrent edits").
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Milestone
        fields = ["title_ja", "title_en", "source_text", "status", "rag"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # Read from the table: a history revert's instance carries the old version.
            current = Milestone.objects.filter(pk=self.instance.pk).values_list("version")
            self.fields["base_version"].initial = current.get()[0]

    def clean(self):
        cleaned = super().clean()
        if "base_version" in cleaned:
            # The admin saves in the same transaction, so the row stays locked until then.
            check_version(milestone=self.instance, seen_version=cleaned["base_version"])
        return cleaned


class ReviseDeadlineForm(forms.Form):
    """A new deadline phrase, whether it is an official re-plan or a slip, and why."""

    new_phrase = forms.CharField(
        label=_("new deadline phrase"),
        max_length=200,
        help_text=_(
            "As written, for example 「2026年度末まで」; relative words count from today."
        ),
    )
    kind = forms.ChoiceField(label=_("kind"), choices=DeadlineRevision.Kind.choices)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def clean_new_phrase(self):
        phrase = self.cleaned_data["new_phrase"]
        try:
            self.window = resolve_window(phrase, reference=timezone.localdate())
        except ValidationError as error:
            raise ValidationError(error.message_dict["phrase"]) from None
        return phrase

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Give the reason for revising the deadline."))
        return reason
