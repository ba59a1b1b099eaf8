"""Snapshots' sums: the figures as of a snapshot are its rows added up, read without adding."""

from collections import defaultdict
from datetime import date

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from roadmap.models import Milestone
from roadmap.programme import rates
from roadmap.programme.designations import designate
from roadmap.programme.models import (
    ProgressSnapshot,
    SnapshotBodyTally,
    SnapshotDesignationTally,
    SnapshotRow,
    SnapshotSystemTally,
)
from roadmap.programme.snapshots import take_snapshot
from roadmap.programme.steps import Cell, record_steps
from roadmap.services.milestones import bulk_set_status
from roadmap.standardization import generate

pytestmark = pytest.mark.django_db

DAYS = (date(2026, 1, 31), date(2026, 2, 28))


def changed_programme():
    """Take a snapshot on each of DAYS and one today, with steps, designations and a
    cancellation changing in between; return the snapshots."""
    generate(limit_prefectures=2, max_municipalities=3, steps=True)
    milestones = list(Milestone.objects.filter(business_system__isnull=False).order_by("pk"))
    snapshots = [take_snapshot(as_of=DAYS[0])[0]]
    record_steps(
        cells=[Cell(m.pk, 1 + i % 40, "in_progress") for i, m in enumerate(milestones[::3])],
        user=None,
        on=date(2026, 2, 10),
    )
    designate(milestone=milestones[1], reason=3, phrase="2030年度末", basis="b", user=None)
    snapshots.append(take_snapshot(as_of=DAYS[1])[0])
    bulk_set_status(
        milestones=Milestone.objects.filter(pk=milestones[2].pk), status="cancelled", user=None
    )
    record_steps(cells=[Cell(milestones[0].pk, 40, "done")], user=None)
    snapshots.append(take_snapshot(as_of=timezone.localdate())[0])
    return snapshots


def added_up(rows) -> tuple:
    """Return (systems, complete, in progress, not started) of some snapshot rows, in Python."""
    return (
        len(rows),
        sum(r.done + r.not_applicable for r in rows),
        sum(r.in_progress for r in rows),
        sum(r.not_started for r in rows),
    )


def from_scratch(snapshot) -> dict:
    """Return every figure of a snapshot added up from its rows, as the pages once did."""
    rows = list(SnapshotRow.objects.filter(snapshot=snapshot).select_related("prefecture"))
    prefectures, systems, designated = defaultdict(list), defaultdict(list), defaultdict(list)
    for row in rows:
        prefectures[row.prefecture.code].append(row)
        systems[row.system].append(row)
        if row.designation_reason:
            designated[row.designation_reason].append(row)
            designated["all"].append(row)
    return {
        "national": added_up(rows),
        "bodies": len({row.body_id for row in rows}),
        "prefecture": {code: added_up(group) for code, group in prefectures.items()},
        "system": {number: added_up(group) for number, group in systems.items()},
        "designated": {
            key: (len(group), len({row.body_id for row in group}))
            for key, group in designated.items()
        },
    }


def read(rates_row) -> tuple:
    return (
        rates_row.systems,
        rates_row.complete,
        rates_row.in_progress_steps,
        rates_row.not_started_steps,
    )


def test_figures_as_of_each_snapshot_are_its_rows_added_up():
    snapshots = changed_programme()
    assert len({read(rates.programme_figures(s).national) for s in snapshots}) == 3
    for snapshot in snapshots:
        expected = from_scratch(snapshot)
        figures = rates.programme_figures(snapshot)
        assert read(figures.national) == expected["national"]
        assert (snapshot.systems, snapshot.complete) == expected["national"][:2]
        assert figures.bodies == expected["bodies"]
        for row in figures.prefectures:
            assert read(row) == expected["prefecture"][row.key]
        for row in figures.systems:
            assert read(row) == expected["system"][row.key]
        designated = figures.designated
        counted = expected["designated"]
        assert (designated["systems"], designated["bodies"]) == counted.get("all", (0, 0))
        for reason in designated["by_reason"]:
            assert (reason["systems"], reason["bodies"]) == counted.get(reason["reason"], (0, 0))


@pytest.mark.parametrize(
    ("filters", "chosen"),
    [
        ({}, lambda row: True),
        ({"prefecture__code__startswith": "02"}, lambda row: row.prefecture.code[:2] == "02"),
        ({"body__name_kana__contains": "し"}, lambda row: "し" in row.body.name_kana),
    ],
)
def test_the_body_table_as_of_each_snapshot_is_its_rows_added_up(filters, chosen):
    for snapshot in changed_programme():
        rows = SnapshotRow.objects.filter(snapshot=snapshot).select_related("body", "prefecture")
        by_body = defaultdict(list)
        for row in rows:
            if chosen(row):
                by_body[row.body.code].append(row)
        table = rates.body_rates(snapshot, **filters)
        assert [(row["body__code"], read(rates.as_rates(row))) for row in table] == [
            (code, added_up(by_body[code])) for code in sorted(by_body)
        ]


def test_pages_as_of_a_snapshot_show_its_rows_added_up(client):
    *_, snapshot = changed_programme()
    expected = from_scratch(snapshot)
    day = snapshot.as_of.isoformat()
    data = client.get(f"/api/programme/?as_of={day}").json()
    assert (data["systems"], data["bodies"]) == (expected["national"][0], expected["bodies"])
    for prefecture in data["prefectures"]:
        systems, complete, in_progress, not_started = expected["prefecture"][prefecture["code"]]
        assert prefecture["systems"] == systems
        assert prefecture["completion"] == float(rates.percent(complete, systems))
        assert prefecture["in_progress"] == float(rates.percent(in_progress, systems))
        assert prefecture["not_started"] == float(rates.percent(not_started, systems))
    context = client.get(f"/programme/?as_of={day}&prefecture=02").context
    assert read(context["figures"].national) == expected["national"]
    assert context["bodies"] and all(row.key.startswith("02") for row in context["bodies"])
    dashboard = client.get(f"/dashboard/?as_of={day}").context
    assert {row.key: read(row) for row in dashboard["prefecture_rates"]} == expected["prefecture"]


def queries(client, url) -> int:
    """Return the queries of a request rendered afresh (not the dashboard's kept body)."""
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_pages_as_of_a_snapshot_cost_no_more_queries_than_live_ones_whatever_the_size(client):
    # Their exact counts are pinned with the other programme addresses in test_programme.py.
    counted = []
    for municipalities in (2, 6):
        generate(limit_prefectures=2, max_municipalities=municipalities)
        ProgressSnapshot.objects.all().delete()
        take_snapshot(as_of=DAYS[0])
        # The dashboard's figures are counted on the first request after a change.
        client.get("/dashboard/")
        counted.append(
            {
                url: (queries(client, url), queries(client, f"{url}?as_of={DAYS[0]}"))
                for url in ("/programme/", "/api/programme/", "/dashboard/")
            }
        )
    assert counted[0] == counted[1]
    assert all(as_of <= live for live, as_of in counted[0].values())


def stored(snapshot) -> dict:
    """Return a snapshot's sums as stored: its tallies and totals."""
    snapshot.refresh_from_db()
    fields = ("systems", "complete", "bodies", "designated_bodies", "designated_systems")
    return {
        "totals": [getattr(snapshot, name) for name in fields],
        **{
            model.__name__: sorted(
                tuple(v for k, v in row.items() if k != "id")
                for row in model.objects.filter(snapshot=snapshot).values()
            )
            for model in (SnapshotSystemTally, SnapshotBodyTally, SnapshotDesignationTally)
        },
    }


def test_the_recount_command_repairs_a_snapshots_drifted_sums(capsys):
    snapshot, *_ = changed_programme()
    kept = stored(snapshot)
    SnapshotBodyTally.objects.filter(snapshot=snapshot).update(complete=999)
    ProgressSnapshot.objects.filter(pk=snapshot.pk).update(designated_bodies=7)
    with pytest.raises(SystemExit) as stopped:
        call_command("recount_dashboard", "--check")
    assert stopped.value.code == 1
    assert stored(snapshot) == kept
    call_command("recount_dashboard", "--check")
    assert "matched a fresh count" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_the_migration_sums_the_snapshots_taken_before_it():
    snapshots = changed_programme()
    taken = [stored(snapshot) for snapshot in snapshots]
    executor = MigrationExecutor(connection)
    executor.migrate([("roadmap", "0021_snapshot_tallies")])
    # As migration 0021 leaves a snapshot taken before it: no tallies, no counts of bodies.
    ProgressSnapshot.objects.update(bodies=0, designated_bodies=0, designated_systems=0)
    assert not SnapshotBodyTally.objects.exists()
    executor = MigrationExecutor(connection)
    # Forward to the latest migrations, as `migrate` would: the later ones were undone too.
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert [stored(snapshot) for snapshot in snapshots] == taken
    assert rates.programme_figures(snapshots[0]).bodies == from_scratch(snapshots[0])["bodies"]


@pytest.mark.postgres
def test_a_new_snapshot_is_known_to_the_planner_at_once():
    generate(limit_prefectures=1, max_municipalities=3)
    snapshot, _ = take_snapshot(as_of=date(2026, 1, 31))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE relname = 'roadmap_snapshotbodytally'"
        )
        [estimated] = cursor.fetchone()
    # Analyzed: the planner's estimate is the rows stored, not the empty table it was before.
    assert estimated == snapshot.body_tallies.count() == 4
