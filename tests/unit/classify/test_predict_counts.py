"""Classifying a document analyses its text once per TF-IDF block: the probabilities, the unknown
rule and the explanation share the counts, and read the same as each computing its own. The
explanation's credit of character n-grams to words analyses each distinct word once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pytest

from docroute.classifier import features
from services.classify import explain as explain_module
from services.classify.core import predict
from services.classify.explain import explain, strongest_terms
from tests.unit.trainer.test_training import make_samples, train


@dataclass
class _FixedEmbedder:
    """Gives the row it was made with: the test is about the text's analysis, not the embedding."""

    row: np.ndarray
    id: str = "usem3"

    @property
    def dim(self) -> int:
        return int(self.row.shape[0])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.repeat(self.row[None, :], len(texts), axis=0)


@pytest.fixture(scope="module")
def trained() -> tuple:
    texts, emb, labels = make_samples({"invoice": 8, "lease": 8, "payslip": 8})
    model = replace(train(texts, emb, labels).model, version="1")  # as the trainer publishes it
    return model, texts, emb


@pytest.fixture
def whole_text_analyses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every analysis of a whole document's text (not of one of its words), as it happens."""
    seen: list[str] = []
    analyze = features.analyze

    def counting(text: str, config: features.TfidfConfig) -> list[str]:
        seen.append(text)
        return analyze(text, config)

    monkeypatch.setattr(features, "analyze", counting)
    yield seen


def test_a_prediction_analyses_the_text_once_per_block(
    trained: tuple, whole_text_analyses: list[str]
) -> None:
    model, texts, emb = trained
    text = texts[0] + " invoice total due"
    prediction = predict(model, _FixedEmbedder(emb[0]), text)
    assert prediction.explanation is not None and prediction.explanation.terms
    assert whole_text_analyses.count(text) == len(model.tfidf)


def test_shared_counts_give_what_each_step_computes_alone(trained: tuple) -> None:
    model, texts, emb = trained
    text = texts[3] + " payslip gross net"
    counts = model.term_counts([text])
    np.testing.assert_array_equal(
        model.predict_proba([text], emb[3:4], counts), model.predict_proba([text], emb[3:4])
    )
    assert model.unknown_verdicts([text], emb[3:4], counts=counts) == model.unknown_verdicts([text], emb[3:4])
    best = int(model.predict_proba([text], emb[3:4])[0].argmax())
    alone = explain(model, text, emb[3], best, novelty=0.1)
    shared = explain(model, text, emb[3], best, novelty=0.1, counts=counts)
    assert shared == alone and shared.terms


def test_the_explanation_analyses_each_distinct_word_once(
    trained: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, texts, _ = trained
    text = "invoice total due; invoice total due; invoice total due. " + texts[0]
    # Blocks of n-grams inside words are analysed word by word (those across words, by position).
    word_blocks = [s for s in model.tfidf if s.config.analyzer == "char_wb"]
    assert word_blocks, "the test needs a block of character n-grams inside words"
    expected = strongest_terms(model, text, model.labels.index("invoice"))
    analysed: list[str] = []

    def counting(token: str, config: features.TfidfConfig) -> list[str]:
        analysed.append(token)
        return features.analyze(token, config)

    monkeypatch.setattr(explain_module, "analyze", counting)
    assert strongest_terms(model, text, model.labels.index("invoice")) == expected
    tokens = text.lower().split()
    assert len(analysed) == len(set(tokens)) * len(word_blocks) < len(tokens) * len(word_blocks)
