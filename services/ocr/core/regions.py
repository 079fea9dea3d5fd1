"""Several documents on one image: the receipts of one photo, an ID card's two sides on a scan.

Each document is a sheet of paper brighter than what it lies on. On a ~1000 px copy the text is
closed away, Otsu splits paper from background, and every bright blob that is shaped like a sheet
(it fills its quadrilateral or rotated rectangle) and is neither a speck nor the whole frame is a
document. A blob that is not sheet-shaped, or fills its rotated rectangle loosely, may be two or
three touching sheets: it is cut between two deep notches of its outline (sheets side by side) or
eroded until it falls apart (sheets touching at a corner), and the cut stands only when every part
is a sheet. A sheet's corners are near right angles (a wedge cut off a blob is none), and its
outline has no deep notch (two sheets joined into one blob have one where their edges meet, even
when the hull of their union passes for a rectangle). Sheets lying a few pixels apart, which the
closing joins, are parted by the dark seam between them on a copy closed less. A blob that neither
is a sheet nor cuts into sheets may be sheets joined by a streak of table lighter than the rest of
the table (light wood grain running off the frame): split by its own tones, its brighter part is
the paper. Two sheets in line a few pixels apart, filling their joint hull, are the parts of one
sheet cut at a fold or a shadow's edge. Nor is every bright blob a document: a round one is a coin
or a cup, and one much smaller than the largest sheet is a scrap (a fingertip, a patch of table, a
sliver of a sheet out of view) when it holds no print or is cut by the frame. When print on paper
lies outside every sheet found, a sheet was missed and the image is read whole (dividing it would
lose that sheet).

When paper and background are too close in tone for one brightness split (white receipts on a
light grey table: 15-35 grey levels apart, while light falls off across the table by as much), the
sheets are found by their outlines instead: the edges of the closed copy, joined across small gaps,
each group's convex hull a candidate sheet (a receipt's outline still encloses it where a fold or
shadow hides part of an edge). A candidate stands only when its paper is clearly brighter than the
table just around it (a printed block inside one sheet has the same blank paper around it), and
the candidates stand together only when they hold the image's print (print outside all of them
means they are parts of one printed page).

One document stays one: a blob that touches two opposite edges of the frame is the page of a scan,
not a sheet on a table; nothing is found when paper and background cannot be told apart (a white
receipt on a white table). A flat white frame around the image (the white margin of a PDF page that
holds a photo) is not table and is cut off first. The caller divides the image only when two or
more documents are found.
"""

from __future__ import annotations

import cv2
import numpy as np

from services.ocr.core.crop import (
    PaperMask,
    closed_copy,
    paper_on,
    to_gray,
)
from services.ocr.core.sheet_print import (
    MAX_STRAY_INK,
    OUTLINE_RING,
    RING_KERNEL,
    print_between,
    stray_ink,
    without_scraps,
)
from services.ocr.core.sheet_shapes import OUTLINE_STEP, joined_at_folds, quad_mask, sheets_of

# A frame row or column whose pixels all lie this close (grey levels) to a white corner's (PAGE_WHITE
# or brighter) is a drawn page margin (a PDF page around its photo): a camera's or scanner's pixels
# are never that even.
FLAT_FRAME = 2
PAGE_WHITE = 240
# Sheets lying a few pixels apart on the copy are joined by the closing that erases print; a
# closing this small (px) still erases a stroke but leaves the dark seam between them open.
SEAM_CLOSE = 5
# Canny's hysteresis on the closed copy (Sobel gradient, about 3x a step's grey levels after the
# blur): an edge starts at a ~7-level step and goes on while ~3-4 levels remain, so a receipt's
# outline continues into the shadow of a fold; the table's slow light gradient stays below both.
OUTLINE_EDGES = (10, 20)
# Edges closer than this (px on the copy, 1.5 % of its long side) join into one outline: the
# breaks of a receipt's outline are bridged, sheets lying further apart stay apart.
OUTLINE_JOIN = 15


def find_documents(image: np.ndarray) -> list[np.ndarray]:
    """The corners (4x2 float32, top-left first, in ``image``'s pixels) of every document on
    ``image`` (RGB or grey uint8), in reading order: top to bottom, then left to right.

    Returns an empty list when paper and background cannot be told apart.
    """
    # Only tones matter from here on: one grey copy, taken once (a flatbed scan may be 35 MP).
    gray, (left, top) = trim_flat_frame(to_gray(image))
    scale, blurred, closed = closed_copy(gray)
    paper = paper_on(scale, closed)
    quads = _outlined_sheets(scale, blurred, closed) if paper is None else _bright_sheets(paper, blurred)
    shift = np.array([left, top], np.float32)
    return _reading_order([quad + shift for quad in quads], image.shape[0])


def trim_flat_frame(gray: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """``gray`` (one channel) without the flat white margin around it (rows and columns of its
    white corner's tone), and where the rest begins (left, top); ``gray`` when it has none."""
    corner = int(gray[0, 0])
    if corner < PAGE_WHITE:
        return gray, (0, 0)
    content = (gray < corner - FLAT_FRAME) | (gray > min(255, corner + FLAT_FRAME))
    rows, cols = np.nonzero(content.any(axis=1))[0], np.nonzero(content.any(axis=0))[0]
    if not rows.size:
        return gray, (0, 0)
    top, left = int(rows[0]), int(cols[0])
    return gray[top : rows[-1] + 1, left : cols[-1] + 1], (left, top)


def _bright_sheets(paper: PaperMask, blurred: np.ndarray) -> list[np.ndarray]:
    """The sheets of the bright blobs of ``paper`` (``blurred`` the copy it was closed from), in
    the image's pixels; none when print on paper lies outside them (a sheet not found)."""
    # Opening cuts the thin bright bridges (a glare, a shared shadow's edge) between two sheets.
    mask = cv2.morphologyEx(paper.mask, cv2.MORPH_OPEN, np.ones((7, 7), np.uint8))
    seams = cv2.morphologyEx(blurred, cv2.MORPH_CLOSE, np.ones((SEAM_CLOSE, SEAM_CLOSE), np.uint8))
    sheets, on_paper = sheets_of(mask, paper.closed, seams > paper.threshold)
    # A scrap's print (a sliver of a sheet out of view) counts as print outside the sheets below.
    sheets = _documents_among(sheets, blurred, paper.closed)
    # Dividing the image drops what lies outside its sheets: a receipt missed among found ones
    # would be lost, so the image is read whole instead. Only print on paper counts (the grain
    # of the table, dark or lighter, is no print).
    if stray_ink(blurred, paper.closed, sheets, on_paper > 0) > MAX_STRAY_INK:
        return []
    if len(sheets) > 1 and print_between(blurred, paper.closed, sheets):
        return []
    return [quad / paper.scale for quad in sheets]


def _outlined_sheets(scale: float, blurred: np.ndarray, closed: np.ndarray) -> list[np.ndarray]:
    """The sheets whose outlines enclose them on a low-contrast image (its `closed_copy`), each
    brighter than the table around it, in the image's pixels."""
    edges = cv2.dilate(cv2.Canny(closed, *OUTLINE_EDGES), np.ones((OUTLINE_JOIN,) * 2, np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros(closed.shape, np.uint8)
    for contour in contours:
        cv2.fillConvexPoly(filled, cv2.convexHull(contour), (255,))
    # The join grew every outline by half its width: shrink the hulls back to the edges.
    hulls = cv2.erode(filled, np.ones((OUTLINE_JOIN,) * 2, np.uint8))
    candidates, _ = sheets_of(hulls)
    table = cv2.dilate(quad_mask(candidates, closed.shape), RING_KERNEL) == 0
    sheets = [quad for quad in candidates if _brighter_than_around(blurred, quad, table)]
    sheets = _documents_among(sheets, blurred, closed)
    if stray_ink(blurred, closed, sheets) > MAX_STRAY_INK:
        return []
    return [quad / scale for quad in sheets]


def _documents_among(sheets: list[np.ndarray], blurred: np.ndarray, closed: np.ndarray) -> list[np.ndarray]:
    """The documents among ``sheets`` found on the copy, whichever way they were found: the parts
    of a sheet cut at a fold made one, the scraps left out."""
    return without_scraps(joined_at_folds(sheets, closed.shape), blurred, closed)


def _brighter_than_around(blurred: np.ndarray, quad: np.ndarray, table: np.ndarray) -> bool:
    """Whether the paper inside ``quad`` is OUTLINE_STEP brighter than the table around it: the
    brightest tenth inside (print, a fold's shadow may darken the rest) against the median of a
    ring up to 2 OUTLINE_RING px outside it, where ``table`` (off every candidate) is true.
    The blurred copy, not the closed one: closing lifts dense print above the blank paper."""
    reach = 2 * OUTLINE_RING + 1
    left, top = np.maximum(np.floor(quad.min(axis=0)).astype(int) - reach, 0)
    right, bottom = np.ceil(quad.max(axis=0)).astype(int) + reach + 1
    window, table = blurred[top:bottom, left:right], table[top:bottom, left:right]
    inside = quad_mask([quad - np.array([left, top], np.float32)], window.shape)
    core = cv2.erode(inside, RING_KERNEL) > 0
    ring = (cv2.dilate(inside, np.ones((2 * reach - 1,) * 2, np.uint8)) > 0) & table
    if not core.any() or not ring.any():
        return False
    return float(np.percentile(window[core], 90) - np.median(window[ring])) >= OUTLINE_STEP


def _reading_order(quads: list[np.ndarray], height: int) -> list[np.ndarray]:
    """``quads`` row by row (rows a quarter of the image high), left to right within a row."""
    return sorted(quads, key=lambda q: (int(q[:, 1].mean() // (height / 4)), float(q[:, 0].mean())))
