"""A photo or flatbed scan holding several documents is divided into them, each sent on as a part.

Two or three receipts photographed together, an ID card's front and back on one scan: each
document found on the image (`services.ocr.core.regions`) becomes a part, as the pages of a stack
do (`services.ocr.stacks`): its own original (its cut-out, flattened and stored under its hash),
its own id, derived from the image's id and the region's position so that a redelivered image
names the same parts again, and `document.received` (v2, `part`) to be read, classified and
routed as a document of its own. An image holds one page, so every part's page range is that page
(0-0) and `part.index` is the region's position in reading order (top to bottom, then left to
right). The image gets `document.split`, its parts listed like a stack's. A one-page PDF without a
text layer is such an image too (a phone's scanner app, or a photo printed to PDF, puts it on a
page with a white margin, which the regions leave aside); a page with text is a letter.

Only workflows that split (`splitting` other than `none`) divide an image: a workflow that does
not promised one file, one document, and its consumers read v1 events only
(`schemas/README.md`). An image on which one document or none is found is read as it is.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image

from docroute import metrics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import Blob, Document, DocumentReceived, Part
from docroute.events import Outgoing, stable_id
from services.ocr.core.crop import flatten
from services.ocr.core.errors import OcrInputError
from services.ocr.core.images import load_image_pages
from services.ocr.core.pdf import PdfFile, has_text_layer
from services.ocr.core.regions import find_documents
from services.ocr.stacks import part_received, stack_split

logger = logging.getLogger(__name__)

PHOTO_TYPES: frozenset[str] = frozenset({"image/jpeg", "image/png", "image/tiff"})
PDF = "application/pdf"
# Cut-outs kept lossless when their source was (a PNG or TIFF scan); a photo's, a JPEG's or one on
# a PDF page, as JPEG.
LOSSLESS_TYPES: frozenset[str] = frozenset({"image/png", "image/tiff"})


def region_part_id(image_id: str, region: int) -> str:
    """A region's document id: the same image and region always give the same id."""
    return stable_id("region", image_id, region)


class PhotoSplitter:
    """Divides the one-page images of workflows that split into the documents found on them."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store

    def split(
        self, doc: DocumentReceived, splitting: str | None, original: Callable[[], bytes]
    ) -> Sequence[Outgoing] | None:
        """The events that divide ``doc`` (its ``original``'s bytes) into the documents on it; None
        when it is read as one (no splitting, a part already, not a one-page image, fewer than two
        documents found, or unreadable: the usual reading then fails it with its reason)."""
        if splitting in (None, "none") or doc.purpose != "processing" or doc.part is not None:
            return None
        if doc.page_count != 1 or doc.blob.media_type not in PHOTO_TYPES | {PDF}:
            return None
        try:
            image = self._photo(original(), doc.blob.media_type)
        except OcrInputError:
            return None
        if image is None:
            return None
        pixels = np.asarray(image)
        quads = find_documents(pixels)
        if len(quads) < 2:
            return None
        cut_outs = [flatten(pixels, quad) for quad in quads]
        return self._divide(doc, splitting, cut_outs)

    @staticmethod
    def _photo(data: bytes, media_type: str) -> Image.Image | None:
        """The one page of an image, or of a PDF when it has no text layer (a photo on a page);
        None for a PDF page of text."""
        if media_type != PDF:
            return load_image_pages(data, [0])[0]
        with PdfFile(data) as pdf:
            return None if has_text_layer(pdf.text_layer(0).text) else pdf.render(0)

    def _divide(self, doc: DocumentReceived, mode: str, cut_outs: list[np.ndarray]) -> list[Outgoing]:
        image_id = str(doc.document_id)
        ids = [region_part_id(image_id, index) for index in range(len(cut_outs))]
        out: list[Outgoing] = []
        for index, (document_id, pixels) in enumerate(zip(ids, cut_outs, strict=True)):
            part = Part(parent_id=doc.document_id, index=index, count=len(ids), first_page=0, last_page=0)
            blob = self._store_cut_out(pixels, doc.blob.media_type)
            out.append(part_received(doc, document_id, blob, part, page_count=1))
        documents = [Document(document_id=i, first_page=0, last_page=0) for i in ids]
        out.append(stack_split(doc, mode, documents, []))
        metrics.DOCUMENTS.labels("ocr").inc()
        logger.info(
            "found %d documents on one image",
            len(ids),
            extra={"document_id": image_id, "workflow_id": str(doc.workflow_id)},
        )
        return out

    def _store_cut_out(self, pixels: np.ndarray, media_type: str) -> Blob:
        """A document's cut-out as its own original: PNG when the image was lossless, else JPEG."""
        buffer = io.BytesIO()
        if media_type in LOSSLESS_TYPES:
            Image.fromarray(pixels).save(buffer, "PNG")
            media_type = "image/png"
        else:
            Image.fromarray(pixels).save(buffer, "JPEG", quality=92)
            media_type = "image/jpeg"
        data = buffer.getvalue()
        sha256 = hashlib.sha256(data).hexdigest()
        ref = self._store.put(f"originals/sha256/{sha256}", data, content_type=media_type)
        return Blob(ref=str(ref), sha256=sha256, size=len(data), media_type=media_type)
