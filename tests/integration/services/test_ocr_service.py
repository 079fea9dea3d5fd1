"""ocr as a process: both engines on real images, the text layer, page selection, dead letters."""

from __future__ import annotations

import random

from docroute import topics
from docroute.ocr_result import OcrDocument
from tests.factories.documents import document_lines, make_encrypted_pdf, make_scanned_image, make_text_pdf
from tests.factories.pipeline_events import submit_original as _submit
from tests.factories.workflows import send_workflow, workflow_settings


def _words(text: str) -> set[str]:
    return {w.strip(".,:;()").lower() for w in text.split() if len(w) > 3}


def test_engines_text_layer_and_page_selection(
    start_docroute_service, producer, blobstore, topic_reader_factory
):
    rng = random.Random(5)
    tesseract_flow = send_workflow(
        producer, workflow_settings(labels=["a", "b"], cropping=True, relevant_pages="first 1")
    )
    paddle_flow = send_workflow(producer, workflow_settings(labels=["a", "b"], ocr_engine="paddle"))
    # Print and handwriting: PaddleOCR reads every page, whatever the workflow's engine.
    both_flow = send_workflow(producer, workflow_settings(labels=["a", "b"], text_style="both"))
    start_docroute_service("ocr", DOCROUTE_WARM_ENGINES='["tesseract","paddle"]')
    reader = topic_reader_factory(r"^(document\.text-extracted|document\.dead-letter)$")

    photo_lines = document_lines("invoice", rng)
    photo = _submit(
        producer, blobstore, tesseract_flow, make_scanned_image(photo_lines, format="JPEG"), "image/jpeg"
    )
    pdf = _submit(
        producer,
        blobstore,
        tesseract_flow,
        make_text_pdf(["Rental contract", "Landlord and tenant"], pages=3),
        "application/pdf",
        pages=3,
    )
    scan_lines = document_lines("payslip", rng)
    paddle = _submit(
        producer, blobstore, paddle_flow, make_scanned_image(scan_lines, background=False), "image/png"
    )
    both_lines = document_lines("invoice", rng)
    both = _submit(
        producer, blobstore, both_flow, make_scanned_image(both_lines, background=False), "image/png"
    )
    locked = _submit(producer, blobstore, tesseract_flow, make_encrypted_pdf(), "application/pdf")

    def result(document_id: str):
        return reader.wait_for(lambda t, e: e.subject == document_id, timeout_s=120)

    topic, event = result(photo)
    assert topic == topics.DOCUMENT_TEXT_EXTRACTED and event.data.sources == ["tesseract"]
    ocr = OcrDocument.from_json(blobstore.get(event.data.ocr_ref))
    assert ocr.pages[0].cropped
    # The text classify reads rides in the event (v4): the whole of it, under the default budget.
    assert event.version == 4 and event.data.text == ocr.text and event.data.text_chars == len(ocr.text)
    expected = _words(" ".join(photo_lines))
    assert len(expected & _words(ocr.text)) / len(expected) >= 0.8

    topic, event = result(pdf)
    assert (event.data.sources, event.data.pages_used, event.data.page_count) == (["text-layer"], [0], 3)

    for document_id, lines in ((paddle, scan_lines), (both, both_lines)):
        topic, event = result(document_id)
        assert event.data.sources == ["paddle"]
        expected = _words(" ".join(lines))
        read = _words(OcrDocument.from_json(blobstore.get(event.data.ocr_ref)).text)
        assert len(expected & read) / len(expected) >= 0.7

    topic, event = result(locked)
    assert topic == topics.DEAD_LETTER and event.data.reason_code == "encrypted_file"
