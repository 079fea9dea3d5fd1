"""Prediction for one document: probabilities, the winner, and whether it is unknown."""

from __future__ import annotations

from dataclasses import dataclass

from docroute.classifier.embedders import Embedder
from docroute.classifier.model import ClassifierModel
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

    @classmethod
    def no_model(cls) -> Prediction:
        return cls(0, None, {}, None, 0.0, False)


def predict(model: ClassifierModel, embedder: Embedder, text: str) -> Prediction:
    """Classify `text`; unknown when it is farther from the training set than training documents are."""
    embeddings = embedder.embed([text])
    probabilities = model.predict_proba([text], embeddings)[0]
    novelty = float(model.novelty(embeddings)[0])
    best = int(probabilities.argmax())
    explanation = explain(model, text, embeddings, best, novelty=novelty)
    return Prediction(
        model_version=int(model.version),
        embedder_id=model.embedder_id,
        probabilities={
            label: round(float(p), 6) for label, p in zip(model.labels, probabilities, strict=True)
        },
        predicted_class=model.labels[best],
        confidence=round(float(probabilities[best]), 6),
        unknown=novelty > model.unknown_threshold,
        novelty=novelty,
        explanation=explanation,
    )
