"""Cut a photographed page out of its background and flatten its perspective (OpenCV).

The page is found on a ~1000 px copy: text is closed away so the page becomes one bright blob,
its outline is taken from an Otsu mask and from Canny edges, and the largest convex quadrilateral
wins. Nothing is cropped when no quadrilateral is found (e.g. a white page on a light,
low-contrast table), when it fills more than ``FULL_FRAME`` of the image (already a scan), or when
it reaches two opposite edges of the frame (a scan with a dark banner or scanner-lid margin).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WORK_SIDE = 1000
# The long side of A4 at 200 dpi: the resolution OCR is tuned for.
MAX_SIDE = 2339
FULL_FRAME = 0.95
MIN_PAGE = 0.2
# Mean brightness gap between Otsu's two classes below which there is no page/background split.
MIN_CONTRAST = 40.0
# Corners closer than this share of the frame to an edge touch that edge.
EDGE_MARGIN = 0.02
# Corners are pulled this share towards the centre so no sliver of table stays on the page.
INSET = 0.005


@dataclass(frozen=True)
class CropResult:
    """The flattened page (or the untouched input), and the page corners found in the input."""

    image: np.ndarray
    cropped: bool
    quad: np.ndarray | None = None  # 4x2 float32, top-left, top-right, bottom-right, bottom-left


def to_gray(image: np.ndarray) -> np.ndarray:
    """``image`` (grey, RGB or RGBA) as one channel."""
    if image.ndim == 2:
        return image
    code = cv2.COLOR_RGBA2GRAY if image.shape[2] == 4 else cv2.COLOR_RGB2GRAY
    return cv2.cvtColor(image, code)


def _quads(mask: np.ndarray) -> list[np.ndarray]:
    """Convex quadrilaterals approximating the largest outer contours of ``mask``."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    quads = []
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
        hull = cv2.convexHull(contour)
        perimeter = cv2.arcLength(hull, closed=True)
        for epsilon in (0.02, 0.04):
            approx = cv2.approxPolyDP(hull, epsilon * perimeter, closed=True)
            # The contour must fill its quad: a blob that merely has four extreme points is not.
            if len(approx) == 4 and cv2.contourArea(contour) > 0.85 * cv2.contourArea(approx):
                quads.append(approx.reshape(4, 2).astype(np.float32))
                break
    return quads


@dataclass(frozen=True)
class PaperMask:
    """Paper against background on a ~``WORK_SIDE`` px copy of an image, text closed away."""

    scale: float  # the copy's pixels per image pixel
    closed: np.ndarray  # the copy, blurred, dark strokes closed away
    threshold: float  # Otsu's split between background and paper
    mask: np.ndarray  # 255 where paper


def closed_copy(image: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """A ~``WORK_SIDE`` px grey copy of ``image``: its pixels per image pixel, the copy blurred,
    and the same with its dark text strokes closed away."""
    gray = to_gray(image)
    scale = min(1.0, WORK_SIDE / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (5, 5), 0)
    # Closing (max then min filter) erases dark text strokes so a sheet reads as one region.
    return scale, small, cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))


def paper_mask(image: np.ndarray) -> PaperMask | None:
    """Where the paper is on ``image``; None when paper and background are too close in tone."""
    scale, _, closed = closed_copy(image)
    return paper_on(scale, closed)


def paper_on(scale: float, closed: np.ndarray) -> PaperMask | None:
    """Where the paper is on ``closed`` (a copy from `closed_copy`, ``scale`` its pixels per image
    pixel); None when paper and background are too close in tone."""
    threshold, mask = cv2.threshold(closed, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark, light = closed[closed <= threshold], closed[closed > threshold]
    if not dark.size or not light.size or light.mean() - dark.mean() < MIN_CONTRAST:
        return None
    return PaperMask(scale, closed, float(threshold), mask)


def find_page_quad(image: np.ndarray) -> tuple[np.ndarray | None, float]:
    """Corners of the page in ``image`` and the share of the frame they cover (None, 0.0 if none)."""
    paper = paper_mask(image)
    if paper is None:
        return None, 0.0
    small, scale = paper.closed, paper.scale
    edges = cv2.Canny(small, 0.5 * paper.threshold, paper.threshold)
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    candidates = _quads(paper.mask) + _quads(edges)
    if not candidates:
        return None, 0.0
    best = max(candidates, key=cv2.contourArea)
    share = cv2.contourArea(best) / float(small.shape[0] * small.shape[1])
    if share < MIN_PAGE or spans_frame(best, small.shape[:2]):
        return None, 0.0
    centre = best.mean(axis=0)
    return order_corners((best + (centre - best) * INSET) / scale), share


def spans_frame(quad: np.ndarray, shape: tuple[int, ...]) -> bool:
    """Whether ``quad`` touches both the left and right, or both the top and bottom, edges."""
    height, width = shape[0], shape[1]
    near_x, near_y = EDGE_MARGIN * width, EDGE_MARGIN * height
    xs, ys = quad[:, 0], quad[:, 1]
    spans_width = bool((xs < near_x).any() and (xs > width - 1 - near_x).any())
    spans_height = bool((ys < near_y).any() and (ys > height - 1 - near_y).any())
    return spans_width or spans_height


def order_corners(points: np.ndarray) -> np.ndarray:
    """``points`` ordered top-left, top-right, bottom-right, bottom-left."""
    total, diff = points.sum(axis=1), np.diff(points, axis=1).ravel()
    return np.array(
        [points[total.argmin()], points[diff.argmin()], points[total.argmax()], points[diff.argmax()]],
        dtype=np.float32,
    )


def _fit(image: np.ndarray, max_side: int) -> np.ndarray:
    """``image`` shrunk so its long side is at most ``max_side``."""
    factor = max_side / max(image.shape[:2])
    if factor >= 1:
        return image
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)


def crop_document(image: np.ndarray, max_side: int = MAX_SIDE) -> CropResult:
    """The page in the photo ``image`` (RGB or grey uint8), flattened and at most ``max_side`` px.

    Returns the input unchanged with ``cropped=False`` when there is nothing to crop.
    """
    quad, share = find_page_quad(image)
    if quad is None or share > FULL_FRAME:
        return CropResult(image=image, cropped=False, quad=quad)
    return CropResult(image=flatten(image, quad, max_side), cropped=True, quad=quad)


def flatten(image: np.ndarray, quad: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """The part of ``image`` inside ``quad`` (ordered corners), warped flat, at most ``max_side`` px."""
    top_left, top_right, bottom_right, bottom_left = quad
    width = max(np.linalg.norm(top_right - top_left), np.linalg.norm(bottom_right - bottom_left))
    height = max(np.linalg.norm(bottom_left - top_left), np.linalg.norm(bottom_right - top_right))
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    flat = cv2.warpPerspective(
        image,
        matrix,
        (round(width), round(height)),
        flags=cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return _fit(flat, max_side)
