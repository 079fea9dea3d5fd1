"""Training on sparse features decides as the dense computation it replaced (issue 9: training
grows linearly with the samples), on a fixed training set."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from docroute.classifier.features import TfidfConfig, count_terms, fit_counts
from docroute.classifier.model import softmax
from docroute.classifier.novelty import unit_rows
from docroute.classifier.openset import VIEWS, UnknownConfig, fit_unknown_rule
from services.trainer.core.training import TrainingConfig, train_classifier

DIM = 16
WORDS = {
    "invoice": "invoice total due amount vat subtotal",
    "lease": "lease tenant landlord rent deposit premises",
    "payslip": "payslip gross net salary employee tax",
}
# Shared by every class, so the classes overlap and the fit has work to do.
FILLER = ["the", "of", "and", "date", "page", "number", "total", "rent", "salary"]


def _training_set(per_class: int, seed: int) -> tuple[list[str], np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    centroids = {label: rng.normal(size=DIM) for label in WORDS}
    texts, rows, labels = [], [], []
    for label, words in WORDS.items():
        for _ in range(per_class):
            texts.append(" ".join(rng.choice(words.split() + FILLER * 4, size=int(rng.integers(8, 30)))))
            rows.append(centroids[label] + 2.5 * rng.normal(size=DIM))
            labels.append(label)
    return texts, np.array(rows, dtype=np.float32), labels


def _dense_logits(model: object, texts: list[str], emb: np.ndarray) -> np.ndarray:
    """Logits as the dense code computed them: [embedding | TF-IDF rows] @ coef.T + intercept."""
    layout, states = model.layout, model.tfidf  # type: ignore[attr-defined]
    blocks = [emb.astype(np.float32) * np.float32(layout.embedding_weight)]
    blocks += [
        state.transform(texts).astype(np.float32) * np.float32(w)
        for state, w in zip(states, layout.tfidf_weights, strict=True)
    ]
    return np.hstack(blocks) @ model.coef.T + model.intercept  # type: ignore[attr-defined,no-any-return]


def test_sparse_predictions_equal_the_dense_computation() -> None:
    texts, emb, labels = _training_set(20, seed=3)
    result = train_classifier(
        texts, emb, labels, sample_ids=[str(i) for i in range(60)], embedder_id="e", version="1"
    )
    model = result.model
    unseen, unseen_emb, _ = _training_set(10, seed=4)
    sparse_probs = model.predict_proba(unseen, unseen_emb)
    dense_probs = softmax(_dense_logits(model, unseen, unseen_emb) / model.temperature)
    np.testing.assert_allclose(sparse_probs, dense_probs, atol=1e-5)
    assert 0.6 < result.report.accuracy < 1.0  # overlapping classes: the comparison is not trivial


def test_the_sparse_fit_finds_the_weights_of_the_dense_fit() -> None:
    """The same data given to sklearn dense (as before) and sparse (now): the same model, to
    within where L-BFGS stops on separable few-shot data (it never fully converges at C=30)."""
    texts, emb, labels = _training_set(15, seed=5)
    ids = [str(i) for i in range(len(texts))]
    model = train_classifier(texts, emb, labels, sample_ids=ids, embedder_id="e", version="1").model
    config = TrainingConfig()
    states = [fit_counts(count_terms(texts, block), block) for block in config.tfidf]
    dense = np.hstack([emb] + [s.transform(texts).astype(np.float32) for s in states])
    embedding_only = dense.copy()
    embedding_only[:, DIM:] = 0.0
    from sklearn.linear_model import LogisticRegression

    y = np.array([sorted(WORDS).index(label) for label in labels])
    reference = LogisticRegression(C=config.C, max_iter=config.max_iter).fit(
        np.vstack([dense, embedding_only]),
        np.concatenate([y, y]),
        sample_weight=np.concatenate([np.ones(len(y)), np.full(len(y), config.embedding_dropout)]),
    )
    assert model.coef.shape == reference.coef_.shape
    np.testing.assert_allclose(model.coef, reference.coef_, atol=1e-2 * np.abs(reference.coef_).max())
    np.testing.assert_array_equal(
        (dense @ model.coef.T + model.intercept).argmax(axis=1), reference.predict(dense)
    )


def _brute_force_tfidf_spread(tf: np.ndarray, labels: np.ndarray, duplicate: float) -> list[float]:
    """Per sample, as the code before: 1 - cosine to the sum of its class's other rows,
    near-duplicates left out unless they are all there is, the sum rebuilt for every sample."""
    tf = unit_rows(tf)
    out = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        sims = tf[members] @ tf[members].T
        for j in range(len(members)):
            keep = np.arange(len(members)) != j
            others = keep & (sims[j] <= duplicate)
            others = others if others.any() else keep
            rest = unit_rows(tf[members[others]].sum(axis=0))[0]
            out.append(1.0 - float(tf[members[j]] @ rest))
    return out


def test_the_tfidf_spread_from_the_gram_matrix_equals_the_sum_rebuilt_per_sample() -> None:
    rng = np.random.default_rng(0)
    base = np.abs(rng.normal(size=(3, 40)))
    # Class 0: spread out; class 1: mostly near-copies of one row (most samples excluded);
    # class 2: all near-copies (the fallback to every other sample).
    rows = np.vstack(
        [
            np.abs(rng.normal(size=(8, 40))) * (rng.random((8, 40)) < 0.3),
            base[1] + 0.02 * np.abs(rng.normal(size=(6, 40))),
            np.abs(rng.normal(size=(2, 40))),
            base[2] + 0.01 * np.abs(rng.normal(size=(5, 40))),
        ]
    )
    labels = np.array([0] * 8 + [1] * 8 + [2] * 5)
    config = UnknownConfig(views=VIEWS, prior_samples=0.0, margin=1.0)
    duplicate = config.duplicate_similarity[1]
    expected = _brute_force_tfidf_spread(rows, labels, duplicate)
    per_class = [max(expected[0:8]), max(expected[8:16]), max(expected[16:21])]
    for given in (rows, sparse.csr_array(rows)):
        rule = fit_unknown_rule(rng.normal(size=(21, 4)), given, labels, 3, tfidf_block=0, config=config)
        np.testing.assert_allclose(rule.thresholds[1], np.minimum(1.0, per_class), atol=1e-5)


def test_the_default_rule_is_the_same_whether_or_not_the_tfidf_spread_is_measured() -> None:
    """Off by default, the TF-IDF view is not measured: its thresholds stay 1, the rest agrees."""
    texts, emb, labels = _training_set(10, seed=6)
    rows = fit_counts(count_terms(texts, TfidfConfig()), TfidfConfig()).transform(texts)
    y = np.array([sorted(WORDS).index(label) for label in labels])
    default = fit_unknown_rule(emb, rows, y, 3, tfidf_block=0)
    both = fit_unknown_rule(emb, rows, y, 3, tfidf_block=0, config=UnknownConfig(views=VIEWS))
    np.testing.assert_array_equal(default.thresholds[0], both.thresholds[0])
    np.testing.assert_array_equal(default.thresholds[1], np.ones(3, dtype=np.float32))
    np.testing.assert_array_equal(default.centroids, both.centroids)
