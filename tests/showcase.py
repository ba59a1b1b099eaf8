"""A small but representative schedule for whole-page checks: markup, axe, print, screenshots.

Milestones overdue, due, done, soft, open-ended and without a date, a dated event, and the
standardization programme in three prefectures at different stages; an owner of デジタル庁.
Every milestone sits under an initiative numbered and titled as in the 2024 plan, so each area
of the dashboard has its title, and quotes wording that matches its phrase.
"""

from datetime import date

from roadmap import standardization
from roadmap.models import Membership, Milestone, Organization
from tests.factories import (
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    OrganizationFactory,
)

Status = Milestone.Status
SYSTEMS = {1: ("住民基本台帳", "Resident register"), 2: ("選挙人名簿管理", "Electoral roll")}


def build_showcase():
    """Create the showcase schedule; return the owner user and one overdue milestone."""
    digital = OrganizationFactory(code="digital", name_ja="デジタル庁", name_en="Digital Agency")
    cao = OrganizationFactory(code="cao", name_ja="内閣府", name_en="Cabinet Office")
    area = InitiativeFactory(
        number="5",
        title_ja="重点課題に対応するための重点的な取組",
        title_en="Priority initiatives to address the key challenges",
    )
    registry = InitiativeFactory(
        number="5.1",
        parent=area,
        title_ja="デジタル共通基盤構築の強化・加速",
        title_en="Strengthening and accelerating the common digital foundations",
    )
    rules = InitiativeFactory(
        number="5.2",
        parent=area,
        title_ja="「制度・業務・システム」の三位一体での取組",
        title_en="Reforming rules, operations and systems as one",
    )
    disaster = InitiativeFactory(
        number="5.6.3", parent=area, title_ja="防災DXの推進", title_en="Disaster-management DX"
    )
    overdue = MilestoneFactory(
        title_ja="アドレス・ベース・レジストリの整備",
        title_en="Address base registry in place",
        owner=digital,
        initiative=registry,
        phrase="2024年度中",
        source_text="2024年度中に整備する。",
        window_start=date(2024, 4, 1),
        window_end=date(2025, 3, 31),
        deadline=date(2025, 3, 31),
        status=Status.IN_PROGRESS,
        overdue_since=date(2025, 4, 1),
        rag=Milestone.Rag.RED,
    )
    MilestoneFactory(
        title_ja="電子申請の原則化",
        title_en="Electronic applications as the rule",
        owner=digital,
        initiative=registry,
        phrase="2027年度目途",
        source_text="2027年度を目途に原則化する。",
        window_start=date(2027, 4, 1),
        window_end=date(2028, 3, 31),
        deadline=date(2028, 3, 31),
        soft=True,
        rag=Milestone.Rag.GREEN,
    )
    MilestoneFactory(
        title_ja="防災デジタルプラットフォームの構築",
        title_en="Disaster-management digital platform built",
        owner=cao,
        initiative=disaster,
        phrase="2025年度以降",
        source_text="2025年度以降、順次構築する。",
        window_start=date(2025, 4, 1),
        window_end=None,
        deadline=None,
        precision=Milestone.Precision.OPEN,
    )
    MilestoneFactory(
        title_ja="新総合防災情報システム(SOBO-WEB)の運用開始",
        title_en="SOBO-WEB in operation",
        owner=cao,
        initiative=disaster,
        kind=Milestone.Kind.EVENT,
        phrase="2024年4月",
        source_text="2024年4月に運用を開始した。",
        window_start=date(2024, 4, 1),
        window_end=date(2024, 4, 30),
        deadline=None,
        precision=Milestone.Precision.MONTH,
        status=Status.DONE,
        completed_on=date(2024, 4, 1),
    )
    MilestoneFactory(
        title_ja="デジタル原則に照らした規制の点検",
        title_en="Review of regulations against the digital principles",
        owner=digital,
        initiative=rules,
        phrase="",
        source_text="",
        window_end=None,
        deadline=None,
        precision=Milestone.Precision.OPEN,
        rule="open",
    )
    build_programme(area)
    owner = MembershipFactory(organization=digital, role=Membership.Role.OWNER).user
    return owner, overdue


def build_programme(area):
    """Three prefectures with two municipalities each, migrating two systems."""
    programme = InitiativeFactory(
        number=standardization.INITIATIVE_NUMBER,
        parent=area,
        title_ja=standardization.INITIATIVE_TITLE_JA,
        title_en=standardization.INITIATIVE_TITLE_EN,
    )
    stages = {
        ("01", "北海道", "Hokkaido"): 0,
        ("13", "東京都", "Tokyo"): 1,
        ("27", "大阪府", "Osaka"): 2,
    }
    for (code, name_ja, name_en), done in stages.items():
        prefecture = OrganizationFactory(
            code=code, name_ja=name_ja, name_en=name_en, kind=Organization.Kind.PREFECTURE
        )
        for n in range(2):
            town = OrganizationFactory(
                code=f"{code}{n}00{n}",
                name_ja=f"{name_ja}第{n + 1}市",
                name_en=f"{name_en} city {n + 1}",
                kind=Organization.Kind.MUNICIPALITY,
                parent=prefecture,
            )
            for system, (system_ja, system_en) in SYSTEMS.items():
                finished = n < done
                MilestoneFactory(
                    title_ja=f"{system_ja}の標準化（{town.name_ja}）",
                    title_en=f"{system_en} standardized ({town.name_en})",
                    owner=town,
                    initiative=programme,
                    business_system=system,
                    status=Status.DONE if finished else Status.IN_PROGRESS,
                    completed_on=date(2025, 10, 1) if finished else None,
                )
