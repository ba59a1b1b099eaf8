"""The one language helper: Japanese unless English is asked for and written."""

import pytest
from django.utils import translation

from roadmap import language


@pytest.mark.parametrize(
    ("asked", "code"), [("en", "en"), ("en-us", "en"), ("EN", "en"), ("ja", "ja"), (None, "ja")]
)
def test_code_is_english_for_any_english_and_japanese_otherwise(asked, code):
    assert language.code(asked) == code


def test_current_is_the_active_language():
    with translation.override("en"):
        assert language.current() == "en"
    with translation.override("ja"):
        assert language.current() == "ja"


def test_english_falls_back_to_japanese_where_none_is_written():
    assert language.pick("en", "移行", "Migration") == "Migration"
    assert language.pick("en", "移行", "") == "移行"
    assert language.pick("ja", "移行", "Migration") == "移行"


def test_index_refuses_a_language_the_tracker_does_not_speak():
    assert (language.index("ja"), language.index("en-gb")) == (0, 1)
    with pytest.raises(ValueError, match="Unknown language"):
        language.index("fr")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "ja_JP.UTF-8"}, "ja"),
        ({"LC_ALL": "C", "LC_MESSAGES": "ja_JP.UTF-8", "LANG": "ja_JP.UTF-8"}, "en"),
    ],
)
def test_a_command_line_user_reads_the_language_of_their_locale(environ, expected):
    assert language.of_locale(environ) == expected
