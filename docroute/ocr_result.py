"""The OCR result document that the OCR service stores in S3 (UTF-8 JSON, one per document).

Format, version 1::

    {
      "schema_version": 1,
      "document_id": "doc-123",
      "engine": "tesseract",          # engine configured for pages without a text layer
      "language": "latin",            # "latin" (16 European languages) or "japanese"
      "page_count": 3,                # pages in the source document (not only those OCR'd)
      "pages": [
        {
          "index": 0,                 # 0-based page index in the source document
          "width": 1654, "height": 2339,   # pixels of the page image that boxes refer to
          "source": "text-layer",     # "text-layer" | "tesseract" | "paddle"
          "cropped": false,           # true when the page was cut out of a photo first; the
                                      # cut-out the engine read is stored as JPEG beside the
                                      # result, at crop_key(document_id, index)
          "text": "INVOICE\\nNo. 42",  # reading order, lines joined by "\\n"
          "mean_confidence": 1.0,     # mean of the word confidences, 0.0 without words
          "words": [{"text": "INVOICE", "confidence": 1.0, "box": [150, 120, 390, 160],
                     "line": 0}],        # line: 0-based line number on the page, reading order
          "text_layer_rejected": null,  # or, when the page's text layer was garbled (a broken
                                      # font encoding) and the page was OCR'd instead: why,
                                      # "text layer does not read as language: 3 % of 412 ..."
          "escalation": null          # or, when the fast engine read the page poorly and the
                                      # stronger one read it again: {"engine": "tesseract",
                                      # "mean_confidence": 0.41, "text_chars": 212,
                                      # "ink_covered": 0.93,  (its words' share of the ink)
                                      # "reason": "mean confidence 0.41 below 0.75",
                                      # "replaced": true}  (replaced: `source` read it instead)
        }
      ]
    }

Coordinates are pixels, origin top-left, ``box = [x0, y0, x1, y1]`` with x1/y1 exclusive.
OCR'd pages use the pixels of the image the engine saw (after cropping). Text-layer pages use the
page rendered at 200 dpi (the size a scan of it would have), so both kinds share one scale; their
words come from the PDF's character boxes and carry confidence 1.0. Paddle recognises lines, not
words: a line's box is split among its words by character count and every word gets the line's
score. Confidences are 0..1. A page's text is its words joined by spaces within a line (no space
between two CJK characters) and by newlines between lines.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PageSource = Literal["text-layer", "tesseract", "paddle"]
EngineName = Literal["tesseract", "paddle"]
OcrLanguage = Literal["latin", "japanese"]

SCHEMA_VERSION: Literal[1] = 1
PAGE_SEPARATOR = "\n\n"


def crop_key(document_id: str, index: int) -> str:
    """S3 key of page ``index`` as cut out of a photo (what the engine read; its words' boxes
    refer to it): written by the OCR service, shown by the API's cropped view."""
    return f"ocr/{document_id}/cropped-{index}.jpg"


class _Frozen(BaseModel):
    """Immutable model that rejects unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class OcrWord(_Frozen):
    """One recognised word with its confidence and pixel box."""

    text: str
    confidence: float = Field(ge=0.0, le=1.0)
    box: tuple[int, int, int, int] = Field(description="[x0, y0, x1, y1] in page pixels")
    line: int = Field(default=0, ge=0, description="0-based line number on the page")


class OcrFirstRead(_Frozen):
    """What the fast engine made of a page it read poorly, which the stronger engine read again."""

    engine: EngineName
    mean_confidence: float = Field(ge=0.0, le=1.0)
    text_chars: int = Field(ge=0)
    ink_covered: float | None = Field(
        default=None, ge=0.0, le=1.0, description="share of the page's dark pixels inside its words"
    )
    reason: str = ""
    replaced: bool = Field(default=False, description="the stronger engine's read replaced this one")

    @classmethod
    def of(cls, engine: EngineName, words: Sequence[OcrWord], *, ink_covered: float | None) -> OcrFirstRead:
        """The summary of ``engine``'s read ``words``."""
        text = words_to_text(words)
        return cls(
            engine=engine,
            mean_confidence=mean_confidence(words),
            text_chars=len(text),
            ink_covered=ink_covered,
        )


class OcrPage(_Frozen):
    """The text of one page and where it came from."""

    index: int = Field(ge=0, description="0-based page index in the source document")
    width: int = Field(ge=0)
    height: int = Field(ge=0)
    source: PageSource
    cropped: bool = False
    text: str
    mean_confidence: float = Field(ge=0.0, le=1.0)
    words: tuple[OcrWord, ...] = ()
    escalation: OcrFirstRead | None = None
    # Written only when set: readers of the release before it refuse unknown fields, and during
    # a rolling update they read what the new OCR service writes.
    text_layer_rejected: str | None = Field(
        default=None,
        description="why the page's text layer was not used although it had text (then OCR'd)",
        exclude_if=lambda value: value is None,
    )


class OcrDocument(_Frozen):
    """The OCR result of one document, stored as JSON in S3."""

    schema_version: Literal[1] = SCHEMA_VERSION
    document_id: str
    engine: EngineName
    language: OcrLanguage
    page_count: int = Field(ge=0, description="pages in the source document")
    pages: tuple[OcrPage, ...]

    @property
    def text(self) -> str:
        """Text of all OCR'd pages, separated by blank lines."""
        return PAGE_SEPARATOR.join(page.text for page in self.pages)

    def to_json(self) -> bytes:
        """Serialise to UTF-8 JSON bytes."""
        return self.model_dump_json().encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes | str) -> OcrDocument:
        """Parse JSON written by :meth:`to_json`.

        :raises pydantic.ValidationError: when ``data`` is not a valid OCR document.
        """
        return cls.model_validate_json(data)


def mean_confidence(words: Sequence[OcrWord]) -> float:
    """Mean confidence of ``words``, 0.0 when there are none."""
    return sum(word.confidence for word in words) / len(words) if words else 0.0


def _is_wide(char: str) -> bool:
    """Whether ``char`` is a CJK (full-width) character, written without spaces."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def words_to_text(words: Sequence[OcrWord]) -> str:
    """Page text from ``words`` in reading order: spaces within a line, newlines between lines."""
    lines: list[str] = []
    current_line: int | None = None
    for word in words:
        if not word.text:
            continue
        if word.line != current_line:
            lines.append(word.text)
            current_line = word.line
        elif _is_wide(lines[-1][-1]) and _is_wide(word.text[0]):
            lines[-1] += word.text
        else:
            lines[-1] += " " + word.text
    return "\n".join(lines)


def words_from_lines(lines: Sequence[tuple[str, float, tuple[float, ...]]]) -> list[OcrWord]:
    """Words from recognised text lines ``(text, score, (x0, y0, x1, y1))`` in reading order.

    A line's box is shared among its words by character count and each word gets the line's
    score. Lines side by side on one row (a box whose middle lies above the previous box's
    bottom) get the same line number.
    """
    words: list[OcrWord] = []
    line, row_bottom = -1, float("-inf")
    for text, score, (x0, y0, x1, y1) in lines:
        middle = (y0 + y1) / 2
        if middle > row_bottom:
            line, row_bottom = line + 1, y1
        else:
            row_bottom = max(row_bottom, y1)
        per_char = (x1 - x0) / max(len(text), 1)
        confidence = min(max(float(score), 0.0), 1.0)
        offset = 0
        for token in text.split():
            start = text.index(token, offset)
            offset = start + len(token)
            box = (round(x0 + start * per_char), round(y0), round(x0 + offset * per_char), round(y1))
            words.append(OcrWord(text=token, confidence=confidence, box=box, line=line))
    return words
