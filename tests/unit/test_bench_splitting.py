"""bench/splitting.py's account of what the router does with the parts `auto` makes: a part whose
boundary confidence is below the threshold is held for review, a wrong part above it is routed."""

from __future__ import annotations

from bench.splitting import Part, held, reliability, stack_parts, trade_off, wrong_routed


def _counts(parts: tuple[Part, ...]) -> tuple[int, int, int]:
    """Parts, held for review, wrong parts routed, at the default threshold 0.8."""
    return len(parts), held(parts, 0.8), wrong_routed(parts, 0.8)


def test_parts_split_right_and_surely_are_routed() -> None:
    # Two documents, pages 0-2 and 3-4, found where they begin.
    parts = stack_parts({3}, {3}, 5, [0.98, 0.99])
    assert _counts(parts) == (2, 0, 0)
    assert parts == ((0.98, True), (0.99, True))


def test_a_missed_start_the_model_doubts_holds_the_joined_part_for_review() -> None:
    parts = stack_parts({3}, set(), 5, [0.6])
    assert _counts(parts) == (1, 1, 0)
    assert parts == ((0.6, False),)


def test_a_missed_start_the_model_is_sure_of_is_a_wrong_part_routed() -> None:
    assert _counts(stack_parts({3}, set(), 5, [0.95])) == (1, 0, 1)


def test_a_split_inside_a_document_counts_each_wrong_part_the_threshold_lets_through() -> None:
    # One document of five pages split at page 2, both parts sure: two wrong parts routed.
    assert _counts(stack_parts(set(), {2}, 5, [0.9, 0.85])) == (2, 0, 2)
    # Both in doubt: held, none routed; one in doubt: the other is a wrong part routed.
    assert _counts(stack_parts(set(), {2}, 5, [0.7, 0.6])) == (2, 2, 0)
    assert _counts(stack_parts(set(), {2}, 5, [0.7, 0.9])) == (2, 1, 1)
    # A right part in doubt is held all the same.
    assert _counts(stack_parts({2}, {2}, 5, [0.7, 0.95])) == (2, 1, 0)


def test_reliability_sets_how_often_parts_are_right_against_how_sure_the_model_was() -> None:
    parts = [(0.97, True)] * 9 + [(0.97, False)] + [(0.6, True), (0.6, False)]
    table = reliability(parts)
    assert "[0.95, 0.99) 10 parts, sure 0.970, right 0.900" in table
    assert "[0.5, 0.8) 2 parts, sure 0.600, right 0.500" in table
    # |0.97 - 0.9| over 10 parts and |0.6 - 0.5| over 2, of 12
    assert table.endswith(f"ECE {(10 * 0.07 + 2 * 0.1) / 12:.3f}")


def test_the_trade_off_counts_stacks_held_parts_and_wrong_parts_routed_at_a_threshold() -> None:
    stacks = [
        ((0.99, True), (0.99, True)),
        ((0.85, False), (0.99, True)),  # a wrong part at 0.85: routed at 0.8, held at 0.9
        ((0.6, False),),
    ]
    at_08 = "0.8: no wrong part routed 0.67, parts held 0.20, wrong among routed 0.250"
    at_09 = "0.9: no wrong part routed 1.00, parts held 0.40, wrong among routed 0.000"
    assert (trade_off(stacks, 0.8), trade_off(stacks, 0.9)) == (at_08, at_09)
