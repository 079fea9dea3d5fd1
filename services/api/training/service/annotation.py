"""Annotation: which samples a workflow has, and labelling or removing one.

A sample is a training upload's document (a zip's members one by one). Its label lives in the
document row; the trainer learns it from `sample.labelled` (label None: removed), produced
before the row commits so the two never disagree for long.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Select, and_, not_, or_, select
from sqlalchemy.orm import Session

from services.api import outgoing
from services.api.adapters import LazyProducer
from services.api.documents.models import Document
from services.api.errors import ConflictError, InvalidError, NotFoundError
from services.api.training.schemas import SamplePrediction, SamplePublic, SampleState
from services.api.training.service.predictions import VersionGuess
from services.api.workflows.models import Workflow

ZIP = "application/zip"


def state_of(doc: Document) -> SampleState:
    if doc.sample_removed:
        return "removed"
    if not doc.ocr_ref:
        return "pending"
    return "labelled" if doc.label else "unlabelled"


def public(doc: Document, guesses: dict[str, VersionGuess] | None = None) -> SamplePublic:
    """The sample; with the live version's guesses, its own when it is unlabelled."""
    guess = (guesses or {}).get(str(doc.id)) if state_of(doc) == "unlabelled" else None
    return SamplePublic(
        prediction=SamplePrediction(
            predicted_class=guess.predicted_class,
            confidence=guess.confidence,
            model_version=guess.model_version,
        )
        if guess
        else None,
        sample_id=doc.id,
        state=state_of(doc),
        label=doc.label,
        filename=doc.filename,
        member_path=doc.member_path,
        page_count=doc.page_count,
        batch_id=doc.batch_id,
        labelled_by=doc.labelled_by,
        labelled_at=doc.labelled_at,
        created_at=doc.created_at,
    )


def samples_query(workflow_id: uuid.UUID, state: SampleState | None) -> Select[Document]:
    """Training documents of the workflow, failed ones and zip containers left out."""
    query = select(Document).where(
        Document.workflow_id == workflow_id,
        Document.purpose == "training",
        Document.status != "failed",
        or_(Document.media_type.is_(None), Document.media_type != ZIP),
    )
    read = Document.ocr_ref.is_not(None)
    kept = not_(Document.sample_removed)
    conditions = {
        "removed": Document.sample_removed,
        "pending": and_(kept, Document.ocr_ref.is_(None)),
        "unlabelled": and_(kept, read, Document.label.is_(None)),
        "labelled": and_(kept, read, Document.label.is_not(None)),
    }
    return query.where(conditions[state]) if state else query


def find(session: Session, workflow: Workflow, sample_id: str) -> Document:
    try:
        doc = session.get(Document, uuid.UUID(sample_id))
    except ValueError:
        doc = None
    if doc is None or doc.workflow_id != workflow.id or doc.purpose != "training":
        raise NotFoundError(f"no training sample {sample_id!r} in this workflow")
    if doc.status == "failed":
        raise ConflictError(f"sample {sample_id} failed ({doc.reason_code}): it cannot be trained on")
    if doc.media_type == ZIP:
        raise ConflictError("that is a zip archive: label its members (GET .../samples)")
    if not doc.ocr_ref:
        raise ConflictError(f"sample {sample_id} is still being read (status {doc.status}): try again soon")
    return doc


def check_labels(workflow: Workflow, labels: list[str]) -> None:
    """Every label is one of the workflow's (before any of a bulk request is applied)."""
    unknown = sorted({label for label in labels if label not in workflow.labels})
    if unknown:
        raise InvalidError(f"labels {unknown} are not among the workflow's labels {workflow.labels}")


def label(
    session: Session, producer: LazyProducer, workflow: Workflow, doc: Document, new: str, by: str | None
) -> Document:
    """Label or relabel a read sample; a label it already has changes nothing."""
    if new not in workflow.labels:
        raise InvalidError(f"label {new!r} is not one of the workflow's labels {workflow.labels}")
    if doc.label == new and not doc.sample_removed:
        return doc
    _announce(producer, doc, new, by)
    doc.label, doc.sample_removed = new, False
    doc.labelled_by, doc.labelled_at = by, datetime.now(UTC)
    session.commit()
    return doc


def remove(session: Session, producer: LazyProducer, doc: Document, by: str | None) -> None:
    """Take a sample out of the training set (its label stays on the row, for the record)."""
    if doc.sample_removed:
        return
    if doc.label:
        _announce(producer, doc, None, by)
    doc.sample_removed = True
    doc.labelled_by, doc.labelled_at = by, datetime.now(UTC)
    session.commit()


def _announce(producer: LazyProducer, doc: Document, new: str | None, by: str | None) -> None:
    assert doc.workflow_id is not None and doc.ocr_ref is not None  # checked by find()
    producer.send(
        [
            outgoing.sample_labelled(
                document_id=doc.id,
                workflow_id=doc.workflow_id,
                label=new,
                ocr_ref=doc.ocr_ref,
                labelled_by=by[:200] if by else None,
                step=None,  # each person's label is a new fact
            )
        ]
    )
