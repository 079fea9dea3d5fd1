"""Outlier exposure: the classes plus a background set of documents as one more class.

A logistic regression on unit embeddings (the multilingual meaning of a text, not its words, so
a known kind in a language absent from training is not pushed towards the background), fitted
on the training samples and the background set (docroute.classifier.background) as the last
class. The background's samples together weigh as much as one average class: with 15 samples a
class and 45 background documents, unweighted, the background would weigh three classes and
pull their own documents towards it. Background documents inside a class's own spread are
dropped first (claimed_by_classes): the set is real documents, and a workflow may train one of
its kinds. Measured on real documents (bench/quality.py, docs/quality.md): at 15 samples a class
it sends more documents of a left-out kind to review than the per-class distance rule, at fewer
known documents flagged.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from docroute.classifier.novelty import unit_rows
from docroute.classifier.openset import BackgroundRule
from services.trainer.core.rowspace import fit_logistic


def fit_background_rule(
    embeddings: npt.NDArray[np.floating],
    labels: npt.NDArray[np.int64],
    n_classes: int,
    background: npt.NDArray[np.floating],
    *,
    threshold: float,
    c: float,
    background_id: str,
    flag_share: float = 0.0,
    few_samples: int = 0,
    folds: npt.NDArray[np.int64] | None = None,
    weight: float = 1.0,
    max_iter: int = 2000,
) -> BackgroundRule:
    """Fit the classes (`labels` in 0..n_classes-1) plus the background rows as class n_classes,
    the background weighing `weight` x an average class; unknown above `threshold`, raised to
    what the workflow's own samples need.

    `flag_share` > 0 (the default since 2026-12-01): the limit is at least the conformal
    quantile (`conformal_limit`) of the training samples' out-of-fold background probabilities
    (`folds`: each sample's fold), pooled over the classes, so that a new document of a trained
    kind, exchangeable with the samples, is flagged with probability at most `flag_share` at any
    number of samples. Held-out documents score higher with few samples (a class's region is
    narrow), which is what raised too few at 5 samples a class with the fixed limit.

    Else, as recipes from before it: when a class has fewer than `few_samples` samples, the limit
    is raised to the highest out-of-fold background probability of a training sample.
    """
    rule = _fit(embeddings, labels, n_classes, background, c, weight, max_iter)
    limit = float(threshold)
    counts = np.bincount(labels, minlength=n_classes)
    # The rule before the conformal limit is its flag share 0 (the largest held-out score),
    # asked only when a class has fewer than `few_samples` samples.
    raised = flag_share > 0 or counts.min() < few_samples
    if raised and folds is not None and len(np.unique(folds)) >= 2:
        held_out = _out_of_fold(embeddings, labels, n_classes, background, c, weight, max_iter, folds)
        limit = max(limit, conformal_limit(held_out, flag_share))
    return BackgroundRule(rule.coef, rule.intercept, min(limit, 0.99), background_id)


def conformal_limit(scores: npt.NDArray[np.floating], flag_share: float) -> float:
    """The split-conformal limit of held-out scores: their ceil((n + 1)(1 - a))-th smallest.

    A new score exchangeable with the n held-out ones exceeds it with probability at most a
    (`flag_share`), whatever their distribution. With fewer than 1/a - 1 scores (19 at a = 0.05)
    no order statistic promises a: the limit is then the largest score, which promises only
    1 / (n + 1) (an 18-sample workflow: 5.3 %), so a workflow that small may flag more of its
    own documents than a.
    """
    ordered = np.sort(np.asarray(scores, dtype=np.float64))
    if not len(ordered):
        return 0.0
    rank = math.ceil((len(ordered) + 1) * (1.0 - flag_share))
    return float(ordered[min(rank, len(ordered)) - 1])


def duplicate_folds(
    embeddings: npt.NDArray[np.floating],
    labels: npt.NDArray[np.int64],
    n_folds: int,
    seed: int,
    duplicate: float,
) -> npt.NDArray[np.int64]:
    """Stratified folds that keep a class's near-duplicates (cosine similarity above `duplicate`,
    joined transitively: several invoices of one sender) in one fold.

    Conformal limits need held-out samples that are like new documents, and a new document is
    rarely a near-copy of a training sample: scored with its near-copies in the fit, a held-out
    sample looks more typical than the workflow's new mail will. A class that is one group of
    near-duplicates is dealt sample by sample (holding it out whole would leave the class out of
    the fit).
    """
    unit = unit_rows(np.asarray(embeddings, dtype=np.float32))
    rng = np.random.default_rng(seed)
    folds = np.empty(len(labels), dtype=np.int64)
    per_fold = np.zeros(n_folds, dtype=np.int64)  # samples of every class so far: balances the folds
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        groups = near_duplicate_groups(unit[members], duplicate)
        if len(groups) < 2:
            groups = [np.array([j]) for j in range(len(members))]
        own = np.zeros(n_folds, dtype=np.int64)
        # Largest groups first, ties in random order, each to the fold with fewest of the class.
        order = sorted(rng.permutation(len(groups)), key=lambda g: -len(groups[g]))
        for g in order:
            fold = int(np.lexsort((per_fold, own))[0])
            folds[members[groups[g]]] = fold
            own[fold] += len(groups[g])
            per_fold[fold] += len(groups[g])
    return folds


def near_duplicate_groups(units: npt.NDArray[np.float32], duplicate: float) -> list[npt.NDArray[np.int64]]:
    """The connected components of "similarity above `duplicate`" among one class's rows."""
    _, component = connected_components(sparse.csr_matrix(units @ units.T > duplicate), directed=False)
    return [np.flatnonzero(component == c) for c in np.unique(component)]


def claimed_by_classes(
    embeddings: npt.NDArray[np.floating],
    labels: npt.NDArray[np.int64],
    n_classes: int,
    background: npt.NDArray[np.floating],
    k: int,
) -> npt.NDArray[np.bool_]:
    """Which background rows lie inside some class's own spread: their k-nearest-neighbour cosine
    distance to the class's samples is at most the largest leave-one-out distance of a sample of
    that class. A background of real documents may hold a kind a workflow trains (its invoices
    beside the background's); fitted as background, those rows would pull the class's own new
    documents towards it, so the trainer drops them for that workflow."""
    unit = unit_rows(np.asarray(embeddings, dtype=np.float32))
    rows = unit_rows(np.asarray(background, dtype=np.float32))
    claimed = np.zeros(len(rows), dtype=bool)
    for c in range(n_classes):
        own = unit[labels == c]
        if len(own) < 2:
            continue
        loo, to_class = class_spread(own, rows, k)
        claimed |= to_class <= float(loo.max())
    return claimed


def class_spread(
    own: npt.NDArray[np.floating], rows: npt.NDArray[np.floating], k: int
) -> tuple[npt.NDArray[np.floating], npt.NDArray[np.floating]]:
    """A class's spread and what lies in it, on unit rows: each of its ``own`` samples' mean
    cosine distance to its k nearest other samples (leave-one-out), and each of ``rows``'
    distance to its k nearest samples of the class (k capped at the samples less one)."""
    kk = min(k, len(own) - 1)
    sims = own @ own.T
    np.fill_diagonal(sims, -np.inf)
    loo = 1.0 - np.sort(sims, axis=1)[:, -kk:].mean(axis=1)
    return loo, 1.0 - np.sort(rows @ own.T, axis=1)[:, -kk:].mean(axis=1)


def _fit(
    embeddings: npt.NDArray[np.floating],
    labels: npt.NDArray[np.int64],
    n_classes: int,
    background: npt.NDArray[np.floating],
    c: float,
    weight: float,
    max_iter: int,
) -> BackgroundRule:
    x = np.vstack([unit_rows(embeddings), unit_rows(background)]).astype(np.float64)
    y = np.concatenate([labels, np.full(len(background), n_classes, dtype=np.int64)])
    per_class = len(labels) / max(1, len(np.unique(labels)))
    weights = np.concatenate(
        [np.ones(len(labels)), np.full(len(background), weight * per_class / len(background))]
    )
    # With the background there are at least 2 classes in every fit, 3 in the model's own:
    # sklearn keeps one row of weights per class present, the background's last.
    coef, intercept = fit_logistic(x, y, c=c, max_iter=max_iter, sample_weight=weights)
    if coef.shape[0] == 1:  # two classes: sklearn's single row, as +-z/2
        coef, intercept = (
            np.vstack([-coef[0] / 2, coef[0] / 2]),
            np.array([-intercept[0] / 2, intercept[0] / 2]),
        )
    return BackgroundRule(coef.astype(np.float32), intercept.astype(np.float32), 1.0, "")


def _out_of_fold(
    embeddings: npt.NDArray[np.floating],
    labels: npt.NDArray[np.int64],
    n_classes: int,
    background: npt.NDArray[np.floating],
    c: float,
    weight: float,
    max_iter: int,
    folds: npt.NDArray[np.int64],
) -> npt.NDArray[np.float32]:
    """Each training sample's background probability from a fit without its fold."""
    out = np.zeros(len(labels), dtype=np.float32)
    for fold in np.unique(folds):
        train, test = folds != fold, folds == fold
        fitted = _fit(embeddings[train], labels[train], n_classes, background, c, weight, max_iter)
        out[test] = fitted.probability(np.asarray(embeddings)[test])
    return out
