"""Deleting a document: its S3 objects, its place in the training set, and its row's content.

What goes: the OCR JSON (`ocr/<id>.json`), the router's decision record (`routes/<id>.json`),
the original (`originals/sha256/<hash>`) unless another live document has the same bytes, the
uploaded file (`uploads/<upload id>`) once no live document of that upload is left, and, for a
document the trainer learns from (a labelled sample, or a reviewed document), its sample
(`sample.labelled` with label null, sent first). A zip upload takes its members with it.
The row stays, marked deleted and stripped of references and explanation, for the audit trail.

A document some model version may hold as a training sample (a read training upload, even one
removed from the training set since, or a reviewed document) is also forgotten by the live
models at once: its id is recorded in S3 beside the workflow's versions and announced on
`sample.deleted`, so classify drops its embedding and never shows it among the nearest samples
again, before and after a restart (docroute.sample_deletions).

Only documents the pipeline is done with can be deleted: a document in flight would have its
objects written again by the next stage (a training upload is done once its text is read).
Each step is idempotent, so a failed deletion (S3 or broker down: 503) can simply be retried.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from docroute.blobstore import BlobStore
from docroute.boundary_samples import corrected_stack_key
from docroute.events import Outgoing
from docroute.sample_deletions import record_deleted
from services.api import outgoing
from services.api.adapters import LazyProducer
from services.api.documents.models import Document
from services.api.documents.service import records
from services.api.documents.service.status import aggregate, is_final
from services.api.review.models import DocumentAudit

logger = logging.getLogger(__name__)


class StillProcessingError(Exception):
    """The document (or a member of it) is still moving through the pipeline."""


def delete_document(
    session: Session, blobstore: BlobStore, producer: LazyProducer, document: Document, *, actor: str
) -> list[uuid.UUID]:
    """Delete `document` (and a zip's members); returns the ids deleted, commits.

    :raises StillProcessingError: when it is not final yet.
    :raises TransientError: when S3 or the broker fails (nothing is marked deleted then).
    """
    if document.deleted_at is not None:
        return []
    members = [m for m in records.members(session, document, superseded=True) if m.deleted_at is None]
    status = aggregate(document.status, [m.status for m in members])
    if not (is_final(status) or (document.purpose == "training" and status == "extracted")):
        raise StillProcessingError(f"the document is still being processed (status {status}): try later")
    doomed = [document, *members]
    ids = {d.id for d in doomed}
    events = [_sample_removed(d) for d in doomed if _is_sample(d)]
    events += _forget_in_models(blobstore, [d for d in doomed if _in_models(d)], actor)
    if events:
        producer.send(events)
    for doc in doomed:
        _delete_objects(session, blobstore, doc, ids)
    now = datetime.now(UTC)
    for doc in doomed:
        session.add(_audit(doc, actor, now))
        doc.deleted_at = now
        doc.ocr_ref = doc.blob_ref = None
        doc.explanation = None
    session.commit()
    logger.info(
        "deleted %d document(s) by %s",
        len(doomed),
        actor,
        extra={"document_id": document.id, "workflow_id": document.workflow_id},
    )
    return [d.id for d in doomed]


def _is_sample(doc: Document) -> bool:
    """True when the trainer holds this document as a labelled sample."""
    if doc.ocr_ref is None or doc.workflow_id is None:
        return False
    trained_upload = doc.purpose == "training" and bool(doc.label) and not doc.sample_removed
    return trained_upload or doc.reviewed_at is not None


def _in_models(doc: Document) -> bool:
    """True when some model version may hold this document as a training sample."""
    if doc.ocr_ref is None or doc.workflow_id is None:
        return False
    return doc.purpose == "training" or doc.reviewed_at is not None


def _forget_in_models(blobstore: BlobStore, docs: list[Document], actor: str) -> list[Outgoing]:
    """Record the ids in S3 (read by every model load), then the event for live replicas."""
    by_workflow: dict[uuid.UUID, list[uuid.UUID]] = {}
    for doc in docs:
        assert doc.workflow_id is not None  # _in_models
        by_workflow.setdefault(doc.workflow_id, []).append(doc.id)
    events = []
    for workflow_id, sample_ids in by_workflow.items():
        record_deleted(blobstore, str(workflow_id), [str(i) for i in sample_ids], deleted_by=actor)
        events.append(outgoing.sample_deleted(workflow_id, sample_ids, deleted_by=actor))
    return events


def _sample_removed(doc: Document) -> Outgoing:
    assert doc.workflow_id is not None and doc.ocr_ref is not None
    return outgoing.sample_labelled(
        document_id=doc.id,
        workflow_id=doc.workflow_id,
        label=None,
        ocr_ref=doc.ocr_ref,
        labelled_by="deletion",
    )


def _delete_objects(session: Session, blobstore: BlobStore, doc: Document, doomed: set[uuid.UUID]) -> None:
    keys = [f"routes/{doc.id}.json"]
    if doc.ocr_ref:
        keys.append(doc.ocr_ref)
    # Pages cut out of photos (crop_key); a stack's recorded division, a part's kept pages.
    keys.extend(blobstore.list_keys(f"ocr/{doc.id}/"))
    if doc.split and doc.workflow_id:  # a person's correction of its boundaries, kept for training
        keys.append(corrected_stack_key(str(doc.workflow_id), str(doc.id)))
    if doc.blob_ref and doc.sha256 and not _shared(session, Document.sha256 == doc.sha256, doomed):
        keys.append(doc.blob_ref)
    if doc.upload_id and not _shared(session, Document.upload_id == doc.upload_id, doomed):
        keys.append(f"uploads/{doc.upload_id}")
    for key in keys:
        blobstore.delete(key)


def _shared(session: Session, condition: ColumnElement[bool], doomed: set[uuid.UUID]) -> bool:
    """True when a live document outside `doomed` matches `condition`."""
    query = (
        select(func.count())
        .select_from(Document)
        .where(
            condition,
            Document.deleted_at.is_(None),
            Document.id.not_in(doomed),
        )
    )
    return bool(session.scalar(query))


def _audit(doc: Document, actor: str, at: datetime) -> DocumentAudit:
    return DocumentAudit(
        document_id=doc.id,
        workflow_id=doc.workflow_id,
        action="deleted",
        actor=actor[:200],
        at=at,
        original_class=doc.predicted_class,
        original_confidence=doc.confidence,
        original_probabilities=dict(doc.probabilities) if doc.probabilities else None,
        original_route=doc.route,
        original_unknown=doc.unknown,
        model_version=doc.model_version,
        new_class=doc.reviewed_class,
        detail=f"deleted with its S3 objects (status {doc.status})",
    )
