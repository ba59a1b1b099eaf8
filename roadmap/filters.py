"""The one set of milestone filters read from the address by every page, feed and export.

A query that cannot be read exactly — a value of the wrong form, a parameter this tracker does
not know, a misspelt filter name, bytes that are not UTF-8 — is refused with a sentence naming
the parameter, never answered with the unfiltered list.
"""

from urllib.parse import parse_qsl

import django_filters
from django import forms
from django.core.paginator import Paginator
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from roadmap.models import Milestone, Organization

MAX_QUERY_LENGTH = 2000
MAX_SHOWN_VALUE = 80
# Parameters that are not filters: paging and the reading language.
PAGING_PARAMETERS = frozenset({"page", "page_size", "lang"})


class BadQuery(Exception):
    """A query the tracker refuses to answer, with one readable sentence per problem."""

    def __init__(self, problems):
        super().__init__(" ".join(problems))
        self.problems = list(problems)


class PageNotFound(Exception):
    """A page number past the last page."""


class IntegerFilter(django_filters.Filter):
    field_class = forms.IntegerField


def within_initiative(queryset, number: str):
    """Keep the rows of initiative ``number`` and of those below it (5.1.4 under 5, not 50)."""
    return queryset.filter(
        Q(initiative__number=number) | Q(initiative__number__startswith=f"{number}.")
    )


class InitiativeFilter(django_filters.CharFilter):
    """An initiative number such as 5 or 5.1: the ``area`` of the milestone and indicator lists."""

    def __init__(self, **kwargs):
        validator = RegexValidator(
            r"^\d+(\.\d+)*\Z", message=_("Enter an initiative number such as 5 or 5.1.")
        )
        super().__init__(max_length=32, validators=[validator], **kwargs)

    def filter(self, qs, value):
        return within_initiative(qs, value) if value else qs


class MilestoneFilter(django_filters.FilterSet):
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner organization"),
        queryset=Organization.objects.all(),
        to_field_name="code",
    )
    area = InitiativeFilter(label=_("Initiative or area (number)"))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Milestone.Status.choices, empty_label=_("All")
    )
    fy = IntegerFilter(
        label=_("Fiscal year of the deadline"),
        method="filter_fiscal_year",
        min_value=1989,
        max_value=2100,
    )
    overdue = django_filters.ChoiceFilter(
        label=_("Overdue"),
        choices=[("yes", _("Overdue only")), ("no", _("Not overdue only"))],
        empty_label=_("All"),
        method="filter_overdue",
    )
    precision = django_filters.ChoiceFilter(
        label=_("Precision"), choices=Milestone.Precision.choices, empty_label=_("All")
    )
    q = django_filters.CharFilter(label=_("Text"), method="filter_text", max_length=200)

    class Meta:
        model = Milestone
        fields = []

    def filter_fiscal_year(self, queryset, name, value):
        """Keep milestones whose deadline falls in fiscal year ``value``."""
        return queryset.due_in_fiscal_year(value)

    def filter_overdue(self, queryset, name, value):
        """Keep milestones the scheduler has flagged overdue (``yes``) or not (``no``)."""
        return queryset.flagged_overdue(value == "yes")

    def filter_text(self, queryset, name, value):
        """Keep milestones whose titles, phrase, reference or source wording contain ``value``."""
        condition = Q()
        for field in ("title_ja", "title_en", "phrase", "ref", "source_text"):
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


FILTER_NAMES = frozenset(MilestoneFilter.base_filters)


def filter_milestones(request, queryset, *, allowed=PAGING_PARAMETERS):
    """Return the valid FilterSet for the request's query, or raise BadQuery naming the faults."""
    check_query_string(request, allowed=allowed)
    # Views that do not page still refuse a malformed page number rather than ignore it.
    for name in PAGING_PARAMETERS & allowed - {"lang"}:
        positive_integer(request, name, None)
    filterset = MilestoneFilter(request.GET, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise BadQuery(filter_problems(filterset))
    return filterset


def check_query_string(request, *, allowed, filters=tuple(MilestoneFilter.base_filters)):
    """Refuse over-long queries, bytes that are not UTF-8 and parameters nobody reads.

    The address reads ``filters`` (default: the milestone filters) and ``allowed``; a refusal
    of any other parameter names them all.
    """
    raw = request.META.get("QUERY_STRING", "")
    if len(raw) > MAX_QUERY_LENGTH:
        raise BadQuery(
            [
                gettext("The address is too long: at most %(limit)d characters of query.")
                % {"limit": MAX_QUERY_LENGTH}
            ]
        )
    try:
        parse_qsl(raw.encode("iso-8859-1").decode("utf-8"), errors="strict")
    except (UnicodeError, ValueError):
        raise BadQuery(
            [gettext("The address contains characters that are not valid UTF-8.")]
        ) from None
    unknown = sorted(set(request.GET) - set(filters) - allowed)
    if unknown:
        raise BadQuery([unknown_parameters_sentence(unknown, [*filters, *sorted(allowed)])])


def unknown_parameters_sentence(names, known):
    """Return the sentence refusing parameters nobody reads, with those the address reads."""
    return gettext("Unknown parameter %(names)s: this address reads %(known)s.") % {
        "names": ", ".join(shorten(name) for name in names),
        "known": ", ".join(known),
    }


def filter_problems(filterset):
    """Return one sentence per invalid filter value, naming the filter and the value."""
    problems = []
    for name, errors in filterset.errors.items():
        label = filterset.form.fields[name].label if name in filterset.form.fields else name
        problems.append(
            gettext("%(label)s (%(name)s=%(value)s): %(errors)s")
            % {
                "label": label,
                "name": name,
                "value": shorten(filterset.data.get(name, "")),
                "errors": " ".join(errors),
            }
        )
    return problems


def shorten(value):
    """Return ``value`` cut short enough to quote back in a message."""
    value = str(value)
    return value if len(value) <= MAX_SHOWN_VALUE else value[: MAX_SHOWN_VALUE - 1] + "…"


def positive_integer(request, name, default, *, maximum=None):
    """Return the whole-number parameter ``name`` (1 to ``maximum``) or raise BadQuery."""
    raw = request.GET.get(name, "")
    if raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise BadQuery(
            [
                gettext("%(name)s must be a whole number from 1 upwards, not “%(value)s”.")
                % {"name": name, "value": shorten(raw)}
            ]
        )
    value = int(raw)
    if maximum is not None and value > maximum:
        raise BadQuery(
            [
                gettext("%(name)s can be at most %(maximum)d, not %(value)s.")
                % {"name": name, "maximum": maximum, "value": shorten(value)}
            ]
        )
    return value


class KnownCountPaginator(Paginator):
    """A paginator told how many rows there are, by a figure already read (no COUNT)."""

    def __init__(self, object_list, per_page, *, count):
        super().__init__(object_list, per_page)
        self.count = count


def paginate(request, queryset, per_page, *, count=None):
    """Return the requested page of ``queryset``, or raise BadQuery or PageNotFound.

    ``count``, when given, is the number of rows in ``queryset``, already known to the caller.
    """
    number = positive_integer(request, "page", 1)
    if count is None:
        paginator = Paginator(queryset, per_page)
    else:
        paginator = KnownCountPaginator(queryset, per_page, count=count)
    if number > paginator.num_pages:
        raise PageNotFound(
            gettext("There is no page %(number)s: the last page is %(last)d.")
            % {"number": shorten(number), "last": paginator.num_pages}
        )
    return paginator.page(number)
