"""bench/quality.py reads each unknown-detection method's whole trade-off at fixed budgets of
known documents flagged, and says whether issue 13's goal (>= 90 % of a left-out kind to review,
<= 5 % of known documents flagged) is on the curve."""

from __future__ import annotations

import numpy as np

from bench.quality import budget_points, goal_reached


def test_each_budget_flags_at_most_its_share_of_known_documents() -> None:
    known = np.arange(100, dtype=np.float64)  # scores 0..99
    unknown = np.array([99.5, 97.5, 95.5, 10.0])
    low_confidence = np.array([False, False, False, True])
    points = budget_points(known, unknown, low_confidence, budgets=(0.0, 0.02, 0.05))
    assert [p.known_flagged for p in points] == [0.0, 0.02, 0.05]
    # 0 %: above every known score (99.5) and the low-confidence one; 2 % (above 97): one more;
    # 5 % (above 94): all.
    assert [p.review for p in points] == [0.5, 0.75, 1.0]


def test_ties_at_the_limit_are_not_flagged_past_the_budget() -> None:
    known = np.array([1.0] * 10 + [0.0] * 90)
    points = budget_points(known, np.array([1.0]), np.array([False]), budgets=(0.05,))
    assert points[0].known_flagged == 0.0  # flagging the ties would flag 10 %
    assert points[0].review == 0.0


def test_goal_reached_only_within_the_known_flagged_budget() -> None:
    known = np.arange(100, dtype=np.float64)
    caught_at_5 = budget_points(known, np.array([96.0] * 9 + [0.0]), np.zeros(10, dtype=bool))
    caught_at_10 = budget_points(known, np.array([92.0] * 9 + [0.0]), np.zeros(10, dtype=bool))
    hit = goal_reached(caught_at_5)
    assert hit is not None and hit.review == 0.9 and hit.known_flagged <= 0.05
    assert goal_reached(caught_at_10) is None


def test_diagonal_shrinkage_drops_correlations_that_few_samples_cannot_show() -> None:
    from bench.quality import diagonal_shrunk_precision

    rng = np.random.default_rng(0)
    scales = np.linspace(0.5, 2.0, 40)
    # Independent dimensions, 10 samples in 40 dimensions: the sample correlations are noise,
    # so most of them are shrunk away; the variances are kept.
    few = rng.normal(size=(10, 40)) * scales
    few -= few.mean(axis=0)
    sample = few.T @ few / 9
    covariance = np.linalg.inv(diagonal_shrunk_precision(few))
    off = ~np.eye(40, dtype=bool)
    kept = covariance[off] / sample[off]
    assert np.allclose(kept, kept.mean(), atol=1e-3) and kept.mean() < 0.3
    assert np.allclose(np.diag(covariance), np.diag(sample), rtol=1e-3)
    # Two strongly correlated dimensions and many samples: the correlation is kept.
    base = rng.normal(size=(2000, 1))
    many = np.hstack([base, base + 0.1 * rng.normal(size=(2000, 1)), rng.normal(size=(2000, 2))])
    many -= many.mean(axis=0)
    covariance = np.linalg.inv(diagonal_shrunk_precision(many))
    assert covariance[0, 1] / np.sqrt(covariance[0, 0] * covariance[1, 1]) > 0.95
