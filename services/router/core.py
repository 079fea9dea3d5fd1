"""The routing policy: probabilities, thresholds and the workflow's class -> topic rule in, a
route, its topic and its reason out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from docroute.routing import Routing
from docroute.topics import REVIEW_PENDING


@dataclass(frozen=True)
class RouteDecision:
    """Where a document goes and why."""

    route: Literal["extract", "review"]
    topic: str
    document_class: str | None
    confidence: float
    threshold: float
    reason: str


def choose_route(
    *,
    predicted_class: str | None,
    confidence: float,
    unknown: bool,
    model_version: int,
    threshold: float,
    class_thresholds: dict[str, float],
    workflow_id: str,
    routing: Routing | None = None,
    boundary_confidence: float | None = None,
) -> RouteDecision:
    """Extract (to the class's topic in the workflow's `routing`, default `extract.<class>`)
    when confident enough for the predicted class; review otherwise. A part of a stack whose
    boundaries the boundary model was less sure of than the threshold (``boundary_confidence``)
    goes to review however sure its class is: a person sees the whole stack and can move the
    boundary (the workflow's threshold serves for both: how sure docroute must be before a
    document leaves without a person)."""
    applied = class_thresholds.get(predicted_class, threshold) if predicted_class else threshold

    def review(reason: str) -> RouteDecision:
        return RouteDecision("review", REVIEW_PENDING, predicted_class, confidence, applied, reason)

    if model_version == 0 or predicted_class is None:
        return review("no trained model yet for this workflow")
    if boundary_confidence is not None and boundary_confidence < threshold:
        return review(
            f"boundary in doubt: the boundary model is {boundary_confidence:.2f} sure of this part's"
            f" pages, below the threshold {threshold:.2f} ({predicted_class} at {confidence:.2f})"
        )
    if unknown:
        return review(f"unlike every class seen in training (nearest: {predicted_class})")
    if confidence < applied:
        return review(
            f"confidence {confidence:.2f} for {predicted_class} is below the threshold {applied:.2f}"
        )
    return RouteDecision(
        "extract",
        (routing or Routing()).topic_for(workflow_id, predicted_class),
        predicted_class,
        confidence,
        applied,
        f"confidence {confidence:.2f} for {predicted_class} reaches the threshold {applied:.2f}",
    )
