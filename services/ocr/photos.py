"""A photo or flatbed scan holding several documents is divided into them, each sent on as a part.

Two or three receipts photographed together, an ID card's front and back on one scan: each
document found on the image (`services.ocr.core.regions`) becomes a part, as the pages of a stack
do (`services.ocr.stacks`): its own original (its cut-out, flattened and stored under its hash),
its own id, derived from the image's id and the region's position so that a redelivered image
names the same parts again, and `document.received` (v2, `part`) to be read, classified and
routed as a document of its own. Every part's page range is the page it was found on, and
`part.index` its position in the file: page by page, each page's regions in reading order (top to
bottom, then left to right). The image gets `document.split`, its parts listed like a stack's. A
PDF without a text layer is such an image too (a phone's scanner app, or a photo printed to PDF,
puts each photo on a page with a white margin, which the regions leave aside); a PDF with text is
letters. In a file of several pages (up to `MAX_PHOTO_PAGES`) where one page holds two documents
or more, the other pages are grouped as the workflow's splitting groups a stack's
(`services.ocr.core.splitting.plan_around`): the pages between two separator sheets or pages of
several documents are one part (`separator`), or each page is one (`every_page`; `auto` too, as
its boundary model reads whole stacks only); such parts are copies of their pages, as a stack's
are. Where no page holds two, the pages are the stack splitter's, with the separator sheets found
on the way (`Looked`). Parts that share a page have no boundary a person could move in review
(`services.api.review.boundaries`).

Only workflows that split (`splitting` other than `none`) divide an image: a workflow that does
not promised one file, one document, and its consumers read v1 events only
(`schemas/README.md`). An image on which one document or none is found is read as it is.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import NamedTuple

import numpy as np
from PIL import Image

from docroute import metrics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import Blob, Document, DocumentReceived, Part
from docroute.contracts._generated import Separator as SeparatorOut
from docroute.events import Outgoing, stable_id
from services.ocr.core.crop import flatten
from services.ocr.core.errors import OcrInputError
from services.ocr.core.images import load_image_pages
from services.ocr.core.pdf import PdfFile, has_text_layer
from services.ocr.core.regions import find_documents
from services.ocr.core.splitting import (
    DETECT_DPI,
    PageRange,
    Separator,
    SplitMode,
    every_page_parts,
    find_separator,
    is_blank,
    plan_around,
    separators_in_use,
)
from services.ocr.stacks import part_id, part_received, stack_split, store_original, store_pages

logger = logging.getLogger(__name__)

PHOTO_TYPES: frozenset[str] = frozenset({"image/jpeg", "image/png", "image/tiff"})
PDF = "application/pdf"
# Cut-outs kept lossless when their source was (a PNG or TIFF scan); a photo's, a JPEG's or one on
# a PDF page, as JPEG.
LOSSLESS_TYPES: frozenset[str] = frozenset({"image/png", "image/tiff"})
# Files of more pages are stacks (a mailroom's batch), never looked at for photos: the look costs
# a render and a search a page, where a phone's scanner app makes files of a few pages.
MAX_PHOTO_PAGES = 10


def _image_page(data: bytes, index: int) -> Image.Image:
    return load_image_pages(data, [index])[0]


def region_part_id(image_id: str, region: int, page: int = 0) -> str:
    """A region's document id: the same image, page and region always give the same id."""
    # A first page's regions keep the ids they had when only one-page images were divided.
    return stable_id("region", image_id, region) if page == 0 else stable_id("region", image_id, page, region)


@dataclass(frozen=True)
class Found:
    """A document found in the file: a region of a page that holds several (its position there
    and its corners as shares of the page's width), or pages whole (``corners`` None: a page
    range the workflow's splitting groups, see `plan_around`)."""

    pages: PageRange
    region: int = 0
    corners: np.ndarray | None = None

    @property
    def page(self) -> int:
        return self.pages.first

    def cut_out(self, page: np.ndarray) -> np.ndarray:
        """This region's pixels on ``page`` (the page at any resolution), flattened."""
        assert self.corners is not None, "pages whole are copied, not cut out"
        return flatten(page, self.corners * page.shape[1])


@dataclass(frozen=True)
class Looked:
    """What the photo splitter made of a file: the events that divide it (None: it is not
    divided here), and what it found on the way, having looked at every page, so that the stack
    splitter does not render and search the same pages again: the separator sheets in use of a
    `separator` workflow's file, the blank pages of an `every_page` one (None: not looked for)."""

    events: list[Outgoing] | None = None
    separators: list[Separator] | None = None
    blank: frozenset[int] | None = None


class OnPages(NamedTuple):
    """The documents on a file's pages (none when no page holds two), the separator sheets in
    use (`separator`) and the blank pages (`every_page`) found on them, None where not looked for."""

    documents: list[Found]
    separators: list[Separator] | None
    blank: frozenset[int] | None


def documents_on_pages(count: int, look: Callable[[int], Image.Image], splitting: str) -> OnPages:
    """The documents in a file of ``count`` pages, each page looked at as ``look`` gives it (one
    at a time: a scan's page may be 35 MP): every document of a page that holds two or more, and
    the other pages grouped as the workflow's ``splitting`` groups a stack's (`plan_around`:
    between separator sheets, or one part a printed page with the blank pages after it), less
    the separator sheets of `separator` splitting (given back, found on every page; None where
    not looked for) and `every_page`'s blank pages before its first printed one. No documents when no
    page holds two (one photo, one document; a stack's pages are the stack splitter's)."""
    found: list[list[np.ndarray]] = []
    seen: list[Separator] = []
    blank: set[int] = set()
    searched = splitting == "separator" and count > 1
    spread = splitting == "every_page" and count > 1
    for page in range(count):
        image = look(page)
        found.append([quad / image.width for quad in find_documents(np.asarray(image))])
        separator = find_separator(page, image) if searched else None
        seen += [separator] if separator is not None else []
        if spread and is_blank(image):
            blank.add(page)
    separators = separators_in_use(seen, count) if searched else None
    crowded = {page for page, quads in enumerate(found) if len(quads) >= 2}
    blank_pages = frozenset(blank) if spread else None
    if not crowded:
        return OnPages([], separators, blank_pages)
    if separators is not None:  # a page of documents is no sheet (a barcode read as two regions)
        separators = [s for s in separators if s.page not in crowded]
    mode: SplitMode = "separator" if splitting == "separator" else "every_page"
    if splitting == "every_page":  # blank pages before the first printed one are in no part
        separators = [Separator(page, "blank") for page in every_page_parts(count, blank - crowded)[1]]
    documents: list[Found] = []
    for pages in plan_around(count, mode, {s.page for s in separators or []}, crowded, blank):
        if pages.first in crowded:
            documents += [Found(pages, n, quad) for n, quad in enumerate(found[pages.first])]
        else:
            documents.append(Found(pages))
    return OnPages(documents, separators, blank_pages)


class PhotoSplitter:
    """Divides the one-page images of workflows that split into the documents found on them."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store

    def split(self, doc: DocumentReceived, splitting: str | None, original: Callable[[], bytes]) -> Looked:
        """The events that divide ``doc`` (its ``original``'s bytes) into the documents on its
        pages; none when it is read as one, or left to the stack splitter (no splitting, a part
        already, not an image or a PDF without text, no page holding two documents, or
        unreadable: the usual reading then fails it with its reason)."""
        if splitting in (None, "none") or doc.purpose != "processing" or doc.part is not None:
            return Looked()
        if doc.blob.media_type not in PHOTO_TYPES | {PDF} or not 1 <= doc.page_count <= MAX_PHOTO_PAGES:
            return Looked()
        try:
            return self._divide(doc, splitting, original())
        except OcrInputError:
            return Looked()

    def _divide(self, doc: DocumentReceived, mode: str, data: bytes) -> Looked:
        """The documents on the pages of an image, or of a PDF whose pages have no text layer
        (photos on pages), each cut out and stored as its own original; none for a PDF with text
        (letters: the stack splitter's) or a file without a page of several documents."""
        if doc.blob.media_type != PDF:
            # The page last looked at is the first cut from (a one-page photo: decoded once).
            page_of = lru_cache(maxsize=1)(partial(_image_page, data))
            documents, separators, blank = documents_on_pages(doc.page_count, page_of, mode)
            events = self._parts(doc, mode, data, documents, separators, page_of) if documents else None
            return Looked(events, separators, blank)
        with PdfFile(data) as pdf:
            if any(has_text_layer(pdf.text_layer(i).text) for i in range(pdf.page_count)):
                return Looked()
            # One page is looked at as it is read; a file of several at the separators' lower
            # resolution (the regions are found on a ~1,000 px copy either way), each page that
            # holds documents rendered again to cut them out.
            render = lru_cache(maxsize=1)(pdf.render)
            look = render if pdf.page_count == 1 else partial(pdf.render, dpi=DETECT_DPI)
            documents, separators, blank = documents_on_pages(pdf.page_count, look, mode)
            events = self._parts(doc, mode, data, documents, separators, render) if documents else None
            return Looked(events, separators, blank)

    def _parts(
        self,
        doc: DocumentReceived,
        mode: str,
        data: bytes,
        documents: list[Found],
        separators: list[Separator] | None,
        render: Callable[[int], Image.Image],
    ) -> list[Outgoing]:
        image_id = str(doc.document_id)
        ids = [
            part_id(image_id, d.pages) if d.corners is None else region_part_id(image_id, d.region, d.page)
            for d in documents
        ]
        out: list[Outgoing] = []
        pixels: tuple[int, np.ndarray] | None = None  # the page cut from, rendered once
        for index, (document_id, document) in enumerate(zip(ids, documents, strict=True)):
            if document.corners is None:  # pages whole: copied as they are, as a stack's parts
                blob = store_pages(self._store, data, doc.blob.media_type, document.pages)
            else:
                if pixels is None or pixels[0] != document.page:
                    pixels = (document.page, np.asarray(render(document.page)))
                blob = self._store_cut_out(document.cut_out(pixels[1]), doc.blob.media_type)
            part = Part(
                parent_id=doc.document_id,
                index=index,
                count=len(ids),
                first_page=document.pages.first,
                last_page=document.pages.last,
            )
            out.append(part_received(doc, document_id, blob, part, page_count=len(document.pages.pages)))
        listed = [
            Document(document_id=i, first_page=d.pages.first, last_page=d.pages.last)
            for i, d in zip(ids, documents, strict=True)
        ]
        kept = [SeparatorOut(page=s.page, kind=s.kind, code=s.code) for s in separators or []]
        out.append(stack_split(doc, mode, listed, kept))
        metrics.DOCUMENTS.labels("ocr").inc()
        logger.info(
            "found %d documents on %d pages",
            len(ids),
            doc.page_count,
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
        return store_original(self._store, buffer.getvalue(), media_type)
