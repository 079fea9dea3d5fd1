"""Moving a stack's boundaries in review: a person says on which pages its documents begin.

A part whose boundaries the boundary model doubted waits in review with its whole stack
(`stack_view`). A person sends the pages where the stack's documents begin (split a part at a
page: add it; join a part with the previous one: leave its first page out). Then:

- the parts whose pages did not change stay as they are; the others are superseded (out of
  review and of the stack's result; an event that still arrives for one changes nothing) and
  the new page ranges become new parts, with ids of their own for this revision of the stack;
- the stack goes back to OCR (`document.received` v3 with `division`: only the new parts), which
  cuts them; they are read, classified and routed as any part, the router deciding each once;
- a superseded part (or document read as one) that was routed to extraction is recalled:
  `document.superseded` on its topic and on `document.routed` (review/recalls.py);
- the correction is kept as a boundary training sample (`docroute.boundary_samples`: the old
  parts' OCR, which holds the stack's pages, and the true starts), learnt at the next training.

A multi-page PDF or TIFF of a workflow that splits, read as one document (no separator found,
`auto` saw no boundary), is divided the same way: as a stack of one part, itself. It becomes
`divided` (out of review; its status is its parts' from then on) and `split.mode` is `review`.
A workflow whose splitting is `none` promised one file, one document (its consumers may know
only v1 events), so its documents are not divided: 409, saying so.

Every page stays in exactly one part or is a separator sheet. A repeated request changes nothing
and answers the same; one whose event did not reach the broker sends it again (same id).
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.boundary_samples import CorrectedStack, corrected_stack_key
from docroute.contracts._generated import Blob, DivisionItem, DocumentReceived, Origin
from docroute.events import Outgoing, emit, stable_id
from services.api.adapters import LazyProducer
from services.api.documents.models import Document
from services.api.documents.service.records import members
from services.api.documents.service.status import is_final
from services.api.errors import ConflictError, InvalidError
from services.api.review.models import DocumentAudit
from services.api.review.recalls import recall_events, recalls_of
from services.api.review.schemas import BoundariesOutcome, StackPart, StackView
from services.api.review.undivided import as_one, check_divisible
from services.api.workflows.models import Workflow

logger = logging.getLogger(__name__)

Range = tuple[int, int]


def page_ranges(page_count: int, starts: list[int], separators: set[int]) -> list[Range]:
    """The parts that begin at ``starts``, each ending before the next one's first page, less
    the separator sheets at its end (they belong to no part).

    :raises InvalidError: starts not ascending from 0, past the stack, or on a separator sheet.
    """
    if starts[0] != 0 or any(b <= a for a, b in itertools.pairwise(starts)):
        raise InvalidError(f"starts must be ascending and begin with page 0, got {starts}")
    if starts[-1] >= page_count:
        raise InvalidError(f"page {starts[-1]} is past the stack's last page {page_count - 1} (0-based)")
    if on_sheets := sorted(separators.intersection(starts[1:])):
        raise InvalidError(f"pages {on_sheets} are separator sheets; a document cannot begin there")
    ranges = []
    for first, after in zip(starts, [*starts[1:], page_count], strict=True):
        last = after - 1
        while last > first and last in separators:
            last -= 1
        ranges.append((first, last))
    return ranges


def stack_view(session: Session, stack: Document) -> StackView:
    """The stack and its current parts, in page order; a document read as one: itself, one part."""
    return _view(stack, members(session, stack))


def stack_views(session: Session, stacks: Sequence[Document]) -> dict[str, StackView]:
    """`stack_view` of each stack, their parts read in one query (a review page shows many)."""
    parents = {str(s.id) for s in stacks} | {s.upload_id for s in stacks if s.upload_id}
    rows = session.scalars(
        select(Document).where(Document.parent_id.in_(parents), Document.status != "superseded")
    ).all()
    by_parent: dict[str, list[Document]] = {}
    for row in rows:
        by_parent.setdefault(str(row.parent_id), []).append(row)
    return {
        str(s.id): _view(s, by_parent.get(str(s.id), []) + by_parent.get(s.upload_id or "", []))
        for s in stacks
    }


def stacks_by_id(session: Session, ids: Iterable[str]) -> list[Document]:
    """The stacks these ids name (those that exist; a malformed id names none), in one query."""
    found = []
    for value in ids:
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            continue
    return list(session.scalars(select(Document).where(Document.id.in_(found)))) if found else []


def _view(stack: Document, children: Sequence[Document]) -> StackView:
    split: dict[str, Any] = stack.split or as_one(stack)
    rows = {str(m.id): m for m in children if m.id != stack.id} | {str(stack.id): stack}
    parts = []
    for part in split.get("parts", []):
        row = rows.get(str(part["document_id"]))
        parts.append(
            StackPart(
                document_id=part["document_id"],
                first_page=part["first_page"],
                last_page=part["last_page"],
                status=row.status if row else "received",
                document_class=(row.reviewed_class or row.predicted_class) if row else None,
                confidence=row.confidence if row else None,
                boundary_confidence=row.boundary_confidence if row else None,
                route_reason=row.route_reason if row else None,
            )
        )
    return StackView(
        document_id=stack.id,
        filename=stack.filename,
        page_count=stack.page_count or 0,
        mode=str(split.get("mode", "")),
        separators=[int(s["page"]) for s in split.get("separators", [])],
        parts=parts,
        movable=(stack.page_count or 0) >= 2 and not _shares_pages(split),
    )


def _shares_pages(split: dict[str, Any]) -> bool:
    """Whether two parts share a page: documents found on one photo, no page boundary between."""
    pages = [(p["first_page"], p["last_page"]) for p in split.get("parts", [])]
    return len(set(pages)) < len(pages)


def correct_boundaries(
    session: Session,
    producer: LazyProducer,
    blobstore: BlobStore,
    stack: Document,
    starts: list[int],
    reviewer: str,
) -> BoundariesOutcome:
    """Divide `stack` (loaded for update) at `starts`; raises ConflictError or InvalidError."""
    split: dict[str, Any] | None = stack.split
    if split is None:  # read as one document: may a person divide it?
        workflow = session.get(Workflow, stack.workflow_id) if stack.workflow_id else None
        check_divisible(stack, workflow.splitting if workflow else None)
        split = as_one(stack)
    if stack.purpose != "processing" or not stack.page_count or stack.page_count < 2:
        raise ConflictError("not a stack its workflow's splitting divided by pages: nothing to move")
    if _shares_pages(split):  # services/ocr/photos.py
        raise ConflictError(
            "divided into the documents found on its pages: no boundary between pages to move"
        )
    separators = {int(s["page"]) for s in split.get("separators", [])}
    ranges = page_ranges(stack.page_count, starts, separators)
    current: dict[Range, str] = {
        (p["first_page"], p["last_page"]): str(p["document_id"]) for p in split["parts"]
    }
    corrected: dict[str, Any] = split.get("corrected") or {}
    if list(current) == ranges:
        if corrected and not corrected.get("sent"):
            _send(session, producer, stack, corrected)  # an earlier request's event never went out
        return _outcome(session, stack, [], corrected, starts, reviewer)
    old = {str(m.id): m for m in members(session, stack)} | {str(stack.id): stack}
    # A part still on its way would be routed by its first division after this one.
    waiting = [i for i in current.values() if i not in old or not is_final(old[i].status)]
    if waiting:
        raise ConflictError(f"parts {waiting} of the stack are still being processed: try again later")
    revision = int(corrected.get("revision", 0)) + 1
    ids = [current.get(r) or stable_id("part", stack.id, r[0], r[1], "revision", revision) for r in ranges]
    superseded = [i for r, i in current.items() if r not in ranges]
    now = datetime.now(UTC)
    sample = CorrectedStack(
        stack_id=str(stack.id),
        page_count=stack.page_count,
        starts=tuple(starts),
        readings=tuple((str(old[i].ocr_ref), first) for (first, _), i in current.items() if old[i].ocr_ref),
        corrected_by=reviewer,
    )
    assert stack.workflow_id is not None
    blobstore.put_json(corrected_stack_key(str(stack.workflow_id), str(stack.id)), sample.to_dict())
    new = [(i, r) for i, r in zip(ids, ranges, strict=True) if r not in current]
    recalls = recalls_of(old, {r: i for r, i in current.items() if i in superseded})
    for document_id in superseded:
        old[document_id].status = "divided" if document_id == str(stack.id) else "superseded"
    for document_id, (first, last) in new:
        session.add(_part_row(stack, document_id, first, last))
    corrected = {
        "revision": revision,
        "starts": starts,
        "by": reviewer,
        "at": now.isoformat(),
        "new": [{"document_id": i, "first_page": r[0], "last_page": r[1]} for i, r in new],
        "count": len(ranges),
        "superseded": superseded,
        "recalls": recalls,
        "sent": False,
    }
    stack.split = {
        **split,
        "mode": "review" if split["mode"] == "none" else split["mode"],
        "parts": [
            {"document_id": i, "first_page": first, "last_page": last}
            for i, (first, last) in zip(ids, ranges, strict=True)
        ],
        "corrected": corrected,
    }
    session.add(_audit(stack, reviewer, now, list(current), ranges))
    session.commit()
    _send(session, producer, stack, corrected)
    logger.info(
        "boundaries moved by %s: %d parts (%d new, %d superseded)",
        reviewer,
        len(ranges),
        len(new),
        len(superseded),
        extra={"document_id": str(stack.id), "workflow_id": str(stack.workflow_id)},
    )
    return _outcome(session, stack, superseded, corrected, starts, reviewer)


def _send(session: Session, producer: LazyProducer, stack: Document, corrected: dict[str, Any]) -> None:
    """The stack back to OCR with the new parts to cut, and the recalls of routed documents it
    superseded (review/recalls.py); marked sent once the broker has them (a TransientError leaves
    them unsent, and the same request sends them again, with the same ids)."""
    producer.send([_division(stack, corrected)])
    # One recall a request, shaped as the router's routes: in the e2e test (Tansu 0.6) one
    # request carrying the division and two recalls went unanswered for 15 s in 2 runs of 3 (not
    # reproduced alone, nor beside an aiokafka producer writing the same partitions); sent this
    # way, 4 runs of 4 passed.
    for recall in recall_events(stack, corrected):
        producer.send(recall)
    stack.split = {**(stack.split or {}), "corrected": {**corrected, "sent": True}}
    session.commit()


def _division(stack: Document, corrected: dict[str, Any]) -> Outgoing:
    assert stack.workflow_id is not None and stack.blob_ref and stack.sha256 and stack.page_count
    count = int(corrected["count"])
    index = {(p["first_page"]): n for n, p in enumerate((stack.split or {})["parts"])}
    data = DocumentReceived(
        document_id=stack.id,
        workflow_id=stack.workflow_id,
        purpose="processing",
        parent_id=stack.parent_id,
        origin=Origin(
            door="mailroom" if stack.door == "mailroom" else "upload",
            filename=stack.filename or "stack",
            member_path=stack.member_path,
            upload_id=stack.upload_id,
        ),
        blob=Blob(
            ref=stack.blob_ref,
            sha256=stack.sha256,
            size=stack.size or 0,
            media_type=stack.media_type,  # a stack is a PDF or a TIFF
        ),
        page_count=stack.page_count,
        division=[
            DivisionItem(
                document_id=p["document_id"],
                index=index[p["first_page"]],
                count=count,
                first_page=p["first_page"],
                last_page=p["last_page"],
            )
            for p in corrected["new"]
        ],
    )
    key = str(stack.id)
    about = (key, corrected["revision"])
    return emit(
        topics.DOCUMENT_RECEIVED,
        "document.received",
        data,
        source="api",
        key=key,
        step="division",
        about=about,
    )


def _part_row(stack: Document, document_id: str, first: int, last: int) -> Document:
    """A new part's row, there at once so the stack shows it (the projection fills it in)."""
    return Document(
        id=uuid.UUID(document_id),
        workflow_id=stack.workflow_id,
        purpose="processing",
        status="received",
        parent_id=str(stack.id),
        door=stack.door,
        filename=stack.filename,
        media_type=stack.media_type,
        first_page=first,
        last_page=last,
        page_count=last - first + 1,
    )


def _audit(
    stack: Document, reviewer: str, at: datetime, before: list[Range], after: list[Range]
) -> DocumentAudit:
    def pages(ranges: list[Range]) -> str:
        return ", ".join(f"{f}-{last}" for f, last in ranges)

    return DocumentAudit(
        document_id=stack.id,
        workflow_id=stack.workflow_id,
        action="divided",
        actor=reviewer,
        at=at,
        detail=f"parts (0-based pages) {pages(before)} -> {pages(after)}"[:2000],
    )


def _outcome(
    session: Session,
    stack: Document,
    superseded: list[str],
    corrected: dict[str, Any],
    starts: list[int],
    reviewer: str,
) -> BoundariesOutcome:
    return BoundariesOutcome(
        stack=stack_view(session, stack),
        starts=starts,
        superseded=corrected.get("superseded", superseded) if corrected else superseded,
        corrected_by=corrected.get("by", reviewer) if corrected else reviewer,
        corrected_at=datetime.fromisoformat(corrected["at"]) if corrected else datetime.now(UTC),
    )
