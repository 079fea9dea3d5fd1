"""TF-IDF in numpy must fit and transform exactly like scikit-learn's TfidfVectorizer."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from docroute.classifier.errors import NewerModelError
from docroute.classifier.features import TfidfConfig, TfidfState, analyze, fit_tfidf, shape_of

TEXTS = [
    "INVOICE  No. 42\nTotal due: 1,234.00 EUR\tthank you",
    "Rechnung Nr. 42 — Gesamtbetrag 1.234,00 €, Straße",
    "請求書 請求番号: B-55311 ご請求金額: ¥616,429",
    "給与明細書\n差引支給額 ¥312,000",
    "Facture n° 42 : total à payer 1 234,00 €",
    "a b c",
    "",
    "Payslip for March, net pay 2,300.00 EUR invoice invoice invoice",
    "x",
] * 2
UNSEEN = ["brand new words, Straße and 合計 and invoice", "", "zzz"]

CASES = [
    TfidfConfig(analyzer="word"),
    TfidfConfig(analyzer="word", ngram_range=(1, 2), max_features=7),
    TfidfConfig(analyzer="word", ngram_range=(2, 3), min_df=2),
    TfidfConfig(analyzer="char_wb", ngram_range=(2, 4)),
    TfidfConfig(analyzer="char_wb", ngram_range=(1, 5), max_features=60, min_df=2),
    TfidfConfig(analyzer="char", ngram_range=(1, 3)),
    TfidfConfig(analyzer="char", ngram_range=(3, 5), max_features=40),
]


def _sklearn(config: TfidfConfig) -> TfidfVectorizer:
    """The sklearn vectorizer our implementation claims to reproduce."""
    return TfidfVectorizer(
        analyzer=config.analyzer,
        ngram_range=config.ngram_range,
        min_df=config.min_df,
        max_features=config.max_features,
        sublinear_tf=True,
    ).fit(TEXTS)


@pytest.mark.parametrize("config", CASES, ids=lambda c: f"{c.analyzer}{c.ngram_range}")
def test_fit_matches_sklearn_vocabulary_and_idf(config: TfidfConfig) -> None:
    reference = _sklearn(config)
    state = fit_tfidf(TEXTS, config)
    assert state.vocabulary == tuple(sorted(reference.vocabulary_, key=reference.vocabulary_.get))
    np.testing.assert_allclose(state.idf, reference.idf_, rtol=0, atol=1e-12)


@pytest.mark.parametrize("config", CASES, ids=lambda c: f"{c.analyzer}{c.ngram_range}")
def test_transform_matches_sklearn(config: TfidfConfig) -> None:
    reference = _sklearn(config)
    state = fit_tfidf(TEXTS, config)
    expected = reference.transform(TEXTS + UNSEEN).toarray()
    np.testing.assert_allclose(state.transform(TEXTS + UNSEEN), expected, rtol=0, atol=1e-12)


def test_state_built_from_exported_sklearn_attributes_transforms_alike() -> None:
    config = TfidfConfig(analyzer="char_wb", ngram_range=(2, 4))
    reference = _sklearn(config)
    state = TfidfState(
        config=config,
        vocabulary=tuple(sorted(reference.vocabulary_, key=reference.vocabulary_.get)),
        idf=reference.idf_,
    )
    expected = reference.transform(UNSEEN).toarray()
    np.testing.assert_allclose(state.transform(UNSEEN), expected, rtol=0, atol=1e-12)


def test_rows_are_unit_length_or_zero() -> None:
    state = fit_tfidf(TEXTS, TfidfConfig(analyzer="word"))
    norms = np.linalg.norm(state.transform(["invoice total", "", "unseen"]), axis=1)
    np.testing.assert_allclose(norms, [1.0, 0.0, 0.0])


def test_japanese_without_spaces_gets_character_ngrams() -> None:
    terms = analyze("請求書", TfidfConfig(analyzer="char_wb", ngram_range=(2, 3)))
    assert terms == [" 請", "請求", "求書", "書 ", " 請求", "請求書", "求書 "]


def test_max_chars_keeps_only_the_start() -> None:
    config = TfidfConfig(analyzer="word", max_chars=12)
    assert analyze("first page. second page words", config) == ["first", "page"]


def test_config_round_trips_through_dict() -> None:
    config = TfidfConfig(analyzer="char", ngram_range=(2, 5), min_df=2, max_features=10)
    assert TfidfConfig.from_dict(config.to_dict()) == config
    shape = TfidfConfig(analyzer="shape", ngram_range=(3, 6), max_features=30_000)
    assert TfidfConfig.from_dict(shape.to_dict()) == shape


def test_shape_keeps_layout_and_number_formats_not_the_words() -> None:
    assert shape_of("Rechnung Nr. 2024-17\nSumme: 1.234,50 €") == "a a. 0000-00\na: 0.000,00 €"
    assert shape_of("ÜBERSICHT  ls [-la] 請求書") == "a  a [-a] a"
    # The same line in two languages reads the same; in word or character n-grams it shares nothing.
    config = TfidfConfig(analyzer="shape", ngram_range=(3, 5))
    german, french = "Datum: 01.12.2026, Betrag 99,00 EUR", "Date : 01.12.2026, montant 99,00 EUR"
    assert set(analyze(german, config)) & set(analyze(french, config)) >= {
        "00.00",
        "0,00 ",
        ", a 0",
    }


@pytest.mark.parametrize("change", [{"analyzer": 7}, {"ngram_range": [3, 1]}, {"ngram_range": [0, 2]}])
def test_config_from_dict_refuses_bad_settings(change: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="bad TF-IDF settings"):
        TfidfConfig.from_dict({**TfidfConfig().to_dict(), **change})


def test_an_analyzer_of_a_newer_release_is_named_as_such() -> None:
    with pytest.raises(NewerModelError, match="'bpe' is not known to this release"):
        TfidfConfig.from_dict({**TfidfConfig().to_dict(), "analyzer": "bpe"})


def test_empty_corpus_fits_an_empty_vocabulary() -> None:
    state = fit_tfidf(["", "!"], TfidfConfig(analyzer="word"))
    assert state.size == 0
    assert state.transform(["anything"]).shape == (1, 0)


def test_state_refuses_idf_of_wrong_length() -> None:
    with pytest.raises(ValueError, match="idf has shape"):
        TfidfState(config=TfidfConfig(), vocabulary=("a", "b"), idf=np.ones(3))
