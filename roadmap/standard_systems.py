"""The 20 standard business systems (標準化対象20業務) every local government migrates."""

from typing import NamedTuple

from roadmap.language import localized


class NumberedName(NamedTuple):
    """An item of a standard list: its number and its name in Japanese and English."""

    number: int
    name_ja: str
    name_en: str

    def name(self, language=None):
        """Return the name in the given language."""
        return localized(self, "name", language)


BusinessSystem = NumberedName


STANDARD_SYSTEMS = (
    BusinessSystem(1, "住民基本台帳", "Basic resident register"),
    BusinessSystem(2, "選挙人名簿管理", "Electoral roll"),
    BusinessSystem(3, "固定資産税", "Fixed asset tax"),
    BusinessSystem(4, "個人住民税", "Individual inhabitant tax"),
    BusinessSystem(5, "法人住民税", "Corporate inhabitant tax"),
    BusinessSystem(6, "軽自動車税", "Light vehicle tax"),
    BusinessSystem(7, "国民健康保険", "National health insurance"),
    BusinessSystem(8, "国民年金", "National pension"),
    BusinessSystem(9, "障害者福祉", "Disability welfare"),
    BusinessSystem(10, "後期高齢者医療", "Medical care for the elderly"),
    BusinessSystem(11, "介護保険", "Long-term care insurance"),
    BusinessSystem(12, "児童手当", "Child allowance"),
    BusinessSystem(13, "健康管理", "Health management"),
    BusinessSystem(14, "就学", "School enrolment"),
    BusinessSystem(15, "児童扶養手当", "Child-rearing allowance"),
    BusinessSystem(16, "生活保護", "Public assistance"),
    BusinessSystem(17, "子ども・子育て支援", "Child and child-rearing support"),
    BusinessSystem(18, "印鑑登録", "Seal registration"),
    BusinessSystem(19, "戸籍", "Family register"),
    BusinessSystem(20, "戸籍の附票", "Family register supplement"),
)
SYSTEMS_BY_NUMBER = {system.number: system for system in STANDARD_SYSTEMS}
# Prefectures run only these two; municipalities run all twenty.
PREFECTURE_SYSTEMS = (15, 16)
