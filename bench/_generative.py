"""A generative novelty score for unknown kinds (issue 13; bench/unknown_fewshot.py).

Per class, a multinomial language model over the document's tokens (words, or character n-grams
within words) fitted on the class's training samples, Dirichlet-smoothed towards a background
language model (the shipped background set plus all the workflow's samples pooled, add-one
smoothed over the tokens they hold plus one for any unseen token). A document's score under a
class is its length-normalised log-likelihood ratio, class model over background:

    llr_c(d) = 1/|d| sum_{w in d} log p_c(w) / p_bg(w),
    p_c(w) = (n_c(w) + mu p_bg(w)) / (N_c + mu)

so a token the class never used costs log(mu / (N_c + mu)) whatever it is, and a token the class
uses more than the background earns its ratio. The novelty is minus the llr under the predicted
class (the product's classifier's), or under the best class ("max"), or the predicted class's
llr over the best other class's ("margin"). Its limit is the conformal `share` (5 %, or less)
of the workflow's own samples' held-out novelties (folds holding near-duplicates together, as
the trainer's background limit), each class's novelties read as they are ("pooled") or as
z-scores against the class's own held-out ones ("z").

The token counts are taken once per process over every corpus document and the background set
(one vocabulary is only an index: a token with no count in a run's training samples or the
background is treated as unseen, so nothing is learnt from the test documents).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from docroute.classifier.background import load_background
from services.trainer.core.outlier_exposure import conformal_limit, duplicate_folds

F64 = npt.NDArray[np.float64]
MAX_CHARS = 20_000  # the classifier reads this much of a document
_WORD = re.compile(r"[^\W\d_]+|\d+")


def words(text: str) -> list[str]:
    """Lower-cased words; a run of digits becomes its shape ('#' x its length, up to 6)."""
    out = []
    for tok in _WORD.findall(text[:MAX_CHARS].lower()):
        out.append("#" * min(len(tok), 6) if tok[0].isdigit() else tok)
    return out


@dataclass(frozen=True)
class Spec:
    """One generative variant: tokens ('words' | 'chars'), counts ('tf' | 'binary': each distinct
    token once a document), Dirichlet `mu` (tokens), the class read ('pred' | 'max'; 'margin': the
    predicted class's llr over the best other class's, not the background's), the limit
    ('pooled' | 'z': each class's novelties as z-scores of its own held-out ones) at `share`."""

    tokens: str = "words"
    counts: str = "tf"
    mu: float = 1000.0
    read: str = "pred"
    limit: str = "z"
    share: float = 0.05  # the conformal limit's share of held-out samples above it


class Counts:
    """Token counts of every document of the bench and of the background set, taken once."""

    def __init__(self, texts: list[str], background: list[str], tokens: str) -> None:
        if tokens == "words":
            vec = CountVectorizer(analyzer=words)
        else:
            vec = CountVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=True)
            texts = [t[:MAX_CHARS] for t in texts]
            background = [t[:MAX_CHARS] for t in background]
        x = vec.fit_transform(list(texts) + list(background)).tocsr().astype(np.float64)
        self.docs = x[: len(texts)]
        self.background = x[len(texts) :]


_CACHE: dict[tuple[int, str], Counts] = {}


def counts_for(bench: Any, tokens: str) -> Counts:
    key = (id(bench), tokens)
    if key not in _CACHE:
        _CACHE[key] = Counts(list(bench.texts), list(load_background().texts), tokens)
    return _CACHE[key]


def _view(x: sparse.csr_matrix, counts: str) -> sparse.csr_matrix:
    if counts == "binary":
        x = x.copy()
        x.data[:] = 1.0
    return x


class ClassLMs:
    """The class language models over the background one: llr per class of any count rows."""

    def __init__(
        self, x: sparse.csr_matrix, y: npt.NDArray[np.int64], n: int, bg: sparse.csr_matrix, mu: float
    ):
        pooled = np.asarray(x.sum(0)).ravel() + np.asarray(bg.sum(0)).ravel()
        seen = pooled > 0
        total = pooled.sum()
        p_bg = (pooled + 1.0) / (total + seen.sum() + 1.0)
        ratios = []
        self.unseen = np.zeros(n)
        for c in range(n):
            n_c = np.asarray(x[y == c].sum(0)).ravel()
            big_n = n_c.sum()
            ratios.append(np.log((n_c + mu * p_bg) / ((big_n + mu) * p_bg)))
            self.unseen[c] = np.log(mu / (big_n + mu))
        # Tokens no training sample nor background row holds: the unseen cost of each class.
        self.ratios = np.stack(ratios, axis=1)  # V x n
        self.ratios[~seen] = self.unseen[None, :]

    def llr(self, rows: sparse.csr_matrix) -> F64:
        length = np.maximum(np.asarray(rows.sum(1)).ravel(), 1.0)
        return np.asarray(rows @ self.ratios, dtype=np.float64) / length[:, None]


def _read(
    llr: F64, classes: npt.NDArray[np.int64] | None, margin: bool = False
) -> tuple[F64, npt.NDArray[np.int64]]:
    """Minus the llr under `classes` (None: the best class; `margin`: over the best other class's
    llr instead of the background's) and the class read."""
    if classes is None:
        classes = llr.argmax(1)
    rows = np.arange(len(llr))
    own = llr[rows, classes]
    if margin and llr.shape[1] > 1:
        other = llr.copy()
        other[rows, classes] = -np.inf
        own = own - other.max(1)
    return np.asarray(-own, dtype=np.float64), classes


def generative_scores(
    bench: Any,
    row: dict[str, Any],
    y: npt.NDArray[np.int64],
    predicted: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None,
    spec: Spec,
    share: float | None,
    n_folds: int,
    duplicate: float,
) -> tuple[F64, F64]:
    """Known and unknown test documents' novelty as a gap to the limit (at `share`, None: the
    spec's), in held-out standard deviations (flagged when > 0)."""
    counts = counts_for(bench, spec.tokens)
    x_all = _view(counts.docs, spec.counts)
    bg = _view(counts.background, spec.counts)
    train = np.asarray(row["train"])
    x = x_all[train]
    n = int(y.max()) + 1
    # Held-out novelty of the workflow's own samples, each under its own class.
    folds = duplicate_folds(bench.emb[train].astype(np.float64), y, n_folds, row["seed"], duplicate)
    held = np.zeros(len(y))
    held_class = y.copy()
    for fold in np.unique(folds):
        test = folds == fold
        lms = ClassLMs(x[~test], y[~test], n, bg, spec.mu)
        held[test], held_class[test] = _read(
            lms.llr(x[test]), None if spec.read == "max" else y[test], spec.read == "margin"
        )
    lms = ClassLMs(x, y, n, bg, spec.mu)
    sides = []
    for side, key in enumerate(("known", "unknown")):
        llr = lms.llr(x_all[np.asarray(row[key])])
        classes = predicted[side] if spec.read != "max" and predicted is not None else None
        sides.append(_read(llr, classes, spec.read == "margin"))
    if spec.limit == "z":  # each class's novelties against its own held-out ones
        mean = np.array(
            [held[held_class == c].mean() if (held_class == c).any() else held.mean() for c in range(n)]
        )
        std = np.array(
            [
                max(held[held_class == c].std(), 1e-3) if (held_class == c).sum() > 1 else held.std()
                for c in range(n)
            ]
        )
        held = (held - mean[held_class]) / std[held_class]
        sides = [((s - mean[c]) / std[c], c) for s, c in sides]
    limit = conformal_limit(held, spec.share if share is None else share)
    spread = max(float(held.std()), 1e-3)
    return (sides[0][0] - limit) / spread, (sides[1][0] - limit) / spread
