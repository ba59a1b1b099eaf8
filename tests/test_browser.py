"""The reading pages in a real browser: keyboard use, axe-core checks, a screenshot.

Drives Debian's Chromium (never a downloaded browser) through Playwright against the live server.
"""

from datetime import date
from pathlib import Path

import pytest

from roadmap.models import Milestone, Organization
from tests.conftest import CHROMIUM, PROJECT_DIR, require
from tests.factories import InitiativeFactory, MilestoneFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = PROJECT_DIR / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page(tmp_path, settings):
    """Return a page of a fresh Chromium profile; static files served straight from the app.

    Request it after any fixture that writes to the database: while Playwright runs, the test
    thread has an event loop, in which Django refuses database calls.
    """
    require(Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    # The live server has no collected manifest; the plain storage serves files as they are.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            locale="ja-JP",
            viewport={"width": 1400, "height": 1000},
        )
        page = context.new_page()
        yield page
        context.close()


def assert_accessible(page):
    """Run axe-core on the page and fail listing every violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.fixture
def plan():
    """A few milestones in different fiscal years, one overdue, one without a deadline."""
    digital = OrganizationFactory(code="digital", name_ja="デジタル庁", name_en="Digital Agency")
    tokyo = OrganizationFactory(code="130001", name_ja="東京都", kind=Organization.Kind.PREFECTURE)
    area = InitiativeFactory(number="5", title_ja="地方公共団体のDX")
    MilestoneFactory(
        title_ja="住民記録システムの標準化",
        title_en="Standardise the resident register",
        owner=tokyo,
        initiative=InitiativeFactory(number="5.1", parent=area),
        business_system=1,
        status=Milestone.Status.IN_PROGRESS,
        rag=Milestone.Rag.AMBER,
    )
    MilestoneFactory(
        title_ja="アドレス・ベース・レジストリの整備",
        owner=digital,
        phrase="2024年度中",
        window_start=date(2024, 4, 1),
        window_end=date(2025, 3, 31),
        deadline=date(2025, 3, 31),
        overdue_since=date(2025, 4, 1),
        rag=Milestone.Rag.RED,
    )
    MilestoneFactory(
        title_ja="デジタル原則に照らした規制の点検",
        owner=digital,
        phrase="速やかに",
        window_end=None,
        deadline=None,
        precision=Milestone.Precision.OPEN,
        rule="open",
    )


def test_timeline_filter_milestone_and_dashboard_work_by_keyboard_and_pass_axe(
    plan, live_server, browser_page
):
    page = browser_page
    page.goto(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "マイルストーンのタイムライン"
    assert_accessible(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "timeline.png"), full_page=True)

    page.keyboard.press("Tab")
    skip_link = page.locator(".skip-link")
    assert skip_link.evaluate("link => link === document.activeElement")
    assert skip_link.evaluate("link => getComputedStyle(link).outlineStyle") == "solid"

    page.locator("#id_q").focus()
    page.keyboard.type("アドレス")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?*q=*")
    rows = page.locator("table.timeline tbody tr")
    assert rows.count() == 1
    assert "2025-04-01 から期限超過" in rows.first.inner_text()
    assert_accessible(page)

    rows.first.locator("a").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/milestones/*/")
    assert page.locator("h1").inner_text() == "アドレス・ベース・レジストリの整備"
    assert page.locator("blockquote").inner_text() == "2025年度までに実施する。"
    assert_accessible(page)

    page.goto(f"{live_server.url}/dashboard/")
    assert "東京都" in page.locator("#programme-heading + p + div table").inner_text()
    assert_accessible(page)


def test_language_switch_shows_the_timeline_in_english(plan, live_server, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/")
    page.locator("#language-select").select_option("en")
    page.locator(".language-switch button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Standardise the resident register" in page.locator("main").inner_text()
    assert "FY2025" in page.locator("main").inner_text()
    assert_accessible(page)
