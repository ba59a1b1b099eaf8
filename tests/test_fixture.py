"""The 2024 plan as loadable data: every stored window is what its phrase resolves to."""

from datetime import date

import pytest
from django.core.management import call_command

from roadmap.models import Initiative, Milestone, Organization, Plan
from roadmap.services.milestones import resolve_window

pytestmark = pytest.mark.django_db


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
        window = resolve_window(m.phrase, reference=m.reference_date)
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
    refs = {"pp2024-subsidy-e-application", "pp2024-attack-surface-and-protective-dns"}
    assert set(Milestone.objects.filter(kind="start").values_list("ref", flat=True)) == refs


def test_sobo_web_is_an_event_done_in_april_2024(plan):
    m = Milestone.objects.get(ref="pp2024-sobo-web-operation")
    assert (m.kind, m.status) == ("event", "done")
    assert date(2024, 4, 1) <= m.completed_on <= date(2024, 4, 30)


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
