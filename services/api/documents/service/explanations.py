"""A document row's explanation, unknown reason and review verdict as the API shows them."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from services.api.documents.models import Document
from services.api.documents.schemas import Explanation, NearestSample, ReviewInfo, TermWeight

logger = logging.getLogger(__name__)


def explanation_view(document: Document) -> Explanation | None:
    """The explanation `document.classified` carried (nearest samples, strongest terms)."""
    data = document.explanation
    if not data:
        return None
    try:
        return Explanation(
            nearest_samples=[NearestSample.model_validate(n) for n in data.get("neighbours", [])],
            terms=[TermWeight.model_validate(t) for t in data.get("terms", [])],
            novelty=data["novelty"],
            unknown_threshold=data["unknown_threshold"],
        )
    except (KeyError, TypeError, ValidationError) as exc:
        logger.warning("unreadable explanation: %s", exc, extra={"document_id": document.id})
        return None


def unknown_reason(document: Document) -> str | None:
    """Why the document counts as unknown, in words; None when it does not."""
    if not document.unknown:
        return None
    explanation = explanation_view(document)
    if explanation is None:
        return "unlike every class seen in training"
    stated = (document.explanation or {}).get("unknown_reason")
    if isinstance(stated, str) and stated:
        # The classifier's own words (document.classified v4): the view that decided, its figure.
        return f"unlike every class seen in training: {stated}"
    closest = ""
    if explanation.nearest_samples:
        nearest = explanation.nearest_samples[0]
        closest = f"; closest sample: {nearest.label} at similarity {nearest.similarity:.2f}"
    if explanation.novelty <= explanation.unknown_threshold:
        # No distance flagged it: the version's background view did (outlier exposure: reports,
        # notices and tables of other kinds shipped with the product, docroute.classifier.background).
        return (
            "unlike every class seen in training: more like the documents of other kinds it was shown "
            f"than like any class (distance {explanation.novelty:.2f} to the nearest training "
            f"samples){closest}"
        )
    return (
        f"unlike every class seen in training: distance {explanation.novelty:.2f} to the nearest "
        f"training samples is above the limit {explanation.unknown_threshold:.2f}{closest}"
    )


def review_view(document: Document) -> ReviewInfo | None:
    """The reviewer's verdict, when a person confirmed or corrected the class."""
    if document.reviewed_at is None or document.reviewed_class is None:
        return None
    return ReviewInfo(
        document_class=document.reviewed_class,
        reviewer=document.reviewed_by or "",
        reviewed_at=document.reviewed_at,
    )
