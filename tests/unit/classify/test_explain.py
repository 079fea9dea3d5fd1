"""Explanations: nearest samples and the words that pushed a prediction, from the linear model."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest

from docroute.classifier.features import TfidfConfig, analyze, characters_with_words
from services.classify.explain import TOP_TERMS, _add_block, _shared_by_position, explain, strongest_terms
from tests.unit.trainer.test_training import make_samples, train


def _model_and_document() -> tuple:
    texts, emb, labels = make_samples({"invoice": 8, "lease": 8, "payslip": 8})
    model = train(texts, emb, labels).model
    return model, texts, emb, labels


def test_terms_of_the_predicted_class_come_from_its_vocabulary() -> None:
    model, *_ = _model_and_document()
    text = "Invoice: total due, VAT and subtotal; the amount of page 2."
    terms = strongest_terms(model, text, model.labels.index("invoice"))
    assert terms, "an invoice-worded text has invoice-weighted words"
    assert len(terms) <= TOP_TERMS
    assert terms[0].term in {"invoice", "total", "due", "vat", "subtotal", "amount", "total due"}
    assert all(t.weight > 0 for t in terms)
    assert [t.weight for t in terms] == sorted((t.weight for t in terms), reverse=True)
    # Character n-grams are credited to whole words, punctuation stripped.
    assert all(" " not in t.term.strip() or t.term.count(" ") == 1 for t in terms)
    assert not any(t.term.endswith((":", ",", ";")) for t in terms)


def test_terms_for_another_class_differ() -> None:
    model, *_ = _model_and_document()
    text = "invoice total due vat subtotal amount"
    lease_terms = {t.term for t in strongest_terms(model, text, model.labels.index("lease"))}
    assert "invoice" not in lease_terms


def test_text_sharing_no_vocabulary_has_no_terms() -> None:
    model, *_ = _model_and_document()
    assert strongest_terms(model, "zzzz qqqq", 0) == ()


def test_explanation_lists_nearest_samples_closest_first() -> None:
    model, texts, emb, labels = _model_and_document()
    novelty = float(model.novelty(emb[:1])[0])
    explanation = explain(model, texts[0], emb[0], 0, novelty=novelty)
    assert len(explanation.neighbours) == 5
    assert explanation.neighbours[0].sample_id == "s0"  # a training document finds itself
    assert explanation.neighbours[0].similarity <= 1.0
    sims = [n.similarity for n in explanation.neighbours]
    assert sims == sorted(sims, reverse=True)
    assert {n.label for n in explanation.neighbours[:3]} == {labels[0]}
    assert explanation.unknown_threshold == round(model.unknown_threshold, 4)


def test_a_stranger_is_far_and_still_explained() -> None:
    model, _, emb, _ = _model_and_document()
    stranger = np.random.default_rng(5).normal(size=emb.shape[1]).astype(np.float32)
    novelty = float(model.novelty(stranger[None, :])[0])
    explanation = explain(model, "unrelated words", stranger, 0, novelty=novelty)
    assert explanation.novelty > explanation.unknown_threshold
    assert len(explanation.neighbours) == 5 and explanation.terms == ()


def test_an_ngram_across_words_is_shared_by_the_characters_it_covers() -> None:
    # "ab: 12" has the shape "a: 00"; "a: 0" covers "a" and ":" of the first word and "1" of the second.
    shape = TfidfConfig(analyzer="shape", ngram_range=(4, 4))
    assert dict(_shared_by_position("ab: 12", shape, {"a: 0": 3.0})) == {"ab:": 2.0, "12": 1.0}


def test_every_tfidf_contribution_is_credited_to_a_word() -> None:
    """Each block's part of the logit (row x coefficients) is shared out over the document's
    words in full, the shape block's n-grams across words ("a: 0,00") included."""
    model, *_ = _model_and_document()
    text = "Invoice no. 2024-17\nTotal:   1.234,50 EUR, due 12.03.2024 (VAT 19 %)"
    index = model.labels.index("invoice")
    coef = model.coef[index].astype(np.float64) / model.temperature
    offset = model.layout.embedding_dim
    assert any(state.config.analyzer == "shape" for state in model.tfidf)
    blocks = zip(model.tfidf, model.layout.tfidf_weights, model.term_counts([text]), strict=True)
    for state, weight, (counts,) in blocks:
        block = coef[offset : offset + state.size] * weight
        offset += state.size
        scores: defaultdict[str, float] = defaultdict(float)
        _add_block(scores, state, block, text, counts)
        logit_part = float(state.transform_counts([counts])[0] @ block)
        assert sum(scores.values()) == pytest.approx(logit_part, abs=1e-9), state.config.analyzer


def test_a_blocks_character_sequence_is_what_its_ngrams_are_read_from() -> None:
    text = "Rechnung Nr. 2024-17\n\nTotal:   1.234,50 EUR  İstanbul — ok"
    for analyzer in ("shape", "char"):
        config = TfidfConfig(analyzer=analyzer, ngram_range=(3, 5))
        chars, owners, words = characters_with_words(text, config)
        grams = [chars[i : i + n] for n in range(3, 6) for i in range(len(chars) - n + 1)]
        assert Counter(grams) == Counter(analyze(text, config))
        assert len(owners) == len(chars) and owners.max() == len(words) - 1
        assert all((owner < 0) == char.isspace() for char, owner in zip(chars, owners, strict=True))
