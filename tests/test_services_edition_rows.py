"""The rows of an edition file: each checked against the previous edition, or rejected whole."""

import csv
import io
from datetime import date

import pytest

from roadmap.imports import ImportRejected
from roadmap.models import Milestone, Plan
from roadmap.services.editions import import_edition
from roadmap.services.milestones import create_milestone
from roadmap.xlsx import Sheet, workbook
from tests.editions import DECIDED, SAMPLE, by_ref, csv_file, earlier_edition
from tests.editions import import_sample as sample
from tests.factories import InitiativeFactory, OrganizationFactory, PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def earlier():
    return earlier_edition()


@pytest.mark.usefixtures("in_english")
def test_a_different_file_for_an_imported_edition_is_refused(earlier):
    sample()
    text = SAMPLE.read_text(encoding="utf-8").replace("2025年度中に", "2026年度中に")
    with pytest.raises(ImportRejected) as error:
        import_edition(csv_file(text), code="sample-2025", title_ja="版", decided_on=DECIDED)
    assert [str(e) for e in error.value.errors] == [
        "line 4, column phrase: edition sample-2025 was imported with '2025年度中に'; "
        "an imported edition does not change."
    ]


@pytest.mark.usefixtures("in_english")
def test_a_file_with_bad_rows_is_rejected_whole_naming_line_and_column(earlier):
    text = SAMPLE.read_text(encoding="utf-8")
    text = text.replace("2025年度末までに", "いつか").replace(",sample-old-name", ",no-such-ref")
    with pytest.raises(ImportRejected) as error:
        import_edition(csv_file(text), code="sample-2025", title_ja="版", decided_on=DECIDED)
    messages = [str(e) for e in error.value.errors]
    assert messages[0].startswith("line 3, column phrase: ")
    assert messages[1] == (
        "line 7, column previous_ref: edition sample-2024 has no milestone 'no-such-ref'."
    )
    assert not Plan.objects.filter(code="sample-2025").exists()
    assert Milestone.objects.filter(ref__in=["sample-added", "sample-renamed"]).count() == 0
    assert Milestone.objects.get(ref="sample-drop").status == Milestone.Status.IN_PROGRESS


@pytest.mark.usefixtures("in_english")
def test_a_carried_row_may_not_move_the_milestone_to_another_owner(earlier):
    OrganizationFactory(code="other-org")
    text = SAMPLE.read_text(encoding="utf-8").replace(
        "sample-keep,9.1,sample-org", "sample-keep,9.1,other-org"
    )
    with pytest.raises(ImportRejected) as error:
        import_edition(csv_file(text), code="sample-2025", title_ja="版", decided_on=DECIDED)
    assert str(error.value.errors[0]).startswith(
        "line 2, column owner: milestone 'sample-keep' has owner 'sample-org'; "
    )


@pytest.mark.usefixtures("in_english")
def test_a_new_row_may_not_take_the_ref_of_a_milestone_it_does_not_carry(earlier):
    create_milestone(
        initiative=InitiativeFactory(plan=PlanFactory(code="other-plan", decided_on=DECIDED)),
        owner=OrganizationFactory(code="sample-org"),
        ref="sample-elsewhere",
        title_ja="別の計画",
        title_en="",
        phrase="",
        kind=Milestone.Kind.DEADLINE,
    )
    text = SAMPLE.read_text(encoding="utf-8").replace("sample-added,", "sample-elsewhere,")
    with pytest.raises(ImportRejected) as error:
        import_edition(
            csv_file(text),
            code="sample-2025",
            title_ja="版",
            decided_on=DECIDED,
            previous_code="sample-2024",
        )
    assert str(error.value.errors[0]).startswith(
        "line 8, column ref: 'sample-elsewhere' is the reference of another milestone"
    )


def test_empty_cells_keep_the_english_title_and_the_source_wording(earlier):
    Milestone.objects.filter(ref="sample-keep").update(source_text="原文")
    text = SAMPLE.read_text(encoding="utf-8").replace(",Sample: unchanged,", ",,")
    result = import_edition(csv_file(text), code="sample-2025", title_ja="版", decided_on=DECIDED)
    kept = Milestone.objects.get(ref="sample-keep")
    assert (kept.title_en, kept.source_text) == ("Sample: unchanged", "原文")
    assert by_ref(result)["sample-keep"].change_class == "unchanged"


@pytest.mark.parametrize("extra", [0, 50])
def test_checking_a_file_costs_the_same_queries_whatever_its_length(
    earlier, extra, django_assert_num_queries
):
    rows = "".join(
        f"sample-extra-{i},9.1,sample-org,追加{i},,来年度中に,deadline,,,\n" for i in range(extra)
    )
    text = SAMPLE.read_text(encoding="utf-8") + rows
    # edition, previous edition, sessions, plans, initiatives, owners, entries, refs in use
    with django_assert_num_queries(8):
        result = import_edition(
            csv_file(text), code="sample-2025", title_ja="版", decided_on=DECIDED, dry_run=True
        )
    assert result.counts["added"] == 1 + extra


@pytest.mark.usefixtures("in_english")
def test_a_workbook_edition_is_read_like_the_csv_file_and_named_by_cell(earlier):
    lines = list(csv.reader(io.StringIO(SAMPLE.read_text(encoding="utf-8"))))
    header, rows = lines[0], lines[1:]
    rows[2][5] = "令和7年度中"  # the same window as 2025年度中に, in the era's wording
    sheet = Sheet("Edition", header, [12] * len(header), rows)
    result = import_edition(
        io.BytesIO(workbook([sheet])), code="sample-2025", title_ja="版", decided_on=DECIDED
    )
    assert by_ref(result)["sample-later"].shift_days == 365
    rows[3][5] = "いつか"
    bad = io.BytesIO(workbook([Sheet("Edition", header, [12] * len(header), rows)]))
    with pytest.raises(ImportRejected) as error:
        import_edition(bad, code="sample-2026", title_ja="版", decided_on=date(2026, 6, 12))
    assert str(error.value.errors[0]).startswith("sheet Edition, cell F5 (phrase): ")
