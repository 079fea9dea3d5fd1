"""bench/unknown_budget.py's limits and contrastive score (issue 13, docs/quality.md)."""

from __future__ import annotations

import numpy as np

from bench.unknown_budget import contrast_scores, training_conditional_limit


def test_the_training_conditional_limit_covers_on_most_draws_not_on_average() -> None:
    scores = np.arange(1, 121, dtype=np.float64)
    assert training_conditional_limit(scores, 0.05) == 118  # the conformal rank is 115
    assert training_conditional_limit(scores[:44], 0.05) == 44  # none covers: the largest
    rng = np.random.default_rng(0)
    over = [
        (rng.beta(2, 8, 4000) > training_conditional_limit(rng.beta(2, 8, 120), 0.05)).mean() > 0.05
        for _ in range(300)
    ]
    assert np.mean(over) <= 0.1 + 0.03


def test_a_document_between_two_classes_is_less_typical_than_one_inside_its_class() -> None:
    ref = np.array([[1, 0, 0], [0.95, 0.3, 0], [0.95, 0, 0.3], [0, 1, 0], [0.3, 0.95, 0], [0, 0.95, 0.3]])
    labels = np.array([0, 0, 0, 1, 1, 1])
    docs = np.array([[1, 0.1, 0.1], [0.75, 0.65, 0]], dtype=np.float32)
    inside, between = contrast_scores(docs, ref.astype(np.float32), labels, np.array([0, 0]), 2, 2)
    assert inside < 0.1 < 0.5 < between < 1.0
