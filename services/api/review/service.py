"""Review: a person confirms or corrects a document's class; it is then routed and learnt from.

Confirming or correcting a document sends it to its class's topic in the workflow's routing
(`extract.<class>` by default: a `document.routed` with route `extract`, also on
`document.routed` for the projection and webhooks); a routed document corrected to a class of
another topic is first recalled from the topic it went to (`document.superseded` v2, review/
recalls.py). Reviewing makes it a labelled
sample (`sample.labelled`, the document's OCR as its text) and records who did what in the
audit trail. A document is reviewed once: the same verdict again answers the same outcome and
sends nothing; a different one is a conflict.

The row commits before the events go out, so the projection, which skips routed events of
reviewed documents, never overwrites the verdict with a stale copy; if the broker fails, the
row is put back as it was and the caller gets 503.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from docroute import topics
from docroute.contracts._generated import Blob, DocumentRouted
from docroute.errors import TransientError
from docroute.events import Outgoing, emit
from services.api import outgoing
from services.api.adapters import LazyProducer
from services.api.documents.models import Document
from services.api.errors import ConflictError, InvalidError
from services.api.review.models import DocumentAudit
from services.api.review.recalls import class_recall
from services.api.review.schemas import ReviewOutcome
from services.api.workflows.models import Workflow
from services.api.workflows.service import routing

logger = logging.getLogger(__name__)

REVIEWABLE = frozenset({"review", "routed"})
BLOB_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/tiff"})
_RESTORED = ("route", "route_topic", "route_reason", "status", "label", "labelled_by", "labelled_at")


@dataclass(frozen=True)
class Verdict:
    """A reviewer's class for a document, and who asked for it through which key."""

    document_class: str
    reviewer: str
    via: str


def review(
    session: Session, producer: LazyProducer, workflow: Workflow, document: Document, verdict: Verdict
) -> ReviewOutcome:
    """Confirm or correct `document` (loaded for update); raises ConflictError or InvalidError."""
    if verdict.document_class not in workflow.labels:
        raise InvalidError(
            f"class {verdict.document_class!r} is not one of the workflow's labels {workflow.labels}"
        )
    if document.reviewed_at is not None:
        if document.reviewed_class == verdict.document_class:
            return outcome(document)
        raise ConflictError(
            f"already reviewed as {document.reviewed_class!r} by {document.reviewed_by} at "
            f"{document.reviewed_at.isoformat()}",
        )
    _check_reviewable(document)
    before = {name: getattr(document, name) for name in _RESTORED}
    action = "confirmed" if verdict.document_class == document.predicted_class else "corrected"
    topic = routing.topic_of(workflow, verdict.document_class)
    reason = f"{action} by {verdict.reviewer}"
    already_there = document.route == "extract" and document.route_topic == topic
    events = [_sample_labelled(document, verdict)]
    if not already_there:
        # A document routed elsewhere before is recalled from there first.
        recall = class_recall(
            document, to_topic=topic, to_class=verdict.document_class, reviewer=verdict.reviewer
        )
        events = [*recall, *_routed(document, workflow, verdict, topic, reason), *events]
    now = datetime.now(UTC)
    audit = _audit(document, action, verdict, now)
    document.reviewed_class, document.reviewed_by, document.reviewed_at = (
        verdict.document_class,
        verdict.reviewer,
        now,
    )
    document.label, document.labelled_by, document.labelled_at = verdict.document_class, verdict.reviewer, now
    if not already_there:
        document.route, document.route_topic, document.route_reason = "extract", topic, reason
    document.status = "routed"
    session.add(audit)
    session.commit()
    try:
        producer.send(events)
    except TransientError:
        for name, value in before.items():
            setattr(document, name, value)
        document.reviewed_class = document.reviewed_by = document.reviewed_at = None
        session.delete(audit)
        session.commit()
        raise
    logger.info(
        "%s as %s by %s",
        action,
        verdict.document_class,
        verdict.reviewer,
        extra={"document_id": document.id, "workflow_id": document.workflow_id, "topic": topic},
    )
    return outcome(document)


def outcome(document: Document) -> ReviewOutcome:
    """The outcome of the review a document had (same answer for a repeated request)."""
    assert document.reviewed_class is not None and document.reviewed_at is not None
    return ReviewOutcome(
        document_id=document.id,
        action="confirmed" if document.reviewed_class == document.predicted_class else "corrected",
        document_class=document.reviewed_class,
        original_class=document.predicted_class,
        reviewer=document.reviewed_by or "",
        reviewed_at=document.reviewed_at,
        topic=document.route_topic or "",
    )


def _check_reviewable(document: Document) -> None:
    if document.purpose != "processing":
        raise ConflictError(f"a {document.purpose} document is not reviewed; label training samples instead")
    if document.status not in REVIEWABLE:
        raise ConflictError(
            f"the document is {document.status}: only routed documents and those in review are reviewed"
        )
    complete = document.ocr_ref and document.blob_ref and document.sha256 and document.size is not None
    if not complete or document.media_type not in BLOB_TYPES or not document.page_count:
        raise ConflictError("the document has no stored original and text to route")


def _routed(
    document: Document, workflow: Workflow, verdict: Verdict, topic: str, reason: str
) -> list[Outgoing]:
    """The reviewed route: to the class's extraction topic and to `document.routed`."""
    assert document.workflow_id is not None and document.ocr_ref and document.blob_ref
    routed = DocumentRouted(
        document_id=document.id,
        workflow_id=document.workflow_id,
        route="extract",
        topic=topic,
        document_class=verdict.document_class,
        confidence=1.0,  # a person decided
        threshold=float(workflow.class_thresholds.get(verdict.document_class, workflow.threshold)),
        model_version=document.model_version or 0,
        reason=reason[:500],
        probabilities=dict(document.probabilities or {}),
        blob=Blob(
            ref=document.blob_ref,
            sha256=document.sha256,
            size=document.size,
            media_type=document.media_type,  # checked in _check_reviewable
        ),
        ocr_ref=document.ocr_ref,
        page_count=document.page_count,
    )
    to_destination = emit(
        topic,
        "document.routed",
        routed,
        source="api",
        key=str(document.id),
        step="reviewed",
        about=(document.id, verdict.document_class),
    )
    return [to_destination, replace(to_destination, topic=topics.DOCUMENT_ROUTED)]


def _sample_labelled(document: Document, verdict: Verdict) -> Outgoing:
    """The reviewed document as a labelled training sample (active learning)."""
    assert document.workflow_id is not None and document.ocr_ref
    return outgoing.sample_labelled(
        document_id=document.id,
        workflow_id=document.workflow_id,
        label=verdict.document_class,
        ocr_ref=document.ocr_ref,
        labelled_by=verdict.reviewer,
        step="review-label",
    )


def _audit(document: Document, action: str, verdict: Verdict, at: datetime) -> DocumentAudit:
    probabilities: dict[str, Any] | None = dict(document.probabilities) if document.probabilities else None
    return DocumentAudit(
        document_id=document.id,
        workflow_id=document.workflow_id,
        action=action,
        actor=verdict.reviewer,
        at=at,
        original_class=document.predicted_class,
        original_confidence=document.confidence,
        original_probabilities=probabilities,
        original_route=document.route,
        original_unknown=document.unknown,
        model_version=document.model_version,
        new_class=verdict.document_class,
        detail=f"{action} with API key {verdict.via!r}; before: {document.route_reason or 'no route'}"[:2000],
    )
