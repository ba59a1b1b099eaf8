"""The pages in a real browser: keyboard use, axe-core on every page and admin screen,
printing to PDF, and the screenshots shown in the README.

Drives Debian's Chromium (never a downloaded browser) through Playwright against the live server.
"""

import re
import unicodedata
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import factory
import pytest
from django.urls import reverse
from django.utils import timezone

from roadmap.models import Milestone, Organization
from tests import factories
from tests.conftest import CHROMIUM, PROJECT_DIR, require
from tests.factories import InitiativeFactory, MilestoneFactory, OrganizationFactory
from tests.showcase import build_showcase

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = PROJECT_DIR / "test-artifacts"
SCREENSHOTS = PROJECT_DIR / "docs" / "screenshots"
# The moment the screenshots show, whatever the day they are taken: today's line, the history's
# times and every other date stay put, so the images change only when the pages' look does.
SCREENSHOT_MOMENT = datetime(2026, 10, 1, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
PASSWORD = "correct horse battery staple"
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
    rows = page.locator(".chart-row")
    assert rows.count() == 1
    assert "2025-04-01 から期限超過" in rows.first.inner_text()
    assert_accessible(page)

    rows.first.locator(".chart-label a").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/milestones/*/")
    assert page.locator("h1").inner_text() == "アドレス・ベース・レジストリの整備"
    assert page.locator("blockquote").inner_text() == "2025年度までに実施する。"
    assert_accessible(page)

    page.goto(f"{live_server.url}/dashboard/")
    assert "東京都" in page.locator("#programme-heading ~ .table-scroll table").first.inner_text()
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


@pytest.fixture
def fixed_moment(monkeypatch):
    """Stop the tracker's clock at SCREENSHOT_MOMENT and number the factories' rows from 0.

    Request it before the fixtures that write: the rows it creates then carry that moment and
    the same names (user0, m-00000) whichever tests ran before.
    """
    monkeypatch.setattr(timezone, "now", lambda: SCREENSHOT_MOMENT)
    for made in vars(factories).values():
        if isinstance(made, type) and issubclass(made, factory.Factory) and made._meta.model:
            made.reset_sequence(force=True)
    return SCREENSHOT_MOMENT


@pytest.fixture
def showcase():
    """The showcase schedule; returns its owner (who signs in with PASSWORD) and a milestone."""
    return build_showcase()


def sign_in(page, base_url, user):
    """Sign in to the admin through its login form."""
    page.goto(f"{base_url}{reverse('admin:login')}")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url(f"{base_url}{reverse('admin:index')}")


def test_every_page_and_admin_screen_passes_axe(showcase, live_server, browser_page):
    owner, milestone = showcase
    page = browser_page
    sign_in(page, live_server.url, owner)
    addresses = [
        "/",
        "/?lang=en",
        "/?view=table",
        "/?group=initiative&scale=month",
        milestone.get_absolute_url(),
        "/dashboard/",
        "/dashboard/?lang=en",
        "/owners/?next=/dashboard/%3Fstatus%3Dplanned",
        "/notifications/",
        "/settings/",
        "/?status=finished",
        "/no-such-page/?lang=en",
        reverse("admin:index"),
        reverse("admin:roadmap_milestone_changelist"),
        reverse("admin:roadmap_milestone_change", args=[milestone.pk]),
        reverse("admin:roadmap_milestone_revise_deadline", args=[milestone.pk]),
        reverse("admin:roadmap_milestone_history", args=[milestone.pk]),
    ]
    for address in addresses:
        page.goto(f"{live_server.url}{address}")
        assert_accessible(page)
    # The history list's oldest version, to look at or restore.
    page.click("#change-history tbody tr:last-child a")
    page.wait_for_selector(".submit-row")
    assert_accessible(page)


def test_chart_axis_stays_in_view_while_the_rows_scroll(showcase, live_server, browser_page):
    page = browser_page
    page.set_viewport_size({"width": 1200, "height": 500})
    page.goto(f"{live_server.url}/")
    chart = page.locator(".chart")
    axis_top = page.locator(".chart-axis").bounding_box()["y"]
    chart.evaluate("chart => { chart.scrollTop = 200; }")
    assert page.locator(".chart-axis").bounding_box()["y"] == axis_top
    band = page.get_by_role("link", name=re.compile("アドレス・ベース・レジストリの整備 — "))
    assert band.get_attribute("aria-label").endswith("デジタル庁 · 2024年度末 · 期限超過")


def pdf_text(pdf):
    """Return the PDF's text; NFKC undoes the fonts' radical forms (⽇ for 日)."""
    return unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in pdf.pages))


def test_owner_is_found_by_typing_part_of_its_name(showcase, live_server, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/")
    # The box can be typed in once the page's script has fetched every organization.
    page.get_by_label("名前の一部を入力すると候補を絞り込めます").fill("東京都第2")
    assert page.locator("#id_owner").input_value() == "131001"
    page.get_by_role("button", name="絞り込む").click()
    page.wait_for_url("**/?*owner=131001*")
    assert page.locator(".chart-row").count() == 2


@pytest.fixture
def organization_count(showcase):
    return Organization.objects.count()


def test_the_owner_chosen_stays_chosen_among_every_organization_fetched(
    organization_count, live_server, browser_page
):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{live_server.url}/dashboard/?owner=131001&lang=en")
    select = page.locator("#id_owner")
    expect(page.get_by_label("Type part of a name to narrow the list")).to_be_enabled()
    assert select.locator("option").count() == organization_count + 1  # and "All"
    assert select.input_value() == "131001"
    assert select.get_attribute("aria-busy") is None
    select.select_option(label="Digital Agency")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/dashboard/?*owner=digital*")
    assert page.locator("#id_owner").input_value() == "digital"


def test_without_script_an_owner_is_chosen_from_the_page_of_organizations(
    showcase, live_server, browser_page
):
    page = browser_page
    page.context.route("**/*.js", lambda route: route.abort())
    page.goto(f"{live_server.url}/?status=in_progress")
    assert page.locator("#id_owner option").count() == 1  # "All" alone: nothing fetched
    page.get_by_role("link", name="一覧から組織を選ぶ").click()
    page.get_by_role("link", name="東京都第2市", exact=True).click()
    page.wait_for_url("**/?status=in_progress&owner=131001")
    assert page.locator("#id_owner").input_value() == "131001"


def test_when_the_organizations_cannot_be_fetched_the_choice_and_the_list_page_remain(
    showcase, live_server, browser_page
):
    from playwright.sync_api import expect

    page = browser_page
    page.context.route("**/owners/options/*", lambda route: route.fulfill(status=503))
    page.goto(f"{live_server.url}/?owner=131001")
    expect(page.locator("#id_owner")).not_to_have_attribute("aria-busy", "true")
    expect(page.locator(".owner-search")).to_have_count(0)
    assert page.locator("#id_owner option").all_inner_texts() == ["すべて", "東京都第2市"]
    assert page.locator("#id_owner").input_value() == "131001"
    expect(page.get_by_role("link", name="一覧から組織を選ぶ")).to_be_visible()


def test_timeline_prints_on_landscape_a4_with_filters_date_and_page_numbers(
    showcase, live_server, browser_page, tmp_path
):
    from pypdf import PdfReader

    page = browser_page
    page.goto(f"{live_server.url}/?owner=digital")
    page.emulate_media(media="print")
    path = tmp_path / "timeline.pdf"
    page.pdf(path=str(path), prefer_css_page_size=True, print_background=True)
    pdf = PdfReader(path)
    first = pdf.pages[0]
    width, height = float(first.mediabox.width), float(first.mediabox.height)
    assert (round(width), round(height)) == (842, 595)  # A4 landscape, in points
    text = pdf_text(pdf)
    assert "担当組織 = digital" in text
    assert "時点(日本時間)" in text  # NFKC makes the full-width brackets plain
    assert "電子申請の原則化" in text
    assert f"1 / {len(pdf.pages)}" in text


def test_dashboard_prints_on_portrait_a4(showcase, live_server, browser_page, tmp_path):
    from pypdf import PdfReader

    page = browser_page
    page.goto(f"{live_server.url}/dashboard/")
    path = tmp_path / "dashboard.pdf"
    page.pdf(path=str(path), prefer_css_page_size=True, print_background=True)
    pdf = PdfReader(path)
    width, height = float(pdf.pages[0].mediabox.width), float(pdf.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)
    text = pdf_text(pdf)
    assert "分野別" in text and "都道府県別" in text
    assert f"{len(pdf.pages)} / {len(pdf.pages)}" in text


@pytest.mark.parametrize("language", ["ja", "en"])
def test_screenshots_for_the_readme(fixed_moment, showcase, live_server, browser_page, language):
    owner, milestone = showcase
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server.url, owner)
    # Each page shot from the part worth seeing: below the filters, at the chart or the figures.
    shots = {
        "timeline": ("/", ".view-options"),
        "dashboard": ("/dashboard/", "#areas-heading"),
        "milestone": (milestone.get_absolute_url(), "h1"),
        "admin": (reverse("admin:roadmap_milestone_changelist"), "#header"),
    }
    for name, (address, top) in shots.items():
        page.goto(f"{live_server.url}{address}?lang={language}")
        assert page.locator("html").get_attribute("lang") == language
        page.locator(top).first.evaluate("element => element.scrollIntoView()")
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{language}.png"))
        if name == "dashboard":
            # Every area in the shot is named, not shown as a bare number.
            areas = page.locator("[aria-labelledby=areas-heading] tbody th").all_inner_texts()
            assert areas and not [area for area in areas if area.strip().isdigit()], areas
    # Today's line is drawn at the fixed moment, not on the day the test runs.
    page.goto(f"{live_server.url}/?lang={language}")
    assert "2026-10-01" in page.locator(".chart-legend").inner_text()
