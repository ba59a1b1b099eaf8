"""Import milestones in the admin: upload a CSV file or workbook, see the preview, confirm.

Nothing is written before the confirmation, and the confirmation applies exactly what the
preview showed (roadmap.import_preview). Owners import only their organizations' rows; the
import is recorded in each milestone's history with the user.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from roadmap.import_preview import (
    Outcome,
    PreviewOutdated,
    confirm_import,
    keep_upload,
    preview_import,
)
from roadmap.importing import ImportRejected
from roadmap.models import Organization, PendingImport, Plan
from roadmap.security import refuse
from roadmap.tabular import too_large

# Rows shown in a preview; the counts above the table cover every row.
SHOWN_ROWS = 2000


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8) or Excel workbook (.xlsx); the first sheet is read."),
    )
    plan = forms.ChoiceField(label=_("Plan"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plans = Plan.objects.order_by("-decided_on")
        self.fields["plan"].choices = [
            (plan.code, f"{plan.code} — {plan.title_ja}") for plan in plans
        ]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.ROADMAP_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(too_large(upload.size, limit))
        return upload


class MilestoneImportMixin:
    """The import pages of the milestone admin."""

    def get_urls(self):
        pages = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="roadmap_milestone_import",
            ),
            path(
                "import/<int:pending_id>/confirm/",
                self.admin_site.admin_view(self.import_confirm_view),
                name="roadmap_milestone_import_confirm",
            ),
        ]
        return [*pages, *super().get_urls()]

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request)

    def import_view(self, request):
        """Show the upload form; on upload, show what the import would do."""
        self._check_import_permission(request)
        form = UploadForm(request.POST or None, request.FILES or None)
        context = {"form": form}
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            plan_code = form.cleaned_data["plan"]
            preview = preview_import(data, plan_code=plan_code, user=request.user)
            context["preview"] = preview
            context["file_name"] = upload.name
            if preview.writes and not preview.refused:
                context["pending"] = keep_upload(
                    user=request.user, name=upload.name, data=data, plan_code=plan_code
                )
        return self._import_page(request, context)

    def import_confirm_view(self, request, pending_id):
        """Apply the previewed file, or say why it cannot be applied as previewed."""
        self._check_import_permission(request)
        back = HttpResponseRedirect(reverse("admin:roadmap_milestone_import"))
        if request.method != "POST":
            return back
        pending = PendingImport.objects.filter(pk=pending_id, user=request.user).first()
        if pending is None:
            self.message_user(
                request, _("This upload is no longer kept; upload the file again."), messages.ERROR
            )
            return back
        try:
            result = confirm_import(
                pending=pending, user=request.user, fingerprint=request.POST.get("fingerprint", "")
            )
        except PreviewOutdated as error:
            self.message_user(request, _outdated(error), messages.ERROR)
            return back
        except ImportRejected as rejected:
            self.message_user(request, str(rejected), messages.ERROR)
            return back
        self.message_user(
            request,
            gettext("Imported %(file)s: %(created)d created, %(updated)d updated.")
            % {
                "file": pending.file_name,
                "created": len(result.created),
                "updated": len(result.updated),
            },
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:roadmap_milestone_changelist"))

    def _check_import_permission(self, request) -> None:
        if not self.has_import_permission(request):
            raise refuse(request.user, "import", request=request)

    def _import_page(self, request, context):
        preview = context.get("preview")
        owned = Organization.objects.editable_by(request.user).order_by("code")
        context = {
            **self.admin_site.each_context(request),
            **context,
            "opts": self.opts,
            "title": _("Import milestones"),
            "own_organizations": owned[:50],
            "shown_rows": [r for r in preview.rows if r.outcome != Outcome.UNCHANGED][:SHOWN_ROWS]
            if preview
            else [],
            "counts": {
                "create": preview.count(Outcome.CREATE),
                "update": preview.count(Outcome.UPDATE),
                "unchanged": preview.count(Outcome.UNCHANGED),
                "refused": preview.count(Outcome.REFUSED),
            }
            if preview
            else None,
            "shown_limit": SHOWN_ROWS,
        }
        return TemplateResponse(request, "admin/roadmap/milestone/import.html", context)


def _outdated(error: PreviewOutdated) -> str:
    return gettext("Nothing was imported: %(reason)s") % {"reason": str(error)}
