"""Concurrent writers: two owners on one milestone; a deadline revision racing the scheduler."""

import threading
import time
from datetime import date
from functools import partial

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from roadmap.models import Membership, Milestone, StatusComment
from roadmap.services.milestones import (
    assess_rag,
    bulk_set_status,
    edit_texts,
    revise_deadline,
    set_status,
)
from roadmap.services.scheduler import flag_overdue
from tests.factories import MembershipFactory, MilestoneFactory, OrganizationFactory
from tests.together import together

CONFLICT = "after you opened it; reload and reapply your change."
PASSED = date(2026, 3, 31)


def change_url(milestone):
    return reverse("admin:roadmap_milestone_change", args=[milestone.pk])


def opened_form(client, milestone):
    """Open the change form and return what its fields hold, as the browser would post them."""
    response = client.get(change_url(milestone))
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    return data | {"_save": "Save"}


def signed_in_owner(organization, language="en"):
    client = Client(headers={"Accept-Language": language})
    client.force_login(MembershipFactory(organization=organization).user)
    return client


@pytest.fixture
def organization():
    return OrganizationFactory(code="org-a")


# Two owners, one milestone ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_change_form_carries_the_version_it_was_opened_at(client, organization):
    milestone = MilestoneFactory(owner=organization, version=7)
    client.force_login(MembershipFactory(organization=organization).user)
    html = client.get(change_url(milestone)).content.decode()
    assert '<input type="hidden" name="base_version" value="7"' in html


@pytest.mark.django_db
def test_the_second_of_two_owners_saving_the_same_version_is_told_and_changes_nothing(
    organization,
):
    milestone = MilestoneFactory(owner=organization, title_en="Survey", status="planned")
    first, second = signed_in_owner(organization), signed_in_owner(organization)
    first_form, second_form = opened_form(first, milestone), opened_form(second, milestone)

    saved = first.post(change_url(milestone), first_form | {"status": "in_progress"})
    refused = second.post(
        change_url(milestone),
        second_form | {"title_en": "Survey of systems", "status": "done", "status_comment": "済"},
    )

    assert saved.status_code == 302
    assert refused.status_code == 200
    page = refused.content.decode()
    first_user = Membership.objects.order_by("pk")[0].user.get_username()
    assert f"This milestone was changed by {first_user} at " in page
    assert CONFLICT in page
    milestone.refresh_from_db()
    assert (milestone.title_en, milestone.status, milestone.version) == (
        "Survey",
        "in_progress",
        2,
    )
    assert not StatusComment.objects.exists()


@pytest.mark.django_db
def test_a_form_opened_before_the_scheduler_flagged_the_milestone_is_refused(organization):
    milestone = MilestoneFactory(owner=organization, deadline=PASSED)
    owner = signed_in_owner(organization)
    form = opened_form(owner, milestone)
    flag_overdue(as_of=date(2026, 4, 1))

    response = owner.post(change_url(milestone), form | {"rag": "red"})

    assert "This milestone was changed by the scheduler at " in response.content.decode()
    milestone.refresh_from_db()
    assert milestone.rag == ""


@pytest.mark.django_db
def test_the_conflict_is_explained_in_the_owners_language(organization):
    milestone = MilestoneFactory(owner=organization)
    first, second = signed_in_owner(organization), signed_in_owner(organization, "ja")
    stale = opened_form(second, milestone)
    first.post(change_url(milestone), opened_form(first, milestone) | {"rag": "amber"})

    page = second.post(change_url(milestone), stale).content.decode()

    assert "開いた後に" in page
    assert "再読み込みしてから変更をやり直してください。" in page


@pytest.mark.django_db
def test_reloading_after_a_conflict_lets_the_change_through(organization):
    milestone = MilestoneFactory(owner=organization)
    first, second = signed_in_owner(organization), signed_in_owner(organization)
    stale = opened_form(second, milestone)
    first.post(change_url(milestone), opened_form(first, milestone) | {"rag": "amber"})
    assert CONFLICT in second.post(change_url(milestone), stale).content.decode()

    response = second.post(change_url(milestone), opened_form(second, milestone) | {"rag": "red"})

    assert response.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.rag, milestone.version) == ("red", 3)


@pytest.mark.django_db
def test_a_post_without_the_version_is_refused(organization):
    milestone = MilestoneFactory(owner=organization)
    owner = signed_in_owner(organization)
    form = opened_form(owner, milestone)
    del form["base_version"]

    response = owner.post(change_url(milestone), form | {"status": "done"})

    assert response.status_code == 200
    milestone.refresh_from_db()
    assert milestone.status == "planned"


CHANGES = {
    "set_status": lambda m: set_status(milestone=m, status="in_progress", user=None),
    "revise_deadline": lambda m: revise_deadline(
        milestone=m, new_phrase="2027年度まで", reason="再計画", kind="replan", user=None
    ),
    "assess_rag": lambda m: assess_rag(milestone=m, rag="amber", user=None),
    "edit_texts": lambda m: edit_texts(
        milestone=m, user=None, title_ja="新しい題", title_en="New", source_text=""
    ),
    "bulk_set_status": lambda m: bulk_set_status(
        milestones=Milestone.objects.filter(pk=m.pk), status="done", user=None
    ),
    "flag_overdue": lambda m: flag_overdue(as_of=date(2026, 4, 1)),
}


@pytest.mark.django_db
@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_every_change_to_a_milestone_makes_open_forms_stale(change, organization):
    milestone = MilestoneFactory(owner=organization, deadline=PASSED)
    owner = signed_in_owner(organization)
    form = opened_form(owner, milestone)

    change(milestone)

    assert Milestone.objects.get(pk=milestone.pk).version == 2
    assert CONFLICT in owner.post(change_url(milestone), form).content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_owners_saving_at_the_same_instant_one_wins_and_the_other_is_told(organization):
    milestone = MilestoneFactory(owner=organization)
    owners = [signed_in_owner(organization), signed_in_owner(organization)]
    forms = [opened_form(owner, milestone) for owner in owners]
    changes = [{"status": "in_progress", "rag": "green"}, {"status": "done", "rag": "red"}]

    def save(index):
        response = owners[index].post(change_url(milestone), forms[index] | changes[index])
        return response.status_code, CONFLICT in response.content.decode()

    results = dict(enumerate(together(partial(save, 0), partial(save, 1))))

    assert sorted(results.values()) == [(200, True), (302, False)]
    [winner] = [i for i, (status, _) in results.items() if status == 302]
    milestone.refresh_from_db()
    assert (milestone.status, milestone.rag) == (
        changes[winner]["status"],
        changes[winner]["rag"],
    )
    # Nothing of the refused save reached the history either.
    loser = Membership.objects.order_by("pk")[1 - winner].user
    assert not milestone.history.filter(history_user=loser).exists()


# A revision racing the scheduler ------------------------------------------------------------


def wait_until_blocked_on_a_lock(timeout=20):
    """Wait until another session of the test database waits for a row lock."""
    deadline = time.monotonic() + timeout
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction the activity view is a snapshot unless cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("no session ever waited for the lock")


def run_in_threads(first, second):
    """Run ``first`` in a transaction held open until ``second`` waits on it, then commit."""
    errors = []
    first_done_its_writes = threading.Event()

    def hold_then_commit():
        try:
            with transaction.atomic():
                first()
                first_done_its_writes.set()
                wait_until_blocked_on_a_lock()
        except Exception as error:  # noqa: BLE001 (reported by the test below)
            errors.append(error)
            first_done_its_writes.set()
        finally:
            connection.close()

    def then_second():
        try:
            first_done_its_writes.wait()
            second()
        except Exception as error:  # noqa: BLE001 (reported by the test below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=hold_then_commit), threading.Thread(target=then_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def revise_to(milestone, phrase):
    return lambda: revise_deadline(
        milestone=milestone, new_phrase=phrase, reason="再計画", kind="replan", user=None
    )


def flag_today():
    return lambda: flag_overdue(as_of=date(2026, 11, 26))


@pytest.fixture
def today(monkeypatch):
    """Fix "today" in Tokyo, as revise_deadline and the scheduler read it."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: date(2026, 11, 26))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("revision_first", [True, False], ids=["revision-first", "flag-first"])
@pytest.mark.parametrize(
    ("phrase", "deadline", "overdue_since"),
    [
        ("2027年度まで", date(2028, 3, 31), None),
        ("2026年9月まで", date(2026, 9, 30), date(2026, 10, 1)),
    ],
    ids=["to-a-later-year", "to-another-passed-day"],
)
def test_a_revision_committed_while_the_scheduler_flags_ends_as_the_revised_deadline_says(
    today, revision_first, phrase, deadline, overdue_since
):
    milestone = MilestoneFactory(deadline=PASSED)
    if revision_first:
        run_in_threads(revise_to(milestone, phrase), flag_today())
    else:
        run_in_threads(flag_today(), revise_to(milestone, phrase))

    milestone.refresh_from_db()
    assert (milestone.deadline, milestone.overdue_since) == (deadline, overdue_since)
    latest = milestone.history.order_by("-history_date", "-history_id").first()
    assert (latest.deadline, latest.overdue_since) == (deadline, overdue_since)
