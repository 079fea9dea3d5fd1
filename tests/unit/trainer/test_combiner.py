"""The boundary combiner's boosted trees (issue 8): fitted by scikit-learn, served from plain
arrays (`docroute.classifier.trees`), blended with the linear model."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from docroute.classifier.boundary_cues import FEATURES, TREES_SHARE, settled, start_logits
from docroute.classifier.errors import ModelArtifactError
from docroute.classifier.trees import Trees
from services.trainer.core.combiner import SETTLED_ROWS, fit_combiner, signed_logistic, trees_of

# Cue rows of a workflow of no class copies: a test's columns first, the other cues 0.
PAD = len(FEATURES) - 6


def _interaction(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose label needs two columns at once (an XOR), which no linear model learns."""
    rng = np.random.default_rng(seed)
    x = rng.random((rows, 6))
    return x, (x[:, 0] > 0.5) ^ (x[:, 1] > 0.5)


def test_the_trees_as_arrays_answer_what_scikit_learn_answers() -> None:
    x, y = _interaction(600, 1)
    x[::7, 2] = np.nan  # a missing value goes where the fit sent missing ones
    boosted = HistGradientBoostingClassifier(max_iter=40, max_leaf_nodes=8, early_stopping=False).fit(x, y)
    trees = trees_of(boosted, x.shape[1])
    assert len(trees.roots) == 40
    fresh, _ = _interaction(300, 2)
    fresh[::5, 2] = np.nan
    assert np.allclose(trees.decision(fresh), boosted.decision_function(fresh))
    # Stored as arrays and read back, the same.
    again = Trees.load(trees.arrays(), trees.baseline, x.shape[1])
    assert np.array_equal(again.decision(fresh), trees.decision(fresh))


def test_trees_that_read_a_column_the_combiner_lacks_or_loop_are_refused() -> None:
    x, y = _interaction(400, 3)
    boosted = HistGradientBoostingClassifier(max_iter=5, max_leaf_nodes=4, early_stopping=False).fit(x, y)
    trees = trees_of(boosted, x.shape[1])
    with pytest.raises(ModelArtifactError):
        Trees.load(trees.arrays(), trees.baseline, columns=1)
    looping = trees.arrays()
    inner = int(np.flatnonzero(looping["tree_feature"] >= 0)[-1])
    looping["tree_left"] = looping["tree_left"].copy()
    looping["tree_left"][inner] = inner  # a node that is its own child: a walk would not end
    with pytest.raises(ModelArtifactError):
        Trees.load(looping, trees.baseline, x.shape[1])
    with pytest.raises(ModelArtifactError):
        Trees.load({k: v for k, v in trees.arrays().items() if k != "tree_value"}, trees.baseline, x.shape[1])
    with pytest.raises(ModelArtifactError):
        Trees.load(trees.arrays(), float("nan"), x.shape[1])


def test_the_combiner_blends_the_trees_with_the_linear_model() -> None:
    x, y = _interaction(800, 4)
    x = np.hstack([x, np.zeros((len(x), PAD))])  # the cue columns `settled` reads stay 0: open gaps
    assert not settled(x, new_numbers=False).any()
    combiner = fit_combiner(x, y)
    assert combiner.trees is not None
    linear = x @ combiner.weights + combiner.bias
    blended = (1 - TREES_SHARE) * linear + TREES_SHARE * combiner.trees.decision(x)
    assert np.allclose(combiner.logits(x), blended)
    assert np.allclose(start_logits(x, combiner.weights, combiner.bias), linear)
    # The XOR the linear model cannot learn, the blend gets mostly right.
    fresh, truth = _interaction(400, 5)
    fresh = np.hstack([fresh, np.zeros((len(fresh), PAD))])
    assert ((fresh @ combiner.weights + combiner.bias > 0) == truth).mean() < 0.7
    assert ((combiner.logits(fresh) > 0) == truth).mean() > 0.9
    # Gaps all of one kind: a constant answer and no trees.
    constant = fit_combiner(x, np.ones(len(x), dtype=bool))
    assert constant.trees is None and constant.bias == 10.0


def test_free_the_signed_regression_is_scikit_learns() -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(size=(500, 5))
    y = x @ np.array([1.5, -2.0, 0.5, 0.0, 1.0]) + rng.normal(size=500) > 0
    weights, bias = signed_logistic(x, y, np.zeros(5, dtype=np.int64), c=10.0)
    reference = LogisticRegression(C=10.0, max_iter=2000).fit(x, y)
    assert np.allclose(weights, reference.coef_[0], atol=1e-2)  # two solvers, one optimum
    assert abs(bias - reference.intercept_[0]) < 1e-2


def test_the_combiner_keeps_each_column_to_its_direction() -> None:
    rng = np.random.default_rng(7)
    x = np.hstack([rng.random((800, 3)), np.zeros((800, len(FEATURES) - 3))])
    # Starts rise with column 0 and fall with column 1; column 2 is noise.
    y = x[:, 0] - x[:, 1] + 0.3 * rng.normal(size=800) > 0
    free = fit_combiner(x, y)
    assert free.weights[0] > 0 and free.weights[1] < 0
    # Told column 0 may only lower the odds and column 1 only raise them, neither model goes
    # against that: the weights are 0 where the data pull the other way, and raising either
    # column never moves a gap's log-odds the forbidden way.
    directions = np.zeros(x.shape[1], dtype=np.int64)
    directions[:2] = (-1, 1)
    held = fit_combiner(x, y, directions=directions)
    assert held.trees is not None
    assert held.weights[0] == 0 and held.weights[1] == 0
    fresh = np.hstack([rng.random((300, 3)), np.zeros((300, len(FEATURES) - 3))])
    for column, direction in ((0, -1), (1, 1)):
        raised = fresh.copy()
        raised[:, column] += 0.3
        moved = held.trees.decision(raised) - held.trees.decision(fresh)
        assert (direction * moved >= -1e-12).all()


def test_the_combiner_learns_from_the_gaps_page_numbers_settle_what_the_other_cues_say() -> None:
    """A workflow whose samples print "1/1" on every page: each boundary between two samples is
    settled by its page numbers, the gaps left open are all inside documents. The first-page
    score still tells the starts, and a stack of documents that print no number needs it."""
    rng = np.random.default_rng(8)
    first, labelled = FEATURES.index("first_page"), FEATURES.index("labelled_start")
    x = np.zeros((600, len(FEATURES)))
    starts = np.arange(600) % 3 == 0
    x[:, first] = np.where(starts, 2.0, -2.0) + rng.normal(size=600)
    x[starts, labelled] = 1.0  # "1/1" before and after every boundary
    assert settled(x, new_numbers=False)[starts].all() and not settled(x, new_numbers=False)[~starts].any()
    combiner = fit_combiner(x, starts)
    assert combiner.weights[labelled] == 0  # learnt from the other cues, never from the number
    unnumbered = np.zeros((2, len(FEATURES)))
    unnumbered[:, first] = (2.0, -2.0)
    start, goes_on = combiner.logits(unnumbered)
    assert start > 2.0 and goes_on < -2.0


def test_a_combiner_of_settled_gaps_only_learns_from_a_draw_of_them() -> None:
    """Every gap settled (each page numbered, "n of n" before each boundary): SETTLED_ROWS of them
    are drawn, and they still teach the first-page score."""
    rng = np.random.default_rng(9)
    first, says_last, follows = (
        FEATURES.index(c) for c in ("first_page", "previous_numbered_last", "number_follows")
    )
    x = np.zeros((3 * SETTLED_ROWS, len(FEATURES)))
    starts = np.arange(len(x)) % 3 == 0
    x[:, first] = np.where(starts, 2.0, -2.0) + rng.normal(size=len(x))
    x[starts, says_last], x[~starts, follows] = 1.0, 1.0
    assert settled(x, new_numbers=False).all()
    unnumbered = np.zeros((2, len(FEATURES)))
    unnumbered[:, first] = (2.0, -2.0)
    start, goes_on = fit_combiner(x, starts).logits(unnumbered)
    assert start > 2.0 and goes_on < -2.0
