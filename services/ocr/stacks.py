"""A stack a splitting workflow receives is divided into its parts, each sent on as a document.

A part gets its own original (a PDF or TIFF of only its pages, stored under its hash like any
original), its own id, derived from the stack's id and its pages so that a redelivered stack
names the same parts again, and goes back to `document.received` (v2, `part`) to be read,
classified and routed as a document of its own. The stack itself is not read: its
`document.split` names its parts and separators for the API.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection, Sequence
from datetime import datetime

from docroute import metrics, topics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import (
    Blob,
    DivisionItem,
    Document,
    DocumentReceived,
    DocumentSplit,
    Part,
)
from docroute.contracts._generated import Separator as SeparatorOut
from docroute.errors import PermanentError
from docroute.events import Outgoing, emit, stable_id
from services.ocr.boundaries import BoundaryModels, Reading, auto_parts, keep_readings
from services.ocr.core.errors import OcrInputError
from services.ocr.core.images import load_image_pages
from services.ocr.core.pdf import PdfFile
from services.ocr.core.splitting import (
    DETECT_DPI,
    PageRange,
    Separator,
    SplitMode,
    cover_backs,
    every_page_parts,
    find_separator,
    is_blank,
    plan_parts,
    separators_in_use,
    sheets_after_lone_pages,
    tiff_pages,
)

logger = logging.getLogger(__name__)

SPLIT_MODES: frozenset[str] = frozenset({"separator", "every_page", "auto"})


def division_key(stack_id: str) -> str:
    """Where the division a person gave a stack in review is kept (the latest revision)."""
    return f"ocr/{stack_id}/division.json"


def part_id(stack_id: str, pages: PageRange) -> str:
    """A part's document id: the same stack and pages always give the same id."""
    return stable_id("part", stack_id, pages.first, pages.last)


class StackSplitter:
    """Divides the stacks of workflows whose `splitting` is `separator`, `every_page` or `auto`
    (services.ocr.boundaries)."""

    def __init__(self, store: BlobStore, boundaries: BoundaryModels | None = None) -> None:
        self._store = store
        self._boundaries = boundaries

    def split(
        self,
        doc: DocumentReceived,
        splitting: str | None,
        original: Callable[[], bytes],
        read: Callable[[], Reading] | None = None,
        as_of: datetime | None = None,
        separators: Sequence[Separator] | None = None,
        blank: Collection[int] | None = None,
        read_page: Callable[[int], Reading] | None = None,
    ) -> Sequence[Outgoing] | None:
        """The events that divide ``doc`` (its ``original``'s bytes) into its parts; None when it
        is read as one document (no splitting, a part already, one page, no separator found, one
        document found, or unreadable: the usual reading then fails it with its reason).
        ``read`` reads the whole stack (`auto`); a stack `auto` finds one document in keeps that
        reading for itself; ``as_of``: the time of its event (`auto` divides it with the version
        live then); ``separators``: the separator sheets in use, ``blank``: the blank pages,
        where every page was looked at for them already (`services.ocr.photos`); ``read_page``
        reads one page (0-based), where a blank sheet may be a cover's back (`_covers`). A stack that
        comes with a person's `division` (review) is cut as it says, whatever the workflow's
        splitting is now."""
        if doc.division is not None:
            return self._cut(doc, doc.division, original)
        if splitting not in SPLIT_MODES or doc.purpose != "processing" or doc.part is not None:
            return None
        if doc.page_count < 2 or doc.blob.media_type not in ("application/pdf", "image/tiff"):
            return None
        if self._store.exists(division_key(str(doc.document_id))):
            # Redelivered after a person divided it: its first division's parts were superseded
            # (a newer model must not route one of them again), the person's are on their way.
            return []
        mode: SplitMode = "separator" if splitting == "separator" else "every_page"
        data = original()
        readings: dict[int, Reading] = {}
        if splitting == "auto":
            return self._split_auto(doc, data, read, as_of) if read and self._boundaries else None
        try:
            if mode == "every_page":
                if blank is None:
                    blank = _blank_pages(data, doc.blob.media_type, doc.page_count)
                parts, leading = every_page_parts(doc.page_count, blank)
                separators = [Separator(page, "blank") for page in leading]
            else:
                if separators is None:
                    separators = _separators(data, doc.blob.media_type, doc.page_count)
                separators, readings = self._covers(doc, separators, read_page, as_of)
                parts = plan_parts(doc.page_count, mode, {s.page for s in separators})
            if not parts or parts == [PageRange(0, doc.page_count - 1)]:
                return None  # one document, or nothing but separators: read as it is
            self._keep_read(doc, parts, readings)
            return self._divide(doc, data, mode, parts, separators)
        except OcrInputError:
            return None

    def _covers(
        self,
        doc: DocumentReceived,
        separators: Sequence[Separator],
        read_page: Callable[[int], Reading] | None,
        as_of: datetime | None,
    ) -> tuple[list[Separator], dict[int, Reading]]:
        """The separators less the blank pages that are a cover's empty back, and the pages read
        to tell (page -> its reading). A lone blank sheet after a single page
        (`sheets_after_lone_pages`) is a cover's back where the boundary model of the version
        serving the workflow says so (`cover_backs`: what that page alone would cost a division,
        and where it costs only some, whether the page after the sheet goes on from it). Without
        such a model every sheet separates, as without ``read_page``; a page that cannot be read
        leaves its sheet one."""
        lone = sheets_after_lone_pages(separators, doc.page_count)
        if read_page is None or self._boundaries is None or not lone:
            return list(separators), {}
        _, model = self._boundaries.live(str(doc.workflow_id), as_of)
        if model is None:
            return list(separators), {}
        readings: dict[int, Reading] = {}

        def page_text(page: int) -> str | None:
            try:
                readings[page] = read_page(page)
            except PermanentError:
                return None
            return readings[page][0].text

        backs = cover_backs(separators, doc.page_count, page_text, model.alone_cost, model.goes_on)
        for sheet in sorted(backs):
            logger.info(
                "blank page %d kept as the back of page %d, which alone is no document of its class",
                sheet + 1,
                sheet,
                extra={"document_id": str(doc.document_id), "workflow_id": str(doc.workflow_id)},
            )
        return [s for s in separators if s.page not in backs], readings

    def _keep_read(
        self, doc: DocumentReceived, parts: Sequence[PageRange], readings: dict[int, Reading]
    ) -> None:
        """The pages `_covers` read that are parts of their own, kept for those parts to take up
        (a page is OCR'd once)."""
        stack_id = str(doc.document_id)
        for pages in parts:
            if pages.first == pages.last and pages.first in readings:
                keep_readings(self._store, [part_id(stack_id, pages)], [pages], readings[pages.first])

    def _split_auto(
        self, doc: DocumentReceived, data: bytes, read: Callable[[], Reading], as_of: datetime | None
    ) -> Sequence[Outgoing] | None:
        assert self._boundaries is not None
        found = auto_parts(doc, self._boundaries, self._store, read, as_of)
        if found is None:
            return None
        parts, confidences, reading = found
        ids = [part_id(str(doc.document_id), p) for p in parts] if len(parts) > 1 else [str(doc.document_id)]
        # Before the events that announce the parts: a part finds its pages when it arrives.
        keep_readings(self._store, ids, parts, reading)
        return self._divide(doc, data, "auto", parts, [], confidences) if len(parts) > 1 else None

    def _cut(
        self, doc: DocumentReceived, division: Sequence[DivisionItem], original: Callable[[], bytes]
    ) -> list[Outgoing]:
        """The new parts a person's division of a stack names, each cut and sent on as a document.
        The parts that kept their pages are not listed (they exist); the API has recorded the
        stack's new parts, so no `document.split` goes out.

        :raises PermanentError: a part outside the stack's pages (the API checks; a bug if seen).
        """
        for item in division:
            if not 0 <= item.first_page <= item.last_page < doc.page_count:
                raise PermanentError(
                    f"a corrected part's pages {item.first_page}-{item.last_page} are not in the stack's"
                    f" {doc.page_count} pages",
                    reason_code="invalid_division",
                )
        data = original()
        record = [item.model_dump(mode="json") for item in division]
        self._store.put_json(division_key(str(doc.document_id)), record)
        out = [
            self._part(
                doc,
                data,
                str(item.document_id),
                PageRange(item.first_page, item.last_page),
                item.index,
                item.count,
            )
            for item in division
        ]
        logger.info(
            "cut %d corrected parts (%s)",
            len(out),
            ", ".join(f"{d.first_page + 1}-{d.last_page + 1}" for d in division),
            extra={"document_id": str(doc.document_id), "workflow_id": str(doc.workflow_id)},
        )
        return out

    def _divide(
        self,
        doc: DocumentReceived,
        data: bytes,
        mode: SplitMode,
        parts: list[PageRange],
        separators: Sequence[Separator],
        confidences: Sequence[float] | None = None,
    ) -> list[Outgoing]:
        stack_id = str(doc.document_id)
        out: list[Outgoing] = []
        for index, pages in enumerate(parts):
            confidence = confidences[index] if confidences is not None else None
            out.append(self._part(doc, data, part_id(stack_id, pages), pages, index, len(parts), confidence))
        documents = [
            Document(document_id=part_id(stack_id, p), first_page=p.first, last_page=p.last) for p in parts
        ]
        out.append(
            stack_split(
                doc,
                mode,
                documents,
                [SeparatorOut(page=s.page, kind=s.kind, code=s.code) for s in separators],
            )
        )
        metrics.DOCUMENTS.labels("ocr").inc()
        logger.info(
            "split %d pages into %d parts (%s), %d separators",
            doc.page_count,
            len(parts),
            ", ".join(f"{p.first + 1}-{p.last + 1}" for p in parts),
            len(separators),
            extra={"document_id": stack_id, "workflow_id": str(doc.workflow_id)},
        )
        return out

    def _part(
        self,
        doc: DocumentReceived,
        data: bytes,
        document_id: str,
        pages: PageRange,
        index: int,
        count: int,
        confidence: float | None = None,
    ) -> Outgoing:
        """Part `index` of `count` of the stack `doc` (its pages cut out and stored), sent on."""
        blob = store_pages(self._store, data, doc.blob.media_type, pages)
        part = Part(
            parent_id=doc.document_id, index=index, count=count, first_page=pages.first, last_page=pages.last
        )
        return part_received(doc, document_id, blob, part, len(pages.pages), confidence)


def store_pages(store: BlobStore, data: bytes, media_type: str, pages: PageRange) -> Blob:
    """A part's own original: only ``pages`` of the PDF or TIFF ``data``, stored under its hash."""
    if media_type == "application/pdf":
        with PdfFile(data) as pdf:
            part = pdf.extract(pages.pages)
    else:
        part = tiff_pages(data, pages.pages)
    return store_original(store, part, media_type)


def store_original(store: BlobStore, data: bytes, media_type: str) -> Blob:
    """A part's own original stored under its hash, as ingest stores a file's."""
    sha256 = hashlib.sha256(data).hexdigest()
    ref = store.put(f"originals/sha256/{sha256}", data, content_type=media_type)
    return Blob(ref=str(ref), sha256=sha256, size=len(data), media_type=media_type)


def _separators(data: bytes, media_type: str, page_count: int) -> list[Separator]:
    """The separator sheets of a stack, every page looked at once (rendered at DETECT_DPI)."""
    found: list[Separator | None] = []
    if media_type == "application/pdf":
        with PdfFile(data) as pdf:
            found = [find_separator(i, pdf.render(i, DETECT_DPI)) for i in range(pdf.page_count)]
    else:
        found = [find_separator(i, load_image_pages(data, [i])[0]) for i in range(page_count)]
    return separators_in_use([s for s in found if s is not None], page_count)


def _blank_pages(data: bytes, media_type: str, page_count: int) -> set[int]:
    """The pages of a stack without ink. A PDF page with a text layer is printed, so only
    pages without one are rendered (at DETECT_DPI) and looked at: a digital PDF costs next to
    nothing more."""
    if media_type != "application/pdf":
        return {i for i in range(page_count) if is_blank(load_image_pages(data, [i])[0])}
    with PdfFile(data) as pdf:
        return {
            i
            for i in range(pdf.page_count)
            if not pdf.text_layer(i).text.strip() and is_blank(pdf.render(i, DETECT_DPI))
        }


def part_received(
    doc: DocumentReceived,
    document_id: str,
    blob: Blob,
    part: Part,
    page_count: int,
    boundary_confidence: float | None = None,
) -> Outgoing:
    """A part of `doc` sent on as a document of its own (`document.received` v2, `part`; v3
    with the boundary model's confidence in its boundaries, `splitting: auto`)."""
    received = DocumentReceived(
        document_id=document_id,
        workflow_id=doc.workflow_id,
        purpose=doc.purpose,
        parent_id=str(doc.document_id),
        origin=doc.origin,
        blob=blob,
        page_count=page_count,
        model_version=doc.model_version,
        part=part,
        boundary_confidence=boundary_confidence,
    )
    return emit(
        topics.DOCUMENT_RECEIVED,
        "document.received",
        received,
        source="ocr",
        key=document_id,
        step="part_received",
    )


def stack_split(
    doc: DocumentReceived, mode: str, documents: list[Document], separators: list[SeparatorOut]
) -> Outgoing:
    """`document.split` of `doc`: its parts (and separators) for the API."""
    split = DocumentSplit.model_validate(
        {
            "document_id": doc.document_id,
            "workflow_id": doc.workflow_id,
            "mode": mode,
            "page_count": doc.page_count,
            "documents": documents,
            "separators": separators,
        }
    )
    return emit(
        topics.DOCUMENT_SPLIT, "document.split", split, source="ocr", key=str(doc.document_id), step="split"
    )
