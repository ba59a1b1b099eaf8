"""The designations kept per reason: each body once per reason, exact after every kind of write."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from roadmap.models import Milestone, Organization
from roadmap.programme import progress, rates
from roadmap.programme.designations import designate
from roadmap.programme.models import Designation, DesignationTally
from roadmap.standardization import generate
from tests.test_concurrency import run_in_threads

pytestmark = pytest.mark.django_db

SMALL = {"limit_prefectures": 1, "max_municipalities": 2}
ANY = DesignationTally.ANY_REASON


@pytest.fixture
def bodies():
    generate(**SMALL)
    Designation.objects.all().delete()
    # A flushed test database (after a transactional test) has lost the kept rows.
    progress.repair()
    return list(Organization.objects.filter(kind="municipality").order_by("code")[:2])


def system(body, number):
    return Milestone.objects.get(owner=body, business_system=number)


def designation(body, number, reason):
    milestone = system(body, number)
    return Designation(
        milestone=milestone, body=body, reason=reason, phrase="2030年度末", basis="b"
    )


def kept():
    """Return the kept (systems, bodies) of every reason, without the rows that count nought."""
    return {
        row.reason: (row.systems, row.bodies)
        for row in DesignationTally.objects.all()
        if row.systems or row.bodies
    }


def counted():
    return {
        row["reason"]: (row["systems"], row["bodies"])
        for row in rates.designations_counted()
        if row["systems"] or row["bodies"]
    }


def test_a_body_counts_once_per_reason_whatever_the_write(bodies):
    first, second = bodies
    # One statement designating two systems of one body for one reason: one body.
    Designation.objects.bulk_create(
        [designation(first, 1, 1), designation(first, 2, 1), designation(second, 1, 2)]
    )
    assert kept() == {ANY: (3, 2), 1: (2, 1), 2: (1, 1)}
    designate(milestone=system(first, 3), reason=2, phrase="2030年度末", basis="b", user=None)
    assert kept() == {ANY: (4, 2), 1: (2, 1), 2: (2, 2)}
    # A change of reason moves the system, and the body once it has none left for the old one.
    designate(milestone=system(first, 1), reason=2, phrase="2030年度末", basis="b", user=None)
    designate(milestone=system(first, 2), reason=2, phrase="2030年度末", basis="b", user=None)
    assert kept() == {ANY: (4, 2), 2: (4, 2)}
    # A change of wording alone moves nothing.
    Designation.objects.update(basis="見直し")
    assert kept() == {ANY: (4, 2), 2: (4, 2)}
    # Deleting a milestone deletes its designation; a set-based delete takes several at once.
    system(second, 1).delete()
    assert kept() == {ANY: (3, 1), 2: (3, 1)}
    Designation.objects.filter(milestone__business_system__in=[1, 2]).delete()
    assert kept() == {ANY: (1, 1), 2: (1, 1)}
    assert kept() == counted()


def test_the_figures_read_the_kept_rows(bodies, django_assert_num_queries):
    Designation.objects.bulk_create([designation(bodies[0], 1, 3)])
    # Numbers the triggers would never keep show which were read.
    DesignationTally.objects.filter(reason=ANY).update(systems=70, bodies=60)
    DesignationTally.objects.filter(reason=3).update(systems=50, bodies=40)
    with django_assert_num_queries(1):
        figures = rates.designations()
    assert (figures["systems"], figures["bodies"]) == (70, 60)
    assert [(r["systems"], r["bodies"]) for r in figures["by_reason"]] == [
        (0, 0),
        (0, 0),
        (50, 40),
        (0, 0),
    ]


def test_the_recount_command_repairs_drifted_designation_counts(bodies, capsys):
    Designation.objects.bulk_create([designation(bodies[0], 1, 4), designation(bodies[1], 1, 4)])
    DesignationTally.objects.filter(reason=4).update(bodies=7)
    with pytest.raises(SystemExit):
        call_command("recount_dashboard", "--check")
    assert "differed" in capsys.readouterr().err
    assert kept() == {ANY: (2, 2), 4: (2, 2)}
    call_command("recount_dashboard", "--check")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_designations_of_one_body_count_it_once(bodies):
    first = bodies[0]

    def add(number):
        return lambda: Designation.objects.bulk_create([designation(first, number, 1)])

    # The second writer waits for the first to commit, then sees its designation: one body.
    run_in_threads(add(1), add(2))
    assert kept() == {ANY: (2, 1), 1: (2, 1)}

    def remove(number):
        return lambda: Designation.objects.filter(milestone=system(first, number)).delete()

    # Two writers taking away the body's last two designations: it leaves once.
    run_in_threads(remove(1), remove(2))
    assert kept() == {}
    assert kept() == counted()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_statement_writing_no_designation_takes_no_lock(bodies):
    with transaction.atomic(), connection.cursor() as cursor:
        # A cascade from a milestone with no designation deletes none.
        Designation.objects.filter(milestone__business_system=20).delete()
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
            " WHERE l.pid = pg_backend_pid() AND c.relname = %s",
            [DesignationTally._meta.db_table],
        )
        assert cursor.fetchone()[0] == 0
        Designation.objects.bulk_create([designation(bodies[0], 1, 1)])
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
            " WHERE l.pid = pg_backend_pid() AND c.relname = %s",
            [DesignationTally._meta.db_table],
        )
        assert cursor.fetchone()[0] > 0


def test_a_reason_counting_nothing_is_no_drift(bodies):
    # As a flushed test database or a restore leaves them: no kept rows at all.
    DesignationTally.objects.all().delete()
    Designation.objects.bulk_create([designation(bodies[0], 1, 2)])
    Designation.objects.all().delete()
    assert progress.repair() == 0
