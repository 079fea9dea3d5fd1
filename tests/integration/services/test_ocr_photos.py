"""Dividing a photo of several receipts into its parts, against the real S3 server: which
workflows divide, the parts' originals, and the same parts again on a redelivery."""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from docroute.blobstore import BlobRef, BlobStore
from docroute.contracts._generated import DocumentReceived
from docroute.events import Outgoing, new_event
from services.ocr.adapters import EngineSet
from services.ocr.handler import OcrHandler
from services.ocr.photos import PhotoSplitter
from tests.factories.documents import make_text_pdf
from tests.factories.originals import stored_received
from tests.factories.workflows import OneWorkflow, workflow_settings

PHOTOS = Path(__file__).resolve().parents[2] / "data" / "photos"


def _split(blobstore: BlobStore, doc: DocumentReceived, splitting: str | None) -> Sequence[Outgoing] | None:
    return PhotoSplitter(blobstore).split(doc, splitting, partial(blobstore.get, doc.blob.ref)).events


def _received(
    blobstore: BlobStore,
    name: str,
    purpose: str = "processing",
    *,
    data: bytes | None = None,
    media_type: str = "image/jpeg",
) -> DocumentReceived:
    data = (PHOTOS / name).read_bytes() if data is None else data
    return stored_received(blobstore, data, media_type, filename=name, purpose=purpose)


def test_a_photo_of_two_receipts_goes_on_as_two_parts(blobstore: BlobStore) -> None:
    photo = _received(blobstore, "two-receipts.jpg")
    out = _split(blobstore, photo, "separator")
    assert out is not None
    assert [o.event.type for o in out] == ["document.received", "document.received", "document.split"]
    parts = [o.event.data for o in out[:2]]
    assert [(p.part.index, p.part.count, p.part.first_page, p.part.last_page) for p in parts] == [
        (0, 2, 0, 0),
        (1, 2, 0, 0),
    ]
    assert {p.parent_id for p in parts} == {str(photo.document_id)}
    for part in parts:
        # Its own original: a cut-out of one receipt, upright and taller than wide, under its hash.
        data = blobstore.get(part.blob.ref)
        assert hashlib.sha256(data).hexdigest() == part.blob.sha256 and part.blob.media_type == "image/jpeg"
        width, height = Image.open(io.BytesIO(data)).size
        assert height > 1.5 * width and height > 600
    split = out[2].event.data
    assert [str(d.document_id) for d in split.documents] == [str(p.document_id) for p in parts]
    assert split.mode == "separator" and split.page_count == 1 and split.separators == []
    # Redelivered: the same parts, the same event ids.
    again = _split(blobstore, photo, "separator")
    assert again is not None and [o.event.id for o in again] == [o.event.id for o in out]
    # A part is a document of its own: not divided again.
    assert _split(blobstore, parts[0], "separator") is None


@pytest.mark.parametrize(
    ("splitting", "purpose"), [("none", "processing"), (None, "processing"), ("auto", "training")]
)
def test_one_file_stays_one_document_where_the_workflow_does_not_split(
    blobstore: BlobStore, splitting: str | None, purpose: str
) -> None:
    """`none` promised one file, one document; samples are read as they are."""
    photo = _received(blobstore, "two-receipts.jpg", purpose)
    assert _split(blobstore, photo, splitting) is None


def test_a_scan_of_one_receipt_is_read_as_it_is(blobstore: BlobStore) -> None:
    scan = _received(blobstore, "receipt-scan.jpg")
    assert _split(blobstore, scan, "every_page") is None


def _photo_on_a_pdf_page(name: str) -> bytes:
    """A one-page PDF holding the photo amid a white margin, as a phone's scanner app makes it."""
    photo = Image.open(PHOTOS / name).convert("RGB")
    page = Image.new("RGB", (photo.width + 240, photo.height + 320), "white")
    page.paste(photo, (120, 160))
    buffer = io.BytesIO()
    page.save(buffer, "PDF", resolution=200.0)
    return buffer.getvalue()


def test_a_pdf_page_holding_a_photo_of_two_receipts_goes_on_as_two_parts(blobstore: BlobStore) -> None:
    pdf = _received(
        blobstore,
        "two-receipts.pdf",
        data=_photo_on_a_pdf_page("two-receipts.jpg"),
        media_type="application/pdf",
    )
    out = _split(blobstore, pdf, "auto")
    assert out is not None
    assert [o.event.type for o in out] == ["document.received", "document.received", "document.split"]
    for part in (o.event.data for o in out[:2]):
        assert part.parent_id == str(pdf.document_id) and part.blob.media_type == "image/jpeg"
        width, height = Image.open(io.BytesIO(blobstore.get(part.blob.ref))).size
        assert height > 1.5 * width and height > 600  # one receipt, not the page's white margin
    # A PDF page of text is a letter, read as it is; so is a page holding one receipt.
    letter = _received(
        blobstore,
        "letter.pdf",
        data=make_text_pdf(["Dear Sir,", "Invoice 2024-17"]),
        media_type="application/pdf",
    )
    assert _split(blobstore, letter, "auto") is None
    one = _received(
        blobstore, "one.pdf", data=_photo_on_a_pdf_page("receipt-scan.jpg"), media_type="application/pdf"
    )
    assert _split(blobstore, one, "auto") is None


class _CountingStore(BlobStore):
    """The real S3 store, counting the reads of each key."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.reads: Counter[str] = Counter()

    def get(self, ref_or_key: str) -> bytes:
        self.reads[self._key(ref_or_key)] += 1
        return super().get(ref_or_key)


@pytest.mark.parametrize("name", ["letter.pdf", "receipt-scan.jpg"])
def test_ocr_fetches_an_original_once_though_the_splitters_and_the_reading_look_at_it(
    settings: Any, name: str
) -> None:
    """A one-page file of a splitting workflow: the photo splitter, the stack splitter and the
    reading each need its bytes (it was fetched twice)."""
    store = _CountingStore(settings.s3)
    if name.endswith(".pdf"):
        doc = _received(store, name, data=make_text_pdf(["Invoice 2024-17"]), media_type="application/pdf")
    else:
        doc = _received(store, name)
    workflows = OneWorkflow(workflow_settings(labels=["receipt"], cropping=True, splitting="separator"))
    handler = OcrHandler(store, workflows, EngineSet(), max_pages=200)  # type: ignore[arg-type]
    [extracted] = handler.on_received(new_event("document.received", doc, source="test"))
    assert extracted.event.type == "document.text_extracted" and extracted.event.data.text_chars > 0
    assert store.reads[BlobRef.parse(doc.blob.ref).key] == 1, store.reads
