"""The programme's local governments: the code list, its check digits, loading it."""

import pytest

from roadmap.bodies import check_digit, read_bodies
from roadmap.models import Organization

pytestmark = pytest.mark.django_db


def test_check_digit_reproduces_published_local_government_codes():
    # 札幌市, 新宿区 (remainder 0), 渋谷区 (remainder 1), 北海道 itself.
    codes = ["011002", "131041", "131130", "010006"]
    assert [c[:5] + check_digit(c[:5]) for c in codes] == codes


def test_code_list_has_47_prefectures_and_1741_municipalities_with_valid_codes():
    bodies = read_bodies()
    assert sum(b.is_prefecture for b in bodies) == 47
    assert sum(not b.is_prefecture for b in bodies) == 1741
    assert len({b.code for b in bodies}) == 1788
    assert bodies[1] == ("011002", "01", "city", "札幌市", "さっぽろし")


def test_loading_the_bodies_twice_changes_nothing_and_renames_old_prefecture_codes():
    from roadmap.bodies import load_bodies

    old = Organization.objects.create(code="01", name_ja="北海道", kind="prefecture")
    bodies = read_bodies()[:5]
    assert load_bodies(bodies) == {"created": 4, "updated": 1}
    assert load_bodies(bodies) == {"created": 0, "updated": 0}
    old.refresh_from_db()
    assert (old.code, old.name_kana, old.name_en) == ("010006", "ほっかいどう", "Hokkaido")
