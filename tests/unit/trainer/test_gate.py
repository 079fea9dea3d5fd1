"""The promotion gate's pure rules: the same samples for both sides, ties go live."""

from __future__ import annotations

from services.trainer.core.gate import (
    GateDecision,
    compare,
    first_version,
    macro_f1,
    not_compared,
    pinned,
    unseen_indexes,
)


def test_fewer_right_on_the_same_samples_is_worse_and_stays_a_candidate() -> None:
    truth = ["a", "a", "b", "b", "b"]
    live = ["a", "a", "b", "b", "b"]
    candidate = ["a", "b", "b", "b", "a"]
    decision = compare(truth, candidate, live, method="unseen_samples", live_version=3)
    assert not decision.live
    assert (decision.candidate_accuracy, decision.live_accuracy, decision.n_samples) == (0.6, 1.0, 5)
    assert "v3" in decision.reason and "stays a candidate" in decision.reason


def test_a_tie_or_better_goes_live() -> None:
    truth = ["a", "b", "b"]
    assert compare(truth, ["a", "b", "a"], ["a", "a", "b"], method="same_folds", live_version=1).live
    assert compare(truth, truth, ["b", "b", "b"], method="unseen_samples", live_version=1).live


def test_unseen_samples_are_new_ones_and_relabelled_ones() -> None:
    trained_on = {"s1": "a", "s2": "b"}
    assert unseen_indexes(["s1", "s2", "s3"], ["a", "a", "b"], trained_on) == [1, 2]


def test_macro_f1_over_the_true_classes() -> None:
    assert macro_f1(["a", "b"], ["a", "b"]) == 1.0
    assert macro_f1(["a", "a"], ["b", "b"]) == 0.0
    assert round(macro_f1(["a", "a", "b", "b"], ["a", "b", "b", "b"]), 4) == round((2 / 3 + 0.8) / 2, 4)


def test_decisions_round_trip_and_say_why() -> None:
    for decision in (first_version(12), pinned(4)):
        assert GateDecision.from_dict(decision.to_dict()) == decision
    assert first_version(12).live and not pinned(4).live
    assert pinned(4).evaluation()["method"] == "pinned"


def test_a_live_version_that_cannot_be_compared_lets_the_candidate_go_live_and_says_why() -> None:
    decision = not_compared(3, "'s recipe cannot be re-run here (settings x unknown)", 12)
    assert decision.live and decision.live_version == 3 and decision.n_samples == 12
    assert decision.reason == "the live v3's recipe cannot be re-run here (settings x unknown): goes live"
    assert GateDecision.from_dict(decision.to_dict()) == decision
