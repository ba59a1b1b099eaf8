"""The reader's language: Japanese, or English where English is asked for and written.

Everything that shows text in one of the two languages asks this module: models for their
names and titles, the reading views for ``?lang=``, the template filters, the resolver's labels
and explanations, the e-mail digests and the commands' refusals (``of_locale``).
"""

import os
from collections.abc import Mapping

from django.utils import translation

JAPANESE, ENGLISH = "ja", "en"
LANGUAGES = (JAPANESE, ENGLISH)


def current() -> str:
    """Return the active language as "ja" or "en" (Japanese when none is active)."""
    return code(translation.get_language())


def code(language: str | None) -> str:
    """Return "en" for any English (``en``, ``en-us`` …) and "ja" for anything else."""
    return ENGLISH if language and language.lower().startswith(ENGLISH) else JAPANESE


def of_locale(environ: Mapping[str, str] | None = None) -> str:
    """Return the language of a command-line user's locale, read as gettext reads it (LC_ALL,
    then LC_MESSAGES, then LANG): "ja" for a Japanese locale (``ja_JP.UTF-8``), "en" for any
    other, the untranslated C and POSIX locales included."""
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if value := environ.get(name):
            return JAPANESE if value.lower().startswith(JAPANESE) else ENGLISH
    return ENGLISH


def index(language: str) -> int:
    """Return 0 for Japanese and 1 for English; refuse any other language."""
    prefix = language[:2].lower()
    if prefix not in LANGUAGES:
        raise ValueError(f"Unknown language {language!r}: expected 'ja' or 'en'.")
    return LANGUAGES.index(prefix)


def pick(language: str | None, ja: str, en: str) -> str:
    """Return ``en`` for English readers when it is written, else ``ja``."""
    return en if code(language) == ENGLISH and en else ja


def localized(obj, field: str, language: str | None) -> str:
    """Return ``obj.<field>_en`` for English readers when it is filled, else ``<field>_ja``."""
    return pick(language, getattr(obj, f"{field}_ja"), getattr(obj, f"{field}_en"))
