import io
import logging
import zipfile
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from roadmap.imports import ImportRejected, import_milestones
from roadmap.models import DeadlineRevision, Membership, Milestone, RecurringCommitment
from roadmap.xlsx import Sheet, workbook
from tests.factories import InitiativeFactory, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]

HEADER = "ref,initiative,owner,title_ja,title_en,phrase,kind,status,source_text\n"
ROW_A = "std-a,5.4.1.3,digital,標準化,Standardization,原則2025年度までに,deadline,in_progress,\n"
ROW_B = "sub-b,5.1.1.5,meti,電子申請,E-applications,2025年度以降,start,planned,補助金申請\n"


@pytest.fixture(autouse=True)
def plan_data():
    InitiativeFactory(number="5.4.1.3")
    InitiativeFactory(number="5.1.1.5")
    OrganizationFactory(code="digital")
    OrganizationFactory(code="meti")


def csv_file(text, *, bom=False):
    return io.BytesIO((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))


def rejected(text, **kwargs):
    with pytest.raises(ImportRejected) as error:
        import_milestones(csv_file(text), **kwargs)
    return [str(e) for e in error.value.errors]


def test_a_valid_file_creates_its_milestones_with_resolved_deadlines():
    result = import_milestones(csv_file(HEADER + ROW_A + ROW_B))
    assert result.created == ["std-a", "sub-b"]
    a, b = Milestone.objects.get(ref="std-a"), Milestone.objects.get(ref="sub-b")
    assert (a.deadline, a.owner.code, a.status) == (date(2026, 3, 31), "digital", "in_progress")
    assert (b.deadline, b.kind, b.source_text) == (date(2025, 4, 1), "start", "補助金申請")


def test_a_file_with_a_byte_order_mark_is_read_the_same():
    result = import_milestones(csv_file(HEADER + ROW_A, bom=True))
    assert result.created == ["std-a"]


def test_source_text_column_may_be_left_out():
    header = HEADER.replace(",source_text", "")
    import_milestones(csv_file(header + ROW_A.removesuffix(",\n") + "\n"))
    assert Milestone.objects.get(ref="std-a").source_text == ""


def test_importing_the_same_file_twice_creates_no_duplicates():
    import_milestones(csv_file(HEADER + ROW_A + ROW_B))
    result = import_milestones(csv_file(HEADER + ROW_A + ROW_B))
    assert Milestone.objects.count() == 2
    assert (result.created, result.updated, result.unchanged) == ([], [], ["std-a", "sub-b"])


def test_reimport_updates_titles_and_status_of_existing_refs():
    import_milestones(csv_file(HEADER + ROW_A))
    changed = ROW_A.replace("標準化", "標準化（改）").replace("in_progress", "done")
    result = import_milestones(csv_file(HEADER + changed))
    milestone = Milestone.objects.get(ref="std-a")
    assert result.updated == ["std-a"]
    assert (milestone.title_ja, milestone.status) == ("標準化（改）", "done")
    assert milestone.completed_on is not None


def test_reimport_refuses_a_changed_phrase_naming_the_row():
    import_milestones(csv_file(HEADER + ROW_A))
    errors = rejected(HEADER + ROW_A.replace("原則2025年度までに", "2026年度末"))
    assert errors == [
        "line 2, column phrase: milestone 'std-a' exists with phrase '原則2025年度までに'; "
        "a deadline changes only through a revision with a reason "
        "(Revise deadline in the admin)."
    ]
    assert Milestone.objects.get(ref="std-a").deadline == date(2026, 3, 31)
    assert not DeadlineRevision.objects.exists()


def test_one_bad_row_rejects_the_whole_file_and_writes_nothing():
    bad = "bad-c,5.1.1.5,digital,題,Title,いつか,deadline,planned,\n"
    before = Milestone.objects.count()
    errors = rejected(HEADER + ROW_A + ROW_B + bad)
    assert len(errors) == 1
    assert errors[0].startswith("line 4, column phrase: ")
    assert "いつか" in errors[0]
    assert Milestone.objects.count() == before == 0


def test_every_bad_value_is_named_by_line_and_column():
    text = (
        HEADER
        + ",9.9,nowhere,,Title,2025年度,sometime,finished,\n"
        + "ok-d,5.1.1.5,digital,題,Title,2025年度,deadline,planned,\n"
        + "ok-d,5.1.1.5,digital,題,Title,2025年度,deadline,planned,\n"
    )
    assert rejected(text) == [
        "line 2, column ref: a value is required.",
        "line 2, column title_ja: a value is required.",
        "line 2, column initiative: the plan priority-plan-2024 has no initiative '9.9'.",
        "line 2, column owner: no organization has the code 'nowhere'.",
        "line 2, column kind: 'sometime' is not one of deadline, start, event.",
        "line 2, column status: 'finished' is not one of planned, in_progress, done, cancelled.",
        "line 4, column ref: 'ok-d' already appears on line 3.",
    ]
    assert not Milestone.objects.exists()


def test_line_numbers_count_lines_of_the_file_including_quoted_newlines():
    two_line_row = ROW_A.replace(",\n", ',"二行の\n原文"\n')
    bad = "x,5.1.1.5,nowhere,題,T,,start,,\n"
    assert rejected(HEADER + two_line_row + "\n" + bad) == [
        "line 5, column owner: no organization has the code 'nowhere'."
    ]


def test_missing_and_unknown_columns_are_named_on_line_one():
    errors = rejected("ref,initiative,owner,title,phrase,kind,status\n" + "a,b,c,d,e,f,g\n")
    assert errors == [
        "line 1, column title_ja: this column is missing from the header.",
        "line 1, column title_en: this column is missing from the header.",
        "line 1, column title: unknown column; expected ref, initiative, owner, title_ja, "
        "title_en, phrase, kind, status, source_text, event or a column of the export.",
    ]


def test_a_row_with_too_few_fields_is_named():
    assert rejected(HEADER + "a,b,c\n") == ["line 2: has 3 fields but the header has 9."]


def test_a_file_that_is_not_utf8_is_refused():
    with pytest.raises(ImportRejected) as error:
        import_milestones(io.BytesIO(HEADER.encode() + "標準化".encode("shift_jis")))
    assert str(error.value) == "line 2: the file is not UTF-8 text (nor an .xlsx workbook)."


def test_dry_run_reports_and_writes_nothing():
    result = import_milestones(csv_file(HEADER + ROW_A), dry_run=True)
    assert (result.dry_run, result.created) == (True, ["std-a"])
    assert not Milestone.objects.exists()


def test_import_as_a_user_refuses_rows_of_organizations_they_do_not_own(caplog):
    membership = MembershipFactory(organization=OrganizationFactory(code="digital"))
    MembershipFactory(
        user=membership.user,
        organization=OrganizationFactory(code="meti"),
        role=Membership.Role.VIEWER,
    )
    with caplog.at_level(logging.WARNING, logger="roadmap.security"):
        errors = rejected(HEADER + ROW_A + ROW_B, user=membership.user)
    assert errors == ["line 3, column owner: you are not an owner of 'meti'."]
    assert not Milestone.objects.exists()
    record = caplog.records[-1]
    assert record.name == "roadmap.security" and record.levelno == logging.WARNING
    assert membership.user.username in record.getMessage()
    assert "[3]" in record.getMessage()


def test_import_as_an_owner_records_them_in_the_history():
    membership = MembershipFactory(organization=OrganizationFactory(code="digital"))
    import_milestones(csv_file(HEADER + ROW_A), user=membership.user)
    history = Milestone.objects.get(ref="std-a").history.get()
    assert history.history_user == membership.user


def test_the_command_reports_what_it_did(tmp_path, capsys):
    path = tmp_path / "m.csv"
    path.write_bytes(csv_file(HEADER + ROW_A + ROW_B, bom=True).getvalue())
    call_command("import_milestones", str(path))
    assert capsys.readouterr().out == "Created 2, updated 0, left 0 unchanged.\n"


def test_the_command_fails_with_the_rows_named_and_changes_nothing(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(HEADER + ROW_A + "x,5.1.1.5,digital,題,T,いつか,deadline,,\n", "utf-8")
    with pytest.raises(CommandError) as error:
        call_command("import_milestones", str(path))
    assert "Nothing was imported: 1 problem(s)" in str(error.value)
    assert f"{path}, line 3, column phrase:" in str(error.value)
    assert not Milestone.objects.exists()


def test_the_command_dry_run_writes_nothing(tmp_path, capsys):
    path = tmp_path / "m.csv"
    path.write_text(HEADER + ROW_A, "utf-8")
    call_command("import_milestones", str(path), "--dry-run")
    assert capsys.readouterr().out == "Would create 1, would update 0, left 0 unchanged.\n"
    assert not Milestone.objects.exists()


def test_a_phrase_counted_from_an_event_names_the_event_in_its_own_column():
    header = HEADER.replace("\n", ",event\n")
    row = "review,5.4.1.3,digital,在り方の検討,,10年を経過する前から,start,,,"
    row += "digital-agency-established\n"
    import_milestones(csv_file(header + row))
    review = Milestone.objects.get(ref="review")
    assert (review.anchor.code, review.deadline) == (
        "digital-agency-established",
        date(2031, 8, 31),
    )


def test_a_phrase_counted_from_no_known_event_is_refused_with_its_line():
    header = HEADER.replace("\n", ",event\n")
    row = "review,5.4.1.3,digital,在り方の検討,,10年を経過する前から,start,,,\n"
    unknown = row.replace(",\n", ",moon-landing\n")
    assert rejected(header + row)[0].startswith("line 2, column phrase: 「10年を経過する前から」")
    assert rejected(header + unknown) == [
        "line 2, column event: no event has the code 'moon-landing'; "
        "known: digital-agency-established."
    ]


def test_a_yearly_phrase_imports_a_recurring_commitment_with_its_years():
    row = "cycle,5.4.1.3,digital,重点分野,Priority areas,毎年度6月,deadline,,毎年、重点分野\n"
    result = import_milestones(csv_file(HEADER + row))
    assert result.created == ["cycle"]
    series = RecurringCommitment.objects.get(ref="cycle")
    assert (series.phrase, series.first_year) == ("毎年度6月", 2024)
    first = Milestone.objects.get(ref="cycle-2024")
    assert (first.series, first.phrase, first.deadline) == (series, "2024年6月", date(2024, 6, 30))
    assert import_milestones(csv_file(HEADER + row)).unchanged == ["cycle"]


def workbook_file(*rows):
    header = HEADER.strip().split(",")
    return io.BytesIO(workbook([Sheet("Milestones", header, [12] * len(header), rows)]))


def test_a_workbook_is_imported_like_a_csv_file():
    row = ["std-a", "5.4.1.3", "digital", "標準化", "", "令和7年度末", "deadline", "", ""]
    result = import_milestones(workbook_file(row))
    assert result.created == ["std-a"]
    assert Milestone.objects.get(ref="std-a").deadline == date(2026, 3, 31)


def test_a_date_cell_in_the_phrase_column_is_read_as_that_day():
    row = ["std-a", "5.4.1.3", "digital", "標準化", "", date(2026, 3, 31), "deadline", "", ""]
    import_milestones(workbook_file(row))
    milestone = Milestone.objects.get(ref="std-a")
    assert (milestone.phrase, milestone.deadline) == ("2026年3月31日", date(2026, 3, 31))


def test_workbook_errors_name_the_sheet_and_the_cell():
    good = ["std-a", "5.4.1.3", "digital", "標準化", "", "2025年度", "deadline", "", ""]
    bad = ["std-b", "5.4.1.3", "nowhere", "題", "", "いつか", "deadline", "", ""]
    with pytest.raises(ImportRejected) as error:
        import_milestones(workbook_file(good, bad))
    messages = [str(e) for e in error.value.errors]
    assert (
        messages[0] == "sheet Milestones, cell C3 (owner): no organization has the code 'nowhere'."
    )
    assert messages[1].startswith("sheet Milestones, cell F3 (phrase): ")
    assert not Milestone.objects.exists()


def test_the_command_imports_a_workbook(tmp_path, capsys):
    path = tmp_path / "m.xlsx"
    row = ["std-a", "5.4.1.3", "digital", "標準化", "", "R8.3.31", "deadline", "", ""]
    path.write_bytes(workbook_file(row).getvalue())
    call_command("import_milestones", str(path))
    assert capsys.readouterr().out == "Created 1, updated 0, left 0 unchanged.\n"
    assert Milestone.objects.get(ref="std-a").deadline == date(2026, 3, 31)


def test_the_command_refuses_a_macro_workbook_with_a_sentence(tmp_path):
    path = tmp_path / "m.xlsm"
    package = io.BytesIO(workbook_file(["a"] * 9).getvalue())
    with zipfile.ZipFile(package, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"macro")
    path.write_bytes(package.getvalue())
    with pytest.raises(CommandError, match=r"The workbook contains macros \(\.xlsm\)"):
        call_command("import_milestones", str(path))


def rows_named(*refs):
    return "".join(ROW_A.replace("std-a", ref) for ref in refs)


def queries_to_create(refs, user):
    with CaptureQueriesContext(connection) as captured:
        import_milestones(csv_file(HEADER + rows_named(*refs)), user=user)
    return len(captured)


def test_an_owner_creating_milestones_pays_no_query_per_row_for_ownership():
    owner = MembershipFactory(organization=OrganizationFactory(code="digital")).user
    per_row = {}
    for who, user in (("tracker", None), ("owner", owner)):
        one = queries_to_create([f"{who}-1"], user)
        three = queries_to_create([f"{who}-2", f"{who}-3", f"{who}-4"], user)
        per_row[who] = (three - one) / 2
    # Checking the owner costs the same for a file of one row as for a file of many.
    assert per_row["owner"] == per_row["tracker"]
    assert Milestone.objects.filter(owner__code="digital").count() == 8


BAD_OWNER = "x-1,5.1.1.5,nowhere,題,T,2025年度,start,,\n"


def test_every_reason_is_written_in_the_readers_language():
    with translation.override("ja"):
        assert rejected(HEADER + BAD_OWNER) == [
            "2行目、列owner：コード'nowhere'の組織はありません。"
        ]
        assert rejected("ref,initiative\n") == [
            "1行目、列owner：見出し行にこの列がありません。",
            "1行目、列title_ja：見出し行にこの列がありません。",
            "1行目、列title_en：見出し行にこの列がありません。",
            "1行目、列phrase：見出し行にこの列がありません。",
            "1行目、列kind：見出し行にこの列がありません。",
            "1行目、列status：見出し行にこの列がありません。",
        ]
    with translation.override("en"):
        assert rejected(HEADER + BAD_OWNER) == [
            "line 2, column owner: no organization has the code 'nowhere'."
        ]


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "ja_JP.UTF-8",
            "何も取り込まれませんでした：{path}に問題が1件あります。\n"
            "  {path}, 2行目、列owner：コード'nowhere'の組織はありません。",
        ),
        (
            "en_US.UTF-8",
            "Nothing was imported: 1 problem(s) in {path}.\n"
            "  {path}, line 2, column owner: no organization has the code 'nowhere'.",
        ),
        (
            "C.UTF-8",
            "Nothing was imported: 1 problem(s) in {path}.\n"
            "  {path}, line 2, column owner: no organization has the code 'nowhere'.",
        ),
    ],
)
def test_the_command_refuses_in_the_language_of_the_locale(
    tmp_path, monkeypatch, locale, expected
):
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", locale)
    path = tmp_path / "m.csv"
    path.write_text(HEADER + BAD_OWNER, "utf-8")
    with pytest.raises(CommandError) as error:
        call_command("import_milestones", str(path))
    assert str(error.value) == expected.format(path=path)
    with pytest.raises(CommandError) as error:
        call_command("import_milestones", str(path), "--user=nobody")
    assert str(error.value) == (
        "ユーザー'nobody'はいません。" if locale.startswith("ja") else "There is no user 'nobody'."
    )
