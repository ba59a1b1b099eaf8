"""Measurements in the admin: owners record their indicators', viewers read, others see none."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from roadmap import periods
from roadmap.models import Measurement, Membership, Milestone, RecurringCommitment
from tests.factories import (
    IndicatorFactory,
    InitiativeFactory,
    MeasurementFactory,
    MembershipFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db

ADD = reverse("admin:roadmap_measurement_add")
CHANGELIST = reverse("admin:roadmap_measurement_changelist")


def member(role=Membership.Role.OWNER, organization=None):
    kwargs = {"organization": organization} if organization else {}
    return MembershipFactory(role=role, **kwargs)


def measurement_data(indicator, value="1100"):
    return {
        "indicator": indicator.pk,
        "measured_on": "2025-04-01",
        "value": value,
        "source": "組織定員",
    }


def test_an_owner_records_a_measurement_of_their_indicator(client):
    owner = member()
    indicator = IndicatorFactory(owner=owner.organization)
    client.force_login(owner.user)
    response = client.post(ADD, measurement_data(indicator))
    assert response.status_code == 302
    measurement = Measurement.objects.get()
    assert (measurement.recorded_by, measurement.measured_on) == (owner.user, date(2025, 4, 1))


def test_an_owner_cannot_record_another_organizations_indicator(client):
    owner = member()
    theirs = IndicatorFactory()
    client.force_login(owner.user)
    response = client.post(ADD, measurement_data(theirs))
    assert response.status_code == 200
    assert "indicator" in response.context["adminform"].form.errors
    assert not Measurement.objects.exists()


def test_a_viewer_reads_but_does_not_record(client):
    viewer = member(role=Membership.Role.VIEWER)
    indicator = IndicatorFactory(owner=viewer.organization)
    MeasurementFactory(indicator=indicator)
    client.force_login(viewer.user)
    assert client.get(CHANGELIST).context["cl"].result_count == 1
    assert client.post(ADD, measurement_data(indicator)).status_code == 403


def test_members_see_only_their_organizations_measurements(client):
    owner = member()
    MeasurementFactory(indicator=IndicatorFactory(owner=owner.organization))
    MeasurementFactory()
    client.force_login(owner.user)
    assert client.get(CHANGELIST).context["cl"].result_count == 1


def test_the_indicator_admin_resolves_the_target_phrase(admin_client):
    indicator = IndicatorFactory(target_phrase="", target_on=None)
    data = {
        field: getattr(indicator, field)
        for field in ("ref", "name_ja", "name_en", "unit_ja", "unit_en", "direction")
    }
    data |= {
        "initiative": indicator.initiative_id,
        "owner": indicator.owner_id,
        "milestone": "",
        "source_text": "",
        "baseline_value": "100",
        "baseline_on": "2024-04-01",
        "target_value": "200",
        "target_phrase": "2027年度末までに",
    }
    url = reverse("admin:roadmap_indicator_change", args=[indicator.pk])
    assert admin_client.post(url, data).status_code == 302
    indicator.refresh_from_db()
    assert indicator.target_on == date(2028, 3, 31)
    data["target_phrase"] = "いつか"
    response = admin_client.post(url, data)
    assert "target_phrase" in response.context["adminform"].form.errors


def test_a_series_added_in_the_admin_has_its_occurrences_at_once(admin_client):
    """Adding a recurring commitment creates its years up to next year, not at the next job."""
    initiative = InitiativeFactory()
    owner = OrganizationFactory()
    response = admin_client.post(
        reverse("admin:roadmap_recurringcommitment_add"),
        {
            "ref": "priority-areas",
            "initiative": initiative.pk,
            "owner": owner.pk,
            "title_ja": "重点分野の決定",
            "title_en": "Priority areas chosen",
            "phrase": "毎年度6月",
            "kind": Milestone.Kind.DEADLINE,
            "source_text": "毎年、重点分野を定めて",
            "first_year": 2024,
            "last_year": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    series = RecurringCommitment.objects.get(ref="priority-areas")
    years = sorted(series.occurrences.values_list("occurrence_year", flat=True))
    this_year = periods.occurrence_year("毎年度6月", timezone.localdate())
    assert years == list(range(2024, this_year + 2))
    assert Milestone.objects.get(ref=f"priority-areas-{this_year}").owner == owner
