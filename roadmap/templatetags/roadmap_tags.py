"""Template filters for showing milestones in the reader's language."""

from django import template
from django.utils.html import format_html, format_html_join

from roadmap import baselines, periods
from roadmap.language import pick
from roadmap.standard_systems import SYSTEMS_BY_NUMBER

register = template.Library()

STATUS_ICONS = {"planned": "○", "in_progress": "◐", "done": "✔", "cancelled": "✕"}
RAG_ICONS = {"green": "●", "amber": "◆", "red": "▲"}


@register.filter
def in_language(obj, language):
    """Return a milestone's, initiative's or plan's title, or an organization's name."""
    if hasattr(obj, "title"):
        return obj.title(language)
    return obj.name(language)


@register.filter
def fiscal_year_label(fy, language):
    """Return 「2025年度（令和7年度）」 or "FY2025"."""
    return periods.fiscal_year_label(fy, language)


@register.filter
def quarter_label(quarter, language):
    """Return 「第3四半期」 or "Q3"."""
    return periods.quarter_label(quarter, language)


@register.filter
def status_icon(status):
    """Return the symbol that accompanies (never replaces) a status's name."""
    return STATUS_ICONS.get(status, "")


@register.filter
def rag_icon(rag):
    """Return the shape that accompanies (never replaces) a RAG rating's name."""
    return RAG_ICONS.get(rag, "")


@register.filter
def named(row, language):
    """Return the name of a by-owner dashboard row in ``language``."""
    return pick(language, row["owner__name_ja"], row["owner__name_en"])


@register.filter
def business_system_name(number, language):
    """Return the name of standard business system ``number`` in ``language``."""
    system = SYSTEMS_BY_NUMBER.get(number)
    return system.name(language) if system else ""


@register.filter
def slip_words(days):
    """Write a slip in days as readers do: "+184 days"."""
    return baselines.slip_words(days)


@register.filter
def rate_cells(row):
    """Return the cells of a row of rates: its systems, then its three rates in percent.

    Written in one go rather than by an included template per row: the programme's pages
    show two hundred such rows. Numbers are written as the templates write them (no grouping).
    """
    return format_html(
        "<td>{}</td><td>{}%</td><td>{}%</td><td>{}%</td>",
        row.systems,
        row.completion,
        row.in_progress,
        row.not_started,
    )


@register.filter
def step_cells(cells):
    """Return a grid row's step cells: each state's symbol (hidden from readers) and word."""
    return format_html_join(
        "",
        '<td class="state-{}"><span aria-hidden="true">{}</span> {}</td>',
        ((cell["state"], cell["symbol"], cell["label"]) for cell in cells),
    )
