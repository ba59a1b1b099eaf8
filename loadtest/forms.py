"""What a browser would submit from a page's form: for the load test's owners and the soak."""

import re
from html import unescape

INPUT = re.compile(r"<input\b[^>]*>", re.S)
ATTRIBUTE = re.compile(r'(\w[\w-]*)="([^"]*)"')
TEXTAREA = re.compile(r'<textarea\b[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', re.S)
SELECT = re.compile(r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', re.S)
SELECTED = re.compile(r'<option value="([^"]*)"[^>]*\bselected\b')


def form_values(html):
    """Return the values a browser would submit from the page's form (no file inputs)."""
    values = {}
    for tag in INPUT.findall(html):
        attributes = dict(ATTRIBUTE.findall(tag))
        name, kind = attributes.get("name"), attributes.get("type", "text")
        if not name or kind in {"submit", "button", "file"}:
            continue
        if kind == "checkbox" and "checked" not in tag:
            continue
        values[name] = unescape(attributes.get("value", "on" if kind == "checkbox" else ""))
    for name, text in TEXTAREA.findall(html):
        values[name] = unescape(text).removeprefix("\n")
    for name, options in SELECT.findall(html):
        chosen = SELECTED.findall(options)
        values[name] = unescape(chosen[0]) if chosen else ""
    return values
