import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from roadmap.models import DeadlineRevision, Milestone, StatusComment, Step
from roadmap.views.pages import PER_PAGE
from tests.factories import (
    InitiativeFactory,
    MilestoneFactory,
    OrganizationFactory,
    UserFactory,
    bulk_milestones,
)

pytestmark = pytest.mark.django_db

# count, page of milestones, fiscal years, baseline editions: the owners to choose from are
# fetched apart (tests/test_owners.py)
TIMELINE_QUERIES = 4
# milestone, revisions, their users, comments, authors, steps, editions, history, owners,
# indicators (their measurements: one more when there are any)
MILESTONE_QUERIES = 10


def text(response):
    """Return the page's visible text with tags removed and whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def varied_milestones(count):
    """Create ``count`` milestones spread over several fiscal years, some without a deadline."""
    owner, initiative = OrganizationFactory(), InitiativeFactory()
    built = []
    for i in range(count):
        end = None if i % 10 == 9 else date(2024 + i % 4, 4, 1) + timedelta(days=(i * 37) % 360)
        built.append(
            Milestone(
                ref=f"v-{i:05d}",
                owner=owner,
                initiative=initiative,
                title_ja=f"項目{i}",
                phrase="2025年度まで",
                reference_date=date(2024, 6, 21),
                window_start=None if i % 2 else end and end - timedelta(days=90),
                window_end=end,
                deadline=end,
                precision=Milestone.Precision.OPEN if end is None else Milestone.Precision.MONTH,
                rule="open" if end is None else "month",
                status=Milestone.Status.IN_PROGRESS if i % 3 else Milestone.Status.PLANNED,
                overdue_since=end + timedelta(days=1) if end and i % 7 == 0 else None,
                rag=["", "green", "amber", "red"][i % 4],
            )
        )
    return Milestone.objects.bulk_create(built)


# Timeline ------------------------------------------------------------------------------------


def test_table_view_groups_milestones_by_fiscal_year_and_quarter_of_the_deadline(client):
    MilestoneFactory(title_ja="早い", deadline=date(2025, 4, 10), window_end=date(2025, 4, 10))
    MilestoneFactory(title_ja="年度末", deadline=date(2026, 3, 31))
    page = text(client.get("/?view=table"))
    assert "2025年度（令和7年度）" in page
    first_quarter = page.index("2025年度（令和7年度） 第1四半期")
    fourth_quarter = page.index("2025年度（令和7年度） 第4四半期")
    assert first_quarter < page.index("早い") < fourth_quarter < page.index("年度末")


def test_milestones_without_deadline_come_last_in_their_own_group(client):
    MilestoneFactory(title_ja="期限なし", deadline=None, window_end=None, precision="open")
    MilestoneFactory(title_ja="期限あり")
    page = text(client.get("/"))
    assert page.index("期限あり") < page.index("期限の定めなし") < page.index("期限なし")


def test_timeline_row_shows_owner_phrase_deadline_status_overdue_and_rag_in_words(client):
    MilestoneFactory(
        title_ja="住民記録システムの移行",
        owner=OrganizationFactory(name_ja="デジタル庁"),
        phrase="原則2025年度まで",
        deadline=date(2026, 3, 31),
        status=Milestone.Status.IN_PROGRESS,
        overdue_since=date(2026, 4, 1),
        rag=Milestone.Rag.RED,
    )
    page = text(client.get("/"))
    for words in (
        "住民記録システムの移行",
        "デジタル庁",
        "原則2025年度まで",
        "2026-03-31",
        "実施中",
        "2026-04-01 から期限超過",
        "赤：遅延",
    ):
        assert words in page


def test_unassessed_rag_and_not_overdue_are_said_in_words(client):
    MilestoneFactory()
    page = text(client.get("/?view=table"))
    assert "未評価" in page
    assert "なし" in page


def test_table_view_band_is_svg_without_inline_styles_and_hidden_from_screen_readers(client):
    MilestoneFactory(window_start=date(2025, 4, 1), window_end=date(2026, 3, 31))
    html = client.get("/?view=table").content.decode()
    assert re.search(r'<rect class="band" x="[\d.]+" y="26" width="[\d.]+"', html)
    assert "style=" not in html
    assert all('aria-hidden="true"' in svg for svg in re.findall(r"<svg[^>]*>", html))


def test_band_has_a_text_equivalent_of_the_window(client):
    MilestoneFactory(window_start=date(2025, 4, 1), window_end=date(2026, 3, 31))
    assert "期間： 2025-04-01 – 2026-03-31" in text(client.get("/?view=table"))


def test_open_ended_window_is_drawn_open_and_written_with_an_ellipsis(client):
    MilestoneFactory(window_start=None, window_end=date(2026, 3, 31))
    response = client.get("/?view=table")
    assert 'class="band band-open"' in response.content.decode()
    assert "期間： … – 2026-03-31" in text(response)


def test_today_is_marked_on_the_axis(client):
    today = timezone.localdate()
    MilestoneFactory(window_end=today + timedelta(days=30), deadline=today + timedelta(days=30))
    html = client.get("/").content.decode()
    assert '<line class="today"' in html
    assert today.isoformat() in text(client.get("/"))


def test_english_timeline_uses_english_titles_and_fiscal_year_labels(client):
    MilestoneFactory(title_en="Register migrated", deadline=date(2026, 3, 31))
    page = text(client.get("/?view=table&lang=en"))
    assert "FY2025" in page
    assert "Q4" in page
    assert "Register migrated" in page


def test_english_title_falls_back_to_japanese(client):
    MilestoneFactory(title_ja="日本語のみ", title_en="")
    assert "日本語のみ" in text(client.get("/?lang=en"))


def test_filter_form_keeps_the_chosen_values(client):
    MilestoneFactory(status=Milestone.Status.DONE, completed_on=date(2025, 1, 1))
    html = client.get("/?status=done").content.decode()
    assert '<option value="done" selected>' in html


def test_timeline_shows_only_filtered_milestones(client):
    MilestoneFactory(title_ja="対象", status=Milestone.Status.IN_PROGRESS)
    MilestoneFactory(title_ja="対象外")
    page = text(client.get("/?status=in_progress"))
    assert "対象" in page
    assert "対象外" not in page


def test_export_links_carry_the_filters_but_not_the_page(client):
    MilestoneFactory(status=Milestone.Status.IN_PROGRESS)
    html = client.get("/?status=in_progress&page=1").content.decode()
    assert 'href="/milestones.csv?status=in_progress"' in html
    assert 'href="/milestones.ics?status=in_progress"' in html


def test_long_lists_are_paginated_by_a_hundred(client):
    bulk_milestones(101)
    first, second = client.get("/?view=table"), client.get("/?view=table&page=2")
    assert first.content.decode().count('<th scope="row"><a href="/milestones/') == 100
    assert second.content.decode().count('<th scope="row"><a href="/milestones/') == 1
    assert 'href="?view=table&amp;page=2"' in first.content.decode()


def test_next_page_link_keeps_the_filters(client):
    bulk_milestones(101, status=Milestone.Status.IN_PROGRESS)
    html = client.get("/?status=in_progress").content.decode()
    assert 'href="?status=in_progress&amp;page=2"' in html


@pytest.mark.parametrize("count", [10, 1000])
def test_timeline_costs_the_same_queries_whatever_the_number_of_milestones(
    client, django_assert_num_queries, count
):
    varied_milestones(count)
    with django_assert_num_queries(TIMELINE_QUERIES):
        response = client.get("/")
    assert response.status_code == 200


@pytest.mark.parametrize("count", [10, 1000])
def test_filtered_timeline_costs_one_more_query_to_check_the_owner(
    client, django_assert_num_queries, count
):
    varied_milestones(count)
    code = Milestone.objects.first().owner.code
    client.get("/")
    with django_assert_num_queries(TIMELINE_QUERIES + 1):
        response = client.get(f"/?owner={code}&status=in_progress&fy=2025&q=項目")
    assert response.status_code == 200


# Bad input -----------------------------------------------------------------------------------


def test_invalid_filter_value_gets_a_400_page_naming_the_filter_and_value(client):
    MilestoneFactory(title_ja="見えてはいけない")
    response = client.get("/?status=finished")
    page = text(response)
    assert response.status_code == 400
    assert "「状態」（status=finished）" in page
    assert "見えてはいけない" not in page


def test_misspelt_filter_name_gets_a_400_naming_it(client):
    response = client.get("/?stauts=done")
    assert response.status_code == 400
    assert "stauts" in text(response)


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1e3", "%00"])
def test_malformed_page_number_gets_a_400_page(client, page):
    response = client.get(f"/?page={page}")
    assert response.status_code == 400
    assert "page には1以上の整数を指定してください" in text(response)


def test_page_past_the_end_gets_a_readable_404(client):
    MilestoneFactory()
    response = client.get("/?page=99999999999999999999999")
    assert response.status_code == 404
    assert "最後のページは1ページ目です" in text(response)


def test_very_long_query_string_gets_a_400(client):
    response = client.get("/?q=" + "x" * 5000)
    assert response.status_code == 400
    assert "アドレスが長すぎます" in text(response)


def test_query_that_is_not_utf8_gets_a_400(client):
    response = client.get("/?q=%C3%28")
    assert response.status_code == 400
    assert "UTF-8" in text(response)


def test_unknown_language_gets_a_400(client):
    assert client.get("/?lang=fr").status_code == 400


def test_bad_request_page_does_not_echo_markup(client):
    response = client.get("/?status=<script>alert(1)</script>")
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_posting_to_the_timeline_is_not_allowed(client):
    assert client.post("/").status_code == 405


# Milestone page ------------------------------------------------------------------------------


def test_milestone_page_quotes_the_source_wording(client):
    milestone = MilestoneFactory(source_text="原則2025年度までに移行する。")
    html = client.get(milestone.get_absolute_url()).content.decode()
    assert '<blockquote lang="ja">原則2025年度までに移行する。</blockquote>' in html


def test_milestone_page_explains_how_the_phrase_was_read(client):
    milestone = MilestoneFactory(rule="fy-within", window_start=date(2024, 4, 1), soft=True)
    page = text(client.get(milestone.get_absolute_url()))
    assert "Y年度中：4月1日から翌年3月31日まで" in page
    assert "期間の開始 2024-04-01" in page
    assert "期間の終了 2026-03-31" in page
    assert "年度" in page
    assert "はい：原文に「目途」「予定」などの表現があります" in page


def test_milestone_page_explains_the_rule_in_english(client):
    milestone = MilestoneFactory(rule="fy-by")
    page = text(client.get(milestone.get_absolute_url() + "?lang=en"))
    assert "By the end of the fiscal year (31 March of the following year)" in page


def test_milestone_page_lists_deadline_revisions_with_reasons(client):
    milestone = MilestoneFactory()
    DeadlineRevision.objects.create(
        milestone=milestone,
        old_phrase="2025年度まで",
        old_deadline=date(2026, 3, 31),
        new_phrase="2030年度まで",
        new_deadline=date(2031, 3, 31),
        reason="移行困難システムとして個別に期限を設定",
        kind=DeadlineRevision.Kind.REPLAN,
        decided_by=UserFactory(username="kanri"),
    )
    page = text(client.get(milestone.get_absolute_url()))
    assert "移行困難システムとして個別に期限を設定" in page
    assert "2030年度まで 2031-03-31" in page
    assert "正式な計画変更 （後ろ倒し）" in page
    assert "kanri" in page


def test_milestone_page_shows_status_comments(client):
    milestone = MilestoneFactory()
    StatusComment.objects.create(
        milestone=milestone, old_status="planned", new_status="in_progress", comment="着手した"
    )
    page = text(client.get(milestone.get_absolute_url()))
    assert "未着手 → 実施中" in page
    assert "着手した" in page


def test_milestone_page_shows_who_changed_what_in_the_history(client):
    milestone = MilestoneFactory()
    milestone.status = Milestone.Status.IN_PROGRESS
    milestone._history_user = UserFactory(username="tanto")
    milestone.save()
    page = text(client.get(milestone.get_absolute_url()))
    assert "状態: 未着手 → 実施中" in page
    assert "tanto" in page
    assert "作成" in page


def test_history_names_a_new_owner_rather_than_its_number(client):
    milestone = MilestoneFactory(owner=OrganizationFactory(name_ja="総務省"))
    milestone.owner = OrganizationFactory(name_ja="デジタル庁")
    milestone.save()
    assert "担当組織: 総務省 → デジタル庁" in text(client.get(milestone.get_absolute_url()))


def test_milestone_page_shows_overdue_since_and_who_assessed_the_rag(client):
    milestone = MilestoneFactory(
        overdue_since=date(2026, 4, 1),
        rag=Milestone.Rag.AMBER,
        rag_assessed_by=UserFactory(username="hyoka"),
        rag_assessed_at=timezone.now(),
    )
    page = text(client.get(milestone.get_absolute_url()))
    assert "2026-04-01 から期限超過" in page
    assert "黄：要注意" in page
    assert "hyoka が" in page


def changed_many_times(times):
    milestone = MilestoneFactory()
    user = UserFactory()
    for i in range(times):
        DeadlineRevision.objects.create(
            milestone=milestone, new_phrase="x", reason="r", kind="slip", decided_by=user
        )
        StatusComment.objects.create(
            milestone=milestone,
            old_status="planned",
            new_status="planned",
            comment="c",
            author=user,
        )
        milestone.title_ja = f"題名{i}"
        milestone.owner = OrganizationFactory()
        milestone.save()
    return milestone


@pytest.mark.parametrize("times", [2, 30])
def test_milestone_page_costs_the_same_queries_whatever_its_history(
    client, django_assert_num_queries, times
):
    milestone = changed_many_times(times)
    with django_assert_num_queries(MILESTONE_QUERIES):
        response = client.get(milestone.get_absolute_url())
    assert response.status_code == 200


def with_steps(milestone, done):
    """Record the 40 standard steps of ``milestone``, the first ``done`` of them completed."""
    Step.objects.bulk_create(
        Step(
            milestone=milestone,
            number=number,
            state=Step.State.DONE if number <= done else Step.State.NOT_STARTED,
            changed_on=date(2025, 4, 1) + timedelta(days=number - 1) if number <= done else None,
        )
        for number in range(1, 41)
    )
    return milestone


@pytest.mark.parametrize("steps", [0, 40])
def test_milestone_page_costs_the_same_queries_with_or_without_steps(
    client, django_assert_num_queries, steps
):
    milestone = changed_many_times(2)
    if steps:
        with_steps(milestone, done=12)
    with django_assert_num_queries(MILESTONE_QUERIES):
        response = client.get(milestone.get_absolute_url())
    assert response.status_code == 200


def test_milestone_page_shows_migration_steps_completed_and_the_current_one(client):
    milestone = with_steps(MilestoneFactory(), done=12)
    page = text(client.get(milestone.get_absolute_url()))
    assert "移行の手順" in page
    assert "40手順中12手順が完了しています。" in page
    assert "現在の手順：13. 移行にあたっての課題と対策の整理" in page
    assert (
        "12 ④-3 調達スケジュールの検討（RFI、RFP、予算計上、移行時期等） ● 完了済み 2025-04-12"
        in page
    )
    assert "13 ④-4 移行にあたっての課題と対策の整理 ○ 未着手 （現在の手順） —" in page
    assert "40 ⑱-1 運用開始ステータス ○ 未着手 —" in page


def test_milestone_page_shows_migration_steps_in_english(client):
    milestone = with_steps(MilestoneFactory(), done=3)
    page = text(client.get(milestone.get_absolute_url() + "?lang=en"))
    assert "Migration steps" in page
    assert "3 of 40 steps completed." in page
    assert "Current step: 4. Survey the current system environment" in page
    assert "3 ①-3 Report to the head of the body ● Done 2025-04-03" in page
    assert "40 ⑱-1 In operation ○ Not started —" in page
    assert "English step names are translations, not official names." in page


def test_migration_steps_table_has_a_caption_and_scoped_headers(client):
    milestone = with_steps(MilestoneFactory(), done=0)
    html = client.get(milestone.get_absolute_url()).content.decode()
    table = html[html.index('aria-labelledby="steps-heading"') :]
    table = table[: table.index("</table>")]
    assert "<caption>" in table
    assert table.count('<th scope="col">') == 5
    assert table.count('<th scope="row">') == 40


def test_milestone_with_every_step_completed_says_so(client):
    milestone = with_steps(MilestoneFactory(), done=40)
    page = text(client.get(milestone.get_absolute_url() + "?lang=en"))
    assert "40 of 40 steps completed." in page
    assert "All steps are completed." in page
    assert "Not started" not in page


def test_milestone_without_steps_shows_no_migration_steps(client):
    milestone = MilestoneFactory()
    page = text(client.get(milestone.get_absolute_url() + "?lang=en"))
    assert "Migration steps" not in page
    assert "steps completed" not in page


def test_unknown_milestone_gets_a_readable_404(client):
    response = client.get("/milestones/999999/")
    assert response.status_code == 404
    assert "番号999999のマイルストーンはありません" in text(response)


def test_enormous_milestone_number_gets_a_404_not_an_error(client):
    response = client.get("/milestones/99999999999999999999999/")
    assert response.status_code == 404
    assert "見つかりません" in text(response)


def test_unknown_address_gets_the_readable_404_page(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "このアドレスには何もありません。" in text(response)


def test_too_many_parameters_get_a_readable_400(client):
    response = client.get("/?" + "&".join(f"q={i}" for i in range(1200)))
    assert response.status_code == 400
    assert "リクエストを読み取れませんでした" in text(response)


def test_milestone_page_names_the_business_system(client):
    milestone = MilestoneFactory(business_system=19)
    assert "19. 戸籍" in text(client.get(milestone.get_absolute_url()))


@pytest.mark.parametrize("address", ["/", "/dashboard/", "/?status=nope", "/milestones/0/"])
def test_pages_carry_no_inline_styles_which_the_security_policy_blocks(client, address):
    MilestoneFactory(business_system=1)
    assert "style=" not in client.get(address).content.decode()


def test_milestone_page_carries_no_inline_styles(client):
    milestone = MilestoneFactory(business_system=1)
    assert "style=" not in client.get(milestone.get_absolute_url()).content.decode()


@pytest.mark.urls("tests.urls_failing")
def test_an_unexpected_error_shows_a_readable_page_without_internals(client):
    client.raise_request_exception = False

    response = client.get("/broken/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "エラーが発生しました" in page
    assert "Something went wrong" in page
    assert "internal detail" not in page
    assert "Traceback" not in page


# Timeline chart -------------------------------------------------------------------------------


def test_timeline_is_one_chart_with_one_axis_and_rows_grouped_by_fiscal_year(client):
    MilestoneFactory(title_ja="早い", deadline=date(2025, 4, 10), window_end=date(2025, 4, 10))
    MilestoneFactory(title_ja="遅い", deadline=date(2027, 3, 31), window_end=date(2027, 3, 31))
    html = client.get("/").content.decode()
    assert html.count('class="chart-axis"') == 1
    chart = html[html.index('<div class="chart"') :]
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", chart))
    assert page.index("2025年度（令和7年度）") < page.index("早い")
    assert page.index("早い") < page.index("2026年度（令和8年度）") < page.index("遅い")


def test_every_band_is_a_link_named_with_owner_deadline_and_state(client):
    milestone = MilestoneFactory(
        title_ja="住民記録",
        owner=OrganizationFactory(name_ja="デジタル庁"),
        overdue_since=date(2026, 4, 1),
    )
    html = client.get("/").content.decode()
    band_link = re.search(r'<a class="chart-band" href="([^"]+)" aria-label="([^"]+)">', html)
    assert band_link.groups() == (
        f"/milestones/{milestone.pk}/",
        "住民記録 — デジタル庁 · 2025年度末 · 期限超過",
    )
    assert re.search(r'<text class="band-text overdue-text"[^>]*>期限超過</text>', html)


def test_chart_rows_show_owner_phrase_deadline_status_overdue_and_rag_in_words(client):
    MilestoneFactory(
        title_ja="住民記録システムの移行",
        owner=OrganizationFactory(name_ja="デジタル庁"),
        phrase="原則2025年度まで",
        status=Milestone.Status.IN_PROGRESS,
        overdue_since=date(2026, 4, 1),
        rag=Milestone.Rag.RED,
    )
    page = text(client.get("/"))
    for words in (
        "デジタル庁",
        "原則2025年度まで",
        "2026-03-31",
        "実施中",
        "2026-04-01 から期限超過",
        "赤：遅延",
    ):
        assert words in page


def test_soft_and_open_windows_are_drawn_differently_from_firm_ones(client):
    MilestoneFactory(soft=True)
    MilestoneFactory(window_start=date(2025, 4, 1), window_end=None, deadline=None)
    html = client.get("/").content.decode()
    assert 'class="band band-soft band-planned"' in html
    assert 'class="band band-open band-planned"' in html
    assert '<path class="open-end"' in html


def test_chart_groups_rows_by_initiative_on_request(client):
    MilestoneFactory(initiative=InitiativeFactory(number="7", title_ja="行政のDX"))
    page = text(client.get("/?group=initiative"))
    assert "7 行政のDX" in page


@pytest.mark.parametrize(("scale", "label"), [("quarter", ">Q3<"), ("month", ">10月<")])
def test_chart_zooms_to_quarters_or_months(client, scale, label):
    MilestoneFactory()
    assert label in client.get(f"/?scale={scale}").content.decode()


def test_unknown_scale_group_or_view_gets_a_400_naming_it(client):
    for query in ("scale=week", "group=owner", "view=grid"):
        response = client.get(f"/?{query}")
        assert response.status_code == 400
        assert f"{query.split('=')[0]} には" in text(response)


def test_dated_event_is_placed_at_its_date_not_under_no_deadline(client):
    MilestoneFactory(
        title_ja="SOBO-WEBの運用開始",
        kind=Milestone.Kind.EVENT,
        phrase="2024年4月",
        window_start=date(2024, 4, 1),
        window_end=date(2024, 4, 30),
        deadline=None,
        precision=Milestone.Precision.MONTH,
    )
    page = text(client.get("/"))
    assert "期限の定めなし" not in page
    assert page.index("2024年度（令和6年度）") < page.index("SOBO-WEBの運用開始")


def test_dated_events_sort_by_their_date_across_pages_and_the_pages_stay_stable(client):
    for n in range(PER_PAGE):
        MilestoneFactory(ref=f"a-{n:03d}", deadline=date(2025, 3, 31))
    MilestoneFactory(ref="z-open", deadline=None, window_end=None, precision="open")
    event = MilestoneFactory(
        ref="z-sobo-web",
        title_ja="SOBO-WEBの運用開始",
        kind=Milestone.Kind.EVENT,
        phrase="2024年4月",
        window_start=date(2024, 4, 1),
        window_end=date(2024, 4, 30),
        deadline=None,
        precision=Milestone.Precision.MONTH,
    )
    first = client.get("/").content.decode()
    # The event of April 2024 comes before every deadline of March 2025: the first row of page
    # 1, though it has no deadline and its reference sorts last.
    first_row = first[first.index('<li class="chart-row') :]
    assert "SOBO-WEBの運用開始" in first_row[: first_row.index("</li>")]
    refs = [item["ref"] for item in client.get("/api/milestones/?page_size=100").json()["results"]]
    assert refs[0] == event.ref
    # Every milestone on exactly one page, the same one each time it is asked for.
    links = r'href="/milestones/(\d+)/"'
    pages = [
        re.findall(links, client.get(f"/?view=table&page={n}").content.decode())
        for n in (1, 2, 1, 2)
    ]
    assert pages[0] == pages[2] and pages[1] == pages[3]
    shown = [int(pk) for pk in dict.fromkeys(pages[0] + pages[1])]
    assert sorted(shown) == sorted(Milestone.objects.values_list("pk", flat=True))
    assert str(event.pk) in pages[0] and str(event.pk) not in pages[1]


def test_table_view_is_one_click_away_and_keeps_the_filters(client):
    MilestoneFactory(status=Milestone.Status.IN_PROGRESS)
    html = client.get("/?status=in_progress").content.decode()
    assert 'href="?status=in_progress&amp;view=table"' in html


def test_milestone_page_shows_its_own_band_on_the_axis(client):
    milestone = MilestoneFactory(window_start=date(2025, 4, 1))
    html = client.get(milestone.get_absolute_url()).content.decode()
    assert html.count('class="chart-svg"') == 2
    assert '<rect class="band band-planned"' in html


# Filters -----------------------------------------------------------------------------------


def test_owner_is_chosen_by_name_and_the_address_keeps_the_code(client):
    MilestoneFactory(owner=OrganizationFactory(code="digital", name_ja="デジタル庁"))
    html = client.get("/?owner=digital").content.decode()
    assert '<option value="digital" selected>デジタル庁</option>' in html


def test_fiscal_year_is_a_choice_of_the_years_that_occur(client):
    MilestoneFactory(deadline=date(2025, 3, 31))
    MilestoneFactory(deadline=date(2027, 3, 31))
    html = client.get("/?fy=2025&lang=en").content.decode()
    options = re.findall(r'<option value="(\d{4})"( selected)?>([^<]+)</option>', html)
    assert options == [
        ("2024", "", "FY2024"),
        ("2025", " selected", "FY2025"),
        ("2026", "", "FY2026"),
    ]
    assert "2025年度（令和7年度）" in client.get("/").content.decode()


def test_filter_form_names_its_address(client):
    html = client.get("/dashboard/").content.decode()
    assert '<form class="filters" method="get" action="/dashboard/"' in html


# Language and errors ---------------------------------------------------------------------------


def test_page_not_found_answers_in_english_when_asked(client):
    response = client.get("/no-such-page/?lang=en")
    assert response.status_code == 404
    assert "Not found" in text(response)
