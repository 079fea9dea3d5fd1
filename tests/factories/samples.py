"""Training samples without OCR: the OCR JSON a document's text would produce, stored in S3."""

from __future__ import annotations

import random

from docroute.blobstore import BlobStore
from docroute.ocr_result import OcrDocument, OcrPage
from tests.factories.document_texts import document_lines


def store_ocr_text(store: BlobStore, document_id: str, text: str) -> str:
    """Put a one-page OCR result with `text` at `ocr/<document_id>.json`; returns its ref."""
    page = OcrPage(index=0, width=1654, height=2339, source="text-layer", text=text, mean_confidence=1.0)
    document = OcrDocument(
        document_id=document_id, engine="tesseract", language="latin", page_count=1, pages=(page,)
    )
    return str(store.put(f"ocr/{document_id}.json", document.to_json(), content_type="application/json"))


def sample_text(kind: str, rng: random.Random) -> str:
    """The text of a random `kind` document (invoice, payslip, ...)."""
    return "\n".join(document_lines(kind, rng))
