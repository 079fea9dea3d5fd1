"""Several documents on one image: the receipts of one photo, an ID card's two sides on a scan.

Each document is a sheet of paper brighter than what it lies on. On a ~1000 px copy the text is
closed away, Otsu splits paper from background, and every bright blob that is shaped like a sheet
(it fills its quadrilateral or rotated rectangle) and is neither a speck nor the whole frame is a
document. One document stays one: a blob that touches two opposite edges of the frame is the page
of a scan, not a sheet on a table, and nothing is found when paper and background are too close
in tone to tell apart (a white receipt on a white table). The caller divides the image only when
two or more documents are found.
"""

from __future__ import annotations

import cv2
import numpy as np

from services.ocr.core.crop import INSET, order_corners, paper_mask, spans_frame

# A document smaller than this share of the frame is a speck, a coin or a reflection.
MIN_REGION = 0.01
# A blob must fill this much of its rotated rectangle: a receipt's torn or curled edge is fine, the
# L-shaped union of two touching sheets or the streak of a light table grain is not.
MIN_FILL = 0.75
# Corners pulled towards the centre a little more than for one page: neighbours' shadows stay out.
REGION_INSET = 2 * INSET


def find_documents(image: np.ndarray) -> list[np.ndarray]:
    """The corners (4x2 float32, top-left first, in ``image``'s pixels) of every document on
    ``image`` (RGB or grey uint8), in reading order: top to bottom, then left to right.

    Returns an empty list when paper and background cannot be told apart.
    """
    paper = paper_mask(image)
    if paper is None:
        return []
    small, scale = paper.closed, paper.scale
    # Opening cuts the thin bright bridges (a glare, a shared shadow's edge) between two sheets.
    mask = cv2.morphologyEx(paper.mask, cv2.MORPH_OPEN, np.ones((7, 7), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    frame = float(small.shape[0] * small.shape[1])
    quads = []
    for contour in contours:
        area = cv2.contourArea(contour)
        if area < MIN_REGION * frame:
            continue
        quad = _sheet(contour)
        if quad is None or spans_frame(quad, small.shape[:2]):
            continue
        centre = quad.mean(axis=0)
        quads.append(order_corners((quad + (centre - quad) * REGION_INSET) / scale))
    return _reading_order(quads, image.shape[0])


def _sheet(contour: np.ndarray) -> np.ndarray | None:
    """The quadrilateral of a sheet-shaped ``contour``: its 4-corner outline when it has one (a
    sheet seen at an angle), else its rotated rectangle; None when the blob fills neither."""
    area = cv2.contourArea(contour)
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, closed=True)
    for epsilon in (0.02, 0.04):
        approx = cv2.approxPolyDP(hull, epsilon * perimeter, closed=True)
        if len(approx) == 4 and area > 0.85 * cv2.contourArea(approx):
            return approx.reshape(4, 2).astype(np.float32)
    rect = cv2.minAreaRect(contour)
    width, height = rect[1]
    if width * height <= 0 or area < MIN_FILL * width * height:
        return None
    return cv2.boxPoints(rect).astype(np.float32)


def _reading_order(quads: list[np.ndarray], height: int) -> list[np.ndarray]:
    """``quads`` row by row (rows a quarter of the image high), left to right within a row."""
    return sorted(quads, key=lambda q: (int(q[:, 1].mean() // (height / 4)), float(q[:, 0].mean())))
