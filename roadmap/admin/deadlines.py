"""Revising a milestone's deadline in the admin: a new phrase and a reason, previewed first.

In the admin a deadline changes only here, through ``services.milestones.revise_deadline``,
which records the old and new phrase, the reason and who decided; the original deadline stays
the baseline.
"""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from roadmap import language, periods
from roadmap.admin.access import refuse_milestones
from roadmap.admin.forms import ReviseDeadlineForm
from roadmap.services.milestones import revise_deadline


def fiscal_year_text(day: date | None) -> str:
    """Return a date with its fiscal year, such as 2026-03-31（2025年度（令和7年度））."""
    if day is None:
        return "—"
    label = periods.fiscal_year_label(periods.fiscal_year(day), language.current())
    return f"{day.isoformat()} ({label})"


class ReviseDeadlineMixin:
    """The "Revise deadline" page of a milestone, for a ModelAdmin of milestones."""

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
            refuse_milestones(request, "revise deadline", [milestone.pk])
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
