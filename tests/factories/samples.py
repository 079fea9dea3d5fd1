"""Training samples without OCR: the OCR JSON a document's text would produce, stored in S3."""

from __future__ import annotations

import random
from collections.abc import Sequence

from docroute.blobstore import BlobStore
from docroute.ocr_result import OcrDocument, OcrPage
from tests.factories.document_texts import document_lines


def store_ocr_text(store: BlobStore, document_id: str, text: str) -> str:
    """Put a one-page OCR result with `text` at `ocr/<document_id>.json`; returns its ref."""
    return store_ocr_pages(store, document_id, [text])


def store_ocr_pages(store: BlobStore, document_id: str, texts: Sequence[str]) -> str:
    """Put an OCR result of one page per text at `ocr/<document_id>.json`; returns its ref."""
    pages = tuple(
        OcrPage(index=n, width=1654, height=2339, source="text-layer", text=text, mean_confidence=1.0)
        for n, text in enumerate(texts)
    )
    document = OcrDocument(
        document_id=document_id, engine="tesseract", language="latin", page_count=len(pages), pages=pages
    )
    return str(store.put(f"ocr/{document_id}.json", document.to_json(), content_type="application/json"))


def sample_text(kind: str, rng: random.Random) -> str:
    """The text of a random `kind` document (invoice, payslip, ...)."""
    return "\n".join(document_lines(kind, rng))
