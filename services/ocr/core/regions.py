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

from itertools import combinations

import cv2
import numpy as np

from services.ocr.core.crop import (
    INSET,
    PaperMask,
    closed_copy,
    order_corners,
    paper_on,
    spans_frame,
    to_gray,
)

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
# Sheets lying a few pixels apart on the copy are joined by the closing that erases print; a
# closing this small (px) still erases a stroke but leaves the dark seam between them open.
SEAM_CLOSE = 5
# A sheet's corners lie within this many degrees of a right angle: a rectangle photographed from
# roughly above (as one photographs a receipt to read it) stays near-rectangular (real receipts:
# within 15 degrees); a wedge of light table cut off a blob (a streak running off the frame, 28
# degrees and more) is no sheet.
MAX_SKEW = 20.0
# Corners pulled towards the centre a little more than for one page: neighbours' shadows stay out.
REGION_INSET = 2 * INSET
# A frame row or column whose pixels all lie this close (grey levels) to a white corner's (PAGE_WHITE
# or brighter) is a drawn page margin (a PDF page around its photo): a camera's or scanner's pixels
# are never that even.
FLAT_FRAME = 2
PAGE_WHITE = 240
# Canny's hysteresis on the closed copy (Sobel gradient, about 3x a step's grey levels after the
# blur): an edge starts at a ~7-level step and goes on while ~3-4 levels remain, so a receipt's
# outline continues into the shadow of a fold; the table's slow light gradient stays below both.
OUTLINE_EDGES = (10, 20)
# Edges closer than this (px on the copy, 1.5 % of its long side) join into one outline: the
# breaks of a receipt's outline are bridged, sheets lying further apart stay apart.
OUTLINE_JOIN = 15
# A candidate's paper must be this many grey levels brighter than the table in a ring OUTLINE_RING
# px wide around it: the weakest paper-on-table step seen on real photos (white receipts on a
# light grey table); blank paper beside a printed block of the same sheet is within a few levels.
OUTLINE_STEP = 15
OUTLINE_RING = 9
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
# A blob rounder than this (4 pi area / perimeter squared of its hull: a circle 1, a square
# 0.785) is a coin, a cup or a lid, which fills its rectangle as a sheet does. A crumpled, nearly
# square receipt on Mindee's real photo: 0.885; a coin on WildReceipt's: 0.94.
MAX_ROUNDNESS = 0.92
# Two sheets this close (px on the copy) whose joint hull they fill this well are the parts of one
# sheet cut at a fold, a crease or a shadow's edge. WildReceipt's receipts so cut: 0-9 px apart,
# filling 0.92-0.96 of their hull; two sheets a few pixels apart side by side or one above the
# other are of other sizes or not in line (the composed seams: under 0.86; real photos of several
# documents: the nearest 27 px apart).
FOLD_GAP = 10
FOLD_FILL = 0.9
# Pixels of the copy (WORK_SIDE) from its edge within which a region is cut by the frame.
FRAME_CUT = 2


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
    sheets, on_paper = _sheets_of(mask, paper.closed, seams > paper.threshold)
    # A scrap's print (a sliver of a sheet out of view) counts as print outside the sheets below.
    sheets = _documents_among(sheets, blurred, paper.closed)
    # Dividing the image drops what lies outside its sheets: a receipt missed among found ones
    # would be lost, so the image is read whole instead. Only print on paper counts (the grain
    # of the table, dark or lighter, is no print).
    if _stray_ink(blurred, paper.closed, sheets, on_paper > 0) > MAX_STRAY_INK:
        return []
    if len(sheets) > 1 and _print_between(blurred, paper.closed, sheets):
        return []
    return [quad / paper.scale for quad in sheets]


def _print_between(blurred: np.ndarray, closed: np.ndarray, sheets: list[np.ndarray]) -> bool:
    """Whether print lies between ``sheets`` (on the copy): glyph-sized marks in their convex hull
    off every sheet and its ring, denser than on the table around the hull by BETWEEN_INK_FACTOR
    and BETWEEN_INK_SHARE. Print on a table is a sheet's, wherever the paper's tone fell."""
    marks = _print_marks(_ink(blurred, closed))
    hull = np.zeros(closed.shape, np.uint8)
    cv2.fillConvexPoly(hull, np.round(cv2.convexHull(np.concatenate(sheets))).astype(np.int32), (1,))
    ring = np.ones((2 * OUTLINE_RING + 1,) * 2, np.uint8)
    between = (hull > 0) & ~(cv2.dilate(_inside(sheets, closed.shape), ring) > 0)
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
    candidates, _ = _sheets_of(hulls)
    band = np.ones((2 * OUTLINE_RING + 1,) * 2, np.uint8)
    table = cv2.dilate(_inside(candidates, closed.shape), band) == 0
    sheets = [quad for quad in candidates if _brighter_than_around(blurred, quad, table)]
    sheets = _documents_among(sheets, blurred, closed)
    if _stray_ink(blurred, closed, sheets) > MAX_STRAY_INK:
        return []
    return [quad / scale for quad in sheets]


def _documents_among(sheets: list[np.ndarray], blurred: np.ndarray, closed: np.ndarray) -> list[np.ndarray]:
    """The documents among ``sheets`` found on the copy, whichever way they were found: the parts
    of a sheet cut at a fold made one, the scraps left out."""
    return _without_scraps(_joined_at_folds(sheets, closed.shape), blurred, closed)


def _joined_at_folds(sheets: list[np.ndarray], shape: tuple[int, ...]) -> list[np.ndarray]:
    """``sheets`` (on a copy of ``shape``) with each two that lie within FOLD_GAP px of each other
    and fill FOLD_FILL of their joint hull made one, where that hull is a sheet: the parts of a
    sheet cut at a fold."""
    for first, second in combinations(range(len(sheets)), 2):
        whole = _one_sheet(sheets[first], sheets[second], shape)
        if whole is not None:
            rest = [sheet for n, sheet in enumerate(sheets) if n not in (first, second)]
            return _joined_at_folds([whole, *rest], shape)
    return sheets


def _one_sheet(first: np.ndarray, second: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """The sheet that ``first`` and ``second`` are parts of (its corners on the copy), or None."""
    apart = np.maximum(first.min(axis=0) - second.max(axis=0), second.min(axis=0) - first.max(axis=0))
    if float(apart.max()) > FOLD_GAP:
        return None  # their bounding boxes alone are too far apart
    inside_first, inside_second = _inside([first], shape), _inside([second], shape)
    gap = cv2.distanceTransform((1 - inside_first).astype(np.uint8), cv2.DIST_L2, 3)
    if not inside_second.any() or float(gap[inside_second > 0].min()) > FOLD_GAP:
        return None
    hull = cv2.convexHull(np.concatenate([first, second]))
    if float((inside_first | inside_second).sum()) < FOLD_FILL * cv2.contourArea(hull):
        return None
    whole = _sheet(np.round(hull).astype(np.int32))
    return None if whole is None else order_corners(whole)


def _without_scraps(sheets: list[np.ndarray], blurred: np.ndarray, closed: np.ndarray) -> list[np.ndarray]:
    """``sheets`` (on the copy) less the scraps among them: each under SCRAP_SIZE of the largest
    one's area, cut by the frame or with under SCRAP_PRINT of its core in print."""
    areas = [cv2.contourArea(quad) for quad in sheets]
    if len(sheets) < 2 or min(areas) >= SCRAP_SIZE * max(areas):
        return sheets
    marks = _print_marks(_ink(blurred, closed))
    core = np.ones((2 * OUTLINE_RING + 1,) * 2, np.uint8)
    height, width = closed.shape[:2]
    kept = []
    for quad, area in zip(sheets, areas, strict=True):
        if area < SCRAP_SIZE * max(areas):
            low, high = quad.min(axis=0), quad.max(axis=0)
            if min(low[0], low[1], width - 1 - high[0], height - 1 - high[1]) <= FRAME_CUT:
                continue
            inside = cv2.erode(_inside([quad], closed.shape), core) > 0
            if not inside.any() or float(marks[inside].mean()) < SCRAP_PRINT:
                continue
        kept.append(quad)
    return kept


def _stray_ink(
    blurred: np.ndarray, closed: np.ndarray, sheets: list[np.ndarray], where: np.ndarray | None = None
) -> float:
    """The share of the print on the copy (``blurred`` far below ``closed``; only ``where`` it is
    true, when given) that lies outside every one of ``sheets`` (and a ring of OUTLINE_RING px
    around each); 0.0 without print."""
    ink = _ink(blurred, closed)
    if where is not None:
        ink &= where
    covered = cv2.dilate(_inside(sheets, closed.shape), np.ones((2 * OUTLINE_RING + 1,) * 2, np.uint8)) > 0
    return float((ink & ~covered).sum() / max(1, ink.sum()))


def _ink(blurred: np.ndarray, closed: np.ndarray) -> np.ndarray:
    """Where the copy holds print: ``blurred`` far below ``closed``, its strokes closed away."""
    ink: np.ndarray = closed.astype(np.int16) - blurred > INK
    return ink


def _inside(quads: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """1 inside any of ``quads``, 0 elsewhere, on an image of ``shape``."""
    inside = np.zeros(shape[:2], np.uint8)
    for quad in quads:
        cv2.fillConvexPoly(inside, np.round(quad).astype(np.int32), (1,))
    return inside


def _brighter_than_around(blurred: np.ndarray, quad: np.ndarray, table: np.ndarray) -> bool:
    """Whether the paper inside ``quad`` is OUTLINE_STEP brighter than the table around it: the
    brightest tenth inside (print, a fold's shadow may darken the rest) against the median of a
    ring up to 2 OUTLINE_RING px outside it, where ``table`` (off every candidate) is true.
    The blurred copy, not the closed one: closing lifts dense print above the blank paper."""
    reach = 2 * OUTLINE_RING + 1
    left, top = np.maximum(np.floor(quad.min(axis=0)).astype(int) - reach, 0)
    right, bottom = np.ceil(quad.max(axis=0)).astype(int) + reach + 1
    window, table = blurred[top:bottom, left:right], table[top:bottom, left:right]
    inside = _inside([quad - np.array([left, top], np.float32)], window.shape)
    core = cv2.erode(inside, np.ones((2 * OUTLINE_RING + 1,) * 2, np.uint8)) > 0
    ring = (cv2.dilate(inside, np.ones((2 * reach - 1,) * 2, np.uint8)) > 0) & table
    if not core.any() or not ring.any():
        return False
    return float(np.percentile(window[core], 90) - np.median(window[ring])) >= OUTLINE_STEP


def _sheets_of(
    mask: np.ndarray, tones: np.ndarray | None = None, open_paper: np.ndarray | None = None
) -> tuple[list[np.ndarray], np.ndarray]:
    """The sheets among the blobs of ``mask`` (255 where paper), touching ones cut apart, each
    pulled in by REGION_INSET, in ``mask``'s pixels; a blob spanning the frame is none. With
    ``tones`` (the copy ``mask`` was read from), a blob that neither is one sheet nor cuts into
    sheets is split once more by its own tones (`_paper_within`): its dimmer part is table; with
    ``open_paper`` (true where the copy closed only SEAM_CLOSE px is paper), by the seams between
    sheets that lie a few pixels apart (`_split_at_seams`). Also returns ``mask`` less that table."""
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
    """`_sheets_of` without the inset; ``retone``: whether a blob may be split by its tones."""
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


def _split_at_seams(blob: np.ndarray, open_paper: np.ndarray, min_area: float) -> list[np.ndarray]:
    """The sheets of ``blob`` (255 inside) that lie a few pixels apart (a dark seam the closing
    bridged): its paper on a copy closed only SEAM_CLOSE px (print inside a sheet leaves holes,
    which its outline encloses). They stand only when the blob falls into two or more parts that
    are all sheets and together hold most of it; else none."""
    paper = np.where((blob > 0) & open_paper, 255, 0).astype(np.uint8)
    parts = cv2.morphologyEx(paper, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    outlines, _ = cv2.findContours(parts, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    outlines = [o for o in outlines if cv2.contourArea(o) >= min_area]
    if len(outlines) < 2 or sum(cv2.contourArea(o) for o in outlines) < SPLIT_BELOW * (blob > 0).sum():
        return []
    sheets = [sheet for o in outlines if (sheet := _sheet(o)) is not None]
    return sheets if len(sheets) == len(outlines) else []


def _skew(quad: np.ndarray) -> float:
    """How far (degrees) the corner of ``quad`` (4x2, in order around it) furthest from a right
    angle is from one."""
    sides = np.roll(quad, -1, axis=0) - quad
    incoming, outgoing = -np.roll(sides, 1, axis=0), sides
    cosines = (incoming * outgoing).sum(axis=1) / (
        np.linalg.norm(incoming, axis=1) * np.linalg.norm(outgoing, axis=1) + 1e-9
    )
    return float(np.degrees(np.abs(np.arcsin(np.clip(np.abs(cosines), 0.0, 1.0)))).max())


def _reading_order(quads: list[np.ndarray], height: int) -> list[np.ndarray]:
    """``quads`` row by row (rows a quarter of the image high), left to right within a row."""
    return sorted(quads, key=lambda q: (int(q[:, 1].mean() // (height / 4)), float(q[:, 0].mean())))


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
