"""The programme's local governments: their codes and the prefecture file."""

from roadmap.local_governments import check_digit, load_prefectures, municipality_code


def test_check_digit_reproduces_published_local_government_codes():
    # 札幌市, 新宿区 (remainder 0), 渋谷区 (remainder 1), 北海道 itself.
    codes = ["011002", "131041", "131130", "010006"]
    assert [c[:5] + check_digit(c[:5]) for c in codes] == codes


def test_municipality_codes_start_with_the_prefecture_and_carry_the_check_digit():
    code = municipality_code("13", 5)
    assert code == "13205" + check_digit("13205")
    assert len(code) == 6


def test_prefecture_file_lists_47_prefectures_and_1741_municipalities():
    prefectures = load_prefectures()
    assert [p.code for p in prefectures] == [f"{n:02d}" for n in range(1, 48)]
    assert sum(p.municipalities for p in prefectures) == 1741
    assert (prefectures[12].name_ja, prefectures[12].name_en) == ("東京都", "Tokyo")
