"""A record's history in the admin, in the reader's language: pages, titles and changes.

django-simple-history's own pages carry English words of their own and show stored values
(``in_progress``) where a reader expects labels (進行中). These pages are ours: every word is in
the tracker's catalogue, and a changed value is shown as the admin shows it elsewhere.
"""

from django.utils.encoding import force_str
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper


class ReadableChanges(HistoricalRecordContextHelper):
    """Write a change's values as labels and names, not stored codes and keys."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return gettext("Yes") if value else gettext("No")
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        # Related records come as objects (their names), dates as ISO dates.
        return super().prepare_delta_change_value(change, value)


class MilestoneHistoryAdmin(SimpleHistoryAdmin):
    """A milestone's history list and the form of one past version, in the tracker's words."""

    object_history_template = "admin/roadmap/milestone/history.html"
    object_history_list_template = "admin/roadmap/milestone/history_list.html"
    object_history_form_template = "admin/roadmap/milestone/history_form.html"

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableChanges(self.model, historical_record)

    def history_view_title(self, request, obj):
        return gettext("History of %(record)s") % {"record": force_str(obj)}

    def history_form_view_title(self, request, obj):
        if self.revert_disabled(request, obj):
            return gettext("Earlier version of %(record)s") % {"record": force_str(obj)}
        return gettext("Restore an earlier version of %(record)s") % {"record": force_str(obj)}
