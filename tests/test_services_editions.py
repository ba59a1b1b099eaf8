"""Importing an edition of the plan: classify every commitment, then carry, move, add and drop."""

from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from roadmap.models import DeadlineRevision, Milestone, MilestoneEdition, Plan, StatusComment
from roadmap.services.editions import EditionRefused, import_edition
from tests.editions import DECIDED, SAMPLE, by_ref, csv_file, earlier_edition
from tests.editions import import_sample as sample
from tests.together import together

pytestmark = pytest.mark.django_db


@pytest.fixture
def earlier():
    return earlier_edition()


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


def outcome(result):
    """Name what one of two imports at once did: imported, found it imported, or was refused."""
    if isinstance(result, EditionRefused):
        return "refused"
    return "already" if result.already_imported else "imported"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_edition_at_once_record_it_once():
    earlier_edition()
    results = together(sample, sample, expected=EditionRefused)
    outcomes = [outcome(result) for result in results]

    assert sorted(outcomes) in (["already", "imported"], ["imported", "refused"])
    assert Milestone.objects.get(ref="sample-later").revisions.count() == 1
    assert MilestoneEdition.objects.filter(plan__code="sample-2025").count() == 7


def import_plan(*options):
    """Run import_plan on the sample file as edition sample-2025 with ``options``."""
    call_command("import_plan", str(SAMPLE), "--code=sample-2025", "--title-ja=版", *options)


def test_the_command_refuses_an_edition_and_a_bad_day_with_a_sentence(earlier):
    with pytest.raises(CommandError) as error:
        import_plan("--decided-on=2025-06-13", "--previous=nowhere")
    assert str(error.value) == (
        "Nothing was imported: There is no edition 'nowhere' to compare with."
    )
    with pytest.raises(CommandError) as error:
        import_plan("--decided-on=2025-13-01")
    assert str(error.value).startswith("--decided-on must be a date written YYYY-MM-DD")
    assert not Plan.objects.filter(code="sample-2025").exists()


def test_the_command_imports_as_a_user_only_what_they_own(earlier):
    from tests.factories import MembershipFactory

    stranger = MembershipFactory().user
    with pytest.raises(CommandError) as error:
        import_plan("--decided-on=2025-06-13", f"--user={stranger.username}")
    assert str(error.value).startswith("Nothing was imported: ")
    assert not Plan.objects.filter(code="sample-2025").exists()
    with pytest.raises(CommandError, match="There is no user 'nobody'"):
        import_plan("--decided-on=2025-06-13", "--user=nobody")


def test_the_command_refuses_an_edition_in_the_language_of_the_locale(earlier, monkeypatch):
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    with pytest.raises(CommandError) as error:
        import_plan("--decided-on=2025-06-13", "--previous=nowhere")
    assert str(error.value) == "何も取り込まれませんでした：比べる版'nowhere'はありません。"
