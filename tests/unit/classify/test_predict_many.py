"""predict_many: a batch of documents says what each says alone, the texts of one embedder
embedded in one call, and one document's failure stays its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pytest

from docroute.classifier.errors import UnknownEmbedderError
from services.classify.core import Prediction, predict, predict_many
from tests.unit.trainer.test_training import make_samples, train


@dataclass
class _TableEmbedder:
    """The row each text was made with, and a log of the calls: which rows go to which document
    is the subject here, not the embedding itself."""

    id: str
    rows: dict[str, np.ndarray]
    calls: list[list[str]] = field(default_factory=list)

    @property
    def dim(self) -> int:
        return len(next(iter(self.rows.values())))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.stack([self.rows[text] for text in texts]).astype(np.float32)


@pytest.fixture(scope="module")
def samples() -> tuple:
    texts, emb, labels = make_samples({"invoice": 8, "lease": 8, "payslip": 8})
    model = replace(train(texts, emb, labels).model, version="1")
    return model, texts, emb, labels


def test_a_batch_predicts_what_each_document_alone_does_one_call_per_embedder(samples: tuple) -> None:
    model, texts, emb, _ = samples
    other = replace(model, embedder_id="st:other", version="2")
    embedders = {
        name: _TableEmbedder(name, dict(zip(texts, emb, strict=True))) for name in ("usem3", "st:other")
    }
    picked = [0, 9, 17, 3, 20, 11]  # invoice, lease, payslip, ... alternating the two models
    documents = [(model if n % 2 == 0 else other, texts[i]) for n, i in enumerate(picked)]

    batch = predict_many(documents, embedders.__getitem__)
    alone = [predict(m, embedders[m.embedder_id], text) for m, text in documents]

    assert batch == alone
    assert [p.predicted_class for p in batch if isinstance(p, Prediction)] == [
        "invoice", "lease", "payslip", "invoice", "payslip", "lease"
    ]  # fmt: skip
    # The batch's calls came first: one a model's embedder, its texts in the documents' order.
    assert embedders["usem3"].calls[0] == [texts[0], texts[17], texts[20]]
    assert embedders["st:other"].calls[0] == [texts[9], texts[3], texts[11]]


def test_one_documents_failure_is_its_own_and_a_failed_embedder_fails_only_its_texts(
    samples: tuple,
) -> None:
    model, texts, emb, labels = samples
    narrow = emb[:, :8] / np.linalg.norm(emb[:, :8], axis=1, keepdims=True)
    # Trained on vectors narrower than its embedder gives: its documents cannot be predicted.
    broken = train(texts, narrow, labels).model
    lost = replace(model, embedder_id="st:gone")
    embedder = _TableEmbedder("usem3", dict(zip(texts, emb, strict=True)))

    def embedder_of(embedder_id: str) -> _TableEmbedder:
        if embedder_id != "usem3":
            raise UnknownEmbedderError(f"unknown embedder {embedder_id!r}")
        return embedder

    results = predict_many(
        [(model, texts[0]), (broken, texts[9]), (lost, texts[17]), (model, texts[12])], embedder_of
    )

    assert [type(r).__name__ for r in results] == [
        "Prediction", "ValueError", "UnknownEmbedderError", "Prediction"
    ]  # fmt: skip
    assert results[0] == predict(model, embedder, texts[0])
    assert results[3] == predict(model, embedder, texts[12])
    assert embedder.calls[0] == [texts[0], texts[9], texts[12]]  # the broken model's text shared the call
