"""Document bytes -> ``OcrDocument``: text layer where a PDF has a legible one, else crop + OCR."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from PIL import Image

from docroute.ocr_result import (
    OcrDocument,
    OcrFirstRead,
    OcrLanguage,
    OcrPage,
    mean_confidence,
    words_to_text,
)
from docroute.page_selection import pages_read, parse_relevant_pages
from services.ocr.core.crop import crop_document
from services.ocr.core.engine import OcrEngine
from services.ocr.core.errors import PageSelectionError, UnsupportedMediaTypeError
from services.ocr.core.escalation import NEVER, EscalationRule, ink_covered
from services.ocr.core.images import count_image_pages, load_image_pages
from services.ocr.core.legibility import garbled_reason
from services.ocr.core.pdf import PdfFile, has_text_layer

logger = logging.getLogger(__name__)

MediaType = Literal["application/pdf", "image/png", "image/jpeg", "image/tiff"]
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/tiff"})
# A4 at 300 dpi: larger uncropped photos only slow the engine down without reading better.
MAX_OCR_SIDE = 3508
# Called with (page index, the cut-out the engine read) for each page cut out of a photo.
KeepCrop = Callable[[int, Image.Image], None]


def select_pages(spec: str | None, page_count: int, max_pages: int) -> list[int]:
    """The first ``max_pages`` of the pages ``spec`` selects (`docroute.page_selection.pages_read`,
    the rule the doors bill by).

    :raises PageSelectionError: when ``spec`` is unreadable or selects no page.
    """
    if not parse_relevant_pages(spec, page_count):
        raise PageSelectionError(f"relevant pages {spec!r} select none of the document's {page_count} pages")
    return pages_read(spec, page_count, max_pages)


def ocr_page(
    index: int,
    image: Image.Image,
    *,
    cropping: bool,
    language: OcrLanguage,
    engine: OcrEngine,
    fallback: OcrEngine | None = None,
    rule: EscalationRule = NEVER,
    keep_crop: KeepCrop | None = None,
) -> OcrPage:
    """OCR one page image, cutting the page out of a photo first when ``cropping`` (the cut-out
    handed to ``keep_crop``); a page ``engine`` reads poorly by ``rule`` is read again by
    ``fallback`` (when given), whose read is kept if it found any words."""
    cropped = False
    if cropping:
        result = crop_document(np.asarray(image))
        if result.cropped:
            image, cropped = Image.fromarray(result.image), True
    if max(image.size) > MAX_OCR_SIDE:
        image = image.copy()
        image.thumbnail((MAX_OCR_SIDE, MAX_OCR_SIDE), Image.Resampling.LANCZOS)
    if cropped and keep_crop is not None:
        keep_crop(index, image)
    words = engine.recognize(image, language)
    source, escalation = engine.name, None
    if fallback is not None and fallback.name != engine.name:
        covered = ink_covered(image, words)
        why = rule.reason(mean_confidence(words), covered)
        if why is not None:
            first = OcrFirstRead.of(engine.name, words, ink_covered=covered)
            again = fallback.recognize(image, language)
            escalation = first.model_copy(update={"reason": why, "replaced": bool(again)})
            if again:
                words, source = again, fallback.name
    return OcrPage(
        index=index,
        width=image.width,
        height=image.height,
        source=source,
        cropped=cropped,
        text=words_to_text(words),
        words=tuple(words),
        mean_confidence=mean_confidence(words),
        escalation=escalation,
    )


@dataclass(frozen=True)
class _Ocr:
    """How pages without a text layer are OCR'd."""

    cropping: bool
    language: OcrLanguage
    engine: OcrEngine
    fallback: OcrEngine | None = None
    rule: EscalationRule = NEVER
    keep_crop: KeepCrop | None = None
    # Indexes of the pages escalated so far: at most rule.max_pages per document.
    escalated: list[int] = field(default_factory=list)

    def page(self, index: int, image: Image.Image) -> OcrPage:
        """OCR page ``index``."""
        budget_left = len(self.escalated) < self.rule.max_pages
        page = ocr_page(
            index,
            image,
            cropping=self.cropping,
            language=self.language,
            engine=self.engine,
            fallback=self.fallback if budget_left else None,
            rule=self.rule,
            keep_crop=self.keep_crop,
        )
        if page.escalation is not None:
            self.escalated.append(index)
        return page


def enough_text(pages: list[OcrPage], text_budget: int | None) -> bool:
    """True once ``pages`` hold ``text_budget`` characters: the classifier reads no further, so
    the next pages would be OCR'd for nothing (None: no budget, every selected page is read)."""
    return text_budget is not None and sum(len(page.text) for page in pages) >= text_budget


def _pdf_pages(
    data: bytes, spec: str | None, max_pages: int, ocr: _Ocr, text_budget: int | None
) -> tuple[int, list[OcrPage]]:
    """Page count and pages of a PDF: text layer when present and legible, else rendered and
    OCR'd (a garbled layer's reason kept on the page as ``text_layer_rejected``)."""
    pages: list[OcrPage] = []
    with PdfFile(data) as pdf:
        for index in select_pages(spec, pdf.page_count, max_pages):
            if enough_text(pages, text_budget):
                break
            layer = pdf.text_layer(index)
            present = has_text_layer(layer.text)
            # A layer of mojibake (a broken font encoding) is read like a scan, saying why.
            garbled = garbled_reason(layer.text) if present else None
            if present and garbled is None:
                pages.append(
                    OcrPage(
                        index=index,
                        width=layer.width,
                        height=layer.height,
                        source="text-layer",
                        text=layer.text.strip(),
                        words=layer.words,
                        mean_confidence=mean_confidence(layer.words),
                    )
                )
            else:
                page = ocr.page(index, pdf.render(index))
                pages.append(
                    page if garbled is None else page.model_copy(update={"text_layer_rejected": garbled})
                )
        return pdf.page_count, pages


def _image_pages(
    data: bytes, spec: str | None, max_pages: int, ocr: _Ocr, text_budget: int | None
) -> tuple[int, list[OcrPage]]:
    """Page count and OCR'd pages of a PNG/JPEG/TIFF document."""
    page_count = count_image_pages(data)
    pages: list[OcrPage] = []
    for index in select_pages(spec, page_count, max_pages):
        if enough_text(pages, text_budget):
            break
        # One page decoded at a time: the pages after the budget are never decoded.
        (image,) = load_image_pages(data, [index])
        pages.append(ocr.page(index, image))
    return page_count, pages


def extract_document(
    data: bytes,
    media_type: MediaType,
    *,
    document_id: str,
    relevant_pages: str | None,
    cropping: bool,
    language: OcrLanguage,
    engine: OcrEngine,
    max_pages: int,
    fallback: OcrEngine | None = None,
    rule: EscalationRule = NEVER,
    text_budget: int | None = None,
    keep_crop: KeepCrop | None = None,
) -> OcrDocument:
    """Text of the relevant pages of a document (at most ``max_pages``), page by page, stopping
    after the page that brings the text to ``text_budget`` characters (None: every relevant
    page); a page without a text layer that ``engine`` reads poorly by ``rule`` is read again by
    ``fallback``; pages cut out of photos are handed to ``keep_crop``.

    :raises OcrInputError: (subclasses) for corrupt, encrypted or unsupported documents and
        page selections that select nothing.
    """
    started = time.perf_counter()
    ocr = _Ocr(
        cropping=cropping, language=language, engine=engine, fallback=fallback, rule=rule, keep_crop=keep_crop
    )
    if media_type == "application/pdf":
        page_count, pages = _pdf_pages(data, relevant_pages, max_pages, ocr, text_budget)
    elif media_type in IMAGE_TYPES:
        page_count, pages = _image_pages(data, relevant_pages, max_pages, ocr, text_budget)
    else:
        raise UnsupportedMediaTypeError(f"cannot OCR media type {media_type!r}")
    logger.info(
        "extracted %d of %d pages in %.2f s (%s)",
        len(pages),
        page_count,
        time.perf_counter() - started,
        ",".join(page.source for page in pages),
        extra={"document_id": document_id},
    )
    return OcrDocument(
        document_id=document_id,
        engine=engine.name,
        language=language,
        page_count=page_count,
        pages=tuple(pages),
    )
