"""Prediction for one document: probabilities, the winner, and whether it is unknown."""

from __future__ import annotations

from dataclasses import dataclass

from docroute.classifier.embedders import Embedder
from docroute.classifier.model import ClassifierModel
from docroute.classifier.openset import BACKGROUND
from services.classify.explain import Explanation, explain


@dataclass(frozen=True)
class Prediction:
    """What one model version says about one document."""

    model_version: int
    embedder_id: str | None
    probabilities: dict[str, float]
    predicted_class: str | None
    confidence: float
    unknown: bool
    novelty: float | None = None
    explanation: Explanation | None = None
    unknown_reason: str | None = None  # which distance decided `unknown`, against which threshold

    @classmethod
    def no_model(cls) -> Prediction:
        return cls(0, None, {}, None, 0.0, False)


def predict(model: ClassifierModel, embedder: Embedder, text: str) -> Prediction:
    """Classify `text`; unknown when the model's rule says it is of a kind never trained on
    (docroute.classifier.openset: more like the background documents than like any class, or,
    for versions trained before that, farther from its class than the class's own samples)."""
    embeddings = embedder.embed([text])
    counts = model.term_counts([text])  # analysed once for the probabilities, the rule and the terms
    probabilities = model.predict_proba([text], embeddings, counts)[0]
    best = int(probabilities.argmax())
    verdict = model.unknown_verdicts([text], embeddings, probabilities[None, :].argmax(axis=1), counts)[0]
    novelty, threshold = verdict.distance, verdict.threshold
    if verdict.view == BACKGROUND:
        # The event's explanation carries a distance (document.classified: `novelty`): the one to
        # the nearest training samples, with no distance limit (1.0: the background decides).
        # Why it is unknown, with the background's probability, is `unknown_reason`.
        novelty, threshold = float(model.novelty(embeddings)[0]), 1.0
    explanation = explain(
        model, text, embeddings, best, novelty=novelty, unknown_threshold=threshold, counts=counts
    )
    return Prediction(
        model_version=int(model.version),
        embedder_id=model.embedder_id,
        probabilities={
            label: round(float(p), 6) for label, p in zip(model.labels, probabilities, strict=True)
        },
        predicted_class=model.labels[best],
        confidence=round(float(probabilities[best]), 6),
        unknown=verdict.unknown,
        novelty=novelty,
        explanation=explanation,
        unknown_reason=verdict.reason,
    )
