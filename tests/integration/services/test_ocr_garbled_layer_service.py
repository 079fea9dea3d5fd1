"""ocr as a process: a PDF whose text layer is mojibake is OCR'd, and the OCR JSON says why."""

from __future__ import annotations

from docroute import topics
from docroute.ocr_result import OcrDocument
from tests.factories.documents import GERMAN_INVOICE_LINES as LINES
from tests.factories.documents import make_garbled_text_pdf
from tests.factories.pipeline_events import submit_original
from tests.factories.workflows import send_workflow, workflow_settings


def test_a_garbled_text_layer_is_ocred_by_the_service(
    start_docroute_service, producer, blobstore, topic_reader_factory
):
    workflow_id = send_workflow(producer, workflow_settings(labels=["a", "b"]))
    start_docroute_service("ocr")
    reader = topic_reader_factory(r"^(document\.text-extracted|document\.dead-letter)$")

    data = make_garbled_text_pdf(LINES, pages=2)
    document_id = submit_original(
        producer, blobstore, workflow_id, data, "application/pdf", pages=2, filename="garbled.pdf"
    )

    topic, event = reader.wait_for(lambda t, e: e.subject == document_id, timeout_s=120)
    assert topic == topics.DOCUMENT_TEXT_EXTRACTED
    assert event.data.sources[0] == "tesseract"
    ocr = OcrDocument.from_json(blobstore.get(event.data.ocr_ref))
    first = ocr.pages[0]
    assert first.text_layer_rejected is not None and "does not read as language" in first.text_layer_rejected
    assert "Gesamtbetrag" in first.text and "Rechnung" in first.text
