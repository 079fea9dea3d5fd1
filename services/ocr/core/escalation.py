"""When a page the fast engine read is read again by the stronger one.

Tesseract reads a clean page in about 1 CPU-s; photos and poor scans it reads badly, and shows it
in one of two ways: its mean word confidence drops (faint or broken print), or its words cover
little of the page's ink (an uncropped photo, skewed or curled text: it reads a few lines
confidently and misses the rest). On real receipt scans (SROIE) and generated photos the two
measures separate good reads from poor ones: clean pages had 0.94-1.00 of their dark pixels
inside word boxes, photos 0.01, receipts Tesseract misread 0.29-0.41 (`bench/ocr_escalation.py`).
Such a page is read again by PaddleOCR (4-8 CPU-s), whose read is kept when it found any words.
The page's `source` names the engine whose text was kept and `escalation` what the first engine
made of it (`docroute.ocr_result`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from docroute.ocr_result import OcrWord

# A page with fewer dark pixels than this (at most 2000 px a side) is blank: finding no text on
# it is right, not poor. One printed word at 200 dpi has a few hundred.
MIN_INK_PIXELS = 200
_DARK = 128
_SIDE = 2000


@dataclass(frozen=True)
class EscalationRule:
    """A page read with mean confidence below ``min_confidence``, or whose words cover less than
    ``min_ink_covered`` of its dark pixels, is read again; at most ``max_pages`` pages of one
    document (the strong engine takes 5-15 CPU-s a page: a 200-page photo album must not hold
    its partition for an hour). Both thresholds 0: never."""

    min_confidence: float = 0.75
    min_ink_covered: float = 0.5
    max_pages: int = 10

    def reason(self, confidence: float, ink_covered: float | None) -> str | None:
        """Why a page read with this mean ``confidence``, its words covering ``ink_covered`` of its
        ink (None: a blank page), is read again; None when the read stands."""
        if ink_covered is not None and ink_covered < self.min_ink_covered:
            return (
                f"the words read cover {ink_covered:.0%} of the page's ink "
                f"(less than {self.min_ink_covered:.0%})"
            )
        if ink_covered is not None and confidence < self.min_confidence:
            return f"mean confidence {confidence:.2f} below {self.min_confidence:.2f}"
        return None


NEVER = EscalationRule(min_confidence=0.0, min_ink_covered=0.0, max_pages=0)


def ink_covered(
    image: Image.Image,
    words: Sequence[OcrWord],
    resample: Image.Resampling = Image.Resampling.NEAREST,
) -> float | None:
    """The share of ``image``'s dark pixels that lie inside the boxes of ``words``; None when the
    page has no ink to speak of (blank). A page over 2000 px a side is sampled down first, by
    nearest neighbour: a share of pixels needs a sample of them, not a smooth picture (1.5 ms
    against bicubic's 22 on a 200-dpi page; bench/ink_cover.py compares the two)."""
    grey = image.convert("L")
    scale = 1.0
    if max(grey.size) > _SIDE:
        scale = _SIDE / max(grey.size)
        size = (max(round(grey.width * scale), 1), max(round(grey.height * scale), 1))
        grey = grey.resize(size, resample)
    dark = np.asarray(grey) < _DARK
    total = np.count_nonzero(dark)
    if total < MIN_INK_PIXELS:
        return None
    inside = np.zeros_like(dark)
    for word in words:
        x0, y0, x1, y1 = (round(value * scale) for value in word.box)
        inside[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = True
    return np.count_nonzero(dark & inside) / total
