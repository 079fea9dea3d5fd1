"""ocr as a process: a PDF whose text layer is mojibake is OCR'd, and the OCR JSON says why."""

from __future__ import annotations

import hashlib
import uuid

from docroute import topics
from docroute.contracts._generated import Blob, DocumentReceived, Origin
from docroute.events import Outgoing, new_event
from docroute.ocr_result import OcrDocument
from tests.factories.documents import GERMAN_INVOICE_LINES as LINES
from tests.factories.documents import make_garbled_text_pdf
from tests.factories.workflows import publish_workflow


def test_a_garbled_text_layer_is_ocred_by_the_service(
    start_docroute_service, producer, blobstore, topic_reader_factory
):
    workflow_id = publish_workflow(producer, labels=["a", "b"])
    start_docroute_service("ocr")
    reader = topic_reader_factory(r"^(document\.text-extracted|document\.dead-letter)$")

    data = make_garbled_text_pdf(LINES, pages=2)
    digest = hashlib.sha256(data).hexdigest()
    ref = blobstore.put(f"originals/sha256/{digest}", data)
    document_id = str(uuid.uuid4())
    received = DocumentReceived(
        document_id=document_id,
        workflow_id=workflow_id,
        purpose="processing",
        origin=Origin(door="upload", filename="garbled.pdf"),
        page_count=2,
        blob=Blob(ref=str(ref), sha256=digest, size=len(data), media_type="application/pdf"),
    )
    event = new_event("document.received", received, source="test", subject=document_id)
    producer.send([Outgoing(topics.DOCUMENT_RECEIVED, document_id, event)])

    topic, event = reader.wait_for(lambda t, e: e.subject == document_id, timeout_s=120)
    assert topic == topics.DOCUMENT_TEXT_EXTRACTED
    assert event.data.sources[0] == "tesseract"
    ocr = OcrDocument.from_json(blobstore.get(event.data.ocr_ref))
    first = ocr.pages[0]
    assert first.text_layer_rejected is not None and "does not read as language" in first.text_layer_rejected
    assert "Gesamtbetrag" in first.text and "Rechnung" in first.text
