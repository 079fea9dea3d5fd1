"""Train a calibrated classifier from a few labelled samples per class.

Recipe (see docs/embedders.md for the measurements behind it): multinomial logistic regression
on [embedding | word TF-IDF | char TF-IDF | shape TF-IDF] (the shape block since 2026-12-01:
docs/quality.md), a large C because sklearn's C=1 is badly under-confident at this size, then one
temperature fitted on stratified out-of-fold logits.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from threadpoolctl import threadpool_limits

from docroute.classifier.features import TfidfConfig, count_terms, fit_counts
from docroute.classifier.model import ClassifierModel, FeatureLayout, assemble_features, softmax
from docroute.classifier.novelty import novelty_scores, unit_rows
from docroute.classifier.openset import BACKGROUND, UnknownConfig, fit_unknown_rule
from docroute.classifier.wording import languages_of, wording_counts
from docroute.errors import PermanentError
from services.trainer.core.advice import data_warnings
from services.trainer.core.evaluation import EvaluationReport, evaluate_predictions
from services.trainer.core.outlier_exposure import claimed_by_classes, duplicate_folds, fit_background_rule
from services.trainer.core.rowspace import fit_logistic, gram, spans_fewer
from services.trainer.core.terms import TermCounts
from services.trainer.core.wording import WordingSamples, background_counts, fit_wording_rule

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
# Temperature search range: below 0.05 or above 20 the logits are broken, not miscalibrated.
_LOG_T_BOUNDS = (float(np.log(0.05)), float(np.log(20.0)))


class InsufficientDataError(PermanentError, ValueError):
    """Too few labelled samples to train and evaluate a classifier."""

    reason_code = "insufficient_training_data"


@dataclass(frozen=True)
class TrainingConfig:
    """Hyperparameters; the defaults are the best measured on the bench (docs/embedders.md)."""

    C: float = 30.0
    embedding_weight: float = 1.0
    tfidf: tuple[TfidfConfig, ...] = (
        TfidfConfig(analyzer="word", ngram_range=(1, 2)),
        # Character n-grams survive OCR typos and cover Japanese, which has no spaces.
        TfidfConfig(analyzer="char_wb", ngram_range=(2, 4), max_features=30_000),
        # The text's shape (words as "a", digits as "0"): layout, amounts, dates, option lists,
        # whatever the language. On real documents (bench/quality.py, 15 samples per class, 2
        # seeds, docs/quality.md) a kind trained in one language and read in others is routed
        # right more often (man pages de -> 7 languages 0.84 -> 0.92), at no cost elsewhere.
        TfidfConfig(analyzer="shape", ngram_range=(3, 6), max_features=30_000),
    )
    tfidf_weights: tuple[float, ...] = (1.0, 1.0, 1.0)
    # Also fit every sample with its TF-IDF blocks zeroed, at this sample weight, so the
    # embedding weights classify on their own when a document shares no words with the
    # training set (another language). 0 turns it off.
    embedding_dropout: float = 0.25
    max_folds: int = 5
    max_iter: int = 2000
    novelty_k: int = 3
    # Unknown when farther from the training set than `unknown_scale` x the 0.99 quantile of the
    # training samples' own leave-one-out distances. Measured (bench/unknown_detection.py): the
    # bare quantile sent 1.7-2.5 % of held-out documents of trained classes to review as unknown
    # (6.7 % in the e2e setup); x1.25 sent none while flagging 94-100 % of an untrained class.
    unknown_quantile: float = 0.99
    unknown_scale: float = 1.25
    # The rule the classify service applies (docroute.classifier.openset): per class, embedding
    # kNN distance (the character TF-IDF view is off by default: it flagged known kinds in other
    # languages). On real documents at 15 samples per class (docs/quality.md) it flags 25 % of an
    # untrained kind's documents against 11 % for the global threshold above, with 1.5 % of known
    # ones flagged. None keeps the global threshold.
    unknown: UnknownConfig | None = field(default_factory=UnknownConfig)


@dataclass(frozen=True, eq=False)
class TrainingResult:
    """The model, its out-of-fold report and the out-of-fold probabilities (rows = samples)."""

    model: ClassifierModel
    report: EvaluationReport
    oof_probabilities: F32


def train_classifier(
    texts: Sequence[str],
    embeddings: npt.NDArray[np.floating],
    labels: Sequence[str],
    *,
    sample_ids: Sequence[str],
    embedder_id: str,
    version: str,
    seed: int = 0,
    config: TrainingConfig | None = None,
    term_counts: Sequence[TermCounts] | None = None,
    background: Background | None = None,
    wording: WordingSamples | None = None,
) -> TrainingResult:
    """Train, calibrate and evaluate a classifier; probabilities' columns are sorted labels.

    `background`: the background set's embeddings by the same embedder and its digest, for the
    unknown rule's "background" view (outlier exposure); without it the embedding view flags
    in its place (the rule before outlier exposure).

    `term_counts`: one `TermCounts` per block of `config.tfidf`, when the caller keeps the texts'
    counts (the trainer counts a sample once, at arrival); the TF-IDF is then fitted from them.

    `wording`: the texts' n-grams and languages for the wording view, when the caller keeps
    them (counted at arrival as `term_counts`); else read from the texts here.

    :raises InsufficientDataError: when fewer than 2 classes have at least 2 samples.
    :raises ValueError: when inputs disagree in length or embeddings are not finite.
    """
    config = config or TrainingConfig()
    unknown = config.unknown
    if background is None and unknown is not None and BACKGROUND in unknown.views:
        views = tuple(v for v in unknown.views if v != BACKGROUND) or ("embedding",)
        config = replace(config, unknown=replace(unknown, views=views))
    # These matrices are small: extra BLAS threads only spin. On a busy 2-core machine
    # OpenBLAS's default threading made one training 8x slower (32 s instead of 4 s).
    with threadpool_limits(limits=1, user_api="blas"):
        result = _train(
            texts, embeddings, labels, sample_ids, embedder_id, version, seed, config, term_counts
        )
        result = _with_background(result, embeddings, config, background, seed)
        return _with_wording(result, texts, embeddings, config, background, seed, wording)


def _train(
    texts: Sequence[str],
    embeddings: npt.NDArray[np.floating],
    labels: Sequence[str],
    sample_ids: Sequence[str],
    embedder_id: str,
    version: str,
    seed: int,
    config: TrainingConfig,
    term_counts: Sequence[TermCounts] | None,
) -> TrainingResult:
    """Body of `train_classifier`, run under one BLAS thread."""
    started = time.perf_counter()
    emb = _check_inputs(texts, embeddings, labels, sample_ids)
    class_names = tuple(sorted(set(labels)))
    y = np.array([class_names.index(label) for label in labels], dtype=np.int64)
    n_folds = _fold_count(Counter(labels), config.max_folds)

    if term_counts is None:
        counts = [count_terms(texts, block) for block in config.tfidf]
        states = tuple(fit_counts(c, block) for c, block in zip(counts, config.tfidf, strict=True))
        rows = [state.sparse_rows(c) for state, c in zip(states, counts, strict=True)]
    else:
        if [kept.config for kept in term_counts] != list(config.tfidf):
            raise ValueError("term counts must be kept for each of the recipe's TF-IDF blocks, in order")
        states = tuple(kept.fit(texts) for kept in term_counts)
        rows = [kept.rows(texts, state) for kept, state in zip(term_counts, states, strict=True)]
    layout = FeatureLayout(emb.shape[1], config.embedding_weight, config.tfidf_weights)
    features = assemble_features(emb, rows, layout)

    folds = stratified_folds(y, n_folds, seed)
    products = _row_products(features, layout, config)
    oof_logits = _out_of_fold_logits(features, y, folds, len(class_names), layout, config, products)
    usable = np.isfinite(oof_logits[np.arange(len(y)), y])
    temperature = fit_temperature(oof_logits[usable], y[usable])
    coef, intercept = _fit_linear(features, y, len(class_names), layout, config, products)
    oof_probabilities = softmax(oof_logits / temperature)

    loo = novelty_scores(emb, emb, config.novelty_k, exclude_self=True)
    unknown_rule = None
    if config.unknown is not None:
        block = _unknown_block(config.tfidf)
        view = rows[block] if rows else sparse.csr_array((len(y), 1), dtype=np.float32)
        unknown_rule = fit_unknown_rule(
            emb, view, y, len(class_names), tfidf_block=block, config=config.unknown
        )
    model = ClassifierModel(
        labels=class_names,
        embedder_id=embedder_id,
        coef=coef,
        intercept=intercept,
        temperature=temperature,
        tfidf=states,
        layout=layout,
        training_embeddings=emb.astype(np.float16),
        training_sample_ids=tuple(sample_ids),
        training_labels=tuple(labels),
        unknown_threshold=float(np.quantile(loo, config.unknown_quantile)) * config.unknown_scale,
        version=version,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        novelty_k=config.novelty_k,
        unknown_rule=unknown_rule,
    )
    report = evaluate_predictions(y, oof_probabilities, class_names)
    report = replace(
        report,
        training_seconds=round(time.perf_counter() - started, 3),
        warnings=data_warnings(
            list(labels), emb, (config.unknown or UnknownConfig()).duplicate_similarity[0]
        ),
    )
    return TrainingResult(model=model, report=report, oof_probabilities=oof_probabilities)


class Background(NamedTuple):
    """The background set (docroute.classifier.background) as the trainer fits it: its
    embeddings, its digest, and its texts for the wording view (none: no wording view)."""

    embeddings: npt.NDArray[np.floating]
    digest: str
    texts: tuple[str, ...] = ()


def _with_background(
    result: TrainingResult,
    embeddings: npt.NDArray[np.floating],
    config: TrainingConfig,
    background: Background | None,
    seed: int,
) -> TrainingResult:
    """The result with outlier exposure in its unknown rule, when the recipe asks for it."""
    model, unknown = result.model, config.unknown
    if unknown is None or BACKGROUND not in unknown.views or background is None or model.unknown_rule is None:
        return result
    y = np.array([model.labels.index(label) for label in model.training_labels], dtype=np.int64)
    rows = np.asarray(background.embeddings, dtype=np.float32)
    if unknown.background_claims:
        rows = rows[~claimed_by_classes(embeddings, y, len(model.labels), rows, unknown.k)]
    if not len(rows):  # the classes claim the whole set: nothing is background to them
        return result
    rule = fit_background_rule(
        np.asarray(embeddings, dtype=np.float32),
        y,
        len(model.labels),
        rows,
        threshold=unknown.background_probability,
        c=unknown.background_c,
        background_id=background.digest,
        flag_share=unknown.background_flag_share,
        few_samples=unknown.background_few_samples,
        folds=background_folds(embeddings, y, config.max_folds, unknown, seed),
    )
    return replace(result, model=replace(model, unknown_rule=replace(model.unknown_rule, background=rule)))


def _with_wording(
    result: TrainingResult,
    texts: Sequence[str],
    embeddings: npt.NDArray[np.floating],
    config: TrainingConfig,
    background: Background | None,
    seed: int,
    kept: WordingSamples | None,
) -> TrainingResult:
    """The result with the wording view in its unknown rule (`with_wording_rule`)."""
    model = with_wording_rule(result.model, texts, embeddings, config, background, seed, kept)
    return result if model is result.model else replace(result, model=model)


def with_wording_rule(
    model: ClassifierModel,
    texts: Sequence[str],
    embeddings: npt.NDArray[np.floating],
    config: TrainingConfig,
    background: Background | None,
    seed: int,
    kept: WordingSamples | None = None,
) -> ClassifierModel:
    """The model with the wording view in its unknown rule, fitted on its training `texts`, when
    the recipe asks for it and the background's texts are at hand (the view beside outlier
    exposure, as measured); the model as it is otherwise. `kept`: the texts' n-grams and
    languages taken at arrival."""
    unknown = config.unknown
    rule = model.unknown_rule
    if (
        unknown is None
        or unknown.wording_flag_share <= 0
        or background is None
        or not background.texts
        or rule is None
        or rule.background is None
    ):
        return model
    y = np.array([model.labels.index(label) for label in model.training_labels], dtype=np.int64)
    wording = fit_wording_rule(
        wording_counts(texts) if kept is None else kept.counts(texts),
        y,
        len(model.labels),
        languages_of(texts) if kept is None else kept.languages(texts),
        background_counts(background.texts),
        background_folds(embeddings, y, config.max_folds, unknown, seed),
        flag_share=unknown.wording_flag_share,
        mu=unknown.wording_mu,
        gate=unknown.wording_gate,
        language_samples=unknown.wording_language_samples,
        corroboration=unknown.wording_corroboration,
        corroboration_languages=unknown.wording_corroboration_languages,
        count_over=unknown.wording_language_count_over,
    )
    if wording.lean > 0 and unknown.wording_nearest_lean > 0:
        # The corroborated view leans by the nearest background document: the model keeps the set.
        wording = replace(wording, nearest_lean=unknown.wording_nearest_lean)
        documents = unit_rows(np.asarray(background.embeddings, dtype=np.float32)).astype(np.float32)
        rule = replace(rule, background=replace(rule.background, documents=documents))
    return replace(model, unknown_rule=replace(rule, wording=wording))


def background_folds(
    embeddings: npt.NDArray[np.floating],
    y: npt.NDArray[np.int64],
    max_folds: int,
    unknown: UnknownConfig,
    seed: int,
) -> npt.NDArray[np.int64]:
    """The folds whose held-out samples set the background limit: near-duplicates held out
    together for the conformal limit (outlier_exposure.duplicate_folds); stratified as before for
    recipes from before it."""
    n_folds = _fold_count(Counter(y.tolist()), max_folds)
    if unknown.background_flag_share > 0:
        return duplicate_folds(embeddings, y, n_folds, seed, unknown.duplicate_similarity[0])
    return stratified_folds(y, n_folds, seed)


def _unknown_block(blocks: Sequence[TfidfConfig]) -> int:
    """The TF-IDF block the unknown rule reads: the first character n-gram block, else the first."""
    return next((i for i, block in enumerate(blocks) if block.analyzer.startswith("char")), 0)


def stratified_folds(y: npt.NDArray[np.int64], n_folds: int, seed: int) -> npt.NDArray[np.int64]:
    """Assign each sample a fold so every class is spread evenly over the folds."""
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)])
    folds = np.empty(len(y), dtype=np.int64)
    # Dealing the class-grouped order round-robin keeps both classes and fold sizes balanced.
    folds[order] = np.arange(len(y)) % n_folds
    return folds


def fit_temperature(logits: npt.NDArray[np.floating], y: npt.NDArray[np.int64]) -> float:
    """Return the T > 0 minimising the cross-entropy of softmax(logits / T) (1.0 without data).

    Targets are smoothed by 1 / (n + 2) (Laplace's rule): n correct out-of-fold predictions
    are no evidence for a confidence of 1 - 1e-20, which plain NLL on separable data would give.
    """
    if len(y) == 0:
        return 1.0
    z = np.asarray(logits, dtype=np.float64)
    # Classes unseen in a fold (-inf logits) get no target mass, so they cannot drag T around.
    seen = np.isfinite(z)
    smoothing = 1.0 / (len(y) + 2)
    targets = np.where(seen, smoothing / seen.sum(axis=1, keepdims=True), 0.0)
    targets[np.arange(len(y)), y] += 1.0 - smoothing

    def nll(log_t: float) -> float:
        log_p = log_softmax(z / np.exp(log_t), axis=1)
        return float(-(targets * np.where(seen, log_p, 0.0)).sum(axis=1).mean())

    result = minimize_scalar(nll, bounds=_LOG_T_BOUNDS, method="bounded")
    return float(np.exp(result.x))


def _check_inputs(
    texts: Sequence[str],
    embeddings: npt.NDArray[np.floating],
    labels: Sequence[str],
    sample_ids: Sequence[str],
) -> F32:
    """Validate input lengths and values; return embeddings as float32."""
    emb = np.asarray(embeddings, dtype=np.float32)
    n = len(texts)
    if emb.ndim != 2 or emb.shape[0] != n or len(labels) != n or len(sample_ids) != n:
        raise ValueError(
            f"{n} texts, {len(labels)} labels, {len(sample_ids)} sample ids and embeddings "
            f"of shape {emb.shape}: they must describe the same samples"
        )
    if not np.isfinite(emb).all():
        raise ValueError("embeddings contain NaN or infinity")
    if len(set(sample_ids)) != n:
        raise ValueError("sample ids must be unique")
    return emb


def _fold_count(class_counts: Counter[str], max_folds: int) -> int:
    """Return k for k-fold: the smallest usable class count, capped at max_folds, at least 2."""
    usable = {label: n for label, n in class_counts.items() if n >= 2}
    if len(usable) < 2:
        lacking = sorted(label for label, n in class_counts.items() if n < 2)
        detail = f"; too few samples: {', '.join(lacking)}" if lacking else ""
        raise InsufficientDataError(
            f"training needs at least 2 classes with at least 2 samples each, got "
            f"{dict(sorted(class_counts.items()))}{detail}"
        )
    return max(2, min(max_folds, min(usable.values())))


def _out_of_fold_logits(
    features: Any,
    y: npt.NDArray[np.int64],
    folds: npt.NDArray[np.int64],
    n_classes: int,
    layout: FeatureLayout,
    config: TrainingConfig,
    products: RowProducts | None,
) -> F64:
    """Logits of each sample from a model that did not see it; -inf for unseen classes."""
    logits = np.full((len(y), n_classes), -np.inf, dtype=np.float64)
    for fold in np.unique(folds):
        train, test = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
        present = np.unique(y[train])
        # A class whose only sample is in this fold cannot be predicted here: -inf keeps it
        # at probability 0 and out of the temperature fit.
        remap = np.searchsorted(present, y[train])
        mine = products.of(train) if products else None
        coef, intercept = _fit_linear(features[train], remap, len(present), layout, config, mine)
        logits[np.ix_(test, present)] = features[test] @ coef.T + intercept
    return logits


def _fit_linear(
    features: Any,
    y: npt.NDArray[np.int64],
    n_classes: int,
    layout: FeatureLayout,
    config: TrainingConfig,
    products: RowProducts | None = None,
) -> tuple[F32, F32]:
    """Fit multinomial logistic regression on sparse features (`assemble_features`); return
    (n_classes, d) weights and intercepts. `products`: the inner products of these rows."""
    weights = np.ones(len(y))
    n, width = features.shape
    stacked = products.full if products else None
    if _drops_tfidf(layout, config, width):
        embedding_only = sparse.hstack(
            [features[:, : layout.embedding_dim], sparse.csr_array((n, width - layout.embedding_dim))],
            format="csr",
            dtype=np.float32,
        )
        features, y = sparse.vstack([features, embedding_only], format="csr"), np.concatenate([y, y])
        weights = np.concatenate([weights, np.full(len(weights), config.embedding_dropout)])
        if products:
            # A copy holds only its sample's embedding block: with any row, it has that block's product.
            full, embedding = products.full, products.embedding
            stacked = np.block([[full, embedding], [embedding, embedding]])
    coef, intercept = fit_logistic(
        features, y, c=config.C, max_iter=config.max_iter, sample_weight=weights, products=stacked
    )
    if n_classes == 2:
        # sklearn stores one row for two classes; +-z/2 gives softmax == sigmoid(z).
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return coef.astype(np.float32), intercept.astype(np.float32)


@dataclass(frozen=True, eq=False)
class RowProducts:
    """Inner products of the samples' feature rows, whole and of their embedding blocks,
    computed once per training: the fold fits take their rows' from them (rowspace)."""

    full: F64
    embedding: F64

    def of(self, rows: npt.NDArray[np.int64]) -> RowProducts:
        pick = np.ix_(rows, rows)
        return RowProducts(self.full[pick], self.embedding[pick])


def _row_products(features: Any, layout: FeatureLayout, config: TrainingConfig) -> RowProducts | None:
    """The samples' `RowProducts` when the fits go through the rows' span, else None."""
    n, width = features.shape
    fitted_rows = 2 * n if _drops_tfidf(layout, config, width) else n
    if not spans_fewer(fitted_rows, width):
        return None
    return RowProducts(gram(features), gram(features[:, : layout.embedding_dim]))


def _drops_tfidf(layout: FeatureLayout, config: TrainingConfig, width: int) -> bool:
    """Whether the fit adds each sample again with its TF-IDF blocks zeroed (embedding dropout)."""
    return config.embedding_dropout > 0 and width > layout.embedding_dim
