"""Dividing a photo of several receipts into its parts, against the real S3 server: which
workflows divide, the parts' originals, and the same parts again on a redelivery."""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

import pytest
from PIL import Image

from docroute.blobstore import BlobStore
from docroute.contracts._generated import Blob, DocumentReceived, Origin
from services.ocr.photos import PhotoSplitter
from tests.factories.documents import make_text_pdf

PHOTOS = Path(__file__).resolve().parents[2] / "data" / "photos"


def _received(
    blobstore: BlobStore,
    name: str,
    purpose: str = "processing",
    *,
    data: bytes | None = None,
    media_type: str = "image/jpeg",
) -> DocumentReceived:
    data = (PHOTOS / name).read_bytes() if data is None else data
    digest = hashlib.sha256(data).hexdigest()
    ref = blobstore.put(f"originals/sha256/{digest}", data)
    return DocumentReceived(
        document_id=str(uuid.uuid4()),
        workflow_id=str(uuid.uuid4()),
        purpose=purpose,
        origin=Origin(door="upload", filename=name),
        page_count=1,
        blob=Blob(ref=str(ref), sha256=digest, size=len(data), media_type=media_type),
    )


def test_a_photo_of_two_receipts_goes_on_as_two_parts(blobstore: BlobStore) -> None:
    photo = _received(blobstore, "two-receipts.jpg")
    out = PhotoSplitter(blobstore).split(photo, "separator")
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
    again = PhotoSplitter(blobstore).split(photo, "separator")
    assert again is not None and [o.event.id for o in again] == [o.event.id for o in out]
    # A part is a document of its own: not divided again.
    assert PhotoSplitter(blobstore).split(parts[0], "separator") is None


@pytest.mark.parametrize(
    ("splitting", "purpose"), [("none", "processing"), (None, "processing"), ("auto", "training")]
)
def test_one_file_stays_one_document_where_the_workflow_does_not_split(
    blobstore: BlobStore, splitting: str | None, purpose: str
) -> None:
    """`none` promised one file, one document; samples are read as they are."""
    photo = _received(blobstore, "two-receipts.jpg", purpose)
    assert PhotoSplitter(blobstore).split(photo, splitting) is None


def test_a_scan_of_one_receipt_is_read_as_it_is(blobstore: BlobStore) -> None:
    scan = _received(blobstore, "receipt-scan.jpg")
    assert PhotoSplitter(blobstore).split(scan, "every_page") is None


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
    out = PhotoSplitter(blobstore).split(pdf, "auto")
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
    assert PhotoSplitter(blobstore).split(letter, "auto") is None
    one = _received(
        blobstore, "one.pdf", data=_photo_on_a_pdf_page("receipt-scan.jpg"), media_type="application/pdf"
    )
    assert PhotoSplitter(blobstore).split(one, "auto") is None
