"""Behind-target notices: an indicator behind its target is in its owners' digest.

Kept beside the milestone rules of ``roadmap.services.scheduler`` and sharing their recipients
and their table: a notice is one ``Notification`` about the indicator's latest measurement,
unique on (recipient, measurement), so an indicator is announced once per measurement however
often the job runs, and again only when a new measurement leaves it behind.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from roadmap.models import Measurement, Notification
from roadmap.services.indicators import behind_measurements
from roadmap.services.scheduler import _recipients_by_organization


@transaction.atomic
def queue_indicator_notices(*, as_of: date) -> dict:
    """Queue a notice to each owner of every indicator behind target on ``as_of``."""
    stamp = timezone.now()
    measurements = list(
        Measurement.objects.filter(pk__in=behind_measurements(as_of=as_of)).values(
            "pk", "measured_on", "indicator__owner_id"
        )
    )
    recipients = _recipients_by_organization({m["indicator__owner_id"] for m in measurements})
    notices = [
        Notification(
            recipient=recipient.address,
            user_id=recipient.user_id,
            measurement_id=measurement["pk"],
            kind=Notification.Kind.BEHIND,
            deadline=measurement["measured_on"],
            lead=0,
            created_at=stamp,
            next_attempt_at=stamp,
            state=recipient.state,
        )
        for measurement in measurements
        for recipient in recipients.get(measurement["indicator__owner_id"], ())
    ]
    Notification.objects.bulk_create(notices, ignore_conflicts=True)
    return {"behind": Notification.objects.filter(created_at=stamp, kind="behind").count()}
