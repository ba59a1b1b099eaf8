"""A schema-driven fuzz of the JSON API against a live server: no 5xx, every answer as described.

Schemathesis generates requests from the OpenAPI description at /api/schema/ (valid and
invalid parameters alike) with a fixed seed and a bounded number of examples, so the run is the
same every time and short.
"""

import json
from datetime import date
from urllib.request import urlopen

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings

from tests.factories import MilestoneFactory, OrganizationFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

EXAMPLES = 60


@pytest.fixture
def api_server(live_server):
    digital = OrganizationFactory(code="digital")
    MilestoneFactory(owner=digital, status="in_progress", title_ja="標準化", phrase="2025年度まで")
    MilestoneFactory(owner=digital, deadline=date(2027, 3, 31), rag="amber")
    MilestoneFactory(deadline=None, window_start=None, window_end=None, precision="open")
    return live_server.url


def test_every_generated_request_gets_an_answer_as_described(api_server):
    with urlopen(f"{api_server}/api/schema/", timeout=30) as answer:  # noqa: S310 (loopback)
        description = json.load(answer)
    operation = schemathesis.openapi.from_dict(description)["/api/milestones/"]["GET"]

    @seed(20240621)
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(case=operation.as_strategy())
    def answered_as_described(case):
        response = case.call(base_url=api_server, timeout=30)
        assert response.status_code < 500, response.text
        case.validate_response(response)

    answered_as_described()
