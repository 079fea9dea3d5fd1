"""Per-view conformal p-values for unknown kinds, combined across views (bench/quality.py's
methods; not in the product).

Each view scores how far a document is from the class it is read as: the embedding's kNN cosine
distance (k = 3) and the cosine distance to the class's centroid in the model's word and
character TF-IDF rows. A score is divided by its class's median held-out score, so broad and
tight classes share one scale, and ranked among the training samples' own held-out scores, pooled
over the classes: the held-out samples are those of the trainer's conformal background limit
(near-duplicates held out together, `background_folds`), each scored against the other folds'
samples of its class. A document exchangeable with them gets p = (1 + #held-out at least as
far) / (n + 1) per view.

Two ways to join the views, neither chosen on the corpus:

- Bonferroni: unknown when the smallest p is at most a / views (no view needs a second limit);
- Fisher: the statistic -2 sum(log p) of the views, itself given a conformal limit from the
  held-out samples (each ranked among the others), since the views are correlated and the
  chi-square limit of independent views would not hold.

What differs from the conformal p-values of bench/unknown_views.py (docs/quality.md, update of
2026-12-01 ~02:40 UTC): those ranked within one class (15 scores: resolution 1/16, nothing at 5 %)
on plain leave-one-out distances, where near-copies make the scores too tight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from docroute.classifier.model import ClassifierModel
from docroute.classifier.novelty import unit_rows
from docroute.classifier.openset import class_knn_distance
from services.trainer.core.outlier_exposure import conformal_limit

F64 = npt.NDArray[np.float64]
FLAG_SHARE = 0.05
VIEWS = ("embedding", "word", "char")


@dataclass(frozen=True)
class ViewCalibration:
    """What scoring a document needs: the training rows per view, the class scales and the
    held-out scores (normalised, one column per view) with the Fisher limit."""

    labels: npt.NDArray[np.int64]
    embeddings: npt.NDArray[np.float32]
    centroids: tuple[F64, ...]  # per TF-IDF view, (classes, terms), unit rows
    scales: F64  # (views, classes)
    held_out: F64  # (samples, views)
    fisher_limit: float


def _tfidf_units(model: ClassifierModel, block: int, texts: list[str]) -> F64:
    return np.asarray(unit_rows(model.tfidf[block].transform(texts)), dtype=np.float64)


def _blocks(model: ClassifierModel) -> tuple[int, int]:
    """The word and character blocks of the model's TF-IDF."""
    analyzers = [state.config.analyzer for state in model.tfidf]
    return analyzers.index("word"), next(i for i, a in enumerate(analyzers) if a.startswith("char"))


def _centroids(units: F64, labels: npt.NDArray[np.int64], n_classes: int) -> F64:
    out = np.zeros((n_classes, units.shape[1]))
    for c in range(n_classes):
        if (labels == c).any():
            out[c] = unit_rows(units[labels == c].sum(axis=0))[0]
    return out


def _scores(
    emb: npt.NDArray[np.float32],
    tfidf: tuple[F64, ...],
    ref_emb: npt.NDArray[np.float32],
    ref_labels: npt.NDArray[np.int64],
    centroids: tuple[F64, ...],
    classes: npt.NDArray[np.int64],
    k: int,
) -> F64:
    """Raw distances per view (samples, views) to `classes`."""
    cols = [class_knn_distance(emb, ref_emb, ref_labels, classes, k).astype(np.float64)]
    cols += [
        1.0 - np.einsum("ij,ij->i", rows, cents[classes])
        for rows, cents in zip(tfidf, centroids, strict=True)
    ]
    return np.stack(cols, axis=1)


def calibrate(
    model: ClassifierModel,
    texts: list[str],
    embeddings: npt.NDArray[np.float32],
    labels: npt.NDArray[np.int64],
    folds: npt.NDArray[np.int64],
    k: int = 3,
) -> ViewCalibration:
    """Held-out scores of the training samples (`texts`, `labels` in model.labels order) over
    `folds`. The TF-IDF vocabulary is the model's, fitted on all samples: a held-out sample's
    terms are in it (its weights, not its centroid, saw the sample)."""
    n_classes = len(model.labels)
    tfidf = tuple(_tfidf_units(model, b, texts) for b in _blocks(model))
    raw = np.zeros((len(labels), len(VIEWS)))
    for fold in np.unique(folds):
        test, fit = folds == fold, folds != fold
        cents = tuple(_centroids(t[fit], labels[fit], n_classes) for t in tfidf)
        raw[test] = _scores(
            embeddings[test],
            tuple(t[test] for t in tfidf),
            embeddings[fit],
            labels[fit],
            cents,
            labels[test],
            k,
        )
    scales = np.ones((len(VIEWS), n_classes))
    for c in range(n_classes):
        if (labels == c).any():
            scales[:, c] = np.maximum(np.median(raw[labels == c], axis=0), 1e-6)
    held_out = raw / scales[:, labels].T
    return ViewCalibration(
        labels=labels,
        embeddings=embeddings,
        centroids=tuple(_centroids(t, labels, n_classes) for t in tfidf),
        scales=scales,
        held_out=held_out,
        fisher_limit=conformal_limit(_fisher(_held_out_p(held_out)), FLAG_SHARE),
    )


def _held_out_p(held_out: F64) -> F64:
    """Each held-out sample's p per view, ranked among the other held-out samples."""
    n = len(held_out)
    at_least = (held_out[None, :, :] >= held_out[:, None, :]).sum(axis=1) - 1  # less itself
    return np.asarray((1 + at_least) / n, dtype=np.float64)


def _fisher(p: F64) -> F64:
    return np.asarray(-2.0 * np.log(p).sum(axis=1), dtype=np.float64)


def p_values(
    calibration: ViewCalibration,
    model: ClassifierModel,
    texts: list[str],
    embeddings: npt.NDArray[np.float32],
    predicted: npt.NDArray[np.int64],
    k: int = 3,
) -> F64:
    """Per document and view, the conformal p-value of its distance to its predicted class."""
    tfidf = tuple(_tfidf_units(model, b, texts) for b in _blocks(model))
    raw = _scores(
        embeddings, tfidf, calibration.embeddings, calibration.labels, calibration.centroids, predicted, k
    )
    scores = raw / calibration.scales[:, predicted].T
    held = calibration.held_out
    at_least = (held[None, :, :] >= scores[:, None, :]).sum(axis=1)
    return np.asarray((1 + at_least) / (len(held) + 1), dtype=np.float64)


def bonferroni_score(p: F64) -> F64:
    """(a / views) / min p: above 1 when the smallest p is below the Bonferroni level."""
    return np.asarray(FLAG_SHARE / p.shape[1] / p.min(axis=1), dtype=np.float64)


def view_score(p: F64, view: int) -> F64:
    """One view alone: a / p, above 1 when its p is below a."""
    return np.asarray(FLAG_SHARE / p[:, view], dtype=np.float64)


def fisher_score(calibration: ViewCalibration, p: F64) -> F64:
    """Fisher's statistic over its conformal limit: above 1 flags."""
    return np.asarray(_fisher(p) / max(calibration.fisher_limit, 1e-9), dtype=np.float64)
