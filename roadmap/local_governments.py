"""The local governments of the standardization programme: their codes and their systems.

A prefecture's ``Organization.code`` is its two-digit code ("01" 北海道 … "47" 沖縄県); a
municipality's is a six-digit local-government code (JIS X 0402): the prefecture's two digits,
three digits of its own and a check digit. The check digit is computed from the first five
digits d1…d5 as ``(11 - (6·d1 + 5·d2 + 4·d3 + 3·d4 + 2·d5) % 11) % 10``, which reproduces the
published codes, e.g. 札幌市 011002, 新宿区 131041 (remainder 0 gives 1), 渋谷区 131130
(remainder 1 gives 0). ``data/prefectures.tsv`` gives each prefecture's number of
municipalities; municipalities run all 20 standard business systems, prefectures 15 and 16.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from roadmap.models import Organization
from roadmap.standard_systems import PREFECTURE_SYSTEMS, STANDARD_SYSTEMS

PREFECTURES_FILE = Path(__file__).resolve().parent / "data" / "prefectures.tsv"


class Prefecture(NamedTuple):
    code: str
    name_ja: str
    name_en: str
    municipalities: int


class Body(NamedTuple):
    """A local government of the programme, with the standard systems it runs."""

    code: str
    name_ja: str
    name_en: str
    kind: str
    parent_code: str | None
    systems: tuple[int, ...]


def check_digit(five_digits: str) -> str:
    """Return the JIS X 0402 check digit of a five-digit local-government code."""
    total = sum(int(d) * w for d, w in zip(five_digits, (6, 5, 4, 3, 2), strict=True))
    return str((11 - total % 11) % 10)


def municipality_code(prefecture_code: str, serial: int) -> str:
    """Return the six-digit code of the ``serial``-th generated municipality of a prefecture."""
    five = f"{prefecture_code}{200 + serial:03d}"
    return five + check_digit(five)


def load_prefectures(path: Path = PREFECTURES_FILE) -> list[Prefecture]:
    """Return the 47 prefectures with their number of municipalities."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    return [Prefecture(c, ja, en, int(n)) for c, ja, en, n in rows if not c.startswith("#")]


def programme_bodies(
    prefectures: Iterable[Prefecture], *, max_municipalities: int | None = None
) -> list[Body]:
    """Return every body of the programme: each prefecture followed by its municipalities."""
    all_systems = tuple(system.number for system in STANDARD_SYSTEMS)
    bodies = []
    for pref in prefectures:
        bodies.append(
            Body(
                pref.code,
                pref.name_ja,
                pref.name_en,
                Organization.Kind.PREFECTURE,
                None,
                PREFECTURE_SYSTEMS,
            )
        )
        count = min(pref.municipalities, max_municipalities or pref.municipalities)
        for serial in range(1, count + 1):
            bodies.append(
                Body(
                    municipality_code(pref.code, serial),
                    f"{pref.name_ja}団体{serial:03d}",
                    f"{pref.name_en} municipality {serial:03d}",
                    Organization.Kind.MUNICIPALITY,
                    pref.code,
                    all_systems,
                )
            )
    return bodies
