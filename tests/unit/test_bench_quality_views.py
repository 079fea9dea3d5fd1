"""bench/quality.py's per-view conformal p-values and language-aware readings (issue 13)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from bench import _conformal_views as views
from bench._language_view import READINGS, embedding_only_proba, read
from docroute.classifier.model import ClassifierModel
from services.trainer.core import train_classifier

TEXTS = {
    "invoice": "Invoice number {i} total amount due {i}.00 EUR payable within 30 days VAT",
    "manual": "NAME ls{i} - list directory contents SYNOPSIS ls [OPTION]... [FILE]... -a, --all",
    "minutes": "Meeting minutes {i}: attendees, agenda, action items, next meeting on Thursday",
}


Trained = tuple[ClassifierModel, list[str], npt.NDArray[np.float32], npt.NDArray[np.int64]]


@pytest.fixture(scope="module")
def trained() -> Trained:
    rng = np.random.default_rng(0)
    centres = {k: rng.normal(size=32) for k in TEXTS}
    labels = [k for k in TEXTS for _ in range(8)]
    texts = [TEXTS[k].format(i=i) for i, k in enumerate(labels)]
    emb = np.array([centres[k] + rng.normal(size=32) * 0.3 for k in labels], dtype=np.float32)
    model = train_classifier(
        texts, emb, labels, sample_ids=[str(i) for i in range(len(texts))], embedder_id="x", version="1"
    ).model
    return model, texts, emb, np.array([model.labels.index(k) for k in labels], dtype=np.int64)


def test_held_out_p_ranks_each_sample_among_the_others() -> None:
    held = np.array([[0.1], [0.2], [0.3], [0.4]])
    p = views._held_out_p(held)
    # The farthest has none of the other three at least as far: (1 + 0) / 4.
    assert p[:, 0].tolist() == [1.0, 0.75, 0.5, 0.25]


def test_a_document_farther_than_every_held_out_sample_gets_the_smallest_p(trained: Trained) -> None:
    model, texts, emb, y = trained
    folds = np.arange(len(y)) % 4
    calibration = views.calibrate(model, texts, emb, y, folds)
    far = -emb[:1] * 5  # the opposite direction: farther than any sample from its class
    p = views.p_values(calibration, model, ["zzzz qqqq"], far, np.array([y[0]]))
    n = len(y)
    assert p[0, 0] == pytest.approx(1 / (n + 1))  # the embedding view
    assert views.view_score(p, 0)[0] > 1.0  # flagged at 5 %
    near = views.p_values(calibration, model, texts[:1], emb[:1], y[:1])
    assert near[0].min() > 1 / (n + 1)


def test_embedding_only_probabilities_are_the_model_with_its_tfidf_blocks_empty(trained: Trained) -> None:
    model, _, emb, _ = trained
    # A text with no term of any block's vocabulary has all-zero TF-IDF rows.
    assert np.allclose(
        embedding_only_proba(model, emb[:3]), model.predict_proba(["\x00"] * 3, emb[:3]), atol=1e-5
    )


def test_a_reading_changes_only_the_documents_its_rule_picks(trained: Trained) -> None:
    model, texts, emb, y = trained
    probs = model.predict_proba(texts[:2], emb[:2])
    labels = [model.labels[c] for c in y]
    train_langs = ["eng"] * len(texts)
    out, picked = read(
        READINGS["language absent from training: embedding alone"],
        model,
        train_langs,
        labels,
        ["eng", "deu"],
        emb[:2],
        probs,
    )
    assert picked.tolist() == [False, True]
    assert np.array_equal(out[0], probs[0])
    assert np.allclose(out[1], embedding_only_proba(model, emb[1:2])[0])
