"""`TermCounts` (services/trainer/core/terms.py) keeps a text's counts from its arrival; the TF-IDF
it fits and the rows it gives must be exactly those of `fit_counts` and `sparse_rows` on counts
made at training, or a cached training would train another model."""

from __future__ import annotations

import random

import numpy as np
import pytest

from docroute.classifier.features import TfidfConfig, count_terms, fit_counts
from services.trainer.core.terms import TermCounts
from tests.factories.documents import DOCUMENT_KINDS
from tests.factories.samples import sample_text

BLOCKS = (
    TfidfConfig(analyzer="word", ngram_range=(1, 2)),
    TfidfConfig(analyzer="char_wb", ngram_range=(2, 4), max_features=3_000),  # the cut exercised
    TfidfConfig(analyzer="word", ngram_range=(1, 1), min_df=2),
)


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: f"{b.analyzer}-{b.max_features}-{b.min_df}")
def test_fit_and_rows_equal_those_of_counts_made_at_training(block: TfidfConfig) -> None:
    rng = random.Random(3)
    texts = [sample_text(DOCUMENT_KINDS[i % len(DOCUMENT_KINDS)], rng) for i in range(40)]
    kept = TermCounts(block)
    kept.add(texts[:25])  # arrivals, then more texts and one listed twice at training
    training = [*texts, texts[3]]

    state = kept.fit(training)
    counts = count_terms(training, block)
    expected = fit_counts(counts, block)
    assert state.vocabulary == expected.vocabulary
    np.testing.assert_array_equal(state.idf, expected.idf)
    rows, expected_rows = kept.rows(training, state), expected.sparse_rows(counts)
    assert rows.dtype == expected_rows.dtype and rows.shape == expected_rows.shape
    np.testing.assert_array_equal(rows.indptr, expected_rows.indptr)
    np.testing.assert_array_equal(rows.indices, expected_rows.indices)
    np.testing.assert_array_equal(rows.data, expected_rows.data)
    assert kept.counted == len(texts)  # each text analysed once


def test_a_forgotten_text_is_counted_again_and_the_others_are_not() -> None:
    kept = TermCounts(BLOCKS[0])
    kept.add(["invoice number 4711 total due", "payslip gross salary november"])
    kept.forget("invoice number 4711 total due")
    assert "invoice number 4711 total due" not in kept
    kept.fit(["invoice number 4711 total due", "payslip gross salary november"])
    assert kept.counted == 3
