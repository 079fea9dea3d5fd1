"""ocr's own knobs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from docroute.settings import ServiceSettings

# `document.text_extracted` v4's `text` maxLength.
MAX_INLINE_TEXT_CHARS = 100_000


class OcrSettings(ServiceSettings):
    """Engines to load at start, where production keeps PaddleOCR's model folders, and when a
    page Tesseract read poorly is read again by PaddleOCR (`services.ocr.core.escalation`)."""

    warm_engines: tuple[Literal["tesseract", "paddle"], ...] = ("tesseract",)
    paddle_detection_model_dir: str | None = None
    paddle_recognition_model_dir: str | None = None
    tessdata_dir: str | None = None
    # DOCROUTE_ESCALATE_BELOW_CONFIDENCE / _BELOW_INK_COVERED: a page of a Tesseract workflow read
    # with a mean confidence below this, or whose words cover less than this share of its dark
    # pixels, is read again by PaddleOCR when it is installed (0 and 0: never).
    escalate_below_confidence: float = Field(default=0.75, ge=0.0, le=1.0)
    escalate_below_ink_covered: float = Field(default=0.5, ge=0.0, le=1.0)
    # DOCROUTE_ESCALATE_MAX_PAGES: pages of one document read again at most (the first ones).
    escalate_max_pages: int = Field(default=10, ge=0)
    # DOCROUTE_MAX_TEXT_CHARS, the knob classify and the trainer read too: the classifier reads the
    # first this many characters, so for a workflow without `relevant_pages` OCR reads pages until
    # it has them. A workflow that wants every page OCR'd for downstream use sets relevant_pages "1-".
    max_text_chars: int = Field(default=20_000, ge=1)
    # DOCROUTE_INLINE_TEXT_CHARS: `document.text_extracted` (v4) carries the first this many
    # characters of the text, so classify reads no OCR JSON from S3 (0: none, events stay v3 for
    # consumers that do not read v4 yet during a rolling update). Unset: what the classifier reads
    # (`max_text_chars`), up to the schema's maxLength.
    inline_text_chars: int | None = Field(default=None, ge=0, le=MAX_INLINE_TEXT_CHARS)

    def carried_text_chars(self) -> int:
        """Characters of the text `document.text_extracted` carries (0: none)."""
        if self.inline_text_chars is not None:
            return self.inline_text_chars
        return min(self.max_text_chars, MAX_INLINE_TEXT_CHARS)
