"""Measurements in the admin: owners record their indicators', viewers read, others see none."""

from datetime import date

import pytest
from django.urls import reverse

from roadmap.models import Measurement, Membership
from tests.factories import IndicatorFactory, MeasurementFactory, MembershipFactory

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
