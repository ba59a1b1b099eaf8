"""The programme's 1,788 local governments, as published, loaded by their official codes.

``data/bodies.tsv`` lists the 47 prefectures and 1,741 municipalities (Tokyo's 23 special wards
included) with their local-government codes (全国地方公共団体コード: six digits, the last a check
digit; prefectures ``pp000c``), kind, name and reading, from the ministry's code list as of
2024-01-01. ``data/prefectures.tsv`` adds the prefectures' English names.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from django.db import transaction

from roadmap.models import Organization
from roadmap.standard_systems import PREFECTURE_SYSTEMS, STANDARD_SYSTEMS

DATA = Path(__file__).resolve().parent / "data"
BODIES_FILE = DATA / "bodies.tsv"
PREFECTURES_FILE = DATA / "prefectures.tsv"
MUNICIPAL_KINDS = ("city", "ward", "town", "village")
BATCH_SIZE = 2000


class BodyRecord(NamedTuple):
    """One local government as the code list gives it."""

    code: str
    prefecture: str
    kind: str
    name_ja: str
    name_kana: str

    @property
    def is_prefecture(self) -> bool:
        return self.kind == "prefecture"

    @property
    def organization_kind(self) -> str:
        if self.is_prefecture:
            return Organization.Kind.PREFECTURE
        return Organization.Kind.MUNICIPALITY


class BodyFileError(ValueError):
    """The code list is malformed: the sentence names the line."""


def check_digit(five_digits: str) -> str:
    """Return the JIS X 0402 check digit of a five-digit local-government code."""
    total = sum(int(d) * w for d, w in zip(five_digits, (6, 5, 4, 3, 2), strict=True))
    return str((11 - total % 11) % 10)


def is_valid_code(code: str) -> bool:
    """Say whether ``code`` is a six-digit local-government code with a correct check digit."""
    return len(code) == 6 and code.isdigit() and check_digit(code[:5]) == code[5]


def read_bodies(path: Path = BODIES_FILE) -> list[BodyRecord]:
    """Return the bodies of the code list, prefectures and municipalities in file order."""
    bodies = []
    for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line == 1 or not text.strip():
            continue
        fields = text.split("\t")
        if len(fields) != 5:
            raise BodyFileError(f"{path.name} line {line}: expected 5 columns, not {len(fields)}.")
        body = BodyRecord(*fields)
        if not is_valid_code(body.code) or body.kind not in ("prefecture", *MUNICIPAL_KINDS):
            raise BodyFileError(f"{path.name} line {line}: {body.code} {body.kind} is not valid.")
        bodies.append(body)
    return bodies


def english_prefecture_names(path: Path = PREFECTURES_FILE) -> dict[str, str]:
    """Return the prefectures' English names by their two-digit number."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    return {row[0]: row[2] for row in rows if not row[0].startswith("#")}


@transaction.atomic
def load_bodies(bodies: list[BodyRecord]) -> dict[str, int]:
    """Create or correct the bodies, matched by code; return how many were created and updated.

    A prefecture stored under its two-digit number by earlier versions takes its official code.
    """
    english = english_prefecture_names()
    for body in bodies:
        if body.is_prefecture:
            Organization.objects.filter(
                code=body.prefecture, kind=Organization.Kind.PREFECTURE
            ).update(code=body.code)
    existing = Organization.objects.in_bulk([b.code for b in bodies], field_name="code")
    created, updated = 0, []
    for kind in (Organization.Kind.PREFECTURE, Organization.Kind.MUNICIPALITY):
        parents = prefecture_ids()
        new = []
        for body in (b for b in bodies if b.organization_kind == kind):
            values = organization_values(body, english, parents)
            org = existing.get(body.code)
            if org is None:
                new.append(Organization(code=body.code, **values))
            elif any(getattr(org, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(org, name, value)
                updated.append(org)
        Organization.objects.bulk_create(new, batch_size=BATCH_SIZE)
        created += len(new)
    fields = ["name_ja", "name_en", "name_kana", "kind", "parent_id"]
    Organization.objects.bulk_update(updated, fields, batch_size=BATCH_SIZE)
    return {"created": created, "updated": len(updated)}


def prefecture_ids() -> dict[str, int]:
    """Return the ids of the stored prefectures by their two-digit number."""
    rows = Organization.objects.filter(kind=Organization.Kind.PREFECTURE).values_list("code", "pk")
    return {code[:2]: pk for code, pk in rows if is_valid_code(code)}


def organization_values(body: BodyRecord, english: dict[str, str], parents: dict) -> dict:
    """Return the Organization field values a body of the code list should have."""
    return {
        "name_ja": body.name_ja,
        "name_en": english.get(body.prefecture, "") if body.is_prefecture else "",
        "name_kana": body.name_kana,
        "kind": body.organization_kind,
        "parent_id": None if body.is_prefecture else parents.get(body.prefecture),
    }


# The bodies with the systems they run --------------------------------------------------------


class Body(NamedTuple):
    """A local government of the programme, with the standard systems it runs."""

    code: str
    name_ja: str
    name_en: str
    kind: str
    parent_code: str | None
    systems: tuple[int, ...]


def programme_bodies(
    records: Iterable[BodyRecord],
    *,
    limit_prefectures: int | None = None,
    max_municipalities: int | None = None,
) -> list[Body]:
    """Return the bodies of the programme: each prefecture followed by its municipalities."""
    all_systems = tuple(system.number for system in STANDARD_SYSTEMS)
    records = list(records)
    prefectures = [r for r in records if r.is_prefecture][:limit_prefectures]
    english = english_prefecture_names()
    bodies = []
    for pref in prefectures:
        bodies.append(
            Body(
                pref.code,
                pref.name_ja,
                english.get(pref.prefecture, ""),
                Organization.Kind.PREFECTURE,
                None,
                PREFECTURE_SYSTEMS,
            )
        )
        municipalities = [
            r for r in records if r.prefecture == pref.prefecture and not r.is_prefecture
        ]
        bodies += [
            Body(r.code, r.name_ja, "", Organization.Kind.MUNICIPALITY, pref.code, all_systems)
            for r in municipalities[:max_municipalities]
        ]
    return bodies
