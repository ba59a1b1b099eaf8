"""The 40 standard steps of a system migration."""

from roadmap.standard_steps import STEPS


def test_forty_standard_steps_from_review_to_cut_over():
    assert [s.number for s in STEPS] == list(range(1, 41))
    assert (STEPS[0].name_ja, STEPS[-1].name_ja, STEPS[-1].name("en")) == (
        "推進体制案の作成",
        "運用開始ステータス",
        "In operation",
    )
    assert (STEPS[8].work_item, STEPS[21].work_item, STEPS[-1].work_item) == ("③-2", "⑧-2", "⑱-1")
