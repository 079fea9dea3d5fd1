"""Boosted decision trees as plain arrays: the boundary combiner's second half.

The trainer fits them with scikit-learn (`HistGradientBoostingClassifier`) and copies its nodes
here (`services/trainer/core/combiner.py`); serving reads them with numpy alone, from
`boundary.safetensors` (no pickle). A tree weighs a cue by the others (a page ending mid-line
means a document goes on after a paper's page, not after an invoice's footer), which the linear
combiner's class copies only approximate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from docroute.classifier.errors import ModelArtifactError

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
ARRAY_NAMES = (
    "tree_feature",
    "tree_threshold",
    "tree_left",
    "tree_right",
    "tree_value",
    "tree_missing_left",
    "tree_roots",
)


@dataclass(frozen=True, eq=False)
class Trees:
    """Binary-classification trees over one feature row each; `decision` is their log-odds.

    Nodes of every tree in one set of arrays; a node's children come after it (as the fitting
    grows them), which `load` checks, so a walk from a root always ends at a leaf.
    """

    feature: I64  # (nodes,): the column a split reads; -1 at a leaf
    threshold: F64  # (nodes,): a row goes left where its value is <= this
    left: I64  # (nodes,): node indexes; -1 at a leaf
    right: I64
    value: F64  # (nodes,): a leaf's contribution to the log-odds
    missing_left: npt.NDArray[np.bool_]  # (nodes,): where a NaN goes
    roots: I64  # (trees,)
    baseline: float  # the log-odds before any tree

    def decision(self, features: F64) -> F64:
        """The log-odds of each row (`features`: rows x columns)."""
        rows = np.arange(len(features))[:, None]
        node = np.broadcast_to(self.roots, (len(features), len(self.roots))).copy()
        while True:
            column = self.feature[node]
            inner = column >= 0
            if not inner.any():
                break
            x = features[rows, np.where(inner, column, 0)]
            go_left = (x <= self.threshold[node]) | (np.isnan(x) & self.missing_left[node])
            node = np.where(inner, np.where(go_left, self.left[node], self.right[node]), node)
        return np.asarray(self.baseline + self.value[node].sum(axis=1), dtype=np.float64)

    def arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        """The arrays `load` reads (ARRAY_NAMES), for `boundary.safetensors`."""
        return {
            "tree_feature": self.feature,
            "tree_threshold": self.threshold,
            "tree_left": self.left,
            "tree_right": self.right,
            "tree_value": self.value,
            "tree_missing_left": self.missing_left.astype(np.int8),
            "tree_roots": self.roots,
        }

    @classmethod
    def load(cls, arrays: Mapping[str, npt.NDArray[np.generic]], baseline: float, columns: int) -> Trees:
        """Trees from `arrays()` output, checked to read only `columns` columns and to end every
        walk at a leaf; raises ModelArtifactError otherwise."""
        try:
            trees = cls(
                feature=np.asarray(arrays["tree_feature"], dtype=np.int64),
                threshold=np.asarray(arrays["tree_threshold"], dtype=np.float64),
                left=np.asarray(arrays["tree_left"], dtype=np.int64),
                right=np.asarray(arrays["tree_right"], dtype=np.int64),
                value=np.asarray(arrays["tree_value"], dtype=np.float64),
                missing_left=np.asarray(arrays["tree_missing_left"]).astype(bool),
                roots=np.asarray(arrays["tree_roots"], dtype=np.int64),
                baseline=float(baseline),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelArtifactError(f"malformed boundary trees: {exc!r}") from exc
        if not trees._well_formed(columns):
            raise ModelArtifactError("boundary trees do not fit the combiner's cues or do not end in leaves")
        return trees

    def _well_formed(self, columns: int) -> bool:
        nodes = len(self.feature)
        index = np.arange(nodes)
        per_node = (self.threshold, self.left, self.right, self.value, self.missing_left)
        shapes = all(a.shape == (nodes,) for a in per_node)
        if not shapes or self.roots.ndim != 1 or not len(self.roots) or not np.isfinite(self.baseline):
            return False
        leaf = self.feature < 0
        inner = ~leaf
        return bool(
            ((self.roots >= 0) & (self.roots < nodes)).all()
            and (self.feature < columns).all()
            and (self.left[leaf] == -1).all()
            and (self.right[leaf] == -1).all()
            # Children after their node and inside the arrays: every walk ends.
            and ((self.left[inner] > index[inner]) & (self.left[inner] < nodes)).all()
            and ((self.right[inner] > index[inner]) & (self.right[inner] < nodes)).all()
            and np.isfinite(self.value).all()
            and not np.isnan(self.threshold[inner]).any()
        )
