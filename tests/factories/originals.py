"""A file stored as an original on the real S3 server and announced as `document.received`, the
way ingest hands a document to OCR: for the OCR service's tests, which start there."""

from __future__ import annotations

import hashlib
import uuid

from docroute.blobstore import BlobStore
from docroute.contracts._generated import Blob, DocumentReceived, Origin
from services.ocr.core.images import load_image_pages
from services.ocr.core.pdf import PdfFile

PDF = "application/pdf"


def page_count(data: bytes, media_type: str) -> int:
    """The pages of a PDF, or the frames of an image (a TIFF may hold several)."""
    if media_type == PDF:
        with PdfFile(data) as pdf:
            return pdf.page_count
    return len(load_image_pages(data))


def stored_received(
    blobstore: BlobStore,
    data: bytes,
    media_type: str = PDF,
    *,
    filename: str = "scan",
    purpose: str = "processing",
) -> DocumentReceived:
    """``data`` stored under its hash and announced as a new document of a new workflow."""
    digest = hashlib.sha256(data).hexdigest()
    ref = blobstore.put(f"originals/sha256/{digest}", data)
    return DocumentReceived(
        document_id=str(uuid.uuid4()),
        workflow_id=str(uuid.uuid4()),
        purpose=purpose,
        origin=Origin(door="upload", filename=filename),
        page_count=page_count(data, media_type),
        blob=Blob(ref=str(ref), sha256=digest, size=len(data), media_type=media_type),
    )
