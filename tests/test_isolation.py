"""One bad row costs one item: corrupt rows written straight into the database never stop a job."""

import io
import logging
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from roadmap.models import JobFailure, Milestone, Notification, UserPreference
from roadmap.services import digest_mail
from roadmap.services.scheduler import flag_overdue
from tests.factories import (
    MembershipFactory,
    MilestoneFactory,
    OrganizationFactory,
    UserPreferenceFactory,
)
from tests.smtp import loopback_smtp_server, mail_through

pytestmark = pytest.mark.django_db

DEADLINE = date(2026, 3, 31)
# Thursday 2 April 2026: a working day, the second day overdue.
MORNING = "2026-04-02"


@pytest.fixture
def smtp(settings):
    with loopback_smtp_server() as server:
        yield mail_through(settings, server)


@pytest.fixture
def owners():
    """Three organizations, each with an owner and an overdue milestone."""
    found = []
    for name in ("a", "b", "c"):
        organization = OrganizationFactory(code=f"org-{name}")
        membership = MembershipFactory(
            organization=organization, user__email=f"owner-{name}@example.go.jp"
        )
        UserPreferenceFactory(user=membership.user)
        MilestoneFactory(owner=organization, deadline=DEADLINE, title_ja=f"移行{name}")
        found.append(membership.user)
    return found


def morning_job():
    """Run send_notifications; return its exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("send_notifications", "--as-of", MORNING, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), str(error)
    return 0, out.getvalue(), err.getvalue()


def delivered_to(smtp):
    return sorted(address for accepted in smtp.accepted for address in accepted.recipients)


def test_corrupt_lead_times_cost_their_owner_and_everyone_else_gets_the_digest(
    owners, smtp, caplog
):
    broken = owners[0]
    # Written around the validators, as a hand-made UPDATE would.
    UserPreference.objects.filter(user=broken).update(lead_days=["x", 3])
    with caplog.at_level(logging.ERROR, logger="roadmap.jobs"):
        status, out, err = morning_job()
    assert status == 1
    assert "Sent 2 digests" in out
    assert "1 item(s) could not be processed" in err
    assert delivered_to(smtp) == ["owner-b@example.go.jp", "owner-c@example.go.jp"]
    [failure] = JobFailure.objects.all()
    assert failure.job == "queue_notifications"
    assert failure.item == f"notification settings of user {broken.pk}"
    assert "whole numbers" in failure.reason
    assert f"user {broken.pk}" in caplog.text


@pytest.mark.parametrize("field", ["lead_days_out_of_range", "lead_days_object"])
def test_other_corrupt_settings_are_isolated_too(owners, smtp, field):
    broken = owners[1]
    if field == "lead_days_object":
        UserPreference.objects.filter(user=broken).update(lead_days={"days": 7})
    else:
        UserPreference.objects.filter(user=broken).update(lead_days=[400])
    status, _out, _err = morning_job()
    assert status == 1
    assert delivered_to(smtp) == ["owner-a@example.go.jp", "owner-c@example.go.jp"]
    assert JobFailure.objects.get().item == f"notification settings of user {broken.pk}"


def test_an_address_the_mail_library_refuses_fails_alone_with_the_reason(owners, smtp):
    broken = owners[1]
    get_user_model().objects.filter(pk=broken.pk).update(
        email="owner-b@example.go.jp\nBcc: spy@example.com"
    )
    status, _out, _err = morning_job()
    assert status == 1
    assert delivered_to(smtp) == ["owner-a@example.go.jp", "owner-c@example.go.jp"]
    failed = Notification.objects.get(user=broken)
    assert failed.state == Notification.State.FAILED
    assert "ValueError" in failed.last_error
    assert "\n" not in failed.last_error
    failure = JobFailure.objects.get()
    assert failure.job == "send_digests"
    assert f"notifications {failed.pk}" in failure.item
    sent = Notification.objects.filter(state=Notification.State.SENT)
    assert sorted(sent.values_list("user_id", flat=True)) == sorted([owners[0].pk, owners[2].pk])


def test_a_notice_whose_entry_cannot_be_made_fails_alone_and_the_digest_goes_out(
    owners, smtp, monkeypatch
):
    owner = owners[2]
    organization = owner.organizations.get()
    cursed = MilestoneFactory(owner=organization, deadline=DEADLINE, title_ja="壊れた行")
    real_item = digest_mail.item

    def item(notice, as_of, language):
        if notice.milestone_id == cursed.pk:
            raise KeyError("template variable")
        return real_item(notice, as_of, language)

    monkeypatch.setattr(digest_mail, "item", item)
    status, _out, _err = morning_job()
    assert status == 1
    assert len(smtp.accepted) == 3
    [digest_c] = [m for m in smtp.accepted if m.recipients == ("owner-c@example.go.jp",)]
    text = digest_c.message.get_body(preferencelist=("plain",)).get_content()
    assert "移行c" in text
    assert "壊れた行" not in text
    failed = Notification.objects.get(milestone=cursed)
    assert (failed.state, failed.last_error) == ("failed", "KeyError: 'template variable'")
    assert JobFailure.objects.get().item == f"notification {failed.pk}"


def test_the_job_exits_0_when_nothing_failed(owners, smtp):
    status, out, _err = morning_job()
    assert status == 0
    assert "Sent 3 digests" in out
    assert not JobFailure.objects.exists()


def test_a_milestone_the_database_refuses_to_flag_costs_that_milestone_only():
    milestones = [MilestoneFactory(deadline=DEADLINE) for _ in range(3)]
    refused = milestones[1]
    refuse_updates_of(refused.pk)
    assert flag_overdue(as_of=date(2026, 4, 2)) == {"flagged": 2, "cleared": 0}
    flagged = Milestone.objects.filter(overdue_since=DEADLINE + timedelta(days=1))
    assert sorted(flagged.values_list("pk", flat=True)) == sorted(
        m.pk for m in milestones if m != refused
    )
    failure = JobFailure.objects.get()
    assert (failure.job, failure.item) == ("flag_overdue", f"milestone {refused.pk}")
    assert "corrupt row" in failure.reason


def test_the_flag_command_exits_1_after_flagging_the_others():
    good, refused = MilestoneFactory(deadline=DEADLINE), MilestoneFactory(deadline=DEADLINE)
    refuse_updates_of(refused.pk)
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("flag_overdue", "--as-of", MORNING, stdout=out)
    assert error.value.returncode == 1
    assert "Flagged 1, cleared 0." in out.getvalue()
    good.refresh_from_db()
    assert good.overdue_since == DEADLINE + timedelta(days=1)


def refuse_updates_of(pk):
    """Make the database refuse every UPDATE of one milestone row, as a corrupt row would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_row() RETURNS trigger AS $$ BEGIN"
                f" IF NEW.id = {int(pk)} THEN RAISE EXCEPTION 'corrupt row'; END IF;"
                " RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_row BEFORE UPDATE ON roadmap_milestone"
                " FOR EACH ROW EXECUTE FUNCTION refuse_row()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse_row BEFORE UPDATE ON roadmap_milestone"
                f" WHEN NEW.id = {int(pk)} BEGIN SELECT RAISE(ABORT, 'corrupt row'); END"
            )
