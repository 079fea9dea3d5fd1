"""Forgetting deleted training samples: their rows leave nearest samples and the unknown distance."""

from __future__ import annotations

import numpy as np

from docroute.classifier.model import ClassifierModel
from tests.unit.classifier.test_model_artifact import _embeddings, make_model


def _nearest_ids(model: ClassifierModel, query: np.ndarray, k: int = 5) -> list[str]:
    return [n.sample_id for n in model.nearest_samples(query, k=k)[0]]


def test_a_forgotten_sample_is_never_a_nearest_sample_even_of_its_own_embedding() -> None:
    model = make_model()
    own = model.training_embeddings[1:2].astype(np.float32)  # s2's own embedding: s2 is nearest
    assert _nearest_ids(model, own)[0] == "s2"
    pruned = model.without_samples({"s2"})
    assert "s2" not in _nearest_ids(pruned, own)
    assert pruned.training_sample_ids == ("s1", "s3", "s4")
    assert pruned.training_labels == ("invoice", "lease", "invoice")
    np.testing.assert_array_equal(pruned.training_embeddings, model.training_embeddings[[0, 2, 3]])


def test_the_unknown_distance_no_longer_counts_it() -> None:
    model = make_model()
    own = model.training_embeddings[1:2].astype(np.float32)
    assert model.novelty(own)[0] < model.without_samples({"s2"}).novelty(own)[0]


def test_weights_and_probabilities_stay_until_the_next_training() -> None:
    model = make_model()
    pruned = model.without_samples({"s1", "s3"})
    texts = ["invoice total due", "lease tenant rent"]
    embeddings = _embeddings(2)
    np.testing.assert_array_equal(
        model.predict_proba(texts, embeddings), pruned.predict_proba(texts, embeddings)
    )


def test_unknown_ids_change_nothing_and_all_gone_leaves_no_neighbours() -> None:
    model = make_model()
    assert model.without_samples({"not-a-sample"}) is model
    empty = model.without_samples(set(model.training_sample_ids))
    assert empty.nearest_samples(_embeddings(1), k=5) == [[]]
    assert float(empty.novelty(_embeddings(1))[0]) == 1.0  # unlike everything: unknown
    assert ClassifierModel.load(empty.save()).training_sample_ids == ()
