import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from tests.factories import MilestoneFactory

pytestmark = pytest.mark.django_db

LOCALE = Path(__file__).resolve().parent.parent / "roadmap" / "locale"


def untranslated(po_path):
    """Return the msgids of a .po file whose msgstr is empty (the header excepted)."""
    missing = []
    for block in po_path.read_text(encoding="utf-8").split("\n\n"):
        ids = re.findall(r'^msgid ((?:".*"\n?)+)', block, re.M)
        strs = re.findall(r'^msgstr(?:\[\d+\])? ((?:".*"\n?)+)', block, re.M)
        if not ids:
            continue
        msgid = "".join(ast.literal_eval(part) for part in ids[0].split("\n") if part)
        if msgid and any(
            not "".join(ast.literal_eval(part) for part in s.split("\n") if part) for s in strs
        ):
            missing.append(msgid)
    return missing


@pytest.mark.parametrize("language", ["ja", "en"])
def test_compiled_catalogs_are_in_the_repository(language):
    assert (LOCALE / language / "LC_MESSAGES" / "django.mo").stat().st_size > 1000


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_message_is_translated(language):
    assert untranslated(LOCALE / language / "LC_MESSAGES" / "django.po") == []


def test_compiled_japanese_catalog_is_used():
    with translation.override("ja"):
        assert translation.gettext("Timeline") == "タイムライン"
        assert translation.gettext("Planned") == "未着手"


def test_pages_are_japanese_by_default(client):
    response = client.get("/")
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert "マイルストーンのタイムライン" in html
    assert response["Content-Language"] == "ja"


def test_browser_asking_for_english_gets_english(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert "Timeline of milestones" in html


def test_language_switch_form_remembers_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Timeline of milestones" in client.get("/").content.decode()


def test_lang_parameter_reads_one_page_in_english(client):
    assert "Timeline of milestones" in client.get("/?lang=en").content.decode()
    assert "マイルストーンのタイムライン" in client.get("/").content.decode()


def test_fiscal_years_are_labelled_with_both_eras_in_japanese_and_fy_in_english(client):
    MilestoneFactory()
    assert "2025年度（令和7年度）" in client.get("/").content.decode()
    assert "FY2025" in client.get("/?lang=en").content.decode()


def test_statuses_are_shown_in_the_readers_language(client):
    MilestoneFactory()
    assert "未着手" in client.get("/").content.decode()
    assert "Planned" in client.get("/?lang=en").content.decode()


def test_error_messages_are_translated(client):
    english = client.get("/?status=nope&lang=en").content.decode()
    japanese = client.get("/?status=nope").content.decode()
    assert "The request could not be read" in english
    assert "リクエストを読み取れませんでした" in japanese
