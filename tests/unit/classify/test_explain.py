"""Explanations: nearest samples and the words that pushed a prediction, from the linear model."""

from __future__ import annotations

import numpy as np

from services.classify.explain import TOP_TERMS, explain, strongest_terms
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
