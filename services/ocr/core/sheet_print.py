"""Print on a photo's copy, against the sheets found on it: a sheet missed (print outside them),
one printed sheet taken for several (print between them), and scraps beside a document (small
regions bare of print or cut by the frame). Pure functions on the ~1000 px copy that
`services.ocr.core.regions` works on.
"""

from __future__ import annotations

import cv2
import numpy as np

from services.ocr.core.sheet_shapes import quad_mask

# Print is darker than the paper around it by this many grey levels (a thin stroke the closing
# erases); a light table's grain and a sheet's shadow are not.
INK = 40
# Print lies on paper: when more than this share of the image's ink lies outside every sheet found
# by its outline, those "sheets" are blocks of one printed page (a receipt's header and total
# between blank bands), not sheets on a table. The share allows for a pen or a speck on the table.
MAX_STRAY_INK = 0.05
# Print between the sheets found (off them and their rings), denser than this many times the
# table's own texture plus this share, means they are the lit parts of one printed sheet whose
# shadowed middle Otsu's split put with the table (a receipt held half in shadow): read whole.
# Real photos of one receipt so divided: 0.029 and more; composed photos of several receipts
# close together (the print of one next to another's ring): up to 0.020. Only glyph-sized marks
# count: one longer than PRINT_MARK of the copy's long side is a seam between two sheets or a
# table's edge, not print.
BETWEEN_INK_FACTOR = 2.0
BETWEEN_INK_SHARE = 0.02
PRINT_MARK = 0.1
# A region this much smaller than the largest sheet is a scrap beside the document, not a second
# one, when it is bare of print (glyph marks in its core: a fingertip, a coin's face, a bright
# patch of table) or cut by the frame (a sliver of a sheet out of view, or of the receipt's own
# end beyond a fold). WildReceipt's photos of one receipt: such scraps 0.02-0.10 of the receipt,
# print 0-0.005. The smallest real documents beside others: an envelope at 0.21 (no print), a
# receipt at 0.40 with 0.004 of print; a printed card wholly in view, however small, stays one.
SCRAP_SIZE = 0.15
SCRAP_PRINT = 0.01
# Pixels of the copy (WORK_SIDE) from its edge within which a region is cut by the frame.
FRAME_CUT = 2
# Around a sheet, this many px of the copy hold its edge, its shadow and the table just beside
# it: print there is the sheet's, and a candidate's paper is compared with the table there.
OUTLINE_RING = 9
# The square that grows a sheet by its ring, or shrinks it to its core (one for every use).
RING_KERNEL = np.ones((2 * OUTLINE_RING + 1,) * 2, np.uint8)


def without_scraps(sheets: list[np.ndarray], blurred: np.ndarray, closed: np.ndarray) -> list[np.ndarray]:
    """``sheets`` (on the copy) less the scraps among them: each under SCRAP_SIZE of the largest
    one's area, cut by the frame or with under SCRAP_PRINT of its core in print."""
    areas = [cv2.contourArea(quad) for quad in sheets]
    if len(sheets) < 2 or min(areas) >= SCRAP_SIZE * max(areas):
        return sheets
    marks = _print_marks(ink_on(blurred, closed))
    height, width = closed.shape[:2]
    kept = []
    for quad, area in zip(sheets, areas, strict=True):
        if area < SCRAP_SIZE * max(areas):
            low, high = quad.min(axis=0), quad.max(axis=0)
            if min(low[0], low[1], width - 1 - high[0], height - 1 - high[1]) <= FRAME_CUT:
                continue
            inside = cv2.erode(quad_mask([quad], closed.shape), RING_KERNEL) > 0
            if not inside.any() or float(marks[inside].mean()) < SCRAP_PRINT:
                continue
        kept.append(quad)
    return kept


def stray_ink(
    blurred: np.ndarray, closed: np.ndarray, sheets: list[np.ndarray], where: np.ndarray | None = None
) -> float:
    """The share of the print on the copy (``blurred`` far below ``closed``; only ``where`` it is
    true, when given) that lies outside every one of ``sheets`` (and a ring of OUTLINE_RING px
    around each); 0.0 without print."""
    ink = ink_on(blurred, closed)
    if where is not None:
        ink &= where
    covered = cv2.dilate(quad_mask(sheets, closed.shape), RING_KERNEL) > 0
    return float((ink & ~covered).sum() / max(1, ink.sum()))


def print_between(blurred: np.ndarray, closed: np.ndarray, sheets: list[np.ndarray]) -> bool:
    """Whether print lies between ``sheets`` (on the copy): glyph-sized marks in their convex hull
    off every sheet and its ring, denser than on the table around the hull by BETWEEN_INK_FACTOR
    and BETWEEN_INK_SHARE. Print on a table is a sheet's, wherever the paper's tone fell."""
    marks = _print_marks(ink_on(blurred, closed))
    hull = np.zeros(closed.shape, np.uint8)
    cv2.fillConvexPoly(hull, np.round(cv2.convexHull(np.concatenate(sheets))).astype(np.int32), (1,))
    between = (hull > 0) & ~(cv2.dilate(quad_mask(sheets, closed.shape), RING_KERNEL) > 0)
    table = ~(cv2.dilate(hull, np.ones((4 * OUTLINE_RING + 1,) * 2, np.uint8)) > 0)
    if not between.any():
        return False
    around = float(marks[table].mean()) if table.any() else 0.0
    return float(marks[between].mean()) > BETWEEN_INK_FACTOR * around + BETWEEN_INK_SHARE


def _print_marks(ink: np.ndarray) -> np.ndarray:
    """``ink`` without its marks longer than PRINT_MARK of the copy's long side."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    longest = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    glyph = longest < PRINT_MARK * max(ink.shape)
    glyph[0] = False  # the background
    marks: np.ndarray = glyph[labels]
    return marks


def ink_on(blurred: np.ndarray, closed: np.ndarray) -> np.ndarray:
    """Where the copy holds print: ``blurred`` far below ``closed``, its strokes closed away."""
    ink: np.ndarray = closed.astype(np.int16) - blurred > INK
    return ink
