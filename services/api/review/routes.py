"""Review (verification): the queue of documents waiting for a person, verdicts, audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import select

from services.api.deps import BlobStoreDep, CurrentKey, ProducerDep, SessionDep, WorkflowDep
from services.api.documents.service.lookup import find_document
from services.api.documents.service.queries import (
    BadCursorError,
    DocumentFilter,
    documents_query,
    page,
    review_item,
)
from services.api.fields import NO_NUL
from services.api.review.boundaries import correct_boundaries, stack_views, stacks_by_id
from services.api.review.models import DocumentAudit
from services.api.review.schemas import (
    AuditEntry,
    BoundariesOutcome,
    BoundariesRequest,
    ReviewOutcome,
    ReviewQueue,
    ReviewRequest,
)
from services.api.review.service import Verdict, review
from services.api.review.undivided import divisible
from services.api.workflows.models import Workflow

router = APIRouter(tags=["review"])

Limit = Annotated[int, Query(ge=1, le=500, description="Items per page")]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")]


@router.get("/workflows/{key}/review", response_model=ReviewQueue)
def review_queue(
    workflow: WorkflowDep,
    session: SessionDep,
    document_class: Annotated[str | None, Query(alias="class", max_length=100, pattern=NO_NUL)] = None,
    unknown: Annotated[bool | None, Query(description="Only (or no) unknown documents")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ReviewQueue:
    """Documents waiting for a person, oldest first: doubtful ones, unknown ones (unlike every
    class) and those that came before any model. Each shows every class's confidence, the
    reason it is here and the explanation (nearest samples, strongest terms)."""
    where = DocumentFilter(status="review", document_class=document_class, unknown=unknown)
    try:
        query = documents_query(workflow.id, where, cursor, order="oldest")
    except BadCursorError as exc:
        raise HTTPException(422, str(exc)) from exc
    rows, next_cursor = page(session, query, limit)
    items = [review_item(d) for d in rows]
    # A part of a split stack shows its stack; several pages read as one, itself (a person may
    # divide it). Every stack of the page and their parts in two queries, not two per stack.
    parts = {r.id: r.parent_id for r in rows if r.parent_id and r.first_page is not None}
    whole = [r for r in rows if r.id not in parts and divisible(r, workflow.splitting)]
    views = stack_views(session, [*stacks_by_id(session, set(parts.values())), *whole])
    for item, row in zip(items, rows, strict=True):
        item.stack = views.get(parts.get(row.id) or str(row.id))
    return ReviewQueue(items=items, next_cursor=next_cursor)


@router.post(
    "/documents/{document_id}/review",
    response_model=ReviewOutcome,
    responses={409: {"description": "Already reviewed as another class, or not reviewable"}},
)
def review_document(
    document_id: str,
    body: ReviewRequest,
    session: SessionDep,
    producer: ProducerDep,
    principal: CurrentKey,
) -> ReviewOutcome:
    """Confirm or correct a document's class. It is routed to `extract.<class>` and becomes a
    labelled sample for the next version. Repeating the same verdict changes nothing and answers
    the same; a different verdict on a reviewed document is 409."""
    document = find_document(session, principal, document_id, for_update=True)
    workflow = session.get(Workflow, document.workflow_id) if document.workflow_id else None
    if workflow is None:
        raise HTTPException(409, "the document's workflow no longer exists")
    verdict = Verdict(body.document_class, body.reviewer, via=principal.name)
    return review(session, producer, workflow, document, verdict)


@router.post(
    "/documents/{document_id}/boundaries",
    response_model=BoundariesOutcome,
    responses={
        404: {"description": "No such document"},
        409: {"description": "Not a stack divided by pages, or its parts are still being processed"},
        422: {"description": "Starts not ascending from 0, past the last page, or on a separator"},
    },
)
def move_boundaries(
    document_id: str,
    body: BoundariesRequest,
    session: SessionDep,
    producer: ProducerDep,
    blobstore: BlobStoreDep,
    principal: CurrentKey,
) -> BoundariesOutcome:
    """Say on which pages a split stack's documents begin (0-based; `document_id` is the stack,
    a part's `parent_id`): split a part at a page by adding it, join a part with the previous
    one by leaving its first page out. Parts whose pages change are superseded and the new page
    ranges become new parts, read, classified and routed; the correction becomes a training
    sample for the boundary model (next version). Repeating the same starts changes nothing.
    A multi-page PDF or TIFF read as one document, in a workflow that splits, is divided the same
    way (it becomes `divided`, its parts new documents); under splitting `none`, 409."""
    stack = find_document(session, principal, document_id, for_update=True)
    return correct_boundaries(session, producer, blobstore, stack, body.starts, body.reviewer)


@router.get("/documents/{document_id}/audit", response_model=list[AuditEntry])
def document_audit(document_id: str, session: SessionDep, principal: CurrentKey) -> list[AuditEntry]:
    """Who confirmed, corrected or deleted the document, when, and the prediction before it;
    kept after the document is deleted."""
    document = find_document(session, principal, document_id, deleted_too=True)
    query = (
        select(DocumentAudit)
        .where(DocumentAudit.document_id == document.id)
        .order_by(DocumentAudit.at, DocumentAudit.id)
    )
    return [AuditEntry.model_validate(entry) for entry in session.scalars(query)]
