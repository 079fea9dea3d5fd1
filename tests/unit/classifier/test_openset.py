"""The per-class unknown rule: thresholds per class and view, near-duplicates, verdicts, artifacts."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from docroute.classifier.errors import ModelArtifactError
from docroute.classifier.model import ClassifierModel
from docroute.classifier.openset import (
    VIEWS,
    UnknownConfig,
    UnknownRule,
    UnknownVerdict,
    fit_unknown_rule,
    nearest_background_lean,
    unknown_ratios,
    verdicts,
)
from services.trainer.core.training import TrainingConfig, train_classifier

DIM = 32


def _cluster(rng: np.random.Generator, center: np.ndarray, n: int, spread: float) -> np.ndarray:
    rows = center + spread * rng.normal(size=(n, len(center)))
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _two_classes(spread_a: float = 0.05, spread_b: float = 0.6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class 0 tight, class 1 diffuse; the TF-IDF view mirrors the embedding."""
    rng = np.random.default_rng(0)
    a, b = np.eye(DIM)[0], np.eye(DIM)[1]
    emb = np.vstack([_cluster(rng, a, 10, spread_a), _cluster(rng, b, 10, spread_b)]).astype(np.float32)
    return emb, np.abs(emb), np.array([0] * 10 + [1] * 10)


OWN = UnknownConfig(prior_samples=0.0, views=VIEWS)  # each class's own spread only, both views


def test_each_class_gets_its_own_threshold() -> None:
    emb, tf, y = _two_classes()
    rule = fit_unknown_rule(emb, tf, y, 2, tfidf_block=0, config=OWN)
    assert rule.thresholds.shape == (2, 2)
    # The tight class tolerates far less distance than the diffuse one, in both views.
    assert (rule.thresholds[:, 0] < rule.thresholds[:, 1] / 3).all()


def test_a_distance_unknown_for_a_tight_class_is_normal_for_a_diffuse_one() -> None:
    emb, tf, y = _two_classes()
    rule = fit_unknown_rule(emb, tf, y, 2, tfidf_block=0, config=OWN)
    offset = 0.3 * np.random.default_rng(7).normal(size=DIM)
    for predicted, expected in ((0, True), (1, False)):
        # The same offset from each class's centre: far for the tight class, usual for the other.
        query = (np.eye(DIM)[predicted] + offset)[None, :].astype(np.float32)
        query /= np.linalg.norm(query)
        classes = np.array([predicted])
        d, r = unknown_ratios(rule, query, np.abs(query), classes, emb, y)
        assert verdicts(d, r, rule.thresholds[:, classes].T)[0].unknown is expected


def test_few_samples_lean_on_the_spread_of_all_classes() -> None:
    emb, tf, y = _two_classes()
    own = fit_unknown_rule(emb, tf, y, 2, tfidf_block=0, config=OWN)
    default = fit_unknown_rule(emb, tf, y, 2, tfidf_block=0, config=UnknownConfig(views=VIEWS))
    mostly_prior = fit_unknown_rule(
        emb, tf, y, 2, tfidf_block=0, config=UnknownConfig(prior_samples=1000, views=VIEWS)
    )
    tight = own.thresholds[:, 0]
    assert (tight < default.thresholds[:, 0]).all() and (
        default.thresholds[:, 0] < mostly_prior.thresholds[:, 0]
    ).all()
    # With a heavy prior both classes share (almost) one threshold per view.
    np.testing.assert_allclose(mostly_prior.thresholds[:, 0], mostly_prior.thresholds[:, 1], rtol=0.05)


def test_near_duplicates_do_not_make_a_class_look_tighter() -> None:
    rng = np.random.default_rng(1)
    base = _cluster(rng, np.eye(DIM)[0], 5, 0.5)
    # Each document twice, almost identical (several invoices from one sender).
    twins = np.vstack([base, base + 0.001 * rng.normal(size=base.shape)]).astype(np.float32)
    y = np.zeros(len(twins), dtype=np.int64)
    skipping = fit_unknown_rule(
        twins,
        np.abs(twins),
        y,
        1,
        tfidf_block=0,
        config=UnknownConfig(k=1, prior_samples=0, views=("embedding",)),
    )
    counting = fit_unknown_rule(
        twins,
        np.abs(twins),
        y,
        1,
        tfidf_block=0,
        config=UnknownConfig(k=1, prior_samples=0, duplicate_similarity=(1.0, 1.0), views=("embedding",)),
    )
    assert counting.thresholds[0, 0] < 0.01  # every sample's nearest neighbour is its twin
    assert skipping.thresholds[0, 0] > 10 * counting.thresholds[0, 0]


def test_by_default_only_the_embedding_flags_so_another_language_is_not_unknown() -> None:
    """A document near a class in the (multilingual) embedding but far in character TF-IDF, as a
    known kind in a language absent from training is, stays known; with both views it is flagged."""
    emb, tf, y = _two_classes()
    # The embedding alone (the default before outlier exposure, which has no distance to test).
    default = fit_unknown_rule(emb, tf, y, 2, tfidf_block=0, config=UnknownConfig(views=("embedding",)))
    both = fit_unknown_rule(emb, tf, y, 2, tfidf_block=0, config=UnknownConfig(views=VIEWS))
    np.testing.assert_array_equal(default.thresholds[1], [1.0, 1.0])
    np.testing.assert_array_equal(default.thresholds[0], both.thresholds[0])
    query = emb[:1]
    other_wording = np.zeros((1, tf.shape[1]), dtype=np.float32)
    other_wording[0, -1] = 1.0  # shares no term with the class: TF-IDF distance 1
    args = (query, other_wording, np.array([0]), emb, y)
    for rule, unknown in ((default, False), (both, True)):
        distances, ratios = unknown_ratios(rule, *args)
        [verdict] = verdicts(distances, ratios, rule.thresholds[:, [0]].T)
        assert verdict.unknown is unknown, verdict.reason
    # The embedding still flags on its own: a document far from the class there is unknown.
    far = np.eye(DIM, dtype=np.float32)[[5]]
    distances, ratios = unknown_ratios(default, far, np.abs(far), np.array([0]), emb, y)
    [verdict] = verdicts(distances, ratios, default.thresholds[:, [0]].T)
    assert verdict.unknown and verdict.view == "embedding"


def test_the_margin_scales_the_thresholds() -> None:
    emb, tf, y = _two_classes()
    low = fit_unknown_rule(emb, tf, y, 2, tfidf_block=0, config=UnknownConfig(margin=1.0, views=VIEWS))
    high = fit_unknown_rule(emb, tf, y, 2, tfidf_block=0, config=UnknownConfig(margin=1.5, views=VIEWS))
    np.testing.assert_allclose(np.minimum(low.thresholds * 1.5, 1.0), high.thresholds, rtol=1e-5)


def test_the_verdict_names_the_view_and_the_numbers() -> None:
    distances = np.array([[0.2, 0.9], [0.1, 0.1]], dtype=np.float32)
    thresholds = np.array([[0.5, 0.6], [0.5, 0.6]], dtype=np.float32)
    far, near = verdicts(distances, distances / thresholds, thresholds)
    assert far == UnknownVerdict(True, "tfidf", pytest.approx(0.9), pytest.approx(0.6))
    assert far.reason == "tfidf distance 0.900 to the predicted class exceeds that class's threshold 0.600"
    assert not near.unknown and "is within" in near.reason


def _model() -> tuple[ClassifierModel, list[str], np.ndarray]:
    rng = np.random.default_rng(3)
    words = {"a": "invoice total amount due vat", "b": "dear madam letter regards sincerely"}
    texts = [" ".join(rng.choice(words[k].split(), size=8)) for k in ("a", "b") for _ in range(6)]
    emb, _, _ = _two_classes(0.2, 0.2)
    emb = np.vstack([emb[:6], emb[10:16]])
    labels = ["a"] * 6 + ["b"] * 6
    model = train_classifier(
        texts, emb, labels, sample_ids=[str(i) for i in range(12)], embedder_id="usem3", version="1"
    ).model
    return model, texts, emb


def test_the_trainer_fits_the_rule_and_the_artifact_keeps_it() -> None:
    model, texts, emb = _model()
    assert model.unknown_rule is not None
    assert model.unknown_rule.tfidf_block == 1  # the character n-gram block
    loaded = ClassifierModel.load(model.save())
    assert loaded.unknown_rule is not None
    np.testing.assert_array_equal(loaded.unknown_rule.thresholds, model.unknown_rule.thresholds)
    assert loaded.unknown_verdicts(texts, emb) == model.unknown_verdicts(texts, emb)
    assert not any(v.unknown for v in loaded.unknown_verdicts(texts, emb))


def test_models_trained_before_the_rule_keep_the_global_threshold() -> None:
    model, texts, emb = _model()
    old = replace(model, unknown_rule=None)
    loaded = ClassifierModel.load(old.save())
    assert loaded.unknown_rule is None
    novelty = loaded.novelty(emb)
    assert [v.unknown for v in loaded.unknown_verdicts(texts, emb)] == list(
        novelty > loaded.unknown_threshold
    )
    plain = train_classifier(
        texts, emb, ["a"] * 6 + ["b"] * 6, sample_ids=[str(i) for i in range(12)], embedder_id="usem3",
        version="1", config=TrainingConfig(unknown=None),
    ).model  # fmt: skip
    assert plain.unknown_rule is None


def test_a_rule_that_does_not_fit_the_model_is_refused() -> None:
    model, _, _ = _model()
    assert model.unknown_rule is not None
    wrong = UnknownRule(
        model.unknown_rule.k, np.ones((2, 3), dtype=np.float32), model.unknown_rule.centroids, 1
    )
    with pytest.raises(ModelArtifactError, match="unknown_rule"):
        replace(model, unknown_rule=wrong)
    files = model.save()
    broken = replace(model, unknown_rule=None).save()
    broken["model.safetensors"] = files["model.safetensors"]  # arrays without their settings
    with pytest.raises(ModelArtifactError):
        ClassifierModel.load(broken)


def test_the_nearest_background_lean_is_the_nearest_documents_similarity_over_the_class_samples() -> None:
    """cos(query, most similar background row) / cos(query, most similar sample of its class):
    the other classes' samples do not count, a class without samples or an empty set gives 0."""
    e = np.eye(4, dtype=np.float32)
    query = np.array([[0.8, 0.6, 0.0, 0.0]], dtype=np.float32)
    reference = np.vstack([e[0], e[1], e[1]])
    labels = np.array([0, 1, 1])
    background = np.vstack([e[2], np.array([0.6, 0.8, 0.0, 0.0], dtype=np.float32)])

    def lean(q: np.ndarray, rows: np.ndarray, ref: np.ndarray, c: int) -> float:
        return float(nearest_background_lean(q, rows, ref, labels, np.array([c]))[0])

    # Class 0's sample: cos 0.8; the nearest background row: cos 0.96.
    assert lean(query, background, reference, 0) == pytest.approx(1.2)
    # Read as class 1 (cos 0.6 to its samples): 1.6; a class without samples: 0.
    assert lean(query, background, reference, 1) == pytest.approx(1.6)
    assert lean(query, background, reference, 2) == 0.0
    assert lean(query, background[:0], reference, 0) == 0.0
    # Rows need not be unit length.
    assert lean(3 * query, 2 * background, 5 * reference, 0) == pytest.approx(1.2)
