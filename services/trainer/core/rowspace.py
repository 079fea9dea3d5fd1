"""L2-regularised logistic regression fitted in the span of its training rows.

The loss sees the weights only through ``X @ w``, and any part of ``w`` outside the span of the
rows of ``X`` only adds to the L2 penalty, so the optimum lies in that span. A few samples with
a wide vocabulary (100 samples, 10^5 TF-IDF columns) span at most as many dimensions as there
are rows: sklearn's LogisticRegression is fitted on the rows' coordinates in an orthonormal basis
of their span (``n x r``, from the eigenvectors of ``X X^T``), the same problem with ``r x k``
weights instead of ``d x k``. L-BFGS, started at zero, takes the same steps under a rotation of
the coordinates, so the model is the one the wide fit finds (to its tolerance), in a fraction of
the time: most of a wide fit was L-BFGS's own bookkeeping over the d x k weights. The weights are
mapped back to the columns, so a model's format and use do not change.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import linalg, sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

F64 = npt.NDArray[np.float64]
# Past this many rows the n x n eigendecomposition (O(n^3): 0.9 CPU-s at 2,000 rows, 3.4 at
# 3,000) costs more than fitting the columns directly (bench/training_scale.py --real).
MAX_ROWS = 2_500
# Directions of the span with an eigenvalue below this share of the largest are rounding noise.
_RANK_TOLERANCE = 1e-10


def spans_fewer(rows: int, columns: int) -> bool:
    """Whether `rows` rows of `columns` columns are fitted through their span."""
    return rows <= MAX_ROWS and 2 * rows <= columns


def gram(features: Any) -> F64:
    """``features @ features.T`` as a dense float64 matrix (sparse or dense rows)."""
    rows = sparse.csr_array(features, dtype=np.float64) if sparse.issparse(features) else np.asarray(features)
    product = rows @ rows.T
    return np.asarray(product.toarray() if sparse.issparse(product) else product, dtype=np.float64)


def fit_logistic(
    features: Any,
    y: npt.NDArray[np.int64],
    *,
    c: float,
    max_iter: int,
    sample_weight: npt.NDArray[np.floating] | None = None,
    class_weight: str | None = None,
    products: F64 | None = None,
) -> tuple[F64, F64]:
    """sklearn's (coef_, intercept_) of ``LogisticRegression(C=c, max_iter, class_weight)`` fitted
    on ``features`` (sparse or dense rows), through the rows' span when that is the cheaper fit.
    ``products``: ``gram(features)`` when the caller has it (the folds of a training slice theirs
    from one product of all the samples).

    Separable few-shot data never fully converges at a large C; the weights are then far past
    the point where predictions change, so the convergence warning is not raised.
    """
    (fitted,) = fit_logistic_each(
        features,
        [y],
        c=c,
        max_iter=max_iter,
        sample_weight=sample_weight,
        class_weight=class_weight,
        products=products,
    )
    return fitted


def fit_logistic_each(
    features: Any,
    targets: Sequence[npt.NDArray[np.int64]],
    *,
    c: float,
    max_iter: int,
    sample_weight: npt.NDArray[np.floating] | None = None,
    class_weight: str | None = None,
    products: F64 | None = None,
) -> list[tuple[F64, F64]]:
    """`fit_logistic` of the same rows for each of ``targets`` (the boundary model's page states
    and page classes): the rows' span is found once, its eigendecomposition being most of a
    fit's time on a large training (bench/training_serving.py --profile)."""
    lr = LogisticRegression(C=c, max_iter=max_iter, class_weight=class_weight)
    out: list[tuple[F64, F64]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if not spans_fewer(*features.shape):
            for y in targets:
                lr.fit(features, y, sample_weight=sample_weight)
                out.append((_coef(lr), _intercept(lr)))
            return out
        coordinates, to_columns = _span(features, gram(features) if products is None else products)
        for y in targets:
            lr.fit(coordinates, y, sample_weight=sample_weight)
            out.append((to_columns(_coef(lr)), _intercept(lr)))
    return out


def _coef(lr: LogisticRegression) -> F64:
    return np.asarray(lr.coef_, dtype=np.float64)


def _intercept(lr: LogisticRegression) -> F64:
    return np.asarray(lr.intercept_, dtype=np.float64)


def _span(features: Any, products: F64) -> tuple[F64, Any]:
    """The rows' coordinates in an orthonormal basis V of their span (X V = U sqrt(L), from
    X X^T = U L U^T), and the map of weights u in that basis back to the columns (V u)."""
    values, vectors = linalg.eigh(products, check_finite=False)
    keep = values > max(float(values[-1]), 0.0) * _RANK_TOLERANCE
    values, vectors = values[keep], vectors[:, keep]
    roots = np.sqrt(values)
    coordinates = vectors * roots

    def to_columns(weights: F64) -> F64:
        # V = X^T U L^(-1/2), so (V u)^T = (u^T L^(-1/2) U^T) X, one product with the rows.
        per_row = (weights / roots) @ vectors.T
        return np.asarray(features.T @ per_row.T, dtype=np.float64).T

    return coordinates, to_columns
