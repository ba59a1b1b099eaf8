"""The sample editions the edition tests share: an earlier one built here, a later one on file.

Both are samples written for the tests (see tests/data/README.md), not real editions.
"""

import io
from datetime import date
from pathlib import Path

from roadmap.models import Milestone
from roadmap.services.editions import import_edition
from roadmap.services.milestones import create_milestone
from tests.factories import InitiativeFactory, OrganizationFactory, PlanFactory

SAMPLE = Path(__file__).parent / "data" / "sample_edition.csv"
DECIDED = date(2025, 6, 13)
# The sample's earlier edition: ref, initiative, title, phrase, status.
EARLIER = [
    ("sample-keep", "9.1", "据え置き", "Sample: unchanged", "2025年度までに", "planned"),
    ("sample-reword", "9.1", "表現の変更", "Sample: reworded", "2025年度までに", "planned"),
    ("sample-later", "9.1", "後ろ倒し", "Sample: moved later", "2024年度中に", "in_progress"),
    ("sample-earlier", "9.2", "前倒し", "Sample: moved earlier", "2026年度までに", "planned"),
    ("sample-diet", "9.2", "法案提出", "Sample: bill", "次期通常国会", "in_progress"),
    ("sample-old-name", "9.2", "名称変更", "Sample: renamed", "2025年度までに", "planned"),
    ("sample-drop", "9.2", "取りやめ", "Sample: dropped", "2025年までに", "in_progress"),
    ("sample-finished", "9.2", "完了済み", "Sample: finished", "2024年度中に", "done"),
]


def earlier_edition():
    """Create the sample's earlier edition, decided on 2024-06-21, with its eight milestones."""
    plan = PlanFactory(code="sample-2024", decided_on=date(2024, 6, 21))
    owner = OrganizationFactory(code="sample-org")
    initiatives = {n: InitiativeFactory(plan=plan, number=n) for n in ("9.1", "9.2")}
    for ref, number, title, title_en, phrase, status in EARLIER:
        create_milestone(
            initiative=initiatives[number],
            owner=owner,
            ref=ref,
            title_ja=f"試験用サンプル：{title}",
            title_en=title_en,
            phrase=phrase,
            kind=Milestone.Kind.DEADLINE,
            status=status,
        )
    return plan


def import_sample(**kwargs):
    """Import the sample edition file as edition sample-2025, decided on 2025-06-13."""
    options = {"code": "sample-2025", "title_ja": "試験用サンプル版", "decided_on": DECIDED}
    with SAMPLE.open("rb") as file:
        return import_edition(file, **options | kwargs)


def csv_file(text):
    """Return ``text`` as the bytes of an uploaded file."""
    return io.BytesIO(text.encode("utf-8"))


def by_ref(result):
    """Return an edition import's changes by ref."""
    return {change.ref: change for change in result.changes}
