"""The digest as a message: its entries, its subject and its two bodies, in the reader's language.

The templates under ``roadmap/email/`` hold every word and every tag of the digest. They are
rendered once per run and language with markers in place of an entry's values (and of the
sections' entries), and what they give becomes a format string; each digest is then filled in
with its entries' values, escaped for the HTML body. The wording and markup stay in the
templates, while a digest costs a few string joins rather than a template rendering: runs mail
thousands of them. For the same reason the entries are made from rows of values (``COLUMNS``)
rather than model objects, and the message is a ``TwoPartMessage``, written out as MIME by
string formatting (``roadmap.services.written_mail``).
"""

import html
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from django.conf import settings
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext

from roadmap import periods
from roadmap.exports import url_of
from roadmap.language import pick
from roadmap.models import Milestone, Notification
from roadmap.services.written_mail import TwoPartMessage

# Stands for a value while a template is turned into a format string; no template escapes it.
MARK = "\x00"
_MARKED = re.compile(f"{MARK}(\\w+){MARK}")
# An entry's values, as its templates show them.
MILESTONE_FIELDS = ("title", "deadline_iso", "fiscal_year", "when", "phrase", "status", "url")
MILESTONE_FIELDS += ("edit_url",)
INDICATOR_FIELDS = ("title", "measured", "target", "source", "url")
SECTIONS = ("overdue", "due_soon", "behind")
# What an entry shows of its notice, read with the notice as one row of plain values: a run
# reads thousands, and model objects of each notice, milestone and indicator would cost more
# than making the digests.
COLUMNS = ("pk", "kind", "deadline", "milestone_id", "measurement_id")
COLUMNS += ("milestone__title_ja", "milestone__title_en", "milestone__phrase", "milestone__status")
COLUMNS += ("measurement__value", "measurement__measured_on", "measurement__source")
COLUMNS += tuple(
    f"measurement__indicator__{name}"
    for name in ("ref", "name_ja", "name_en", "unit_ja", "unit_en", "target_value", "target_on")
)
# The header of each digest that names the ids of the notices it carries.
NOTICES_HEADER = "X-Roadmap-Notices"


def marked(name: str) -> str:
    return f"{MARK}{name}{MARK}"


def format_string(rendered: str) -> str:
    """Return a template's output rendered with markers as a format string of their names."""
    escaped = rendered.replace("{", "{{").replace("}", "}}")
    return _MARKED.sub(lambda match: "{" + match[1] + "}", escaped)


@dataclass
class DigestTemplates:
    """The digest's templates, compiled once and turned into format strings per language."""

    subject: object
    text: object
    html: object
    items: dict
    forms: dict = field(default_factory=dict)

    @classmethod
    def load(cls) -> "DigestTemplates":
        def template(name):
            return get_template(f"roadmap/email/{name}")

        return cls(
            template("digest_subject.txt"),
            template("digest.txt"),
            template("digest.html"),
            {
                ("milestone", "txt"): template("digest_item.txt"),
                ("milestone", "html"): template("digest_item.html"),
                ("indicator", "txt"): template("digest_indicator.txt"),
                ("indicator", "html"): template("digest_indicator.html"),
            },
        )

    def form(self, key, render) -> str:
        """Return the format string stored under ``key``, made by ``render`` the first time."""
        if key not in self.forms:
            self.forms[key] = render()
        return self.forms[key]

    def entry(self, kind: str, part: str, language: str) -> str:
        """Return the format string of one entry of ``kind`` in the text or HTML body."""
        fields = MILESTONE_FIELDS if kind == "milestone" else INDICATOR_FIELDS

        def render():
            context = {"item": {name: marked(name) for name in fields}, "labels": labels()}
            return format_string(self.items[kind, part].render(context))

        return self.form(("entry", kind, part, language), render)

    def body(self, part: str, language: str, as_of: date, present: tuple) -> str:
        """Return the format string of a body with the sections in ``present``."""
        template = self.text if part == "txt" else self.html

        def render():
            context = {
                "as_of": as_of,
                "site_url": settings.SITE_URL,
                "settings_path": reverse("roadmap:settings"),
                **{name: mark_safe(marked(name)) for name in present},  # noqa: S308 (a marker)
            }
            return format_string(template.render(context))

        return self.form(("body", part, language, as_of, present), render)

    def subject_line(self, counts: dict, language: str) -> str:
        """Return the subject for these numbers of entries, on one header line."""
        key = ("subject", language, *counts.values())
        # Collapsing whitespace keeps the subject on one header line whatever it contains.
        return self.form(key, lambda: " ".join(self.subject.render(counts).split()))


def labels() -> dict:
    """Return the labels of an entry, in the active language."""
    return {
        "deadline": gettext("Deadline"),
        "phrase": gettext("Phrase"),
        "status": gettext("Status"),
        "edit": gettext("Update it in the admin"),
    }


def digest_message(
    recipient, notices, entries, *, as_of, templates, connection=None
) -> TwoPartMessage:
    """Return the message of the ``notices`` (their ``entries`` made by ``item``)."""
    language = recipient.language
    sections = {name: [] for name in SECTIONS}
    for entry in entries:
        sections[section_of(entry)].append(entry)
    counts = {f"{name}_count": len(sections[name]) for name in SECTIONS}
    present = tuple(name for name in SECTIONS if sections[name])
    parts = {}
    for part in ("txt", "html"):
        filled = {}
        for name in present:
            kind = "indicator" if name == "behind" else "milestone"
            form = templates.entry(kind, part, language)
            filled[name] = "".join(
                form.format_map(entry if part == "txt" else _escaped(entry))
                for entry in sections[name]
            )
        parts[part] = templates.body(part, language, as_of, present).format_map(filled)
    subject = templates.subject_line(counts, language)
    # The notices' ids let a mail server's log be matched with the notices in the admin.
    return TwoPartMessage(
        subject,
        parts["txt"],
        to=[recipient.address],
        connection=connection,
        headers={NOTICES_HEADER: ",".join(str(notice.pk) for notice in notices)},
        alternatives=[(parts["html"], "text/html")],
    )


def _escaped(entry: dict) -> dict:
    return {key: html.escape(str(value)) for key, value in entry.items()}


def section_of(entry: dict) -> str:
    if "measured" in entry:
        return "behind"
    return "overdue" if entry["overdue"] else "due_soon"


def item(notice, as_of, language) -> dict:
    """Return the values of one notice's entry (a row of ``COLUMNS``), in the active language."""
    # Dates and phrases are made here once, not by template filters and tags in both parts.
    if notice.measurement_id is not None:
        return _indicator_item(notice, language)
    overdue = notice.kind == Notification.Kind.OVERDUE
    days = abs((as_of - notice.deadline).days)
    status = notice.milestone__status
    return {
        "overdue": overdue,
        "title": pick(language, notice.milestone__title_ja, notice.milestone__title_en),
        "deadline_iso": notice.deadline.isoformat(),
        "fiscal_year": periods.fiscal_year_label(periods.fiscal_year(notice.deadline), language),
        "when": _when(overdue, days, language),
        "phrase": notice.milestone__phrase or "—",
        "status": status_labels(language).get(status, status),
        "url": url_of(notice.milestone_id),
        "edit_url": url_of(notice.milestone_id, "admin:roadmap_milestone_change"),
    }


@lru_cache(maxsize=8)
def status_labels(language: str) -> dict:
    """Return the statuses' labels in ``language`` (get_status_display rebuilds them per call)."""
    with translation.override(language):
        return {value: str(label) for value, label in Milestone.Status.choices}


def _indicator_item(notice, language) -> dict:
    unit = pick(
        language, notice.measurement__indicator__unit_ja, notice.measurement__indicator__unit_en
    )
    return {
        "title": pick(
            language,
            notice.measurement__indicator__name_ja,
            notice.measurement__indicator__name_en,
        ),
        "measured": gettext("%(value)s %(unit)s on %(day)s")
        % {
            "value": number(notice.measurement__value),
            "unit": unit,
            "day": notice.measurement__measured_on,
        },
        "target": gettext("%(value)s %(unit)s by %(day)s")
        % {
            "value": number(notice.measurement__indicator__target_value),
            "unit": unit,
            "day": notice.measurement__indicator__target_on or "—",
        },
        "source": notice.measurement__source,
        "url": f"{settings.SITE_URL}{reverse('roadmap:dashboard')}"
        f"#indicator-{notice.measurement__indicator__ref}",
    }


def number(value) -> str:
    """Return a decimal without trailing zeros, grouped by thousands: 1,500 or 12.5."""
    return f"{value.normalize():,f}"


@lru_cache(maxsize=1024)
def _when(overdue, days, language) -> str:
    """Return how far past or before the deadline the item is, in ``language``."""
    # Made once per language and number of days: the translation catalogs are slow to ask.
    with translation.override(language):
        return _days_phrase(overdue, days)


def _days_phrase(overdue, days) -> str:
    if overdue:
        return ngettext("%(days)s day overdue", "%(days)s days overdue", days) % {"days": days}
    if days == 0:
        return gettext("due today")
    return ngettext("due in %(days)s day", "due in %(days)s days", days) % {"days": days}
