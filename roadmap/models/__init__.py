"""The plan, its milestones, who owns them, and the notices the scheduler sends about them.

Each question about many rows is a QuerySet method; ``visible_to(user)`` and
``editable_by(user)`` are the only access predicates (see docs/architecture.md).
"""

from roadmap.models.milestones import Milestone, MilestoneQuerySet
from roadmap.models.notifications import Notification, NotificationQuerySet, UserPreference
from roadmap.models.organizations import (
    BelongingQuerySet,
    Membership,
    Organization,
    OrganizationQuerySet,
)
from roadmap.models.plans import DietSession, DietSessionQuerySet, Initiative, Plan, Titled
from roadmap.models.records import DeadlineRevision, MilestoneRecordQuerySet, StatusComment, Step

__all__ = [
    "BelongingQuerySet",
    "DeadlineRevision",
    "DietSession",
    "DietSessionQuerySet",
    "Initiative",
    "Membership",
    "Milestone",
    "MilestoneQuerySet",
    "MilestoneRecordQuerySet",
    "Notification",
    "NotificationQuerySet",
    "Organization",
    "OrganizationQuerySet",
    "Plan",
    "StatusComment",
    "Step",
    "Titled",
    "UserPreference",
]
