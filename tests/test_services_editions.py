"""Importing an edition of the plan: classify every commitment, then carry, move, add and drop."""

import csv
import io
import threading
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from roadmap.imports import ImportRejected
from roadmap.models import DeadlineRevision, Milestone, MilestoneEdition, Plan, StatusComment
from roadmap.services.editions import EditionRefused, import_edition, record_first_editions
from roadmap.services.milestones import create_milestone, revise_deadline
from roadmap.xlsx import Sheet, workbook
from tests.editions import DECIDED, SAMPLE, earlier_edition, import_sample
from tests.factories import InitiativeFactory, OrganizationFactory, PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def earlier():
    return earlier_edition()


def sample(**kwargs):
    return import_sample(**kwargs)


def csv_file(text):
    return io.BytesIO(text.encode("utf-8"))


def by_ref(result):
    return {change.ref: change for change in result.changes}


def test_every_commitment_of_either_edition_falls_in_exactly_one_class(earlier):
    changes = by_ref(sample())
    assert {ref: change.change_class for ref, change in changes.items()} == {
        "sample-keep": "unchanged",
        "sample-reword": "reworded",
        "sample-later": "moved_later",
        "sample-earlier": "moved_earlier",
        "sample-diet": "moved_later",
        "sample-renamed": "unchanged",
        "sample-drop": "dropped",
        "sample-finished": "dropped",
        "sample-added": "added",
    }
    assert (changes["sample-later"].shift_days, changes["sample-earlier"].shift_days) == (
        365,
        -365,
    )


def test_the_counts_name_every_class(earlier):
    assert sample().counts == {
        "moved_later": 2,
        "moved_earlier": 1,
        "dropped": 2,
        "added": 1,
        "reworded": 1,
        "unchanged": 2,
    }


def test_a_move_is_an_official_replan_citing_the_edition_and_keeps_the_baseline(earlier):
    sample()
    milestone = Milestone.objects.get(ref="sample-later")
    revision = milestone.revisions.get()
    assert (revision.kind, revision.old_deadline, revision.new_deadline) == (
        DeadlineRevision.Kind.REPLAN,
        date(2025, 3, 31),
        date(2026, 3, 31),
    )
    assert "sample-2025" in revision.reason
    assert (milestone.deadline, milestone.baseline_deadline) == (
        date(2026, 3, 31),
        date(2025, 3, 31),
    )


def test_a_relative_phrase_is_read_against_the_new_decision_date(earlier):
    sample()
    diet = Milestone.objects.get(ref="sample-diet")
    added = Milestone.objects.get(ref="sample-added")
    # 次期通常国会 seen from 2025-06-13 is the 2026 session; 来年度 is FY2026.
    assert (diet.deadline, diet.baseline_deadline) == (date(2026, 6, 21), date(2025, 6, 22))
    assert added.deadline == date(2027, 3, 31)
    assert added.reference_date == DECIDED


def test_a_dropped_milestone_is_cancelled_with_the_edition_as_reason_not_deleted(earlier):
    sample()
    dropped = Milestone.objects.get(ref="sample-drop")
    assert dropped.status == Milestone.Status.CANCELLED
    comment = StatusComment.objects.get(milestone=dropped)
    assert "sample-2025" in comment.comment
    assert Milestone.objects.get(ref="sample-finished").status == Milestone.Status.DONE


def test_a_rename_through_previous_ref_carries_the_same_milestone(earlier):
    before = Milestone.objects.get(ref="sample-old-name")
    sample()
    renamed = Milestone.objects.get(pk=before.pk)
    assert renamed.ref == "sample-renamed"
    assert list(
        renamed.editions.order_by("plan__decided_on").values_list("plan__code", "ref")
    ) == [
        ("sample-2024", "sample-old-name"),
        ("sample-2025", "sample-renamed"),
    ]


def test_each_milestone_lists_its_wording_in_each_edition(earlier):
    sample()
    milestone = Milestone.objects.get(ref="sample-reword")
    assert list(milestone.editions.order_by("plan__decided_on").values_list("phrase")) == [
        ("2025年度までに",),
        ("2025年度末までに",),
    ]


def test_a_dry_run_writes_nothing(earlier):
    before = MilestoneEdition.objects.count(), DeadlineRevision.objects.count()
    result = sample(dry_run=True)
    assert result.counts["added"] == 1
    assert not Plan.objects.filter(code="sample-2025").exists()
    assert (MilestoneEdition.objects.count(), DeadlineRevision.objects.count()) == before
    assert Milestone.objects.get(ref="sample-drop").status == Milestone.Status.IN_PROGRESS


def test_a_second_import_of_the_same_file_changes_nothing(earlier):
    sample()
    versions = dict(Milestone.objects.values_list("ref", "version"))
    counts = MilestoneEdition.objects.count(), DeadlineRevision.objects.count()
    result = sample()
    assert result.already_imported
    assert result.counts["moved_later"] == 2
    assert dict(Milestone.objects.values_list("ref", "version")) == versions
    assert (MilestoneEdition.objects.count(), DeadlineRevision.objects.count()) == counts


def test_a_different_file_for_an_imported_edition_is_refused(earlier):
    sample()
    text = SAMPLE.read_text(encoding="utf-8").replace("2025年度中に", "2026年度中に")
    with pytest.raises(ImportRejected) as error:
        import_edition(csv_file(text), code="sample-2025", title_ja="版", decided_on=DECIDED)
    assert [str(e) for e in error.value.errors] == [
        "line 4, column phrase: edition sample-2025 was imported with '2025年度中に'; "
        "an imported edition does not change."
    ]


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


def test_a_split_adds_the_second_part_and_remembers_where_it_came_from(earlier):
    text = SAMPLE.read_text(encoding="utf-8") + (
        "sample-keep-part,9.1,sample-org,試験用サンプル：分割,Sample: split,"
        "2026年度までに,deadline,,,sample-keep\n"
    )
    changes = by_ref(
        import_edition(csv_file(text), code="sample-2025", title_ja="版", decided_on=DECIDED)
    )
    assert changes["sample-keep"].change_class == "unchanged"
    assert changes["sample-keep-part"].change_class == "added"
    part = MilestoneEdition.objects.get(ref="sample-keep-part")
    assert part.previous_ref == "sample-keep"


def test_a_previous_edition_decided_later_is_refused(earlier):
    with pytest.raises(EditionRefused):
        sample(decided_on=date(2024, 1, 1), previous_code="sample-2024")


def test_the_command_prints_the_classes_and_a_rejected_file_exits_1(earlier, tmp_path, capsys):
    call_command(
        "import_plan",
        str(SAMPLE),
        "--code=sample-2025",
        "--title-ja=試験用サンプル版",
        "--decided-on=2025-06-13",
        "--dry-run",
    )
    out = capsys.readouterr().out
    assert "Dry run: edition sample-2025 against sample-2024" in out
    assert "moved_later   sample-later (+365 days)" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("ref,initiative\nx,9.1\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command(
            "import_plan", str(bad), "--code=x", "--title-ja=x", "--decided-on=2025-06-13"
        )
    assert error.value.returncode == 1
    assert "line 1, column owner: this column is missing from the header." in str(error.value)


def test_first_editions_are_recorded_with_the_original_wording():
    milestone = create_milestone(
        initiative=InitiativeFactory(),
        owner=OrganizationFactory(),
        ref="first",
        title_ja="初版",
        title_en="",
        phrase="2024年度中に",
        kind=Milestone.Kind.DEADLINE,
    )
    milestone.editions.all().delete()
    revise_deadline(
        milestone=milestone, new_phrase="2025年度中に", reason="遅延", kind="slip", user=None
    )
    assert record_first_editions() == 1
    entry = milestone.editions.get()
    assert (entry.phrase, entry.deadline) == ("2024年度中に", date(2025, 3, 31))


def test_empty_cells_keep_the_english_title_and_the_source_wording(earlier):
    Milestone.objects.filter(ref="sample-keep").update(source_text="原文")
    text = SAMPLE.read_text(encoding="utf-8").replace(",Sample: unchanged,", ",,")
    result = import_edition(csv_file(text), code="sample-2025", title_ja="版", decided_on=DECIDED)
    kept = Milestone.objects.get(ref="sample-keep")
    assert (kept.title_en, kept.source_text) == ("Sample: unchanged", "原文")
    assert by_ref(result)["sample-keep"].change_class == "unchanged"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_edition_at_once_record_it_once():
    earlier_edition()
    start, outcomes = threading.Barrier(2), []

    def run():
        try:
            start.wait()
            result = sample()
            outcomes.append("already" if result.already_imported else "imported")
        except EditionRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) in (["already", "imported"], ["imported", "refused"])
    assert Milestone.objects.get(ref="sample-later").revisions.count() == 1
    assert MilestoneEdition.objects.filter(plan__code="sample-2025").count() == 7


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
