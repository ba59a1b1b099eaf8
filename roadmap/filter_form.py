"""What the filter form offers: owners to choose by name, the fiscal years that occur.

The address still carries codes and numbers (``owner=digital``, ``fy=2025``), and the filters
accept any valid value; the form only makes the usual choices easy. The owners are a resource
of their own (``views.owners``): a page carries the chosen one, its script fetches the rest.
"""

from dataclasses import dataclass, field
from html import escape

from django import forms
from django.db.models import Max, Min, Subquery
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from roadmap import periods
from roadmap.language import pick
from roadmap.models import DashboardState, Milestone, Organization, OwnerChoice

Kind = Organization.Kind
CENTRAL_KINDS = (Kind.MINISTRY, Kind.AGENCY)


@dataclass
class OwnerGroup:
    label: str
    options: list = field(default_factory=list)


def owner_groups(language):
    """Return every organization as (code, name) under ministries, then each prefecture.

    One query; a municipality is listed under its prefecture, after the prefecture itself.
    """
    rows = Organization.objects.order_by("code").values_list(
        "pk", "code", "name_ja", "name_en", "kind", "parent_id"
    )
    central = OwnerGroup(gettext("Ministries and agencies"))
    prefectures, municipalities, others = {}, [], OwnerGroup(gettext("Other organizations"))
    for pk, code, name_ja, name_en, kind, parent_id in rows:
        name = pick(language, name_ja, name_en)
        if kind in CENTRAL_KINDS:
            central.options.append((code, name))
        elif kind == Kind.PREFECTURE:
            prefectures[pk] = OwnerGroup(name, [(code, name)])
        elif parent_id is not None and kind == Kind.MUNICIPALITY:
            municipalities.append((parent_id, code, name))
        else:
            others.options.append((code, name))
    for parent_id, code, name in municipalities:
        prefectures.get(parent_id, others).options.append((code, name))
    groups = [central, *prefectures.values(), others]
    return [group for group in groups if group.options]


def fiscal_year_choices(language):
    """Return (year, label) for each fiscal year from the earliest deadline to the latest."""
    bounds = Milestone.objects.aggregate(first=Min("deadline"), last=Max("deadline"))
    if bounds["first"] is None:
        return []
    first, last = periods.fiscal_year(bounds["first"]), periods.fiscal_year(bounds["last"])
    return [(fy, periods.fiscal_year_label(fy, language)) for fy in range(first, last + 1)]


def owner_options(groups) -> str:
    """Return the owner choice's <optgroup> and <option> elements, none selected.

    Written here rather than by template tags (and with the standard library's escape, not
    Django's lazy-aware one): 1,800 options through the template engine cost the timeline more
    than all its rows.
    """
    parts = []
    for group in groups:
        parts.append(f'<optgroup label="{escape(group.label)}">')
        for code, name in group.options:
            parts.append(f'<option value="{escape(code)}">{escape(name)}</option>')
        parts.append("</optgroup>")
    return "".join(parts)


def owner_choice(language) -> str:
    """Return the options of every organization, none selected, as stored if current.

    One query while no organization (or milestone) has changed since they were rendered;
    otherwise they are rendered from the organizations and stored for the next request.
    """
    current = DashboardState.objects.filter(pk=DashboardState.ROW).values("changes")
    html = (
        OwnerChoice.objects.filter(language=language, changes=Subquery(current))
        .values_list("html", flat=True)
        .first()
    )
    return html if html is not None else render_owner_choice(language)


def chosen_owner(owner, language) -> str:
    """Return the <option> of the owner a filter chose, selected, or nothing.

    A filter form carries only this one; the page's script fills in the rest
    (``views.owners.owner_options``), so a page does not carry 1,800 names (17,880 at ten
    times the programme) it rarely needs.
    """
    if owner is None:
        return ""
    option = (
        f'<option value="{escape(owner.code)}" selected>{escape(owner.name(language))}</option>'
    )
    return mark_safe(option)  # noqa: S308 - every value escaped


def render_owner_choice(language) -> str:
    """Render the options from the organizations and store them, as of the count read first."""
    # Read before rendering: a change that lands meanwhile leaves the stored options stale.
    changes = DashboardState.changes_now()
    html = owner_options(owner_groups(language))
    if changes is not None:
        # One statement, whoever else is storing the same language at the same moment.
        OwnerChoice.objects.bulk_create(
            [OwnerChoice(language=language, changes=changes, html=html)],
            update_conflicts=True,
            unique_fields=["language"],
            update_fields=["changes", "html"],
        )
    return html


def offer_choices(filterset, language):
    """Show the fiscal years that occur as a choice; return the owner chosen as an option."""
    years = dict(fiscal_year_choices(language))
    # A year asked for in the address stays shown even when no deadline falls in it.
    asked = filterset.form.cleaned_data.get("fy")
    if asked is not None and asked not in years:
        years[asked] = periods.fiscal_year_label(asked, language)
    choices = [("", gettext("All"))] + [(str(fy), years[fy]) for fy in sorted(years)]
    filterset.form.fields["fy"].widget = forms.Select(choices=choices)
    return chosen_owner(filterset.form.cleaned_data.get("owner"), language)
