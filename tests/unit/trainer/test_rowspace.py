"""Logistic regression fitted in the span of its rows is the fit over every column (issue 9:
training a version in seconds): the same probabilities for new rows, on wide TF-IDF features."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from scipy.special import softmax
from sklearn.linear_model import LogisticRegression

from docroute.classifier.features import TfidfConfig, count_terms, fit_counts
from services.trainer.core import rowspace
from services.trainer.core.rowspace import fit_logistic, fit_logistic_each

TOPICS = {
    "invoice": "invoice total due amount vat subtotal payment bank",
    "lease": "lease tenant landlord rent deposit premises term notice",
    "payslip": "payslip gross net salary employee tax pension hours",
}
FILLER = ["the", "of", "and", "date", "page", "number", "total", "rent", "salary", "signed", "regards"]


def _texts(per_class: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for label, (_, words) in enumerate(TOPICS.items()):
        for _ in range(per_class):
            texts.append(" ".join(rng.choice(words.split() + FILLER * 3, size=int(rng.integers(20, 60)))))
            labels.append(label)
    return texts, np.array(labels, dtype=np.int64)


def _rows(train: list[str], test: list[str]) -> tuple[sparse.csr_array, sparse.csr_array]:
    """Word and character TF-IDF rows, thousands of columns for a few dozen texts."""
    blocks = (
        TfidfConfig(analyzer="word", ngram_range=(1, 2)),
        TfidfConfig(analyzer="char_wb", ngram_range=(2, 4)),
    )
    states = [fit_counts(count_terms(train, block), block) for block in blocks]
    rows = [
        sparse.hstack(
            [s.sparse_rows(count_terms(texts, b)) for s, b in zip(states, blocks, strict=True)], format="csr"
        )
        for texts in (train, test)
    ]
    return rows[0], rows[1]


@pytest.mark.parametrize(("per_class", "class_weight"), [(8, None), (12, "balanced")])
def test_the_same_model_as_the_fit_over_every_column(per_class: int, class_weight: str | None) -> None:
    train, y = _texts(per_class, seed=1)
    test, _ = _texts(10, seed=2)
    x_train, x_test = _rows(train, test)
    assert x_train.shape[1] > 10 * x_train.shape[0]  # wide: the span is the cheaper fit
    weights = np.random.default_rng(3).uniform(0.25, 1.0, len(y))
    # Converged far past sklearn's default tolerance, which both fits below stop at.
    wide = LogisticRegression(C=30.0, max_iter=5000, tol=1e-10, class_weight=class_weight)
    wide.fit(x_train, y, sample_weight=weights)
    coef, intercept = fit_logistic(
        x_train, y, c=30.0, max_iter=5000, sample_weight=weights, class_weight=class_weight
    )

    assert coef.shape == wide.coef_.shape
    expected = softmax(x_test @ wide.coef_.T + wide.intercept_, axis=1)
    found = softmax(x_test @ coef.T + intercept, axis=1)
    assert np.abs(found - expected).max() < 5e-3
    assert (found.argmax(axis=1) == expected.argmax(axis=1)).all()


def test_two_classes_keep_sklearns_single_row() -> None:
    train, y = _texts(6, seed=4)
    keep = y < 2
    x_train, _ = _rows([t for t, k in zip(train, keep, strict=True) if k], [])
    coef, intercept = fit_logistic(x_train, y[keep], c=10.0, max_iter=2000)
    wide = LogisticRegression(C=10.0, max_iter=5000, tol=1e-10).fit(x_train, y[keep])

    assert coef.shape == (1, x_train.shape[1]) and intercept.shape == (1,)
    assert np.allclose(x_train @ coef.T + intercept, x_train @ wide.coef_.T + wide.intercept_, atol=1e-2)


def test_duplicate_rows_do_not_break_the_basis() -> None:
    """Identical samples make X X^T singular: the span has fewer dimensions than rows."""
    train, y = _texts(5, seed=5)
    train, y = train + train, np.concatenate([y, y])
    x_train, _ = _rows(train, [])
    coef, intercept = fit_logistic(x_train, y, c=30.0, max_iter=2000)

    assert np.isfinite(coef).all() and np.isfinite(intercept).all()
    assert ((x_train @ coef.T + intercept).argmax(axis=1) == y).all()


def test_several_label_sets_on_the_same_rows_fit_as_each_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    train, y = _texts(6, seed=6)
    x_train, _ = _rows(train, [])
    halves = (y % 2).astype(np.int64)
    decompositions = []
    real_span = rowspace._span
    monkeypatch.setattr(rowspace, "_span", lambda *a: decompositions.append(1) or real_span(*a))
    both = fit_logistic_each(x_train, [y, halves], c=10.0, max_iter=2000, class_weight="balanced")
    assert len(decompositions) == 1  # the span found once for both
    for (coef, intercept), labels in zip(both, [y, halves], strict=True):
        alone = fit_logistic(x_train, labels, c=10.0, max_iter=2000, class_weight="balanced")
        assert np.allclose(coef, alone[0]) and np.allclose(intercept, alone[1])
    assert len(decompositions) == 3
