"""ocr as a process escalates per page: a page Tesseract reads poorly (an uncropped phone photo,
a skewed scan) is read again by PaddleOCR and the event and the OCR JSON say so; a clean scan
stays with Tesseract. Real engines on generated pages that defeat Tesseract the way real photos do
(`bench/ocr_escalation.py` measures real scans)."""

from __future__ import annotations

import io
import random

from PIL import Image

from docroute import topics
from docroute.ocr_result import OcrDocument
from tests.factories.documents import document_lines, render_scanned_page
from tests.factories.pipeline_events import submit_original
from tests.factories.workflows import send_workflow, workflow_settings


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _recall(expected: str, text: str) -> float:
    """Share of the expected words of 4+ letters found in ``text`` with its spaces removed (PaddleOCR
    drops some spaces between words)."""
    words = [w.strip(".,:;()").lower() for w in expected.split() if len(w.strip(".,:;()")) > 3]
    squeezed = "".join(text.lower().split())
    return sum(w in squeezed for w in words) / len(words)


def test_poorly_read_pages_are_read_again_by_paddle(
    start_docroute_service, producer, blobstore, topic_reader_factory
):
    rng = random.Random(17)
    flow = send_workflow(producer, workflow_settings(labels=["a", "b"]))  # Tesseract, no cropping
    start_docroute_service("ocr")
    reader = topic_reader_factory(r"^(document\.text-extracted|document\.dead-letter)$")
    photo_lines, skew_lines, clean_lines = (
        document_lines(kind, rng)[:14] for kind in ("invoice", "payslip", "tax_form")
    )
    photo_page = render_scanned_page(photo_lines, background=True, rotate_deg=6, seed=2)
    skewed_page = render_scanned_page(skew_lines, background=False, rotate_deg=9, seed=2)
    photo = submit_original(producer, blobstore, flow, _png(photo_page), "image/png", filename="f.png")
    skewed = submit_original(producer, blobstore, flow, _png(skewed_page), "image/png", filename="f.png")
    clean_png = _png(render_scanned_page(clean_lines, background=False))
    clean = submit_original(producer, blobstore, flow, clean_png, "image/png", filename="f.png")

    def read(document_id: str):
        topic, event = reader.wait_for(lambda t, e: e.subject == document_id, timeout_s=240)
        assert topic == topics.DOCUMENT_TEXT_EXTRACTED, event.data
        return event.data, OcrDocument.from_json(blobstore.get(event.data.ocr_ref))

    for document_id, lines in ((photo, photo_lines), (skewed, skew_lines)):
        data, ocr = read(document_id)
        assert data.sources == ["paddle"] and data.escalated_pages == [0], data
        [page] = ocr.pages
        assert page.escalation is not None and page.escalation.engine == "tesseract", page.escalation
        assert page.escalation.replaced and page.escalation.ink_covered is not None
        assert page.escalation.ink_covered < 0.5, page.escalation
        assert _recall("\n".join(lines), ocr.text) >= 0.8, ocr.text

    data, ocr = read(clean)
    assert data.sources == ["tesseract"] and data.escalated_pages is None, data
    assert ocr.pages[0].escalation is None
    assert _recall("\n".join(clean_lines), ocr.text) >= 0.9
