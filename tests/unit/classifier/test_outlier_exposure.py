"""Outlier exposure: the classes plus the shipped background set as one more class; a document
the model finds more like the background than like any class is unknown, and says so."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace

import numpy as np
import pytest

from docroute.classifier.background import BACKGROUND_FILE, load_background
from docroute.classifier.errors import ModelArtifactError
from docroute.classifier.model import ClassifierModel
from docroute.classifier.openset import BACKGROUND, UnknownConfig
from services.trainer.core.training import Background, TrainingConfig, train_classifier

DIM = 32


def _cluster(rng: np.random.Generator, center: np.ndarray, n: int, spread: float) -> np.ndarray:
    rows = center + spread * rng.normal(size=(n, len(center)))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _samples() -> tuple[list[str], np.ndarray, list[str], Background]:
    """Two classes around axes 0 and 1; a background spread over axes 10-29."""
    rng = np.random.default_rng(5)
    words = {"a": "invoice total amount due vat", "b": "dear madam letter regards sincerely"}
    texts = [" ".join(rng.choice(words[k].split(), size=8)) for k in ("a", "b") for _ in range(8)]
    emb = np.vstack([_cluster(rng, np.eye(DIM)[0], 8, 0.05), _cluster(rng, np.eye(DIM)[1], 8, 0.05)])
    background = np.vstack([_cluster(rng, np.eye(DIM)[10 + i % 20], 1, 0.3) for i in range(60)])
    return texts, emb, ["a"] * 8 + ["b"] * 8, Background(background, "test-set")


def _train(background: Background | None, unknown: UnknownConfig | None = None) -> ClassifierModel:
    texts, emb, labels, _ = _samples()
    return train_classifier(
        texts, emb, labels, sample_ids=[str(i) for i in range(len(texts))], embedder_id="usem3",
        version="1", background=background, config=TrainingConfig(unknown=unknown or UnknownConfig()),
    ).model  # fmt: skip


def test_a_document_like_the_background_is_unknown_and_says_why() -> None:
    texts, emb, _, background = _samples()
    model = _train(background)
    rng = np.random.default_rng(9)
    strangers = np.vstack([_cluster(rng, np.eye(DIM)[10 + i], 1, 0.3) for i in range(5)])
    verdicts = model.unknown_verdicts(["lorem ipsum"] * 5, strangers)
    assert all(v.unknown and v.view == BACKGROUND for v in verdicts), [v.reason for v in verdicts]
    limit = UnknownConfig().background_probability
    assert all(v.distance > limit and v.threshold == pytest.approx(limit) for v in verdicts)
    assert verdicts[0].reason.startswith("looks like none of the classes: 0.")
    assert "probability of the background documents" in verdicts[0].reason
    # The training documents and new ones near the classes are known, and say so in the same words.
    known = model.unknown_verdicts(texts, emb)
    assert not any(v.unknown for v in known), [v.reason for v in known]
    assert {v.view for v in known} == {BACKGROUND}
    assert known[0].reason.startswith("looks like a trained class: 0.")


def test_beside_the_background_the_distance_view_flags_only_far_past_its_class() -> None:
    """A document farther from its class's samples than they are from each other, but nearer the
    classes than the background, is known by default (the embedding view's margin is x2.0); the
    rule before outlier exposure (x1.25, trained without the background) flagged it."""
    _, _, _, background = _samples()
    near = np.zeros((1, DIM), dtype=np.float32)
    # Mostly class a, partly an axis neither the classes nor the background use.
    near[0, [0, 2]] = 1.0, 0.65
    with_background, without = (
        _train(background),
        _train(None, UnknownConfig(views=("embedding",))),
    )
    [verdict] = with_background.unknown_verdicts(["total amount"], near)
    assert not verdict.unknown, verdict.reason
    [before] = without.unknown_verdicts(["total amount"], near)
    assert before.unknown and before.view == "embedding", before.reason
    assert without.unknown_rule is not None and without.unknown_rule.background is None
    # Far from every sample of its class, the distance still flags beside the background.
    far = np.zeros((1, DIM), dtype=np.float32)
    far[0, [0, 2]] = 1.0, 3.0
    [verdict] = with_background.unknown_verdicts(["total amount"], far)
    assert verdict.unknown, verdict.reason
    rule = with_background.unknown_rule
    assert rule is not None and (rule.thresholds[0] < 1.0).all()  # the embedding view can flag
    assert (rule.thresholds[1] == 1.0).all()  # the character TF-IDF view cannot


def test_without_the_background_set_the_embedding_view_flags_in_its_place() -> None:
    model = _train(None)
    assert model.unknown_rule is not None and model.unknown_rule.background is None
    rng = np.random.default_rng(9)
    strangers = np.vstack([_cluster(rng, np.eye(DIM)[10 + i], 1, 0.3) for i in range(5)])
    assert all(v.unknown and v.view == "embedding" for v in model.unknown_verdicts([""] * 5, strangers))


def test_a_recipe_from_before_raises_the_limit_to_the_held_out_samples_under_few_samples() -> None:
    """Recipes from before the conformal limit: under `background_few_samples` samples a class, no
    training sample held out of the fit would be flagged: the limit is at least the highest
    out-of-fold background probability."""
    background = _samples()[3]
    few = _train(background, UnknownConfig(background_flag_share=0.0, background_few_samples=10))
    fixed = _train(background, UnknownConfig(background_flag_share=0.0, background_few_samples=0))
    assert few.unknown_rule is not None and few.unknown_rule.background is not None
    assert fixed.unknown_rule is not None and fixed.unknown_rule.background is not None
    limit = UnknownConfig().background_probability
    assert fixed.unknown_rule.background.threshold == pytest.approx(limit)
    assert few.unknown_rule.background.threshold >= limit
    np.testing.assert_array_equal(few.unknown_rule.background.coef, fixed.unknown_rule.background.coef)


def test_the_artifact_keeps_the_rule_and_a_model_from_before_keeps_its_own() -> None:
    texts, emb, _, background = _samples()
    model = _train(background)
    files = model.save()
    loaded = ClassifierModel.load(files)
    assert loaded.unknown_rule is not None and loaded.unknown_rule.background is not None
    assert loaded.unknown_rule.background.background == "test-set"
    np.testing.assert_array_equal(loaded.unknown_rule.background.coef, model.unknown_rule.background.coef)  # type: ignore[union-attr]
    assert loaded.unknown_verdicts(texts, emb) == model.unknown_verdicts(texts, emb)
    meta = json.loads(files["model.json"])
    assert meta["unknown_rule"]["background"] == {
        "threshold": UnknownConfig().background_probability,
        "set": "test-set",
    }
    # A version fitted at the first set's limit (0.2, before the default moved) keeps its limit.
    meta["unknown_rule"]["background"] = {"threshold": 0.2, "set": "7a2d3eadea681e86"}
    earlier = ClassifierModel.load({**files, "model.json": json.dumps(meta).encode()})
    assert earlier.unknown_rule is not None and earlier.unknown_rule.background is not None
    assert earlier.unknown_rule.background.threshold == pytest.approx(0.2)
    # A version trained before outlier exposure: no background in its artifact, the same verdicts.
    before = _train(None)
    assert "background" not in json.loads(before.save()["model.json"])["unknown_rule"]
    assert ClassifierModel.load(before.save()).unknown_verdicts(texts, emb) == before.unknown_verdicts(
        texts, emb
    )


def test_background_arrays_without_their_settings_are_refused() -> None:
    model = _train(_samples()[3])
    files = model.save()
    meta = json.loads(files["model.json"])
    del meta["unknown_rule"]["background"]
    with pytest.raises(ModelArtifactError, match="outlier-exposure"):
        ClassifierModel.load({**files, "model.json": json.dumps(meta).encode()})
    assert model.unknown_rule is not None and model.unknown_rule.background is not None
    wrong = replace(model.unknown_rule.background, coef=model.unknown_rule.background.coef[:2])
    with pytest.raises(ModelArtifactError, match="unknown_rule"):
        replace(model, unknown_rule=replace(model.unknown_rule, background=wrong))


# What the product may ship inside its package without passing terms on to the code of those who
# deploy it: public domain, permissive, attribution-only. Not GPL, LGPL or share-alike.
PERMISSIVE = {"public-domain", "CC0-1.0", "BSD-3-Clause", "MIT", "Apache-2.0", "CC-BY-3.0", "CC-BY-4.0"}


def test_the_shipped_background_set_says_where_each_text_comes_from() -> None:
    """Real public documents (bench/corpus/background_documents.py): each names its repository
    pinned at a commit, its path, the PDF's sha256 and who issued it."""
    found = load_background()
    data = json.loads(gzip.decompress(BACKGROUND_FILE.read_bytes()))
    assert len(found.texts) == len(data["documents"]) >= 40
    assert BACKGROUND_FILE.stat().st_size < 300_000
    pinned = {source["github_repository"] for source in data["sources"].values()}
    for source in data["sources"].values():
        assert source["terms"] and source["language"] and source["licence"]
        assert len(source["github_repository"].split("@")[1]) == 40
    for document in data["documents"]:
        assert document["source"].split(":")[0] in pinned
        assert len(document["sha256"]) == 64 and document["issuer"] and document["group"]
    assert all(200 < len(text) < 5_000 for text in found.texts)


def test_every_source_of_the_shipped_background_set_is_under_permissive_terms() -> None:
    """The set ships inside the product's package: a copyleft text (fortunes-de and fortunes-pl
    are GPL-2.0-or-later) would bring its terms with it."""
    data = json.loads(gzip.decompress(BACKGROUND_FILE.read_bytes()))
    licences = {name: source["licence"] for name, source in data["sources"].items()}
    assert {name: licence for name, licence in licences.items() if licence not in PERMISSIVE} == {}
    assert not [name for name, source in data["sources"].items() if "GPL" in source["licence"]]
    assert all(d["licence"] in PERMISSIVE for d in data["documents"])
    # an attribution licence travels with its notice: who, and what was changed
    attributed = [s for s in data["sources"].values() if s["licence"].startswith("CC-BY")]
    assert all("notice" in s and "removed" in s["notice"] for s in attributed)


def test_a_class_of_one_sample_still_gets_a_limit() -> None:
    """A class whose only sample is held out of a fold: that fold's fit lacks the class, and the
    background is still its last column."""
    texts, emb, labels, background = _samples()
    rng = np.random.default_rng(4)
    texts, labels = [*texts, "lonely memo"], [*labels, "c"]
    emb = np.vstack([emb, _cluster(rng, np.eye(DIM)[3], 1, 0.05)])
    model = train_classifier(
        texts, emb, labels, sample_ids=[str(i) for i in range(len(texts))], embedder_id="usem3",
        version="1", background=background,
    ).model  # fmt: skip
    rule = model.unknown_rule
    assert rule is not None and rule.background is not None
    limit = UnknownConfig().background_probability
    assert rule.background.coef.shape == (4, DIM) and limit <= rule.background.threshold < 1.0
    assert not any(v.unknown for v in model.unknown_verdicts(texts, emb))
