"""The 2024 plan as loadable data: every stored window is what its phrase resolves to."""

from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from roadmap import standardization
from roadmap.models import (
    Indicator,
    Initiative,
    Measurement,
    Milestone,
    Organization,
    Plan,
    RecurringCommitment,
)
from roadmap.services.milestones import resolve_window
from roadmap.services.scheduler import flag_overdue

pytestmark = pytest.mark.django_db
# The plan's text as published, kept beside the fixture that is read from it.
SOURCE = (
    Path(__file__).resolve().parent.parent / "fixtures" / "priority-plan-2024.txt"
).read_text(encoding="utf-8")


@pytest.fixture
def plan():
    call_command("loaddata", "plan_2024", verbosity=0)
    return Plan.objects.get(code="priority-plan-2024")


def test_the_plan_is_the_one_decided_on_21_june_2024(plan):
    assert plan.decided_on == date(2024, 6, 21)
    assert plan.title_ja == "デジタル社会の実現に向けた重点計画"


def test_every_milestone_window_is_what_its_phrase_resolves_to(plan):
    milestones = list(Milestone.objects.all())
    assert len(milestones) >= 20
    for m in milestones:
        window = resolve_window(m.phrase, reference=m.reference_date, anchor=m.anchor)
        stored = (m.window_start, m.window_end, m.precision, m.soft, m.rule, m.deadline)
        expected = (window.start, window.end, window.precision, window.soft, window.rule)
        assert stored == (*expected, window.deadline(m.kind)), m.ref
        assert m.baseline_deadline == m.deadline, m.ref
        assert m.reference_date == plan.decided_on, m.ref


def test_every_phrase_is_quoted_from_its_source_sentence(plan):
    for m in Milestone.objects.all():
        assert m.phrase in m.source_text and m.title_ja and m.title_en, m.ref


@pytest.mark.parametrize(
    ("ref", "start", "end", "deadline"),
    [
        ("pp2024-mynumber-usage-survey", None, date(2024, 8, 31), date(2024, 8, 31)),
        ("pp2024-mynumber-act-bill", date(2025, 1, 24), date(2025, 6, 22), date(2025, 6, 22)),
        ("pp2024-address-town-data", date(2024, 4, 1), date(2025, 3, 31), date(2025, 3, 31)),
        ("pp2024-subsidy-e-application", date(2025, 4, 1), None, date(2025, 4, 1)),
        ("pp2024-local-system-standardization", None, date(2026, 3, 31), date(2026, 3, 31)),
        ("pp2024-digital-marketplace", date(2024, 10, 1), date(2025, 3, 31), date(2025, 3, 31)),
        ("pp2024-attack-surface-and-protective-dns", date(2024, 4, 1), None, date(2024, 4, 1)),
        ("pp2024-disaster-digital-platform", None, date(2025, 12, 31), date(2025, 12, 31)),
        ("pp2024-sobo-web-operation", date(2024, 4, 1), date(2024, 4, 30), None),
    ],
)
def test_the_plan_commitments_have_their_dates(plan, ref, start, end, deadline):
    m = Milestone.objects.get(ref=ref)
    assert (m.window_start, m.window_end, m.deadline) == (start, end, deadline)


def test_start_commitments_are_start_kind(plan):
    refs = {
        "pp2024-subsidy-e-application",
        "pp2024-attack-surface-and-protective-dns",
        # 「10年を経過する前から検討を進め」: the review must have begun before then.
        "pp2024-digital-agency-review",
    }
    assert set(Milestone.objects.filter(kind="start").values_list("ref", flat=True)) == refs


def test_sobo_web_is_an_event_done_in_april_2024_with_no_invented_day(plan):
    m = Milestone.objects.get(ref="pp2024-sobo-web-operation")
    assert (m.kind, m.status, m.phrase) == ("event", "done", "2024年4月")
    # The source gives the month only: the window says so and no completion day is made up.
    assert (m.window_start, m.window_end, m.precision) == (
        date(2024, 4, 1),
        date(2024, 4, 30),
        "month",
    )
    assert m.completed_on is None


def test_undated_commitments_have_open_windows_and_no_deadline(plan):
    for ref in ("pp2024-gbizid-adoption", "pp2024-digital-agency-1500-staff"):
        m = Milestone.objects.get(ref=ref)
        assert (m.precision, m.deadline, m.window_start, m.window_end) == (
            "open",
            None,
            None,
            None,
        )


def test_nothing_is_flagged_overdue_by_the_data(plan):
    assert not Milestone.objects.filter(overdue_since__isnull=False).exists()


def test_initiatives_form_a_numbered_tree_of_the_eight_areas(plan):
    areas = Initiative.objects.filter(parent__number="5").values_list("number", flat=True)
    assert list(areas) == [f"5.{n}" for n in range(1, 9)]
    for initiative in Initiative.objects.exclude(parent=None):
        assert initiative.number.rsplit(".", 1)[0] == initiative.parent.number


def test_initiatives_sort_by_number(plan):
    item = Initiative.objects.get(number="5.1.1.4")
    assert item.sort_key == "0005.0001.0001.0004"


def test_responsible_organizations_have_english_names(plan):
    codes = set(Organization.objects.values_list("code", flat=True))
    assert {"digital", "mic", "cao", "meti", "nisc", "moj"} <= codes
    assert not Organization.objects.filter(name_en="").exists()
    assert Organization.objects.get(code="digital").kind == "agency"


def test_every_source_sentence_is_quoted_character_for_character(plan):
    for m in Milestone.objects.all():
        assert m.source_text in SOURCE, m.ref


def test_every_initiative_title_is_the_source_heading(plan):
    for initiative in Initiative.objects.all():
        assert initiative.title_ja in SOURCE, initiative.number


def test_shortened_initiative_titles_carry_the_source_wording(plan):
    titles = dict(
        Initiative.objects.filter(number__in=["5.6.1", "5.6.2"]).values_list("number", "title_ja")
    )
    assert titles == {
        "5.6.1": "信頼性を確保しつつデータを共有できる標準化された仕組み(データスペース)"
        "の構築とDFFTの推進の推進",
        "5.6.2": "トラストおよびデジタル上における属性情報の集合(デジタル・アイデンティティ)",
    }


@pytest.mark.parametrize(
    ("ref", "phrase"),
    [
        ("pp2024-mynumber-act-bill", "次期通常国会への法案提出を目指します"),
        ("pp2024-digital-marketplace", "2024年度後半の本格稼働を目指します"),
    ],
)
def test_aims_keep_the_phrase_as_written_and_are_soft(plan, ref, phrase):
    m = Milestone.objects.get(ref=ref)
    assert (m.phrase, m.soft) == (phrase, True)


def test_the_bill_title_says_what_the_source_says(plan):
    m = Milestone.objects.get(ref="pp2024-mynumber-act-bill")
    assert m.title_ja == "次期通常国会への法案提出"
    assert "改正" not in m.title_ja and m.title_ja in m.source_text


@pytest.mark.parametrize(
    "ref", ["pp2024-subsidy-e-application", "pp2024-attack-surface-and-protective-dns"]
)
def test_start_commitments_the_source_announces_are_not_shipped_as_started(plan, ref):
    assert Milestone.objects.get(ref=ref).status == "planned"


def test_a_start_commitment_never_started_is_flagged(plan):
    flag_overdue(as_of=plan.decided_on)
    flagged = Milestone.objects.filter(overdue_since__isnull=False)
    assert list(flagged.values_list("ref", "overdue_since")) == [
        ("pp2024-attack-surface-and-protective-dns", date(2024, 4, 2))
    ]


def test_the_generated_programme_quotes_the_source_character_for_character():
    assert standardization.SOURCE_TEXT in SOURCE
    assert "標準準拠システムヘ" in standardization.SOURCE_TEXT


def test_the_agency_review_counts_from_the_agencys_establishment(plan):
    m = Milestone.objects.select_related("anchor").get(ref="pp2024-digital-agency-review")
    assert (m.anchor.name_ja, m.anchor.occurred_on) == ("デジタル庁の設置", date(2021, 9, 1))
    assert (m.phrase, m.rule, m.kind) == ("10年を経過する前から", "event-before", "start")
    # Ten years after 2021-09-01 is 2031-09-01: the review starts by the day before.
    assert (m.window_start, m.window_end, m.deadline) == (
        date(2031, 8, 31),
        None,
        date(2031, 8, 31),
    )
    assert "デジタル庁の設置後10年を経過した際" in m.source_text


def test_the_plans_numbered_targets_are_indicators_quoted_as_written(plan):
    indicators = list(Indicator.objects.select_related("milestone"))
    assert [(i.ref, i.target_value, i.unit_ja) for i in indicators] == [
        ("pp2024-digital-agency-staff", 1500, "人")
    ]
    staff = indicators[0]
    assert "当面1,500人規模の組織" in staff.source_text and staff.source_text in SOURCE
    assert staff.milestone.ref == "pp2024-digital-agency-1500-staff"
    # The source states no baseline and no date: none is invented.
    assert (staff.baseline_value, staff.baseline_on, staff.target_on) == (None, None, None)
    assert not Measurement.objects.exists()


def test_the_annual_priority_area_cycle_is_a_recurring_commitment(plan):
    series = RecurringCommitment.objects.get(ref="pp2024-priority-areas")
    assert series.phrase == "毎年" and series.phrase in series.source_text
    assert series.source_text.startswith("毎年、重点分野を定めて") and series.source_text in SOURCE


def test_the_designated_fields_are_kept_with_their_numbers_as_written(plan):
    m = Milestone.objects.get(ref="pp2024-quasi-public-fields")
    assert "の8分野を引き続き指定する" in m.source_text and "の2分野についても" in m.source_text
    assert (m.phrase, m.deadline, m.initiative.number) == ("引き続き", None, "5.4.2")
