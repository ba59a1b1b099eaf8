"""The standard steps in the admin: members see their organizations' steps, read-only."""

import logging
from datetime import date

import pytest
from django.urls import reverse

from roadmap.models import Membership, Step
from tests.factories import MembershipFactory, MilestoneFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:roadmap_step_changelist")


def change_url(step):
    return reverse("admin:roadmap_step_change", args=[step.pk])


def steps_of(milestone, count=3, completed=()):
    return [
        Step.objects.create(
            milestone=milestone,
            number=number,
            state=Step.State.DONE if number in completed else Step.State.NOT_STARTED,
            changed_on=date(2025, 4, number) if number in completed else None,
        )
        for number in range(1, count + 1)
    ]


@pytest.fixture
def org_a():
    return OrganizationFactory(code="131016", name_ja="千代田区", kind="municipality")


@pytest.fixture
def org_b():
    return OrganizationFactory(code="271004", name_ja="大阪市", kind="municipality")


@pytest.fixture
def owner_a(org_a):
    return MembershipFactory(organization=org_a, role=Membership.Role.OWNER).user


@pytest.fixture
def viewer_a(org_a):
    return MembershipFactory(organization=org_a, role=Membership.Role.VIEWER).user


@pytest.fixture
def steps_a(org_a):
    return steps_of(MilestoneFactory(owner=org_a, title_ja="住民記録"), completed=(1,))


@pytest.fixture
def steps_b(org_b):
    return steps_of(MilestoneFactory(owner=org_b, title_ja="税務"))


def listed(client, user, **query):
    client.force_login(user)
    response = client.get(CHANGELIST, query)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_owner_sees_only_the_steps_of_their_organizations_milestones(
    client, owner_a, steps_a, steps_b
):
    assert listed(client, owner_a) == steps_a


def test_viewer_sees_the_steps_of_their_organization(client, viewer_a, steps_a, steps_b):
    assert listed(client, viewer_a) == steps_a


def test_superuser_sees_every_step(admin_client, steps_a, steps_b):
    response = admin_client.get(CHANGELIST)
    assert set(response.context["cl"].result_list) == {*steps_a, *steps_b}


def test_staff_without_membership_cannot_open_the_steps(client, steps_a):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(CHANGELIST).status_code == 403


def test_change_list_names_milestone_owner_and_step(client, owner_a, steps_a):
    client.force_login(owner_a)
    content = client.get(CHANGELIST).content.decode()
    assert "住民記録" in content and "千代田区" in content


def test_filter_by_step_number(client, owner_a, steps_a):
    assert [step.number for step in listed(client, owner_a, number="2")] == [2]


def test_step_filter_offers_the_standard_steps_by_name(client, owner_a, steps_a):
    client.force_login(owner_a)
    assert (
        "9 ③-2 Fit&amp;Gap分析による課題（運用見直しが必要な業務等）の洗い出し"
        in client.get(CHANGELIST).content.decode()
    )


def test_filter_by_completion(client, owner_a, steps_a):
    assert [step.number for step in listed(client, owner_a, state="done")] == [1]
    assert [step.number for step in listed(client, owner_a, state="not_started")] == [2, 3]


def test_search_by_milestone_ref(client, owner_a, org_a, steps_a):
    other = steps_of(MilestoneFactory(owner=org_a, ref="std-131016-02"), count=1)
    assert listed(client, owner_a, q="std-131016-02") == other


def test_owner_opens_a_step_read_only(client, owner_a, steps_a):
    client.force_login(owner_a)
    step = steps_a[0]
    response = client.get(change_url(step))
    assert response.status_code == 200
    assert 'name="state"' not in response.content.decode()
    client.post(change_url(step), {"number": 9, "state": "not_started"})
    step.refresh_from_db()
    assert (step.number, step.state, step.changed_on) == (1, "done", date(2025, 4, 1))


def test_owner_cannot_open_another_organizations_step(client, owner_a, steps_b, caplog):
    caplog.set_level(logging.WARNING, logger="roadmap.security")
    client.force_login(owner_a)
    step = steps_b[0]
    assert client.get(change_url(step)).status_code == 403
    refusals = [r.getMessage() for r in caplog.records if r.name == "roadmap.security"]
    assert [m for m in refusals if "milestone ids=" in m] == [
        f"refused: user={owner_a.username} action=open step milestone ids={step.milestone_id}"
    ]


def test_nobody_adds_or_deletes_steps_in_the_admin(client, owner_a, steps_a):
    client.force_login(owner_a)
    assert client.get(reverse("admin:roadmap_step_add")).status_code == 403
    delete = reverse("admin:roadmap_step_delete", args=[steps_a[0].pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Step.objects.filter(pk=steps_a[0].pk).exists()


@pytest.mark.parametrize("milestones", [2, 20])
def test_change_list_costs_a_constant_number_of_queries(
    client, owner_a, org_a, milestones, django_assert_max_num_queries
):
    for _ in range(milestones):
        steps_of(MilestoneFactory(owner=org_a), count=10)
    client.force_login(owner_a)
    with django_assert_max_num_queries(7):
        response = client.get(CHANGELIST, {"state": "not_started"})
    assert len(response.context["cl"].result_list) == min(milestones * 10, 100)
