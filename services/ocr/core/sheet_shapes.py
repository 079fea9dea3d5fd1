"""Which bright blobs of a photo's copy are sheets of paper, and how touching ones are cut apart.

A sheet fills its quadrilateral or rotated rectangle, its corners are near right angles, its
outline has no deep notch and it is no round blob (a coin). A blob that is not one sheet may be
two or three touching ones: cut between two deep notches of its outline, eroded until it falls
apart, parted at the dark seams a lighter closing leaves, or split by its own tones (sheets
joined by a light streak of table); a cut stands only when every part is a sheet. Two sheets in
line a few pixels apart, filling their joint hull, are one sheet cut at a fold. Pure functions
on the ~1000 px copy that `services.ocr.core.regions` works on.
"""

from __future__ import annotations

from itertools import combinations

import cv2
import numpy as np

from services.ocr.core.crop import INSET, order_corners, spans_frame

# A document smaller than this share of the frame is a speck, a coin or a reflection.
MIN_REGION = 0.01
# A blob must fill this much of its rotated rectangle: a receipt's torn or curled edge is fine, the
# L-shaped union of two touching sheets or the streak of a light table grain is not.
MIN_FILL = 0.75
# Cuts of a blob's distance transform (shares of its deepest point) at which two touching sheets
# fall apart: their join is narrower than either sheet, so its pixels lie nearer the outline.
SPLIT_CUTS = (0.3, 0.45, 0.6, 0.75)
# A notch deeper than this share of a blob's side (its area's square root) may end a seam between
# two sheets; both halves of a cut must fill their rotated rectangles this well.
NOTCH_DEPTH = 0.04
NOTCH_FILL = 0.9
# A blob filling less of its rotated rectangle than this may be two sheets even when it passes
# as one; a single sheet (flat, torn or slightly curled) fills more, and never falls apart anyway.
SPLIT_BELOW = 0.92
# A sheet's outline departs from its convex hull by at most this share of its side (the square
# root of its area): a torn edge, a curl (real sheets on photos: under 0.04), a receipt's part left
# in view by another lying on it (0.1-0.15 on the composed photos). Sheets joined into one blob
# leave a notch where one's edge meets the other's (0.2 and deeper), though the hull of their
# union may be near-rectangular enough to pass as one sheet.
MAX_NOTCH = 0.15
# A sheet's corners lie within this many degrees of a right angle: a rectangle photographed from
# roughly above (as one photographs a receipt to read it) stays near-rectangular (real receipts:
# within 15 degrees); a wedge of light table cut off a blob (a streak running off the frame, 28
# degrees and more) is no sheet.
MAX_SKEW = 20.0
# A blob rounder than this (4 pi area / perimeter squared of its hull: a circle 1, a square
# 0.785) is a coin, a cup or a lid, which fills its rectangle as a sheet does. A crumpled, nearly
# square receipt on Mindee's real photo: 0.885; a coin on WildReceipt's: 0.94.
MAX_ROUNDNESS = 0.92
# Corners pulled towards the centre a little more than for one page: neighbours' shadows stay out.
REGION_INSET = 2 * INSET
# A candidate's paper must be this many grey levels brighter than the table in a ring around it
# (`sheet_print.OUTLINE_RING` px wide): the weakest paper-on-table step seen on real photos
# (white receipts on a light grey table); blank paper beside a printed block of the same sheet is
# within a few levels.
OUTLINE_STEP = 15
# Two sheets this close (px on the copy) whose joint hull they fill this well are the parts of one
# sheet cut at a fold, a crease or a shadow's edge. WildReceipt's receipts so cut: 0-9 px apart,
# filling 0.92-0.96 of their hull; two sheets a few pixels apart side by side or one above the
# other are of other sizes or not in line (the composed seams: under 0.86; real photos of several
# documents: the nearest 27 px apart).
FOLD_GAP = 10
FOLD_FILL = 0.9


def sheets_of(
    mask: np.ndarray, tones: np.ndarray | None = None, open_paper: np.ndarray | None = None
) -> tuple[list[np.ndarray], np.ndarray]:
    """The sheets among the blobs of ``mask`` (255 where paper), touching ones cut apart, each
    pulled in by REGION_INSET, in ``mask``'s pixels; a blob spanning the frame is none. With
    ``tones`` (the copy ``mask`` was read from), a blob that neither is one sheet nor cuts into
    sheets is split once more by its own tones (`_paper_within`): its dimmer part is table; with
    ``open_paper`` (true where the copy closed only `regions.SEAM_CLOSE` px is paper), by the
    seams between sheets that lie a few pixels apart (`_split_at_seams`). Also returns ``mask``
    less that table."""
    quads, paper = _sheets_in(mask, tones, retone=tones is not None, open_paper=open_paper)
    insets = []
    for quad in quads:
        if spans_frame(quad, mask.shape[:2]):
            continue
        centre = quad.mean(axis=0)
        insets.append(order_corners(quad + (centre - quad) * REGION_INSET))
    return insets, paper


def _sheets_in(
    mask: np.ndarray, tones: np.ndarray | None, retone: bool, open_paper: np.ndarray | None = None
) -> tuple[list[np.ndarray], np.ndarray]:
    """`sheets_of` without the inset; ``retone``: whether a blob may be split by its tones."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    frame = float(mask.shape[0] * mask.shape[1])
    # What is left of a blob split by its tones carries specks of light table on its edge, which
    # notch it: the depth of a notch tells nothing there, and a cut leaving one sheet and specks
    # stands.
    after_tones = tones is not None and not retone
    notch = np.inf if after_tones else MAX_NOTCH
    paper = mask
    quads = []
    for contour in contours:
        area = cv2.contourArea(contour)
        if area < MIN_REGION * frame:
            continue
        quad = _sheet(contour, max_notch=notch)
        (_, _), (width, height), _ = cv2.minAreaRect(contour)
        # Two touching sheets can fill their joint rectangle well enough to pass as one sheet.
        found = []
        if quad is None or area < SPLIT_BELOW * width * height:
            found = _split(contour, mask.shape, MIN_REGION * frame, trim=after_tones, max_notch=notch)
            blob = np.zeros(mask.shape[:2], np.uint8)
            cv2.drawContours(blob, [contour], -1, (255,), cv2.FILLED)
            if not found and open_paper is not None:
                found = _split_at_seams(blob, open_paper, MIN_REGION * frame)
            if len(found) > 1 and open_paper is not None:
                # The seams between the sheets (bridged by the closing) are table, not print.
                paper = np.where((blob > 0) & ~open_paper, 0, paper).astype(np.uint8)
            if not found and retone and tones is not None:
                within = _paper_within(blob, tones)
                if within is not None:
                    found, _ = _sheets_in(within, tones, retone=False)
                    paper = np.where(blob > 0, within, paper).astype(np.uint8)
        if not found and quad is not None:
            found = [quad]
        quads.extend(found)
    return quads, paper


def _paper_within(blob: np.ndarray, tones: np.ndarray) -> np.ndarray | None:
    """The brighter part of ``blob`` (255 inside) on ``tones`` (the closed copy): paper, when the
    blob is sheets joined by table that is lighter than the rest of the table but still clearly
    darker than paper (a light streak of wood grain); None when the blob is of one tone."""
    inside = tones[blob > 0]
    threshold, _ = cv2.threshold(inside.reshape(-1, 1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark, light = inside[inside <= threshold], inside[inside > threshold]
    if not dark.size or not light.size or light.mean() - dark.mean() < OUTLINE_STEP:
        return None
    paper = np.where((blob > 0) & (tones > threshold), 255, 0).astype(np.uint8)
    return cv2.morphologyEx(paper, cv2.MORPH_OPEN, np.ones((7, 7), np.uint8))


def _split(
    contour: np.ndarray,
    shape: tuple[int, ...],
    min_area: float,
    trim: bool = False,
    max_notch: float = MAX_NOTCH,
) -> list[np.ndarray]:
    """The sheets of a blob that is not sheet-shaped itself: two or three touching or overlapping
    sheets. The blob is eroded (a rising cut of its distance transform) until it falls apart into
    cores, each pixel goes back to its nearest core, and the split stands only when every part is
    sheet-shaped and no speck; otherwise nothing (an odd blob is not a document)."""
    blob = np.zeros(shape[:2], np.uint8)
    cv2.drawContours(blob, [contour], -1, (255,), cv2.FILLED)
    sheets = _cut_at_notches(contour, blob, min_area, trim, max_notch)
    if sheets:
        return sheets
    distance = cv2.distanceTransform(blob, cv2.DIST_L2, 5)
    for cut in SPLIT_CUTS:
        cores = (distance > cut * distance.max()).astype(np.uint8)
        count, labels = cv2.connectedComponents(cores)
        if count - 1 < 2:
            continue
        # Grow back: every blob pixel joins the core nearest to it (a Voronoi split of the blob).
        _, nearest = cv2.distanceTransformWithLabels(
            1 - cores, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_CCOMP
        )
        ys, xs = np.nonzero(cores)
        owner = np.zeros(nearest.max() + 1, np.int32)
        owner[nearest[ys, xs]] = labels[ys, xs]
        parts = owner[nearest]
        sheets = []
        for core in range(1, count):
            part = np.where((parts == core) & (blob > 0), 255, 0).astype(np.uint8)
            outlines, _ = cv2.findContours(part, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            outline = max(outlines, key=cv2.contourArea, default=None)
            sheet = None
            if outline is not None and cv2.contourArea(outline) >= min_area:
                sheet = _sheet(outline, max_notch=max_notch)
            if sheet is None:
                break
            sheets.append(sheet)
        else:
            return sheets
    return []


def _cut_at_notches(
    contour: np.ndarray, blob: np.ndarray, min_area: float, trim: bool = False, max_notch: float = MAX_NOTCH
) -> list[np.ndarray]:
    """Two sheets lying side by side along a shared edge: erosion cannot part them, but their
    union has a notch at each end of the seam. Cut along the line between two deep notches and
    keep the cut when both halves are sheets that fill their rectangles. With ``trim``, a cut
    that leaves one such sheet and only specks (bits of lighter table on a sheet's edge) stands
    too."""
    hull = cv2.convexHull(contour, returnPoints=False)
    try:
        defects = cv2.convexityDefects(contour, hull)
    except cv2.error:  # a self-touching outline
        return []
    if defects is None:
        return []
    depth = NOTCH_DEPTH * np.sqrt(cv2.contourArea(contour))
    notches = [contour[far, 0] for _, _, far, d in defects[:, 0] if d / 256 > depth]
    for index, first in enumerate(notches):
        for second in notches[index + 1 :]:
            halves = blob.copy()
            start, end = (int(first[0]), int(first[1])), (int(second[0]), int(second[1]))
            cv2.line(halves, start, end, (0,), 3)
            outlines, _ = cv2.findContours(halves, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            outlines = [o for o in outlines if cv2.contourArea(o) >= min_area]
            if len(outlines) != 2 and not (trim and len(outlines) == 1):
                continue
            sheets = [sheet for o in outlines if (sheet := _sheet(o, NOTCH_FILL, max_notch)) is not None]
            if len(sheets) == len(outlines):
                return sheets
    return []


def _split_at_seams(blob: np.ndarray, open_paper: np.ndarray, min_area: float) -> list[np.ndarray]:
    """The sheets of ``blob`` (255 inside) that lie a few pixels apart (a dark seam the closing
    bridged): its paper on a copy closed only `regions.SEAM_CLOSE` px (print inside a sheet
    leaves holes, which its outline encloses). They stand only when the blob falls into two or more parts that
    are all sheets and together hold most of it; else none."""
    paper = np.where((blob > 0) & open_paper, 255, 0).astype(np.uint8)
    parts = cv2.morphologyEx(paper, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    outlines, _ = cv2.findContours(parts, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    outlines = [o for o in outlines if cv2.contourArea(o) >= min_area]
    if len(outlines) < 2 or sum(cv2.contourArea(o) for o in outlines) < SPLIT_BELOW * (blob > 0).sum():
        return []
    sheets = [sheet for o in outlines if (sheet := _sheet(o)) is not None]
    return sheets if len(sheets) == len(outlines) else []


def _sheet(
    contour: np.ndarray, min_fill: float = MIN_FILL, max_notch: float = MAX_NOTCH
) -> np.ndarray | None:
    """The quadrilateral of a sheet-shaped ``contour``: its 4-corner outline when it has one (a
    sheet seen at an angle), else its rotated rectangle; None when the blob fills neither."""
    area = cv2.contourArea(contour)
    if _deepest_notch(contour) > max_notch * np.sqrt(area):
        return None
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, closed=True)
    if 4 * np.pi * cv2.contourArea(hull) > MAX_ROUNDNESS * perimeter**2:
        return None
    for epsilon in (0.02, 0.04):
        approx = cv2.approxPolyDP(hull, epsilon * perimeter, closed=True)
        if len(approx) == 4 and area > 0.85 * cv2.contourArea(approx):
            quad = approx.reshape(4, 2).astype(np.float32)
            if _skew(quad) <= MAX_SKEW:
                return quad
    rect = cv2.minAreaRect(contour)
    width, height = rect[1]
    if width * height <= 0 or area < min_fill * width * height:
        return None
    return cv2.boxPoints(rect).astype(np.float32)


def _deepest_notch(contour: np.ndarray) -> float:
    """How far (px) ``contour`` departs from its convex hull at its deepest point."""
    hull = cv2.convexHull(contour, returnPoints=False)
    try:
        defects = cv2.convexityDefects(contour, hull)
    except cv2.error:  # a self-touching outline
        return 0.0
    return 0.0 if defects is None else float(defects[:, 0, 3].max()) / 256


def _skew(quad: np.ndarray) -> float:
    """How far (degrees) the corner of ``quad`` (4x2, in order around it) furthest from a right
    angle is from one."""
    sides = np.roll(quad, -1, axis=0) - quad
    incoming, outgoing = -np.roll(sides, 1, axis=0), sides
    cosines = (incoming * outgoing).sum(axis=1) / (
        np.linalg.norm(incoming, axis=1) * np.linalg.norm(outgoing, axis=1) + 1e-9
    )
    return float(np.degrees(np.abs(np.arcsin(np.clip(np.abs(cosines), 0.0, 1.0)))).max())


def joined_at_folds(sheets: list[np.ndarray], shape: tuple[int, ...]) -> list[np.ndarray]:
    """``sheets`` (on a copy of ``shape``) with each two that lie within FOLD_GAP px of each other
    and fill FOLD_FILL of their joint hull made one, where that hull is a sheet: the parts of a
    sheet cut at a fold."""
    for first, second in combinations(range(len(sheets)), 2):
        whole = _one_sheet(sheets[first], sheets[second], shape)
        if whole is not None:
            rest = [sheet for n, sheet in enumerate(sheets) if n not in (first, second)]
            return joined_at_folds([whole, *rest], shape)
    return sheets


def _one_sheet(first: np.ndarray, second: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """The sheet that ``first`` and ``second`` are parts of (its corners on the copy), or None."""
    apart = np.maximum(first.min(axis=0) - second.max(axis=0), second.min(axis=0) - first.max(axis=0))
    if float(apart.max()) > FOLD_GAP:
        return None  # their bounding boxes alone are too far apart
    inside_first, inside_second = quad_mask([first], shape), quad_mask([second], shape)
    gap = cv2.distanceTransform((1 - inside_first).astype(np.uint8), cv2.DIST_L2, 3)
    if not inside_second.any() or float(gap[inside_second > 0].min()) > FOLD_GAP:
        return None
    hull = cv2.convexHull(np.concatenate([first, second]))
    if float((inside_first | inside_second).sum()) < FOLD_FILL * cv2.contourArea(hull):
        return None
    whole = _sheet(np.round(hull).astype(np.int32))
    return None if whole is None else order_corners(whole)


def quad_mask(quads: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """1 inside any of ``quads``, 0 elsewhere, on an image of ``shape``."""
    inside = np.zeros(shape[:2], np.uint8)
    for quad in quads:
        cv2.fillConvexPoly(inside, np.round(quad).astype(np.int32), (1,))
    return inside
