"""Why a document is unknown, in the API's words, from the explanation `document.classified` carried."""

from __future__ import annotations

from services.api.documents.models import Document
from services.api.documents.service.explanations import unknown_reason

NEIGHBOURS = [{"sample_id": "s1", "label": "invoice", "similarity": 0.61}]


def _document(novelty: float, threshold: float) -> Document:
    explanation = {"neighbours": NEIGHBOURS, "terms": [], "novelty": novelty, "unknown_threshold": threshold}
    return Document(unknown=True, explanation=explanation)


def test_a_distance_past_its_limit_is_the_reason() -> None:
    reason = unknown_reason(_document(0.55, 0.27))
    assert (
        reason is not None
        and "distance 0.55 to the nearest training samples is above the limit 0.27" in reason
    )
    assert reason.endswith("closest sample: invoice at similarity 0.61")


def test_unknown_within_every_distance_limit_is_the_background_view() -> None:
    """A version with outlier exposure flags a document more like the background set than like any
    class; its explanation carries the distance to the training samples and no distance limit (1.0)."""
    reason = unknown_reason(_document(0.31, 1.0))
    assert reason is not None and "more like the documents of other kinds it was shown" in reason
    assert "above the limit" not in reason and "distance 0.31" in reason


def test_a_known_document_has_no_reason() -> None:
    assert unknown_reason(Document(unknown=False, explanation=None)) is None


def test_the_classifiers_own_reason_is_given_when_the_event_carried_it() -> None:
    """`document.classified` v4 carries why the version's unknown rule flagged the document (the
    wording view's verdict, which no distance in the explanation shows); the projector keeps it
    beside the explanation."""
    stated = "worded like none of the classes in its language: novelty 0.81 ..., above the limit 0.42"
    document = _document(0.31, 1.0)
    document.explanation = {**(document.explanation or {}), "unknown_reason": stated}
    assert unknown_reason(document) == f"unlike every class seen in training: {stated}"
