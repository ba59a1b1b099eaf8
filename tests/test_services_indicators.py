"""Indicators: measurements by owners only, targets resolved, behind ones in the digest."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from roadmap.models import Measurement, Notification
from roadmap.services.digests import send_digests
from roadmap.services.indicator_notices import queue_indicator_notices
from roadmap.services.indicators import record_measurement, save_indicator
from tests.factories import (
    IndicatorFactory,
    MeasurementFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    UserPreferenceFactory,
)

pytestmark = pytest.mark.django_db

# Half of the period from 2024-04-01 to 2026-03-31 is gone by 2025-04-01.
HALFWAY = date(2025, 4, 1)
WEEKDAY = date(2025, 4, 2)


def owned_indicator(**fields):
    membership = MembershipFactory()
    return IndicatorFactory(owner=membership.organization, **fields), membership.user


def test_an_owner_records_a_measurement_of_their_indicator():
    indicator, owner = owned_indicator()
    measurement = record_measurement(
        indicator=indicator, measured_on=HALFWAY, value=Decimal(160), source=" 統計 ", user=owner
    )
    assert (measurement.recorded_by, measurement.source) == (owner, "統計")


def test_someone_else_cannot_record_a_measurement():
    indicator, _owner = owned_indicator()
    with pytest.raises(PermissionDenied):
        record_measurement(
            indicator=indicator,
            measured_on=HALFWAY,
            value=Decimal(160),
            source="統計",
            user=UserFactory(),
        )
    assert not Measurement.objects.exists()


def test_an_indicator_is_measured_once_a_day():
    indicator, owner = owned_indicator()
    MeasurementFactory(indicator=indicator, measured_on=HALFWAY)
    with pytest.raises(ValidationError):
        record_measurement(
            indicator=indicator, measured_on=HALFWAY, value=Decimal(1), source="x", user=owner
        )


def test_the_target_phrase_is_resolved_like_a_deadline():
    indicator = IndicatorFactory.build(
        initiative=IndicatorFactory().initiative,
        owner=OrganizationFactory(),
        target_phrase="2027年度末までに",
        target_on=None,
    )
    assert save_indicator(indicator=indicator).target_on == date(2028, 3, 31)
    indicator.target_phrase = "いつか"
    with pytest.raises(ValidationError, match="いつか"):
        save_indicator(indicator=indicator)


def test_a_behind_indicator_is_announced_to_its_owners_once_per_measurement():
    indicator, owner = owned_indicator()
    MeasurementFactory(indicator=indicator, measured_on=HALFWAY, value=120)
    assert queue_indicator_notices(as_of=HALFWAY) == {"behind": 1}
    assert queue_indicator_notices(as_of=WEEKDAY) == {"behind": 0}
    notice = Notification.objects.get()
    assert (notice.recipient, notice.kind, notice.milestone) == (owner.email, "behind", None)
    MeasurementFactory(indicator=indicator, measured_on=WEEKDAY, value=125)
    assert queue_indicator_notices(as_of=WEEKDAY) == {"behind": 1}


def test_indicators_on_track_achieved_or_unmeasured_are_not_announced():
    on_track, _ = owned_indicator()
    MeasurementFactory(indicator=on_track, measured_on=HALFWAY, value=160)
    achieved, _ = owned_indicator()
    MeasurementFactory(indicator=achieved, measured_on=HALFWAY, value=200)
    owned_indicator()
    assert queue_indicator_notices(as_of=HALFWAY) == {"behind": 0}


def test_the_owners_digest_lists_the_behind_indicator_with_its_figures(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    indicator, owner = owned_indicator(name_ja="電子申請率", unit_ja="%", unit_en="%")
    UserPreferenceFactory(user=owner, language="en")
    MeasurementFactory(indicator=indicator, measured_on=HALFWAY, value=120, source="調査")
    queue_indicator_notices(as_of=HALFWAY)
    assert send_digests(as_of=WEEKDAY)["mails"] == 1
    [message] = mail.outbox
    text = message.body
    assert message.to == [owner.email] and "1 indicator behind target" in message.subject
    assert (
        indicator.name_en in text
        and "120 % on 2025-04-01" in text
        and "200 % by 2026-03-31" in text
    )
    assert f"#indicator-{indicator.ref}" in text
    assert Notification.objects.get().state == "sent"
