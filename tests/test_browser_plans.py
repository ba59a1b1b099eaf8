"""The editions pages and the timeline against a baseline, in a real browser with axe-core."""

import pytest

from tests.editions import earlier_edition, import_sample
from tests.test_browser import assert_accessible, browser_page  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def editions():
    earlier_edition()
    import_sample()


def test_editions_changes_and_baseline_timeline_work_by_keyboard_and_pass_axe(
    editions,
    live_server,
    browser_page,  # noqa: F811
):
    page = browser_page
    page.goto(f"{live_server.url}/plans/")
    assert page.locator("h1").inner_text() == "計画の版"
    assert_accessible(page)

    page.locator('a[href="/plans/sample-2025/changes/"]').focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/plans/sample-2025/changes/")
    assert "+365日" in page.locator("#class-moved_later").locator("..").inner_text()
    assert_accessible(page)

    page.goto(f"{live_server.url}/?baseline=sample-2024")
    assert page.locator(".chart svg .ghost").count() == 8
    assert page.locator(".chart-legend svg .ghost").count() == 1
    assert "ずれ：+365日（基準 2025-03-31）" in page.locator("main").inner_text()
    assert_accessible(page)
