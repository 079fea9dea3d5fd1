"""The boundary model's combiner: from a gap's cues to the log-odds that a new document begins.

Two models over the same cue rows, blended when a stack is divided (`start_logits`,
TREES_SHARE): a logistic regression, and boosted trees that weigh a cue by the others. Given
each cue's direction (`docroute.classifier.boundary_cues.cue_directions`), both keep to it: the
regression's weight has its sign, the trees are monotone in it. The regression is fitted by
scipy's bounded L-BFGS, the trees by scikit-learn and kept as plain arrays
(`docroute.classifier.trees`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from sklearn.ensemble import HistGradientBoostingClassifier

from docroute.classifier.boundary_cues import settled, start_logits, unsettled
from docroute.classifier.trees import Trees

F64 = npt.NDArray[np.float64]
# Small trees, many rounds, no early stopping (it would hold out a share of the rows above
# 10,000 of them, so the fit would change with a workflow's size). Tried on the bench's 18 draws
# (bench/splitting.py): 4, 8 or 16 leaves, 100-200 rounds, all within 0.01 of each other.
TREE_ROUNDS = 150
TREE_LEAVES = 8
# The settled gaps a combiner is fitted on where there are fewer open ones (`fit_combiner`): a
# workflow whose every document prints its page numbers has next to no open gap to learn from.
SETTLED_ROWS = 500


@dataclass(frozen=True)
class Combiner:
    """A fitted combiner: the linear model's weights and bias, and the trees (None where the
    cases were all of one kind, and the answer a constant)."""

    weights: F64
    bias: float
    trees: Trees | None

    def logits(self, features: F64) -> F64:
        """`start_logits` of these cue rows."""
        tree_logits = None if self.trees is None else self.trees.decision(features)
        return start_logits(features, self.weights, self.bias, tree_logits)


def fit_combiner(
    features: F64,
    starts: npt.NDArray[np.bool_],
    seed: int = 0,
    directions: npt.NDArray[np.int64] | None = None,
) -> Combiner:
    """The combiner of these cue rows (one a gap) and whether each gap began a document, each
    column kept to its direction where `directions` gives one (+1: it may only raise the odds,
    -1: only lower them, 0: free). It learns from every gap what the cues other than those that
    settle it say (`unsettled`): a gap that page numbers or a paper's end settle is decided by
    them in a stack (`start_logits`), but its other cues show what a start looks like where no
    number is printed. Fitted on the open gaps alone, a combiner of a workflow whose invoices
    print "1/1" learnt no start between two invoices, and joined the invoices of templates that
    print none (bench/splitting.py, thirty draws: 0.810 -> 0.819 of stacks exact). From the gaps
    a new document number settles it learns as before: in a workflow of invoices these are most
    boundaries between two of them (seed 8: 0.75 -> 0.80 when they were taken in). Of the gaps
    numbers settle, at most as many as the open ones (or SETTLED_ROWS) are drawn (with `seed`):
    in a workflow of documents that print page numbers they outnumber the open gaps several
    times, and fitting them all made a training request 1.14-1.43x as long
    (bench/training_serving.py)."""
    numbered = settled(features, new_numbers=False)
    drawn = np.flatnonzero(numbered)
    most = max(int((~numbered).sum()), SETTLED_ROWS)
    if len(drawn) > most:
        drawn = np.random.default_rng(seed).choice(drawn, size=most, replace=False)
    kept = ~numbered
    kept[drawn] = True
    features, starts = unsettled(features[kept]), starts[kept]
    if starts.all() or not starts.any():
        return Combiner(np.zeros(features.shape[1]), 10.0 if starts.all() else -10.0, None)
    directions = np.zeros(features.shape[1], dtype=np.int64) if directions is None else directions
    # Weak regularisation: its dozen inputs are on different scales (a similarity moves in
    # tenths, a score in units), C=1 kept the similarities' weights small (0.39 -> 0.43 of
    # stacks exact, bench/splitting.py, 200 stacks).
    weights, bias = signed_logistic(features, starts, directions, c=10.0)
    boosted = HistGradientBoostingClassifier(
        max_iter=TREE_ROUNDS,
        learning_rate=0.1,
        max_leaf_nodes=TREE_LEAVES,
        min_samples_leaf=10,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=seed,
        monotonic_cst=directions.tolist(),
    ).fit(features, starts)
    return Combiner(weights, bias, trees_of(boosted, features.shape[1]))


def signed_logistic(
    features: F64, labels: npt.NDArray[np.bool_], directions: npt.NDArray[np.int64], c: float
) -> tuple[F64, float]:
    """L2-regularised logistic regression (scikit-learn's objective: `c` x the log-loss summed,
    plus half the squared weights; the bias free) whose weight on each column has the sign of
    its direction (0: any sign); its weights and bias."""
    signs = np.where(labels, 1.0, -1.0)

    def objective(theta: F64) -> tuple[float, F64]:
        weights, bias = theta[:-1], theta[-1]
        margins = signs * (features @ weights + bias)
        loss = c * float(np.logaddexp(0.0, -margins).sum()) + 0.5 * float(weights @ weights)
        slopes = -c * signs * np.exp(-np.logaddexp(0.0, margins))  # d loss / d score
        return loss, np.concatenate([features.T @ slopes + weights, [slopes.sum()]])

    bounds = [(0.0, None) if d > 0 else (None, 0.0) if d < 0 else (None, None) for d in directions]
    found = minimize(
        objective,
        np.zeros(features.shape[1] + 1),
        jac=True,
        method="L-BFGS-B",
        bounds=[*bounds, (None, None)],
        options={"maxiter": 2000},
    )
    return np.asarray(found.x[:-1], dtype=np.float64), float(found.x[-1])


def trees_of(boosted: HistGradientBoostingClassifier, columns: int) -> Trees:
    """A fitted two-class HistGradientBoostingClassifier's trees as arrays. Its nodes are
    scikit-learn's own (`_predictors`, `_baseline_prediction`: no public accessor); a test holds
    `Trees.decision` to its `decision_function`, so a release that moves them fails there."""
    parts = [predictor.nodes for (predictor,) in boosted._predictors]
    offsets = np.cumsum([0, *(len(nodes) for nodes in parts[:-1])])
    leaf = np.concatenate([nodes["is_leaf"].astype(bool) for nodes in parts])

    def children(side: str) -> npt.NDArray[np.int64]:
        linked = [nodes[side].astype(np.int64) + at for nodes, at in zip(parts, offsets, strict=True)]
        return np.where(leaf, -1, np.concatenate(linked))

    return Trees.load(
        {
            "tree_feature": np.where(leaf, -1, np.concatenate([nodes["feature_idx"] for nodes in parts])),
            "tree_threshold": np.concatenate([nodes["num_threshold"] for nodes in parts]),
            "tree_left": children("left"),
            "tree_right": children("right"),
            "tree_value": np.where(leaf, np.concatenate([nodes["value"] for nodes in parts]), 0.0),
            "tree_missing_left": np.concatenate([nodes["missing_go_to_left"] for nodes in parts]),
            "tree_roots": offsets.astype(np.int64),
        },
        float(np.ravel(boosted._baseline_prediction)[0]),
        columns,
    )
