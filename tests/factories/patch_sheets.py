"""Kodak patch-code sheets as a scanner sees them (issue 8): four bars of the patch's widths,
drawn to Kodak's specification, on a noisy sheet, fed along its leading edge or end first."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from tests.factories.documents import render_scanned_page

DPI = 200
# Bars by patch, from the leading edge: W 0.20 in, N 0.08 in; spaces 0.08 in.
PATTERNS = {"1": "WWNN", "2": "WNNW", "3": "WNWN", "4": "NWWN", "6": "NNWW", "T": "NWNW"}


def patch_sheet(
    patch: str,
    *,
    seed: int = 0,
    end_fed: bool = False,
    skew_deg: float = 0.0,
    length_in: float = 3.0,
    pattern: str | None = None,
    caption: str | None = "PATCH SHEET",
) -> Image.Image:
    """A scanned sheet carrying ``patch`` (or any ``pattern`` of W and N bars), its bars
    ``length_in`` long, 1 in from the leading edge; ``end_fed`` turns the bars down the page."""
    page = render_scanned_page([caption] if caption else [], background=False, rotate_deg=0, noise=False)
    grey = page.convert("L")
    draw = ImageDraw.Draw(grey)
    length = round(length_in * DPI)
    top, left = DPI, (grey.width - length) // 2
    for bar in pattern or PATTERNS[patch]:
        thickness = round((0.20 if bar == "W" else 0.08) * DPI)
        if end_fed:
            draw.rectangle((top, left + 300, top + thickness - 1, left + 300 + length), fill=15)
        else:
            draw.rectangle((left, top, left + length, top + thickness - 1), fill=15)
        top += thickness + round(0.08 * DPI)
    grey = grey.rotate(skew_deg, resample=Image.Resampling.BILINEAR, fillcolor=250)
    rng = np.random.default_rng(seed)
    pixels = np.clip(np.asarray(grey, dtype=float) - 6 + rng.normal(0, 8, grey.size[::-1]), 0, 255)
    return Image.fromarray(pixels.astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.7)).convert("RGB")
