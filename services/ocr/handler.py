"""Turns `document.received` into `document.text_extracted`."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from functools import cache, partial

from PIL import Image

from docroute import metrics, topics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import DocumentReceived, DocumentTextExtracted
from docroute.errors import PermanentError
from docroute.events import Event, Outgoing, emit
from docroute.model_versions import ModelVersions
from docroute.ocr_result import crop_key
from docroute.workflows import WorkflowDirectory
from services.ocr.adapters import EngineSet, StandbyEngine
from services.ocr.boundaries import BoundaryModels, Reading, kept_reading
from services.ocr.core.engine import reading_engine
from services.ocr.core.errors import CorruptDocumentError, EncryptedDocumentError, OcrInputError
from services.ocr.core.escalation import NEVER, EscalationRule
from services.ocr.core.extract import extract_document
from services.ocr.decided import DecidedSplits, reading_key
from services.ocr.photos import PhotoSplitter
from services.ocr.stacks import SPLIT_MODES, StackSplitter

logger = logging.getLogger(__name__)

_REASONS: dict[type[OcrInputError], str] = {
    CorruptDocumentError: "corrupt_file",
    EncryptedDocumentError: "encrypted_file",
}


class OcrHandler:
    """Reads the relevant pages with the workflow's document spec."""

    def __init__(
        self,
        store: BlobStore,
        workflows: WorkflowDirectory,
        engines: EngineSet,
        max_pages: int,
        escalation: EscalationRule = NEVER,
        *,
        text_budget: int | None = None,
        inline_text_chars: int = 0,
        versions: ModelVersions | None = None,
    ) -> None:
        self._store = store
        self._workflows = workflows
        self._engines = engines
        self._max_pages = max_pages
        self._escalation = escalation
        # Characters the classifier reads: pages after them are not OCR'd (None: every page).
        self._text_budget = text_budget
        # The text's first characters ride in the event: classify then reads no OCR JSON.
        self._inline_text_chars = inline_text_chars
        # Pages Tesseract reads poorly are read again by Paddle (loaded when first needed).
        self._fallback = StandbyEngine(engines, "paddle") if escalation != NEVER else None
        # `splitting: auto` reads the live version's boundary model (services.ocr.boundaries).
        self._stacks = StackSplitter(store, BoundaryModels(versions, store) if versions else None)
        self._photos = PhotoSplitter(store)
        self._decided = DecidedSplits(store)

    def on_received(self, event: Event[DocumentReceived]) -> Sequence[Outgoing]:
        doc = event.data
        document_id = str(doc.document_id)
        workflow = self._workflows.get(str(doc.workflow_id), as_of=event.time)
        # A stack the workflow splits goes on as its parts, each read as a document of its own.
        # A photo holding several documents (receipts) goes on as one part per document.
        # The original is fetched once, whichever of them looks at it first.
        # A stack divided before is divided as it was, a document read as one is read as one
        # again, across a release or a change of the workflow's splitting (services.ocr.decided).
        original = cache(partial(self._store.get, doc.blob.ref))
        splitting = workflow.splitting
        if self._decided.divisible(doc) and (
            splitting in SPLIT_MODES or self._workflows.changed_after(str(doc.workflow_id), event.time)
        ):
            earlier = self._decided.earlier(doc)
            if earlier.events is not None:
                return earlier.events
            splitting = None if earlier.read_as_one else splitting
        divisible = self._decided.applies(doc, splitting)
        looked = self._photos.split(doc, splitting, original)
        if looked.events is not None:
            return self._decided.keep(doc, looked.events) if divisible else looked.events
        read_whole = partial(self._read, doc, original, whole=True)
        parts = self._stacks.split(
            doc,
            splitting,
            original,
            read_whole,
            as_of=event.time,
            separators=looked.separators,
            blank=looked.blank,
            read_page=partial(self._read_page, doc, original),
        )
        if parts is not None:
            return self._decided.keep(doc, parts) if divisible and parts else parts
        # A part of a stack `auto` divided (or a stack it found one document in) was read with it.
        kept = kept_reading(self._store, document_id) if doc.part or workflow.splitting == "auto" else None
        result, crops = (kept, {}) if kept is not None else self._read(doc, original)
        for index, image in crops.items():  # before the result that says they exist
            self._store.put(crop_key(document_id, index), _jpeg(image), content_type="image/jpeg")
        ocr_ref = self._store.put(reading_key(document_id), result.to_json(), content_type="application/json")
        for page in result.pages:
            metrics.PAGES.labels("ocr", page.source).inc()
        metrics.DOCUMENTS.labels("ocr").inc()
        text = result.text
        extracted = DocumentTextExtracted(
            document_id=doc.document_id,
            workflow_id=doc.workflow_id,
            purpose=doc.purpose,
            label=doc.label,
            blob=doc.blob,
            ocr_ref=str(ocr_ref),
            page_count=doc.page_count,
            pages_used=[page.index for page in result.pages],
            sources=[page.source for page in result.pages],
            escalated_pages=[page.index for page in result.pages if page.escalation is not None] or None,
            text_chars=len(text),
            text_preview=text[:500],
            text=text[: self._inline_text_chars] if self._inline_text_chars else None,
            model_version=doc.model_version,
            part=doc.part,
            boundary_confidence=doc.boundary_confidence,
        )
        logger.info(
            "read %d pages (%s), %d chars",
            len(result.pages),
            ",".join(sorted({p.source for p in result.pages})),
            len(text),
            extra={"document_id": document_id, "workflow_id": str(doc.workflow_id)},
        )
        return [
            emit(
                topics.DOCUMENT_TEXT_EXTRACTED,
                "document.text_extracted",
                extracted,
                source="ocr",
                key=document_id,
                step="text_extracted",
            )
        ]

    def _read_page(self, doc: DocumentReceived, original: Callable[[], bytes], page: int) -> Reading:
        """Page ``page`` (0-based) of a stack, read as its part will be when it is one of its own."""
        return self._read(doc, original, pages=str(page + 1))

    def _read(
        self,
        doc: DocumentReceived,
        original: Callable[[], bytes],
        *,
        whole: bool = False,
        pages: str | None = None,
    ) -> Reading:
        """A document (its ``original``'s bytes) read with its workflow's spec, and its photos'
        cut-outs; ``whole``: every page (a stack the boundary model divides: a part's pages are
        its own business); ``pages``: these pages (1-based, `relevant_pages`' syntax) instead."""
        spec = self._workflows.get(str(doc.workflow_id)).document_spec
        engine = self._engines.get(reading_engine(spec.ocr_engine, spec.text_style))
        crops: dict[int, Image.Image] = {}
        try:
            result = extract_document(
                original(),
                doc.blob.media_type,
                document_id=str(doc.document_id),
                relevant_pages=pages or (None if whole else spec.relevant_pages),
                cropping=spec.cropping,
                language=spec.character_set,
                engine=engine,
                max_pages=self._max_pages,
                fallback=self._fallback if engine.name == "tesseract" else None,
                rule=self._escalation,
                # A workflow that names its pages gets them all ("1-": the whole document).
                text_budget=None if whole or pages or spec.relevant_pages else self._text_budget,
                keep_crop=crops.__setitem__,
            )
        except OcrInputError as exc:
            raise PermanentError(
                str(exc), reason_code=_REASONS.get(type(exc), "unreadable_document")
            ) from exc
        return result, crops


def _jpeg(image: Image.Image) -> bytes:
    """A page cut out of a photo, for people to look at (a tenth of a PNG's size)."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
