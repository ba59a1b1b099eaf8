"""Programme reporting: step states, rates by the published formula, the grid, snapshots, API."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from roadmap.exports import XLSX_TYPE
from roadmap.models import DeadlineRevision, Membership, Milestone, Organization, Step
from roadmap.programme import rates
from roadmap.programme.designations import designate
from roadmap.programme.models import Designation, ProgressSnapshot, StepChange, SystemProgress
from roadmap.programme.snapshots import take_snapshot
from roadmap.programme.steps import Cell, record_steps, report_body
from roadmap.standardization import generate
from roadmap.tabular import read_table
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

SMALL = {"limit_prefectures": 1, "max_municipalities": 2}
SAPPORO = "011002"


@pytest.fixture
def programme():
    generate(**SMALL)
    # The tests designate the systems they need themselves.
    Designation.objects.all().delete()
    return Organization.objects.get(code=SAPPORO)


@pytest.fixture
def owner(programme):
    return MembershipFactory(organization=programme, role=Membership.Role.OWNER).user


def system(body, number):
    return Milestone.objects.get(owner=body, business_system=number)


def cells(milestone, states):
    return [Cell(milestone.pk, n, s) for n, s in states.items()]


# The step service ----------------------------------------------------------------------------


def test_reporting_steps_records_state_day_and_who_in_the_history(programme, owner):
    milestone = system(programme, 1)
    record_steps(cells=cells(milestone, {1: "done", 2: "in_progress"}), user=owner)
    step = Step.objects.get(milestone=milestone, number=1)
    assert (step.state, step.changed_on, step.changed_by) == ("done", timezone.localdate(), owner)
    change = StepChange.objects.get(milestone=milestone, number=2)
    assert (change.old_state, change.new_state, change.changed_by) == (
        "not_started",
        "in_progress",
        owner,
    )


def test_reporting_the_same_states_again_changes_nothing(programme, owner):
    milestone = system(programme, 1)
    record_steps(cells=cells(milestone, {1: "done"}), user=owner)
    version = Milestone.objects.get(pk=milestone.pk).version
    outcome = record_steps(cells=cells(milestone, {1: "done"}), user=owner)
    assert (outcome.steps, outcome.milestones) == (0, 0)
    assert Milestone.objects.get(pk=milestone.pk).version == version
    assert StepChange.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_large_report_is_given_more_memory_for_its_own_transaction(
    programme, owner, monkeypatch
):
    from roadmap.programme import steps

    def work_mem():
        with connection.cursor() as cursor:
            cursor.execute("SHOW work_mem")
            return cursor.fetchone()[0]

    default = work_mem()
    assert default != steps.LARGE_REPORT_WORK_MEM
    seen = []
    record = steps.record_staged

    def recording(cursor, **kwargs):
        seen.append(work_mem())
        return record(cursor, **kwargs)

    monkeypatch.setattr(steps, "record_staged", recording)
    milestone = system(programme, 1)
    monkeypatch.setattr(steps, "LARGE_REPORT", 5)
    record_steps(cells=cells(milestone, dict.fromkeys(range(1, 6), "done")), user=owner)
    record_steps(cells=cells(milestone, dict.fromkeys(range(1, 7), "in_progress")), user=owner)
    # Five cells are not more than five; six are, and only their transaction had more.
    assert seen == [default, steps.LARGE_REPORT_WORK_MEM]
    assert work_mem() == default


def test_counts_stay_current_with_the_steps(programme, owner):
    milestone = system(programme, 3)
    record_steps(
        cells=cells(milestone, {1: "done", 2: "not_applicable", 3: "in_progress"}), user=owner
    )
    progress = SystemProgress.objects.get(milestone=milestone)
    assert (
        progress.done,
        progress.not_applicable,
        progress.in_progress,
        progress.not_started,
    ) == (
        1,
        1,
        1,
        37,
    )


def test_milestone_status_follows_its_steps(programme, owner):
    milestone = system(programme, 1)
    record_steps(cells=cells(milestone, dict.fromkeys(range(1, 41), "not_started")), user=owner)
    record_steps(cells=cells(milestone, {1: "in_progress"}), user=owner)
    assert Milestone.objects.get(pk=milestone.pk).status == "in_progress"
    everything = dict.fromkeys(range(1, 41), "done") | {5: "not_applicable"}
    record_steps(cells=cells(milestone, everything), user=owner)
    milestone.refresh_from_db()
    assert (milestone.status, milestone.completed_on) == ("done", timezone.localdate())
    assert milestone.history.first().history_user == owner


def test_finishing_the_steps_clears_the_overdue_flag(programme, owner):
    milestone = system(programme, 2)
    Milestone.objects.filter(pk=milestone.pk).update(
        deadline=date(2020, 3, 31),
        overdue_since=date(2020, 4, 1),
        status="in_progress",
        completed_on=None,
    )
    record_steps(cells=cells(milestone, dict.fromkeys(range(1, 41), "done")), user=owner)
    assert Milestone.objects.get(pk=milestone.pk).overdue_since is None


def test_a_step_undone_after_the_deadline_flags_the_milestone_at_once(programme, owner):
    milestone = system(programme, 2)
    Milestone.objects.filter(pk=milestone.pk).update(deadline=date(2020, 3, 31))
    record_steps(cells=cells(milestone, dict.fromkeys(range(1, 41), "done")), user=owner)
    assert Milestone.objects.get(pk=milestone.pk).overdue_since is None
    record_steps(cells=cells(milestone, {7: "in_progress"}), user=owner)
    milestone.refresh_from_db()
    # The day after the deadline, as the nightly scheduler would flag it.
    assert (milestone.status, milestone.overdue_since) == ("in_progress", date(2020, 4, 1))
    change = milestone.history.first()
    assert (change.history_change_reason, change.history_user, change.version) == (
        "標準化の手順の進捗を報告",
        owner,
        milestone.version,
    )


def test_a_step_change_before_the_deadline_flags_nothing(programme, owner):
    milestone = system(programme, 4)
    Milestone.objects.filter(pk=milestone.pk).update(deadline=date(2099, 3, 31))
    record_steps(cells=cells(milestone, {1: "done"}), user=owner)
    assert Milestone.objects.get(pk=milestone.pk).overdue_since is None


def test_owner_of_another_body_cannot_report(programme):
    other = Organization.objects.exclude(pk=programme.pk).filter(kind="municipality").first()
    stranger = MembershipFactory(organization=other, role=Membership.Role.OWNER).user
    with pytest.raises(PermissionDenied):
        record_steps(cells=cells(system(programme, 1), {1: "done"}), user=stranger)
    assert not Step.objects.filter(changed_by=stranger).exists()


def test_viewer_cannot_report(programme):
    viewer = MembershipFactory(organization=programme, role=Membership.Role.VIEWER).user
    with pytest.raises(PermissionDenied):
        record_steps(cells=cells(system(programme, 1), {1: "done"}), user=viewer)


def test_grid_save_from_an_old_version_is_refused_with_a_message(programme, owner):
    milestone = system(programme, 1)
    seen = {m.business_system: m.version for m in Milestone.objects.filter(owner=programme)}
    report_body(body=programme, states={(1, 1): "done"}, seen=seen, user=owner)
    with pytest.raises(ValidationError, match=owner.username):
        report_body(body=programme, states={(1, 2): "done"}, seen=seen, user=owner)
    assert Step.objects.get(milestone=milestone, number=1).state == "done"
    assert not Step.objects.filter(milestone=milestone, number=2, state="done").exists()


# Rates ---------------------------------------------------------------------------------------


def test_rates_follow_the_published_formula_to_the_decimal(programme, owner):
    SystemProgress.objects.update(done=0, in_progress=0, not_applicable=0, not_started=40)
    first, second = system(programme, 1), system(programme, 2)
    SystemProgress.objects.filter(milestone=first).update(
        done=20, not_applicable=5, in_progress=3, not_started=12
    )
    SystemProgress.objects.filter(milestone=second).update(
        done=1, not_applicable=0, in_progress=0, not_started=39
    )
    body = rates.as_rates(rates.body_rates(None, body=programme).get())
    # (25/40 + 1/40 + 18 × 0) / 20 systems = 26 / 800 = 3.25 % → 3.3
    assert (body.completion, body.in_progress, body.not_started) == (
        Decimal("3.3"),
        Decimal("0.4"),
        Decimal("96.4"),
    )


def test_national_rate_is_the_average_over_every_system():
    assert rates.percent(1, 3) == Decimal("0.8")  # 1 / 120 = 0.833 %
    assert rates.percent(0, 0) == Decimal("0.0")


# Snapshots -----------------------------------------------------------------------------------


def test_snapshot_never_changes_after_it_is_taken(programme, owner):
    yesterday = timezone.localdate() - timedelta(days=1)
    snapshot, created = take_snapshot(as_of=yesterday)
    before = list(snapshot.rows.values_list("done", flat=True).order_by("pk"))
    record_steps(cells=cells(system(programme, 1), {1: "done"}), user=owner)
    assert take_snapshot(as_of=yesterday) == (snapshot, False)
    assert list(snapshot.rows.values_list("done", flat=True).order_by("pk")) == before
    assert created and ProgressSnapshot.objects.count() == 1


def test_a_late_snapshot_reads_changed_steps_back_to_the_day(programme, owner):
    milestone = system(programme, 1)
    record_steps(cells=cells(milestone, {1: "done"}), user=owner, on=date(2026, 1, 10))
    record_steps(cells=cells(milestone, {1: "not_applicable"}), user=owner, on=date(2026, 2, 10))
    snapshot, _ = take_snapshot(as_of=date(2026, 1, 31))
    row = snapshot.rows.get(body=programme, system=1)
    assert (row.done, row.not_applicable) == (1, 0)


def test_snapshot_of_a_future_day_is_refused(programme):
    with pytest.raises(ValidationError):
        take_snapshot(as_of=timezone.localdate() + timedelta(days=1))


def test_command_takes_a_snapshot_once(programme, capsys):
    call_command("snapshot_progress", "--as-of=2026-01-31")
    call_command("snapshot_progress", "--as-of=2026-01-31")
    out = capsys.readouterr().out
    assert "taken" in out and "exists already" in out


# Designations --------------------------------------------------------------------------------


def test_designation_is_a_replan_and_keeps_the_baseline(programme):
    admin = UserFactory(is_superuser=True, is_staff=True)
    milestone = system(programme, 4)
    designation, _ = designate(
        milestone=milestone, reason=1, phrase="2030年度末", basis="移行計画", user=admin
    )
    milestone.refresh_from_db()
    revision = designation.revision
    assert revision.kind == DeadlineRevision.Kind.REPLAN
    assert revision.reason.startswith("特定移行支援システム（メインフレーム）")
    assert (milestone.deadline, milestone.baseline_deadline) == (
        date(2031, 3, 31),
        date(2026, 3, 31),
    )
    figures = rates.designations()
    assert (figures["bodies"], figures["systems"]) == (1, 1)
    assert figures["by_reason"][0]["systems"] == 1


def test_designations_are_counted_per_snapshot(programme):
    designate(milestone=system(programme, 4), reason=4, phrase="2030年度末", basis="b", user=None)
    snapshot, _ = take_snapshot(as_of=timezone.localdate())
    Designation.objects.all().delete()
    frozen = rates.designations(snapshot)
    assert (frozen["systems"], frozen["by_reason"][3]["systems"]) == (1, 1)
    assert rates.designations()["systems"] == 0


# Import --------------------------------------------------------------------------------------


def write(tmp_path, text, name="steps.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_steps_writes_the_file_and_a_second_run_changes_nothing(
    programme, tmp_path, capsys
):
    path = write(
        tmp_path, f"body,system,step,state\n{SAPPORO},1,1,完了済み\n{SAPPORO},1,2,in_progress\n"
    )
    call_command("import_steps", str(path))
    call_command("import_steps", str(path))
    out = capsys.readouterr().out
    assert "2 steps changed" in out and "0 steps changed" in out
    assert Step.objects.get(milestone=system(programme, 1), number=1).state == "done"


def test_import_steps_dry_run_checks_every_row_and_writes_nothing(programme, tmp_path, capsys):
    path = write(tmp_path, f"body,system,step,state\n{SAPPORO},1,1,done\n{SAPPORO},2,3,未\n")
    call_command("import_steps", str(path), "--dry-run")
    assert "2 rows checked; nothing written" in capsys.readouterr().out
    assert not Step.objects.filter(changed_on=timezone.localdate()).exists()
    assert not StepChange.objects.exists()


def test_import_steps_rejects_the_whole_file_naming_line_and_column(programme, tmp_path):
    path = write(
        tmp_path,
        f"body,system,step,state\n{SAPPORO},1,1,done\n{SAPPORO},1,41,done\n999999,1,1,x\n",
    )
    with pytest.raises(CommandError) as error:
        call_command("import_steps", str(path))
    message = str(error.value)
    assert "line 3, column step" in message
    assert "line 4, column state" in message and "line 4, column body" in message
    assert not StepChange.objects.exists()


def test_import_steps_rejects_a_step_reported_twice_naming_both_rows(programme, tmp_path):
    hakodate = Organization.objects.get(name_ja="函館市").code
    rows = [
        f"{SAPPORO},1,1,done",
        f"{SAPPORO},1,2,done",
        # The same step of another system, and of another body: not the same step.
        f"{SAPPORO},2,1,done",
        f"{hakodate},1,1,done",
        f"{SAPPORO},1,40,done",
        f"{SAPPORO},1,1,in_progress",
        f"{hakodate},1,1,done",
    ]
    path = write(tmp_path, "body,system,step,state\n" + "\n".join(rows) + "\n")
    with pytest.raises(CommandError) as error:
        call_command("import_steps", str(path))
    message = str(error.value)
    assert "line 7, column step: this step is also reported on row 2." in message
    assert "line 8, column step: this step is also reported on row 5." in message
    assert message.count("also reported") == 2
    assert not StepChange.objects.exists()
    path = write(tmp_path, "body,system,step,state\n" + "\n".join(rows[:5]) + "\n")
    call_command("import_steps", str(path))
    assert StepChange.objects.count() == 5


def test_import_steps_reads_xlsx_naming_sheet_and_cell(programme, tmp_path):
    from roadmap.xlsx import Sheet, workbook

    header = ["body", "system", "step", "state"]
    rows = [[SAPPORO, 2, 3, "対象外"], [SAPPORO, 2, 4, "maybe"]]
    path = tmp_path / "steps.xlsx"
    path.write_bytes(workbook([Sheet("Steps", header, [10] * 4, rows)]))
    with pytest.raises(CommandError, match=r"sheet Steps, cell D3 \(state\)"):
        call_command("import_steps", str(path))
    path.write_bytes(workbook([Sheet("Steps", header, [10] * 4, rows[:1])]))
    call_command("import_steps", str(path))
    assert Step.objects.get(milestone=system(programme, 2), number=3).state == "not_applicable"


def test_import_designations(programme, tmp_path):
    path = write(tmp_path, f"body,system,reason,deadline,basis\n{SAPPORO},7,2,2030年度末,計画書\n")
    call_command("import_designations", str(path))
    call_command("import_designations", str(path))
    assert Designation.objects.get().reason == 2
    assert DeadlineRevision.objects.filter(milestone=system(programme, 7)).count() == 1


# Pages and API -------------------------------------------------------------------------------


def test_api_answers_the_national_figures(client, programme):
    data = client.get("/api/programme/").json()
    assert set(data) >= {
        "as_of",
        "live",
        "bodies",
        "systems",
        "completion",
        "in_progress",
        "not_started",
        "designated",
        "prefectures",
        "business_systems",
    }
    assert data["live"] is True and data["bodies"] == 3 and data["systems"] == 42
    assert set(data["designated"]) == {"bodies", "systems", "by_reason"}


def test_api_as_of_a_snapshot_says_so(client, programme, owner):
    take_snapshot(as_of=date(2026, 1, 31))
    data = client.get("/api/programme/?as_of=2026-01-31").json()
    assert (data["as_of"], data["live"]) == ("2026-01-31", False)


def test_api_for_one_body(client, programme):
    data = client.get(f"/api/programme/bodies/{SAPPORO}/").json()
    assert (data["code"], data["name"], len(data["systems"])) == (SAPPORO, "札幌市", 20)
    assert set(data["systems"][0]["states"]) == {
        "done",
        "in_progress",
        "not_started",
        "not_applicable",
    }


@pytest.mark.parametrize(
    "query", ["as_of=2026-13-01", "as_of=yesterday", "prefecture=99", "colour=red"]
)
def test_bad_query_gets_a_400(client, programme, query):
    assert client.get(f"/programme/?{query}").status_code == 400
    assert client.get(f"/api/programme/?{query}").status_code == 400


def test_unknown_snapshot_gets_a_404(client, programme):
    assert client.get("/api/programme/?as_of=2020-01-31").status_code == 404


def test_programme_page_shows_rates_caveat_and_designations(client, programme):
    page = client.get("/programme/?lang=en").content.decode()
    assert "A step is not a unit of work" in page
    assert "Mainframe" in page and "札幌市" in page


def test_body_page_shows_the_grid_in_words_and_symbols(client, programme, owner):
    record_steps(cells=cells(system(programme, 1), {1: "done"}), user=owner)
    page = client.get(f"/programme/{SAPPORO}/?lang=en").content.decode()
    assert "●</span> Done" in page and "○</span> Not started" in page


def test_owner_saves_the_grid_once(client, programme, owner):
    client.force_login(owner)
    url = reverse("roadmap:programme_report", args=[SAPPORO])
    form = client.get(url)
    assert form.status_code == 200
    data = {f"s-{s}-{n}": "not_started" for s in range(1, 21) for n in range(1, 41)} | {
        f"v-{m.business_system}": m.version for m in Milestone.objects.filter(owner=programme)
    }
    data |= {"s-1-1": "done", "s-2-5": "in_progress"}
    response = client.post(url, data)
    assert response.status_code == 302
    assert Step.objects.get(milestone=system(programme, 2), number=5).state == "in_progress"


def test_the_grid_reads_its_steps_without_reading_every_milestone(client, programme, owner):
    # The steps' default order is their milestones' deadlines: read in it, the body's 800 steps
    # were joined with every milestone of the programme to be sorted for a dictionary.
    client.force_login(owner)
    with CaptureQueriesContext(connection) as grid:
        assert client.get(reverse("roadmap:programme_report", args=[SAPPORO])).status_code == 200
    with CaptureQueriesContext(connection) as save:
        seen = {m.business_system: m.version for m in Milestone.objects.filter(owner=programme)}
        report_body(body=programme, states={(1, 1): "done"}, seen=seen, user=owner)
    step_reads = [
        query["sql"]
        for query in [*grid.captured_queries, *save.captured_queries]
        if query["sql"].startswith("SELECT") and 'FROM "roadmap_step"' in query["sql"]
    ]
    assert len(step_reads) == 2
    assert not [sql for sql in step_reads if "roadmap_milestone" in sql]


def test_mark_step_done_for_every_system(client, programme, owner):
    client.force_login(owner)
    url = reverse("roadmap:programme_report", args=[SAPPORO])
    data = {f"s-{s}-{n}": "not_started" for s in range(1, 21) for n in range(1, 41)}
    data |= {
        f"v-{m.business_system}": m.version for m in Milestone.objects.filter(owner=programme)
    }
    client.post(url, data | {"mark_step": "9"})
    assert Step.objects.filter(milestone__owner=programme, number=9, state="done").count() == 20


def test_viewer_cannot_open_the_grid(client, programme):
    viewer = MembershipFactory(organization=programme, role=Membership.Role.VIEWER).user
    client.force_login(viewer)
    assert client.get(reverse("roadmap:programme_report", args=[SAPPORO])).status_code == 403


def test_csv_of_the_body_table(client, programme):
    response = client.get("/programme/bodies.csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("code,name,reading,systems,completion")
    assert any(line.startswith(f"{SAPPORO},札幌市,さっぽろし,20,") for line in lines)


# Queries of each address, live and as of a snapshot: the same whatever the number of bodies.
QUERIES = {
    # prefecture × system sums, bodies (kept), designations (kept per reason), ministries, names,
    # body page (paged by the bodies counted), snapshots
    "/programme/": 7,
    # as of a snapshot: the snapshots (the one asked for among them), its sums by prefecture
    # and system, designations by reason (it counts its bodies and designations itself),
    # ministries, names, body page
    "/programme/?as_of=2026-01-31": 6,
    # one prefecture's bodies are counted for their pages
    "/programme/?prefecture=01": 8,
    "/api/programme/": 5,
    "/api/programme/?as_of=2026-01-31": 5,
    f"/programme/{SAPPORO}/": 4,  # body, system counts, step states, designations
    f"/programme/{SAPPORO}/?as_of=2026-01-31": 5,
    f"/api/programme/bodies/{SAPPORO}/": 3,
    "/programme/bodies.csv": 1,
}


def test_programme_pages_cost_the_same_queries_whatever_the_size(
    client, django_assert_num_queries
):
    for municipalities in (2, 6):
        generate(limit_prefectures=2, max_municipalities=municipalities)
        ProgressSnapshot.objects.all().delete()
        take_snapshot(as_of=date(2026, 1, 31))
        for url, queries in QUERIES.items():
            with django_assert_num_queries(queries):
                assert client.get(url).status_code == 200


def test_the_body_table_has_as_many_pages_as_rows_live_and_as_of_a_snapshot(client):
    generate(limit_prefectures=2, max_municipalities=3)
    take_snapshot(as_of=date(2026, 1, 31))
    for query in ("", "?as_of=2026-01-31", "?prefecture=01", "?q=札幌", "?as_of=2026-01-31&q=01"):
        response = client.get(f"/programme/{query}")
        listed = [row.key for row in response.context["bodies"]]
        assert response.context["page"].paginator.count == len(listed) > 0, query


def test_saving_a_full_grid_costs_the_same_queries_whatever_is_changed(
    programme, owner, django_assert_num_queries
):
    seen = {m.business_system: m.version for m in Milestone.objects.filter(owner=programme)}
    everything = {(s, n): "done" for s in range(1, 21) for n in range(1, 41)}
    # lock, stored states, temporary tables and their load, permission, row locks, changes and
    # their log, insert, update, counts moved and counted, status with its history (one
    # statement on PostgreSQL, two elsewhere), the count of touched milestones, and the
    # savepoints around them; the databases differ in how the temporary tables are loaded,
    # analyzed and emptied
    queries = 22 if connection.vendor == "postgresql" else 24
    with django_assert_num_queries(queries):
        outcome = report_body(body=programme, states=everything, seen=seen, user=owner)
    assert outcome.milestones == 20
    seen = {m.business_system: m.version for m in Milestone.objects.filter(owner=programme)}
    with django_assert_num_queries(queries):
        outcome = report_body(
            body=programme, states=everything | {(3, 7): "in_progress"}, seen=seen, user=owner
        )
    assert (outcome.steps, outcome.milestones) == (1, 1)


def test_json_is_utf8(client, programme):
    assert "北海道" in json.dumps(client.get("/api/programme/").json(), ensure_ascii=False)


@pytest.mark.parametrize("search", [SAPPORO, "札幌", "さっぽろ"])
def test_a_body_is_found_by_code_name_or_reading(client, programme, search):
    page = client.get("/programme/", {"q": search}).content.decode()
    assert "札幌市" in page and "函館市" not in page


def test_csv_follows_the_search(client, programme):
    lines = client.get("/programme/bodies.csv?q=はこだて").content.decode("utf-8-sig").splitlines()
    assert [line.split(",")[1] for line in lines[1:]] == ["函館市"]


def test_monthly_job_freezes_the_last_day_of_the_previous_month(programme):
    from django.conf import settings

    from roadmap.programme.snapshots import last_month_end
    from roadmap.tasks import snapshot_progress_task

    assert last_month_end(date(2026, 3, 1)) == date(2026, 2, 28)
    schedule = settings.CELERY_BEAT_SCHEDULE["snapshot-progress"]
    assert schedule["task"] == "roadmap.tasks.snapshot_progress_task"
    expected = last_month_end(timezone.localdate()).isoformat()
    assert snapshot_progress_task() == {"as_of": expected, "created": True}
    assert snapshot_progress_task() == {"as_of": expected, "created": False}


def test_workbook_of_the_body_table(client, programme):
    response = client.get("/programme/bodies.xlsx?q=はこだて")
    assert response["Content-Type"] == XLSX_TYPE
    table = read_table(response.content)
    assert table.header[:5] == ["code", "name", "reading", "systems", "completion"]
    [row] = table.rows
    assert (row.text("name"), row.value("systems"), row.value("live")) == ("函館市", 20, True)
    assert client.get("/programme/bodies.xlsx?nope=1").status_code == 400


def test_a_cancelled_system_is_left_out_of_every_average(client, programme, owner):
    from roadmap.services.milestones import bulk_set_status

    SystemProgress.objects.update(done=0, in_progress=0, not_applicable=0, not_started=40)
    first, second = system(programme, 1), system(programme, 2)
    SystemProgress.objects.filter(milestone=first).update(done=40, not_started=0)
    bulk_set_status(
        milestones=Milestone.objects.filter(pk=second.pk), status="cancelled", user=owner
    )
    assert SystemProgress.objects.get(milestone=second).cancelled
    body = rates.as_rates(rates.body_rates(None, body=programme).get())
    # 40 / (40 × 19 systems) = 5.263 % → 5.3 (over 20 systems it would be 5.0)
    assert (body.systems, body.completion) == (19, Decimal("5.3"))
    snapshot, _created = take_snapshot(as_of=timezone.localdate())
    assert not snapshot.rows.filter(body=programme, system=2).exists()
    page = client.get("/programme/", {"lang": "en"}).content.decode()
    assert "left out of every average" in page
    assert "どの平均にも含めていません" in client.get("/programme/").content.decode()
    bulk_set_status(
        milestones=Milestone.objects.filter(pk=second.pk), status="planned", user=owner
    )
    assert not SystemProgress.objects.get(milestone=second).cancelled


def test_kept_tallies_match_a_fresh_count_after_every_kind_of_write(programme, owner):
    from roadmap.programme import progress
    from roadmap.services.milestones import bulk_set_status

    first, second = system(programme, 1), system(programme, 2)
    record_steps(
        cells=cells(first, {1: "done", 2: "not_applicable", 3: "in_progress"}), user=owner
    )
    record_steps(cells=cells(second, dict.fromkeys(range(1, 41), "done")), user=owner)
    bulk_set_status(
        milestones=Milestone.objects.filter(pk=first.pk), status="cancelled", user=owner
    )
    record_steps(cells=cells(first, {4: "done"}), user=owner)
    record_steps(cells=cells(second, {4: "in_progress"}), user=owner)
    bulk_set_status(milestones=Milestone.objects.filter(pk=first.pk), status="planned", user=owner)
    Milestone.objects.filter(pk=second.pk).delete()
    kept = progress.kept()
    assert progress.repair() == 0
    assert progress.kept() == kept
    body = rates.as_rates(rates.body_rates(None, body=programme).get())
    assert (body.systems, body.complete, body.in_progress_steps) == (19, 3, 1)


def test_the_recount_command_repairs_drifted_programme_tallies(programme, capsys):
    from roadmap.programme.models import BodyTally

    BodyTally.objects.filter(body=programme).update(complete=999)
    with pytest.raises(SystemExit) as stopped:
        call_command("recount_dashboard", "--check")
    assert stopped.value.code == 1
    assert BodyTally.objects.get(body=programme).complete == 0
    call_command("recount_dashboard", "--check")
    assert "matched a fresh count" in capsys.readouterr().out


@pytest.mark.parametrize("language", ["ja", "en"])
def test_rate_cells_write_the_numbers_as_the_templates_do(language):
    from django.template import Context, Template
    from django.utils import translation

    plain = Template(
        "<td>{{ row.systems }}</td><td>{{ row.completion }}%</td>"
        "<td>{{ row.in_progress }}%</td><td>{{ row.not_started }}%</td>"
    )
    cells = Template("{% load roadmap_tags %}{{ row|rate_cells }}")
    expected = {
        (3, 50, 10, 60): "<td>3</td><td>41.7%</td><td>8.3%</td><td>50.0%</td>",
        (34914, 1396560, 0, 0): "<td>34914</td><td>100.0%</td><td>0.0%</td><td>0.0%</td>",
    }
    with translation.override(language):
        for counts, html in expected.items():
            context = Context({"row": rates.Rates(*counts)})
            assert cells.render(context) == plain.render(context) == html
