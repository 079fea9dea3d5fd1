"""The router's decision record on the real S3: one an earlier attempt left unreadable (cut off
by a crash) is decided again, never a dead letter; a whole one still stops a second route; one
write per document: a redelivered message sends its route again, another copy of the document's
classification sends nothing."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import pytest

from docroute.blobstore import BlobRef, BlobStore
from docroute.contracts._generated import (
    Blob,
    DocumentClassified,
    DocumentRouted,
    DocumentSpec,
    Part,
    WorkflowUpdated,
)
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

    classified = new_event("document.classified", doc, source="test")
    first = handler.on_classified(classified)

    assert [out.topic for out in first] == ["extract.invoice", "document.routed"]
    assert json.loads(blobstore.get(key))["answers"] == classified.time.isoformat()
    handler.on_sent(classified, first)
    assert handler.on_classified(new_event("document.classified", doc, source="test")) == []


def test_a_redelivered_message_repeats_the_same_event(router: tuple[RouterHandler, str]) -> None:
    """The same message again (its offset was not committed): the route may not have reached
    the broker, so it is sent again, the same event (consumers drop a copy by id)."""
    handler, workflow_id = router
    classified = new_event("document.classified", _classified(workflow_id), source="test")
    first = handler.on_classified(classified)
    again = handler.on_classified(decode(encode(classified)))  # the same bytes, read again
    assert [out.event.id for out in again] == [out.event.id for out in first]
    assert [out.event.data for out in again] == [out.event.data for out in first]


class _CountingStore:
    """The real store, counting what is written."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        self.writes: list[str] = []

    def put(self, key: str, data: bytes, **kwargs: Any) -> BlobRef:
        self.writes.append(key)
        return self._store.put(key, data, **kwargs)

    def put_if_absent(self, key: str, data: bytes, **kwargs: Any) -> bool:
        self.writes.append(key)
        return self._store.put_if_absent(key, data, **kwargs)

    def put_json(self, key: str, value: Any) -> BlobRef:
        self.writes.append(key)
        return self._store.put_json(key, value)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_a_route_costs_one_write_and_a_repeat_sends_nothing(blobstore: BlobStore) -> None:
    """Issue 9: one S3 write per routed document (the claim), none after the acknowledgement;
    a mail published again (another classification message) still sends nothing new."""
    workflow_id = str(uuid.uuid4())
    store = _CountingStore(blobstore)
    handler = RouterHandler(_Workflows(workflow_id), store)  # type: ignore[arg-type]
    doc = _classified(workflow_id)
    classified = new_event("document.classified", doc, source="test")

    sent = handler.on_classified(classified)
    handler.on_sent(classified, sent)
    writes = list(store.writes)
    repeat = handler.on_classified(new_event("document.classified", doc, source="test"))

    assert [out.topic for out in sent] == ["extract.invoice", "document.routed"]
    assert writes == [f"routes/{doc.document_id}.json"]
    assert repeat == []


@pytest.mark.parametrize(("sent", "expected"), [(True, 0), (False, 2)])
def test_a_record_of_the_earlier_release_is_read(
    router: tuple[RouterHandler, str], blobstore: BlobStore, sent: bool, expected: int
) -> None:
    """Records written before issue 9 say `sent` themselves: one sent stops a repeat, one not
    (a crash before the acknowledgement) sends its route again."""
    handler, workflow_id = router
    doc = _classified(workflow_id)
    first = handler.on_classified(new_event("document.classified", doc, source="test"))
    old = {"sent": sent, "routed": first[0].event.data.model_dump(mode="json")}
    blobstore.put_json(f"routes/{doc.document_id}.json", old)

    again = handler.on_classified(new_event("document.classified", doc, source="test"))

    assert len(again) == expected
    assert [out.event.id for out in again] == [out.event.id for out in first][:expected]


def test_a_document_in_review_is_decided_again_by_a_newer_model_once(
    router: tuple[RouterHandler, str],
) -> None:
    """Reprocessing a document waiting in review: the same model again changes nothing, a newer
    one decides again (a new event id), and its redelivery after acknowledgement routes no more."""
    handler, workflow_id = router
    doc = _classified(workflow_id).model_copy(update={"confidence": 0.5})  # below 0.8: review
    first = handler.on_classified(new_event("document.classified", doc, source="test"))
    assert first[0].topic == "review.pending"
    assert handler.on_classified(new_event("document.classified", doc, source="test")) == []

    newer = doc.model_copy(update={"model_version": 2, "confidence": 0.95})
    reprocessed = new_event("document.classified", newer, source="test")
    again = handler.on_classified(reprocessed)
    assert [out.topic for out in again] == ["extract.invoice", "document.routed"]
    assert again[0].event.id != first[0].event.id
    redelivered = handler.on_classified(decode(encode(reprocessed)))
    assert redelivered[0].event.id == again[0].event.id  # not committed yet: the same event
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


def test_a_record_is_whole_to_a_router_of_the_earlier_release(
    router: tuple[RouterHandler, str], blobstore: BlobStore
) -> None:
    """While an upgrade rolls, a router of the earlier release may find a record this one wrote:
    it must read it as a whole record not yet sent (the same route again), as its `_readable`
    did (`sent` a bool, `routed` a routed event), not as garbage to decide anew."""
    handler, workflow_id = router
    doc = _classified(workflow_id)
    handler.on_classified(new_event("document.classified", doc, source="test"))
    record = json.loads(blobstore.get(f"routes/{doc.document_id}.json"))
    assert record["sent"] is False
    assert DocumentRouted.model_validate(record["routed"]).document_id == doc.document_id
