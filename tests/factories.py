"""factory_boy factories shared by the suite."""

from datetime import date

import factory
from django.contrib.auth import get_user_model

from roadmap.models import (
    Indicator,
    Initiative,
    Measurement,
    Membership,
    Milestone,
    Notification,
    Organization,
    Plan,
    UserPreference,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.go.jp")
    password = factory.django.Password("correct horse battery staple")


class StaffUserFactory(UserFactory):
    is_staff = True


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"org{n:04d}")
    name_ja = factory.Sequence(lambda n: f"組織{n}")
    name_en = factory.Sequence(lambda n: f"Organization {n}")
    kind = Organization.Kind.MINISTRY


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(StaffUserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.OWNER


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ("code",)

    code = Plan.PRIORITY_PLAN_2024
    title_ja = "デジタル社会の実現に向けた重点計画"
    title_en = "Priority Policy Program for Realizing a Digital Society"
    decided_on = date(2024, 6, 21)


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Initiative

    plan = factory.SubFactory(PlanFactory)
    number = factory.Sequence(lambda n: f"9.{n + 1}")
    title_ja = factory.Sequence(lambda n: f"施策{n}")
    title_en = factory.Sequence(lambda n: f"Initiative {n}")


class MilestoneFactory(factory.django.DjangoModelFactory):
    """A milestone with an already-resolved window; default: due by the end of FY2025."""

    class Meta:
        model = Milestone

    ref = factory.Sequence(lambda n: f"m-{n:05d}")
    initiative = factory.SubFactory(InitiativeFactory)
    owner = factory.SubFactory(OrganizationFactory)
    title_ja = factory.Sequence(lambda n: f"マイルストーン{n}")
    title_en = factory.Sequence(lambda n: f"Milestone {n}")
    source_text = "2025年度までに実施する。"
    kind = Milestone.Kind.DEADLINE
    phrase = "2025年度まで"
    reference_date = date(2024, 6, 21)
    window_start = None
    window_end = date(2026, 3, 31)
    precision = Milestone.Precision.FISCAL_YEAR
    rule = "fy-by"
    deadline = factory.LazyAttribute(lambda m: m.window_end)
    baseline_deadline = factory.LazyAttribute(lambda m: m.deadline)


class IndicatorFactory(factory.django.DjangoModelFactory):
    """An indicator rising from 100 (2024-04-01) to 200 by 2026-03-31."""

    class Meta:
        model = Indicator

    ref = factory.Sequence(lambda n: f"kpi-{n:04d}")
    initiative = factory.SubFactory(InitiativeFactory)
    owner = factory.SubFactory(OrganizationFactory)
    name_ja = factory.Sequence(lambda n: f"指標{n}")
    name_en = factory.Sequence(lambda n: f"Indicator {n}")
    unit_ja = "件"
    unit_en = "cases"
    baseline_value = 100
    baseline_on = date(2024, 4, 1)
    target_value = 200
    target_phrase = "2025年度まで"
    target_on = date(2026, 3, 31)


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measurement

    indicator = factory.SubFactory(IndicatorFactory)
    measured_on = date(2025, 4, 1)
    value = 150
    source = "白書"


class UserPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserPreference
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)


class NotificationFactory(factory.django.DjangoModelFactory):
    """A pending overdue notice to the milestone's owner, queued now."""

    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    recipient = factory.LazyAttribute(lambda n: n.user.email if n.user else "info@example.lg.jp")
    milestone = factory.SubFactory(MilestoneFactory)
    kind = Notification.Kind.OVERDUE
    deadline = factory.LazyAttribute(lambda n: n.milestone.deadline)
    lead = 1


def bulk_milestones(count, **fields):
    """Create ``count`` milestones in one INSERT (no history), sharing owner and initiative."""
    fields.setdefault("owner", OrganizationFactory())
    fields.setdefault("initiative", InitiativeFactory())
    return Milestone.objects.bulk_create(MilestoneFactory.build_batch(count, **fields))
