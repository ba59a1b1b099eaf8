"""The plan, its milestones, who owns them, and the notices the scheduler sends about them.

Each question about many rows is a QuerySet method; ``visible_to(user)`` and
``editable_by(user)`` are the only access predicates (see docs/architecture.md).
"""

from roadmap.models.counts import KeptCountQuerySet, RowCount
from roadmap.models.dashboard import DashboardState, DashboardTally, OwnerChoice
from roadmap.models.editions import MilestoneEdition
from roadmap.models.indicators import (
    Indicator,
    IndicatorQuerySet,
    Measurement,
    RecurringCommitment,
)
from roadmap.models.milestones import Milestone, MilestoneQuerySet
from roadmap.models.notifications import (
    JobFailure,
    Notification,
    NotificationQuerySet,
    PendingImport,
    SentMark,
    UserPreference,
)
from roadmap.models.organizations import (
    BelongingQuerySet,
    Membership,
    Organization,
    OrganizationQuerySet,
)
from roadmap.models.plans import (
    DietSession,
    DietSessionQuerySet,
    EventDate,
    EventDateQuerySet,
    Initiative,
    Plan,
    Titled,
)
from roadmap.models.records import (
    DeadlineRevision,
    MilestoneRecordQuerySet,
    StatusComment,
    Step,
    StepQuerySet,
    StepState,
)

# The programme's reporting models live in their own module; importing them here registers them.
from roadmap.programme.models import (
    Designation,
    ProgressSnapshot,
    SnapshotRow,
    StepChange,
    SystemMinistry,
    SystemProgress,
)

__all__ = [
    "BelongingQuerySet",
    "DashboardState",
    "DashboardTally",
    "DeadlineRevision",
    "Designation",
    "DietSession",
    "DietSessionQuerySet",
    "EventDate",
    "EventDateQuerySet",
    "Indicator",
    "IndicatorQuerySet",
    "Initiative",
    "JobFailure",
    "KeptCountQuerySet",
    "Measurement",
    "Membership",
    "Milestone",
    "MilestoneEdition",
    "MilestoneQuerySet",
    "MilestoneRecordQuerySet",
    "Notification",
    "NotificationQuerySet",
    "Organization",
    "OrganizationQuerySet",
    "OwnerChoice",
    "PendingImport",
    "Plan",
    "ProgressSnapshot",
    "RecurringCommitment",
    "RowCount",
    "SentMark",
    "SnapshotRow",
    "StatusComment",
    "Step",
    "StepChange",
    "StepQuerySet",
    "StepState",
    "SystemMinistry",
    "SystemProgress",
    "Titled",
    "UserPreference",
]
