"""The first edition of each milestone is recorded as its own plan stated it."""

from datetime import date

import pytest

from roadmap.models import Milestone
from roadmap.services.first_editions import record_first_editions
from roadmap.services.milestones import create_milestone, revise_deadline
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_first_editions_are_recorded_with_the_original_wording():
    milestone = create_milestone(
        initiative=InitiativeFactory(),
        owner=OrganizationFactory(),
        ref="first",
        title_ja="初版",
        title_en="",
        phrase="2024年度中に",
        kind=Milestone.Kind.DEADLINE,
    )
    milestone.editions.all().delete()
    revise_deadline(
        milestone=milestone, new_phrase="2025年度中に", reason="遅延", kind="slip", user=None
    )
    assert record_first_editions() == 1
    entry = milestone.editions.get()
    assert (entry.phrase, entry.deadline) == ("2024年度中に", date(2025, 3, 31))
