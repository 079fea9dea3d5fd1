"""The router's decision record on the real S3: one an earlier attempt left unreadable (cut off
by a crash) is decided again, never a dead letter; a whole one still stops a second route."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import pytest

from docroute.blobstore import BlobStore
from docroute.contracts._generated import Blob, DocumentClassified, DocumentSpec, Part, WorkflowUpdated
from docroute.events import decode, encode, new_event
from services.router.handler import RouterHandler


class _Workflows:
    def __init__(self, workflow_id: str) -> None:
        self.workflow = WorkflowUpdated(
            workflow_id=workflow_id,
            name="records",
            labels=["invoice", "w-9"],
            document_spec=DocumentSpec(cropping=False, character_set="latin", text_style="printed"),
            threshold=0.8,
            class_thresholds={},
            retrain_every=1000,
            archived=False,
        )

    def get(self, workflow_id: str, *, as_of: datetime | None = None) -> WorkflowUpdated:
        return self.workflow


def _classified(workflow_id: str) -> DocumentClassified:
    return DocumentClassified(
        document_id=uuid.uuid4(),
        workflow_id=workflow_id,
        purpose="processing",
        blob=Blob(ref="s3://b/originals/x", sha256="0" * 64, size=1, media_type="application/pdf"),
        ocr_ref="s3://b/ocr/x.json",
        page_count=1,
        model_version=1,
        embedder_id="usem3",
        probabilities={"invoice": 0.9, "w-9": 0.1},
        predicted_class="invoice",
        confidence=0.9,
        unknown=False,
    )


@pytest.fixture
def router(blobstore: BlobStore) -> tuple[RouterHandler, str]:
    workflow_id = str(uuid.uuid4())
    return RouterHandler(_Workflows(workflow_id), blobstore), workflow_id  # type: ignore[arg-type]


@pytest.mark.parametrize("left", [b'{"sent": false, "routed": {"document_id": "', b"", b'{"sent": true}'])
def test_an_unreadable_record_is_decided_again(
    router: tuple[RouterHandler, str], blobstore: BlobStore, left: bytes
) -> None:
    handler, workflow_id = router
    doc = _classified(workflow_id)
    key = f"routes/{doc.document_id}.json"
    blobstore.put(key, left)

    first = handler.on_classified(new_event("document.classified", doc, source="test"))

    assert [out.topic for out in first] == ["extract.invoice", "document.routed"]
    assert json.loads(blobstore.get(key))["sent"] is False
    handler.mark_sent(first[0].event, first)
    assert handler.on_classified(new_event("document.classified", doc, source="test")) == []


def test_a_redelivery_before_acknowledgement_repeats_the_same_event(
    router: tuple[RouterHandler, str],
) -> None:
    handler, workflow_id = router
    doc = _classified(workflow_id)
    first = handler.on_classified(new_event("document.classified", doc, source="test"))
    again = handler.on_classified(new_event("document.classified", doc, source="test"))
    assert [out.event.id for out in again] == [out.event.id for out in first]


def test_a_document_in_review_is_decided_again_by_a_newer_model_once(
    router: tuple[RouterHandler, str],
) -> None:
    """Reprocessing a document waiting in review: the same model again changes nothing, a newer
    one decides again (a new event id), and its redelivery after acknowledgement routes no more."""
    handler, workflow_id = router
    doc = _classified(workflow_id).model_copy(update={"confidence": 0.5})  # below 0.8: review
    first = handler.on_classified(new_event("document.classified", doc, source="test"))
    assert first[0].topic == "review.pending"
    handler.mark_sent(first[0].event, first)
    assert handler.on_classified(new_event("document.classified", doc, source="test")) == []

    newer = doc.model_copy(update={"model_version": 2, "confidence": 0.95})
    again = handler.on_classified(new_event("document.classified", newer, source="test"))
    assert [out.topic for out in again] == ["extract.invoice", "document.routed"]
    assert again[0].event.id != first[0].event.id
    redelivered = handler.on_classified(new_event("document.classified", newer, source="test"))
    assert redelivered[0].event.id == again[0].event.id  # before acknowledgement: the same event
    handler.mark_sent(again[0].event, again)
    assert handler.on_classified(new_event("document.classified", newer, source="test")) == []


@pytest.mark.parametrize(
    ("confidence", "route", "version"), [(0.62, "review", 3), (0.97, "extract", 3), (None, "extract", 2)]
)
def test_a_parts_boundary_confidence_travels_on_its_route(
    router: tuple[RouterHandler, str], confidence: float | None, route: str, version: int
) -> None:
    """An extraction service (or review) sees how sure the split was: document.routed v3 carries
    the part's boundary confidence; a part without one (separator sheets) still goes out as v2."""
    handler, workflow_id = router
    part = Part(parent_id=uuid.uuid4(), index=1, count=3, first_page=2, last_page=4)
    doc = _classified(workflow_id).model_copy(update={"part": part, "boundary_confidence": confidence})

    outgoing = handler.on_classified(new_event("document.classified", doc, source="test"))

    sent = [decode(encode(out.event)) for out in outgoing]
    assert [(e.data.route, e.data.boundary_confidence, e.version) for e in sent] == [
        (route, confidence, version)
    ] * 2
