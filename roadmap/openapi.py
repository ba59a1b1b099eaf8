"""The OpenAPI description of the JSON API, served at /api/schema/ for clients and fuzzers.

Built from the same constants as the API (statuses, precisions, page sizes, filter bounds), so
the description cannot drift from what the API accepts.
"""

from django.conf import settings

from roadmap.filters import MAX_QUERY_LENGTH
from roadmap.models import Milestone, Organization
from roadmap.views.feeds import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

NULLABLE_DATE = {"type": "string", "format": "date", "nullable": True}
ERROR = {
    "description": "The query was refused; each problem is one sentence naming the parameter.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _query(name, description, schema):
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


# The text filter's own limit is 200 characters, but percent-encoded non-ASCII text that long
# would pass the limit on the whole query: the description promises what always works.
TEXT_LENGTH = 100

PARAMETERS = [
    _query(
        "area",
        "Number of an initiative or area; milestones of the initiatives below it are included.",
        {"type": "string", "pattern": r"^\d+(\.\d+)*$", "maxLength": 32},
    ),
    _query("status", "Status.", {"type": "string", "enum": Milestone.Status.values}),
    _query(
        "fy",
        "Fiscal year (April to March) of the deadline.",
        {"type": "integer", "minimum": 1989, "maximum": 2100},
    ),
    _query("overdue", "Flagged overdue or not.", {"type": "string", "enum": ["yes", "no"]}),
    _query(
        "precision",
        "How precisely the phrase dates the milestone.",
        {"type": "string", "enum": Milestone.Precision.values},
    ),
    _query(
        "q",
        "Text in the titles, phrase, reference or source wording.",
        {"type": "string", "maxLength": TEXT_LENGTH, "pattern": "^[^\\u0000]*$"},
    ),
    _query("page", "Page number, from 1.", {"type": "integer", "minimum": 1}),
    _query(
        "page_size",
        f"Milestones per page (default {DEFAULT_PAGE_SIZE}).",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
    ),
    _query("lang", "Language of the answer's messages.", {"type": "string", "enum": ["ja", "en"]}),
]

MILESTONE_PROPERTIES = {
    "id": {"type": "integer"},
    "ref": {"type": "string"},
    "title_ja": {"type": "string"},
    "title_en": {"type": "string", "description": "The Japanese title where none is given."},
    "owner": {
        "type": "object",
        "required": ["code", "name_ja", "name_en"],
        "properties": {
            "code": {"type": "string"},
            "name_ja": {"type": "string"},
            "name_en": {"type": "string"},
        },
    },
    "initiative": {
        "type": "object",
        "required": ["number", "title_ja"],
        "properties": {"number": {"type": "string"}, "title_ja": {"type": "string"}},
    },
    "phrase": {"type": "string", "description": "The deadline as the plan words it."},
    "start": NULLABLE_DATE,
    "end": NULLABLE_DATE,
    "deadline": NULLABLE_DATE,
    "precision": {"type": "string", "enum": Milestone.Precision.values},
    "soft": {"type": "boolean"},
    "status": {"type": "string", "enum": Milestone.Status.values},
    "overdue": {"type": "boolean"},
    "overdue_since": NULLABLE_DATE,
    "completed_on": NULLABLE_DATE,
    "rag": {"type": "string", "enum": [*Milestone.Rag.values, None], "nullable": True},
    "url": {"type": "string", "format": "uri"},
}
# Every property is always present (null where there is no value).
MILESTONE = {
    "type": "object",
    "required": list(MILESTONE_PROPERTIES),
    "properties": MILESTONE_PROPERTIES,
}


def _owner_parameter() -> dict:
    """Return the owner filter, listing the codes of the organizations there are now."""
    codes = list(Organization.objects.order_by("code").values_list("code", flat=True))
    return _query(
        "owner",
        "Code of the owner organization, such as `digital`.",
        {"type": "string", "enum": codes} if codes else {"type": "string"},
    )


def schema() -> dict:
    """Return the OpenAPI 3.0 description of the API."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Digital policy roadmap tracker",
            "version": "1",
            "description": (
                "Milestones of Japan's Priority Policy Program for a Digital Society. Every "
                "query parameter not listed is refused with 400; a query longer than "
                f"{MAX_QUERY_LENGTH} characters too."
            ),
        },
        "servers": [{"url": settings.SITE_URL}],
        "paths": {
            "/api/milestones/": {
                "get": {
                    "operationId": "listMilestones",
                    "summary": "One page of the milestones matching the filters",
                    "parameters": [_owner_parameter(), *PARAMETERS],
                    "responses": {
                        "200": {
                            "description": "A page of milestones, nearest deadline first.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/MilestonePage"}
                                }
                            },
                        },
                        "400": ERROR,
                        "404": ERROR | {"description": "There is no page of that number."},
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Milestone": MILESTONE,
                "MilestonePage": {
                    "type": "object",
                    "required": ["count", "next", "previous", "results"],
                    "properties": {
                        "count": {"type": "integer", "minimum": 0},
                        "next": {"type": "string", "format": "uri", "nullable": True},
                        "previous": {"type": "string", "format": "uri", "nullable": True},
                        "results": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Milestone"},
                        },
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error", "problems"],
                    "properties": {
                        "error": {"type": "string"},
                        "problems": {"type": "array", "items": {"type": "string"}},
                    },
                },
            }
        },
    }
