"""The 40 standard steps of a system migration."""

from roadmap.standard_steps import STEPS


def test_forty_standard_steps_from_review_to_cut_over():
    assert [s.number for s in STEPS] == list(range(1, 41))
    assert (STEPS[0].name_ja, STEPS[-1].name_ja, STEPS[-1].name("en")) == (
        "現行業務の確認",
        "本番移行",
        "Cut-over",
    )
