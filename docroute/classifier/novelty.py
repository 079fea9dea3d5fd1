"""Distance of documents to the training set: the "unknown" score and nearest training samples."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def cosine_similarities(
    queries: npt.NDArray[np.floating], reference: npt.NDArray[np.floating]
) -> npt.NDArray[np.float32]:
    """Return (n_queries, n_reference) cosine similarities; zero vectors score 0."""
    return np.asarray(unit_rows(queries) @ unit_rows(reference).T, dtype=np.float32)


def novelty_scores(
    queries: npt.NDArray[np.floating],
    reference: npt.NDArray[np.floating],
    k: int,
    *,
    exclude_self: bool = False,
) -> npt.NDArray[np.float32]:
    """Return 1 - mean cosine similarity to the `k` nearest reference rows, per query.

    With `exclude_self`, queries are the reference rows themselves and each row's own
    similarity is left out (leave-one-out), which is how training calibrates the threshold.
    """
    sims = cosine_similarities(queries, reference)
    if exclude_self:
        np.fill_diagonal(sims, -np.inf)
    available = sims.shape[1] - (1 if exclude_self else 0)
    k = min(k, available)
    if k <= 0 or sims.shape[0] == 0:
        return np.ones(sims.shape[0], dtype=np.float32)
    top = np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:]
    return np.asarray(1.0 - top.mean(axis=1), dtype=np.float32)


def unit_rows(x: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Return 2-D float32 rows scaled to unit length; zero rows stay zero instead of NaN."""
    rows = np.atleast_2d(np.asarray(x, dtype=np.float32))
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.where(norms > 0, norms, 1.0), dtype=np.float32)
