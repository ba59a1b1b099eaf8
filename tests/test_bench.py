"""The benchmark machinery on a tiny programme: every row is produced, query counts stay flat."""

import os
import threading
from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.management import call_command

from bench import benchmarks, scale, turns
from bench.command import Command
from roadmap.models import Milestone, Notification, Organization, Step
from roadmap.programme.models import (
    Designation,
    DesignationTally,
    ProgressSnapshot,
    SystemProgress,
)
from roadmap.standardization import generate

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

JOBS = (
    "flag_overdue",
    "flag_overdue (flags only)",
    "queue_notifications",
    "send_digests",
    "send_digests (loopback SMTP)",
)
WORKBOOKS = (
    "Excel (all rows) `/milestones.xlsx`",
    "import_milestones (that workbook, unchanged)",
)


def run_small(municipalities):
    generate(limit_prefectures=2, max_municipalities=municipalities, owners=True, steps=True)
    benchmarks.ensure_snapshot()
    return {row.name: row for row in benchmarks.run_all(runs=1, requests=1)}


def test_bench_produces_a_row_for_every_job_and_page():
    rows = run_small(2)
    pages = [f"{name} `{path}`" for name, path in benchmarks.PAGES]
    pages += [
        f"{name}, first byte `{path}`" for name, path in benchmarks.PAGES if "all rows" in name
    ]
    sample = Milestone.objects.filter(revisions__isnull=False).order_by("pk").first()
    pages += [
        f"one milestone `/milestones/{sample.pk}/`",
        f"admin: one milestone `/admin/roadmap/milestone/{sample.pk}/change/`",
    ]
    body = Milestone.objects.filter(business_system=20).order_by("owner__code")
    body = body.values_list("owner__code", flat=True)
    # The month-end snapshot taken for the bench, before its day.
    [snapshot] = ProgressSnapshot.objects.all()
    assert snapshot.as_of < benchmarks.AS_OF and (snapshot.as_of + timedelta(days=1)).day == 1
    day = snapshot.as_of.isoformat()
    pages += [
        f"programme as of a snapshot `/programme/?as_of={day}`",
        f"programme API as of a snapshot `/api/programme/?as_of={day}`",
        f"one body's grid `/programme/{body.first()}/`",
        f"one body API `/api/programme/bodies/{body.first()}/`",
    ]
    programme = {"save one body's full grid (800 cells)", "import_steps, national file"}
    expected = set(JOBS) | {benchmarks.BASELINE_PAGE[0]} | set(pages) | programme | set(WORKBOOKS)
    if not admin.site.is_registered(benchmarks.Step):
        expected.discard("admin: steps `/admin/roadmap/step/`")
    assert set(rows) == expected
    assert all(row.ratio > 0 and row.compares for row in rows.values())


def test_jobs_and_their_sql_baselines_do_the_same_work():
    rows = run_small(2)
    overdue = Milestone.objects.overdue(as_of=benchmarks.AS_OF).count()
    assert overdue > 0
    assert rows["flag_overdue"].note == f"{overdue:,} milestones flagged"
    assert rows["queue_notifications"].note == f"{overdue:,} notices queued"


def test_a_job_and_its_baselines_are_timed_in_turns_each_round_led_by_another():
    done = []
    works = {name: (lambda name=name: done.append(name)) for name in ("job", "sql", "bare")}
    samples = benchmarks.measure_in_turns(works, runs=4, reset=lambda: done.append("reset"))
    # A counted warm-up of each, then four rounds, each after its own reset.
    assert done[::2] == ["reset"] * 15
    warm_up, *rounds = (done[1::2][k : k + 3] for k in range(0, 15, 3))
    assert warm_up == ["job", "sql", "bare"]
    assert [" ".join(turns) for turns in rounds] == [
        "job sql bare",
        "sql bare job",
        "bare job sql",
        "job sql bare",
    ]
    assert {name: len(sample.seconds) for name, sample in samples.items()} == dict.fromkeys(
        works, 4
    )


def test_bench_leaves_the_flags_of_its_day_and_no_notices_behind():
    run_small(2)
    flagged = Milestone.objects.filter(overdue_since__isnull=False)
    assert flagged.count() == Milestone.objects.overdue(as_of=benchmarks.AS_OF).count()
    assert not Notification.objects.exists()


def test_query_counts_of_jobs_and_pages_do_not_grow_with_the_data():
    small = run_small(2)
    large = run_small(6)
    assert Milestone.objects.count() > 2 * 42
    flat = [name for name in small if not name.startswith("send_digests")]
    assert {n: large[n].sample.queries for n in flat} == {n: small[n].sample.queries for n in flat}


def test_send_digests_queries_per_mail_do_not_grow_with_the_data():
    def queries_per_mail(row):
        mails = int(row.note.split(" mails")[0].replace(",", ""))
        return row.sample.queries / mails

    small, large = run_small(2), run_small(6)
    for name in ("send_digests", "send_digests (loopback SMTP)"):
        assert queries_per_mail(large[name]) <= queries_per_mail(small[name])


def test_report_describes_the_machine_and_every_row(tmp_path):
    out = tmp_path / "benchmarks.md"
    call_command(Command(), "--small", "--runs=1", "--requests=1", f"--output={out}")
    text = out.read_text(encoding="utf-8")
    for heading in (
        "| measured |",
        "flag_overdue",
        "send_digests",
        "/dashboard/",
        "## Budgets",
        "| dashboard `/dashboard/` median |",
        "| programme as of a snapshot median |",
        "- CPU:",
    ):
        assert heading in text
    assert "- Django: 5.2" in text


def fixed_row(name, seconds, *, baseline=0.1, rate=None):
    sample = benchmarks.Sample([seconds], 3)
    return benchmarks.Row(name, sample, benchmarks.Sample([baseline], 1), "", rate=rate)


def test_budgets_say_pass_or_fail_beside_each_measured_row():
    rows = [
        fixed_row("queue_notifications", 0.2, baseline=0.1),
        fixed_row("send_digests", 1.0, baseline=0.5, rate=1500),
        fixed_row("dashboard `/dashboard/`", 0.150),
        fixed_row("iCal (all rows), first byte `/milestones.ics`", 0.050),
    ]
    lines = benchmarks.budget_table(rows)
    assert (
        "| queue_notifications ÷ INSERT … SELECT … ON CONFLICT | 2.00× | ≤ 1.5× | FAIL |" in lines
    )
    assert (
        "| send_digests, mails per second (locmem) | 1,500 mails/s | ≥ 1,000 mails/s | pass |"
        in (lines)
    )
    assert "| dashboard `/dashboard/` median | 150.0 ms | ≤ 100.0 ms | FAIL |" in lines
    assert "| iCal, first byte | 50.0 ms | ≤ 200.0 ms | pass |" in lines
    # A ratio just past its limit shows the digit that puts it there.
    [just_past] = benchmarks.budget_table([fixed_row("flag_overdue", 0.2008, baseline=0.2)])[2:]
    assert just_past == (
        "| flag_overdue ÷ hand-written UPDATE + history INSERT | 1.004× | ≤ 1.0× | FAIL |"
    )
    # Budgets whose rows were not measured are left out rather than guessed.
    assert not any(line.startswith("| CSV of all milestones") for line in lines)


def test_growth_expects_jobs_to_grow_linearly_and_pages_to_stay_flat():
    rows = [
        fixed_row("flag_overdue", 0.1),
        fixed_row("timeline `/`", 0.05),
        fixed_row("one milestone `/milestones/7/`", 0.01),
    ]
    scaled = [
        {"name": "flag_overdue", "median": 1.1, "queries": 5},
        {"name": "timeline `/`", "median": 0.075, "queries": 5},
        {"name": "one milestone `/milestones/9/`", "median": 0.011, "queries": 6},
    ]
    lines = benchmarks.growth_table(rows, scaled, scale=10)
    assert lines[2].endswith("| 11.00× | ≤ 12.0× (linear) | pass |")
    assert lines[3].endswith("| 1.50× | ≤ 1.2× (constant) | FAIL |")
    assert lines[4].endswith("| 1.10× | ≤ 1.2× (constant) | pass |")
    assert benchmarks.growth_explanations(rows, scaled, scale=10)[0].startswith("timeline: ")


def test_a_page_timed_in_turns_at_both_sizes_is_compared_with_its_turns_at_1x():
    rows = [fixed_row("timeline `/`", 0.05), fixed_row("programme `/programme/`", 0.02)]
    # The first run met a quiet spell and the run at 10× a slow one; in turns both were slow.
    scaled = [
        {"name": "timeline `/`", "median": 0.075, "queries": 5, "paired_median": 0.07},
        {"name": "programme `/programme/`", "median": 0.03, "queries": 5},
    ]
    timeline, programme = benchmarks.growth_table(rows, scaled, scale=10)[2:]
    assert timeline == "| timeline `/` | 70.0 ms | 75.0 ms | 1.07× | ≤ 1.2× (constant) | pass |"
    # A row not timed in turns is compared with the first run's median.
    assert programme.endswith("| 20.0 ms | 30.0 ms | 1.50× | ≤ 1.2× (constant) | FAIL |")


def test_requests_are_split_into_rounds_of_nearly_equal_size():
    assert turns.rounds(20) == [5, 5, 5, 5]
    assert turns.rounds(5) == [2, 1, 1, 1]
    assert turns.rounds(2) == [1, 1]
    assert turns.rounds(1) == [1]


def test_each_page_is_timed_in_rounds_taking_turns_with_the_other_size():
    events = []

    def timed(size, key, runs):
        return turns.Timed(
            key,
            f"{key} `/{key}/`",
            lambda: events.append(f"{size} {key}"),
            runs,
            "compares",
            reset=lambda: events.append(f"{size} reset"),
        )

    # This side (the run at 1×) serves from a thread, as the first run's process would.
    questions_read, questions_write = os.pipe()
    answers_read, answers_write = os.pipe()
    medians = {}

    def serve():
        with (
            os.fdopen(questions_read, "r", encoding="utf-8") as reader,
            os.fdopen(answers_write, "w", encoding="utf-8") as writer,
        ):
            # "b" has no page here: it is answered, with nothing timed.
            medians.update(turns.serve(reader, writer, [timed("1x", "a", 0)]))

    server = threading.Thread(target=serve)
    server.start()
    partner = turns.Partner.from_fds(f"{answers_read},{questions_write}")
    sample = benchmarks.time_page(timed("10x", "a", 5), partner)
    other = benchmarks.time_page(timed("10x", "b", 2), partner)
    partner.close()
    server.join(timeout=10)
    assert not server.is_alive()
    work = [event for event in events if not event.endswith("reset")]
    # The partner's warm-up, this side's counted one, then rounds of 2, 1, 1 and 1 requests,
    # the partner's first each time; never both at once.
    # "b", which the partner has no page for, is timed here alone: a warm-up and two requests.
    assert work == [
        "1x a", "10x a",
        "1x a", "1x a", "10x a", "10x a",
        "1x a", "10x a",
        "1x a", "10x a",
        "1x a", "10x a",
        "10x b", "10x b", "10x b",
    ]  # fmt: skip
    assert (len(sample.seconds), len(other.seconds)) == (5, 2)
    assert list(medians) == ["a"]


def test_a_partner_that_stops_answering_stops_the_bench():
    questions_read, questions_write = os.pipe()
    answers_read, answers_write = os.pipe()
    os.close(answers_write)
    partner = turns.Partner.from_fds(f"{answers_read},{questions_write}")
    page = turns.Timed("a", "a `/a/`", lambda: None, 1, "compares")
    with pytest.raises(turns.PartnerGone, match="answered ''"):
        benchmarks.time_page(page, partner)
    partner.close()
    os.close(questions_read)


def test_a_job_whose_baseline_grew_as_much_says_the_database_grew():
    compares = "flag_overdue ÷ hand-written UPDATE … WHERE"
    sample = benchmarks.Sample([0.1], 4)
    rows = [
        benchmarks.Row("flag_overdue", sample, benchmarks.Sample([0.1], 2), compares),
        benchmarks.Row("queue_notifications", sample, benchmarks.Sample([0.1], 2), compares),
    ]
    scaled = [
        {"name": "flag_overdue", "median": 1.4, "queries": 4, "baseline": 1.5},
        {"name": "queue_notifications", "median": 1.4, "queries": 4, "baseline": 1.0},
    ]
    database, job = benchmarks.growth_explanations(rows, scaled, scale=10)
    assert database.startswith(
        "flag_overdue: its baseline (hand-written UPDATE … WHERE) grew 15.00× in the same run"
    )
    # Its baseline stayed linear: the job's own work grew.
    assert "baseline" not in job


@pytest.mark.postgres
def test_copies_of_the_programme_are_added_once_each_with_their_steps():
    generate(limit_prefectures=1, max_municipalities=2, owners=True, steps=True)
    models = (Milestone, Step, SystemProgress, Designation)
    before = {model: model.objects.count() for model in models}
    assert before[Designation]
    scale.scale_to(3, report=lambda line: None)
    scale.scale_to(3, report=lambda line: None)
    programme = Organization.objects.filter(kind__in=("prefecture", "municipality"))
    assert programme.filter(code__endswith="-x3").count() == programme.count() // 3
    # Still one prefecture: each copy is a municipality of the original's prefecture.
    prefecture = Organization.objects.get(kind="prefecture")
    copies = Organization.objects.filter(code__contains="-x")
    assert set(copies.values_list("kind", "parent_id")) == {("municipality", prefecture.pk)}
    assert copies.get(code=f"{prefecture.code}-x2").name_ja == f"{prefecture.name_ja} #2"
    assert Milestone.objects.count() == 3 * before[Milestone]
    assert Step.objects.count() == 3 * before[Step]
    assert SystemProgress.objects.count() == 3 * before[SystemProgress]
    # Each copy's special-support designations: its own body, its own copied revision.
    assert Designation.objects.count() == 3 * before[Designation]
    for designation in Designation.objects.filter(milestone__ref__endswith="-x3"):
        assert designation.body_id == designation.milestone.owner_id
        assert designation.revision.milestone_id == designation.milestone_id
    assert DesignationTally.objects.get(reason=DesignationTally.ANY_REASON).systems == (
        3 * before[Designation]
    )
    copied = Step.objects.filter(milestone__ref__endswith="-x2").order_by(
        "milestone__ref", "number"
    )
    original = Step.objects.filter(
        milestone__ref__in=[
            ref.removesuffix("-x2") for ref in copied.values_list("milestone__ref", flat=True)
        ]
    ).order_by("milestone__ref", "number")
    assert list(copied.values_list("number", "state")) == list(
        original.values_list("number", "state")
    )
