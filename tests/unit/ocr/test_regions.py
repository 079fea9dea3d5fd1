"""Finding every document on one image: real SROIE receipts (tests/data/photos/README.md)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from services.ocr.core.crop import flatten, order_corners
from services.ocr.core.regions import find_documents
from tests.factories.documents import render_scanned_page

PHOTOS = Path(__file__).resolve().parents[2] / "data" / "photos"


@pytest.fixture(scope="module")
def two_receipts() -> np.ndarray:
    return np.asarray(Image.open(PHOTOS / "two-receipts.jpg").convert("RGB"))


def _centre_x(quad: np.ndarray) -> float:
    return float(quad[:, 0].mean())


def test_a_photo_of_two_receipts_holds_two_documents_left_to_right(two_receipts: np.ndarray) -> None:
    quads = find_documents(two_receipts)
    assert len(quads) == 2
    height, width = two_receipts.shape[:2]
    assert _centre_x(quads[0]) < width / 2 < _centre_x(quads[1])
    for quad in quads:
        assert quad.shape == (4, 2)
        assert (quad >= 0).all() and (quad[:, 0] < width).all() and (quad[:, 1] < height).all()
        # A receipt: upright, taller than wide, most of the photo's height.
        flat = flatten(two_receipts, quad)
        assert flat.shape[0] > 1.6 * flat.shape[1] and flat.shape[0] > 0.5 * height
        # Cut to the paper: its border is receipt-white, not the dark table.
        edges = [flat[:4], flat[-4:], flat[:, :4], flat[:, -4:]]
        assert np.concatenate([edge.ravel() for edge in edges]).mean() > 150


def test_one_receipt_on_the_table_stays_one_document(two_receipts: np.ndarray) -> None:
    quads = find_documents(two_receipts[:, : two_receipts.shape[1] // 2])
    assert len(quads) == 1


def test_a_receipt_scanned_on_white_is_not_divided() -> None:
    scan = np.asarray(Image.open(PHOTOS / "receipt-scan.jpg").convert("RGB"))
    assert len(find_documents(scan)) <= 1


def test_a_full_page_scan_is_not_divided() -> None:
    lines = ["INVOICE 2291", "Bill to: Mary Davis", "Total due: $1,250.00"] * 6
    scan = np.asarray(render_scanned_page(lines, background=False, size=(827, 1170), font_px=16)).copy()
    assert find_documents(scan) == []
    # A dark band across the page (a letterhead) cuts the paper in two, each touching both sides.
    scan[300:420] = 30
    assert len(find_documents(scan)) <= 1


def test_receipts_on_a_white_table_are_not_found(two_receipts: np.ndarray) -> None:
    """Paper on paper-white: no split, the image is read as it is."""
    table = np.full((900, 1200, 3), 236, np.uint8)
    table[100:800, 100:400] = 246
    table[100:800, 700:1000] = 246
    assert find_documents(table) == []


def _touching(two_receipts: np.ndarray, stagger: int) -> tuple[np.ndarray, int]:
    """The photo's two real receipts laid on a dark table so that they touch, the right one
    ``stagger`` px lower and overlapping the left one by a few pixels; and the seam's x."""
    left, right = (flatten(two_receipts, quad, max_side=700) for quad in find_documents(two_receipts))
    height = max(left.shape[0], right.shape[0]) + stagger + 100
    table = np.full((height, left.shape[1] + right.shape[1] + 200, 3), 40, np.uint8)
    table[50 : 50 + left.shape[0], 100 : 100 + left.shape[1]] = left
    seam = 100 + left.shape[1] - 6
    table[50 + stagger : 50 + stagger + right.shape[0], seam : seam + right.shape[1]] = right
    return table, seam


@pytest.mark.parametrize("stagger", [120, 260])
def test_two_touching_receipts_are_found_as_two(two_receipts: np.ndarray, stagger: int) -> None:
    table, seam = _touching(two_receipts, stagger)
    quads = find_documents(table)
    assert len(quads) == 2
    # Each region is one receipt: it stays on its side of the seam (give or take the inset).
    assert quads[0][:, 0].max() < seam + 25 and quads[1][:, 0].min() > seam - 25
    assert _centre_x(quads[0]) < seam < _centre_x(quads[1])


def test_one_receipt_of_the_pair_stays_one_document(two_receipts: np.ndarray) -> None:
    table, seam = _touching(two_receipts, 260)
    assert len(find_documents(table[:, : seam - 20])) == 1


def _light_table(two_receipts: np.ndarray, gap: int = 120) -> tuple[np.ndarray, int]:
    """The photo's two real receipts on a light grey table (205 falling to 193 across it, sensor
    noise): their paper only 15-35 grey levels brighter, too close for one brightness split, as
    on real phone photos of white receipts on a light table; and the middle of the gap's x."""
    left, right = (flatten(two_receipts, quad, max_side=700) for quad in find_documents(two_receipts))
    height, width = max(left.shape[0], right.shape[0]) + 200, left.shape[1] + right.shape[1] + gap + 200
    light = 205 - 12 * np.arange(width) / width
    table = light[None, :] + np.random.default_rng(0).normal(0, 3, (height, width))
    photo = np.repeat(np.clip(table, 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)
    photo[100 : 100 + left.shape[0], 100 : 100 + left.shape[1]] = left
    x = 100 + left.shape[1] + gap
    photo[100 : 100 + right.shape[0], x : x + right.shape[1]] = right
    return photo, 100 + left.shape[1] + gap // 2


def test_receipts_on_a_light_table_are_found_by_their_outlines(two_receipts: np.ndarray) -> None:
    photo, middle = _light_table(two_receipts)
    quads = find_documents(photo)
    assert len(quads) == 2
    assert quads[0][:, 0].max() < middle < quads[1][:, 0].min()
    for quad in quads:
        flat = flatten(photo, quad)
        assert flat.shape[0] > 1.5 * flat.shape[1] and flat.shape[0] > 0.6 * photo.shape[0]
    assert len(find_documents(photo[:, :middle])) == 1


def test_a_white_page_margin_around_the_photo_is_not_table(two_receipts: np.ndarray) -> None:
    """A PDF page holding the photo: the page's white margin does not join the receipts."""
    photo, middle = _light_table(two_receipts)
    page = np.pad(photo, ((150, 250), (60, 60), (0, 0)), constant_values=255)
    quads = find_documents(page)
    assert len(quads) == 2
    assert quads[0][:, 0].max() < middle + 60 < quads[1][:, 0].min()
    assert all((quad[:, 1] > 150).all() and (quad[:, 1] < 150 + photo.shape[0]).all() for quad in quads)


def test_the_printed_blocks_of_one_receipt_are_not_sheets() -> None:
    """A scanned receipt whose print falls into blocks between blank bands, each block's edges
    enclosing it as a sheet's outline would: blank paper is no darker than the block's."""
    scan = np.asarray(Image.open(PHOTOS / "receipt-scan-blocks.jpg").convert("RGB"))
    assert find_documents(scan) == []


def _light_streak(two_receipts: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Drawn (not a photo): the photo's two real receipts, the left one and the right one twice,
    on a dark grained table crossed by a light streak of wood that runs off the frame's right
    edge and under the upper right receipt's edge, as on Mindee's real photo of three receipts on
    wood; and each receipt's box (x, y, width, height)."""
    left, right = (flatten(two_receipts, quad, max_side=700) for quad in find_documents(two_receipts))
    left, right = cv2.resize(left, None, fx=0.7, fy=0.7), cv2.resize(right, None, fx=0.5, fy=0.5)
    rng = np.random.default_rng(0)
    height = max(left.shape[0], 2 * right.shape[0] + 60) + 160
    width = 80 + left.shape[1] + 80 + right.shape[1] + 120
    rows, cols = np.mgrid[0:height, 0:width]
    table = 70 + 15 * np.sin(rows / 9.0) + rng.normal(0, 4, (height, width))
    x = 80 + left.shape[1] + 80
    edge = x + right.shape[1]
    streak = (np.abs(cols - (edge - 30) - 0.35 * (rows - 150)) < 45) & (cols > edge - 40)
    table[streak] = 175 + 8 * np.sin(rows[streak] / 5.0) + rng.normal(0, 4, int(streak.sum()))
    photo = np.repeat(np.clip(table, 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)
    boxes = [(80, 80, left.shape[1], left.shape[0])]
    photo[80 : 80 + left.shape[0], 80 : 80 + left.shape[1]] = left
    for y in (80, 80 + right.shape[0] + 60):
        photo[y : y + right.shape[0], x : x + right.shape[1]] = right
        boxes.append((x, y, right.shape[1], right.shape[0]))
    return photo, boxes


def test_a_light_streak_of_table_joined_to_receipts_is_not_a_sheet(two_receipts: np.ndarray) -> None:
    """The streak is lighter than the rest of the table and joins a receipt into one bright blob;
    cut along its outline it gave wedges of wood as documents. Split by its own tones, the blob is
    paper and lighter table: each receipt is found once, and no wedge."""
    photo, boxes = _light_streak(two_receipts)
    quads = find_documents(photo)
    assert len(quads) == 3
    for x, y, width, height in boxes:
        inside = [
            quad
            for quad in quads
            if (quad[:, 0] > x - 15).all() and (quad[:, 0] < x + width + 15).all()
            and (quad[:, 1] > y - 15).all() and (quad[:, 1] < y + height + 15).all()
        ]  # fmt: skip
        assert len(inside) == 1
        # The region is the receipt, not a sliver of it.
        (_, _), (side_a, side_b), _ = cv2.minAreaRect(inside[0])
        assert side_a * side_b > 0.8 * width * height


def test_a_photo_with_a_receipt_that_is_no_sheet_is_read_whole(two_receipts: np.ndarray) -> None:
    """Drawn (not a photo): the photo's two real receipts and the right one once more, folded
    over along its diagonal (a triangle of paper, no sheet). Dividing the photo into the two
    sheets would lose the third receipt's print, so it is read whole."""
    left, right = (flatten(two_receipts, quad, max_side=420) for quad in find_documents(two_receipts))
    height = max(left.shape[0], right.shape[0]) + 160
    width = 80 + left.shape[1] + 80 + 2 * (right.shape[1] + 80)
    table = 70 + np.random.default_rng(0).normal(0, 4, (height, width))
    photo = np.repeat(np.clip(table, 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)
    photo[80 : 80 + left.shape[0], 80 : 80 + left.shape[1]] = left
    x = 160 + left.shape[1]
    photo[80 : 80 + right.shape[0], x : x + right.shape[1]] = right
    assert len(find_documents(photo)) == 2
    x += right.shape[1] + 80
    rows, cols = np.mgrid[0 : right.shape[0], 0 : right.shape[1]]
    folded = cols / right.shape[1] + rows / right.shape[0] < 1.0
    photo[80 : 80 + right.shape[0], x : x + right.shape[1]][folded] = right[folded]
    assert find_documents(photo) == []


def _sheets_on_a_table(sheets: list[tuple[np.ndarray, int, int]], size: tuple[int, int]) -> np.ndarray:
    """Drawn: ``sheets`` (image, left, top) on a dark table of ``size`` (width, height)."""
    table = 45 + np.random.default_rng(1).normal(0, 3, (size[1], size[0]))
    photo = np.repeat(np.clip(table, 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)
    for sheet, left, top in sheets:
        photo[top : top + sheet.shape[0], left : left + sheet.shape[1]] = sheet
    return photo


def _fit(quads: list[np.ndarray], sheets: list[tuple[int, int]]) -> bool:
    """Whether ``quads`` are, in some order, regions of the sides of ``sheets`` (within 15 px: a
    region is pulled in from the paper's edge a little)."""
    sides = sorted(tuple(sorted(cv2.minAreaRect(quad)[1])) for quad in quads)
    return len(sides) == len(sheets) and all(
        abs(got[0] - want[0]) < 15 and abs(got[1] - want[1]) < 15
        for got, want in zip(sides, sorted(tuple(sorted(sheet)) for sheet in sheets), strict=True)
    )


@pytest.mark.parametrize("seam", [6, 10])
def test_two_sheets_a_few_pixels_apart_are_two_documents(two_receipts: np.ndarray, seam: int) -> None:
    """The closing that erases print bridges a seam this narrow (on a ~1000 px image): the two
    receipts, one above the other, were one blob that no rule could cut (one notch only), and the
    photo was read whole. The seam, still dark on a copy closed less, parts them."""
    left, right = (flatten(two_receipts, quad, max_side=420) for quad in find_documents(two_receipts))
    top, bottom = cv2.resize(left, (300, 420)), cv2.resize(right, (430, 290))
    photo = _sheets_on_a_table([(top, 60, 60), (bottom, 60, 480 + seam)], (550, 830 + seam))
    assert _fit(find_documents(photo), [(300, 420), (430, 290)])


def test_sheets_joined_into_one_blob_are_never_one_region(two_receipts: np.ndarray) -> None:
    """Drawn after a real photo (tmonseigne/HoloDoc's G.jpg): a page, a smaller page beside it and a
    wide page below both, a few pixels apart. Their union's hull is near-rectangular, so a part of it
    passed as one sheet and the photo was divided into a region straddling two pages (their print
    cut at its edges). A sheet's outline has no deep notch: each page is found where the seams part
    them, and the photo is read whole where they do not."""
    left, right = (flatten(two_receipts, quad, max_side=420) for quad in find_documents(two_receipts))
    page, beside = cv2.resize(left, (300, 426)), cv2.resize(right, (215, 305))
    below = cv2.resize(left, (430, 290))
    parted = _sheets_on_a_table([(page, 60, 60), (beside, 370, 190), (below, 123, 502)], (745, 832))
    assert _fit(find_documents(parted), [(300, 426), (215, 305), (430, 290)])
    joined = _sheets_on_a_table([(page, 60, 60), (beside, 370, 190), (below, 123, 494)], (745, 824))
    assert find_documents(joined) == []


@pytest.mark.parametrize("table", [60, 120])
def test_a_receipt_half_in_shadow_stays_one_document(two_receipts: np.ndarray, table: int) -> None:
    """Drawn after WildReceipt's real photos of one receipt held half in shadow: the shadowed band
    fell with the table in the split of paper from table, and the two lit parts passed for two
    sheets (the photo divided in two). The print in the shadow lies between them: read whole."""
    receipt = flatten(two_receipts, find_documents(two_receipts)[1], max_side=800).astype(np.float32)
    height, width = receipt.shape[:2]
    photo = np.full((height + 160, width + 300, 3), table, np.float32)
    photo[80 : 80 + height, 150 : 150 + width] = receipt
    assert len(find_documents(np.clip(photo, 0, 255).astype(np.uint8))) == 1
    photo[80 + int(height * 0.4) : 80 + int(height * 0.6), 150 : 150 + width] *= 0.5
    assert find_documents(np.clip(photo, 0, 255).astype(np.uint8)) == []


def _receipt_and(two_receipts: np.ndarray, beside: np.ndarray, left: int, top: int) -> np.ndarray:
    """Drawn after WildReceipt's real photos of one receipt: the receipt (300 x 700 px) on a dark
    table 760 x 860 px, and ``beside`` at (``left``, ``top``)."""
    receipt = cv2.resize(flatten(two_receipts, find_documents(two_receipts)[1], max_side=800), (300, 700))
    return _sheets_on_a_table([(receipt, 60, 80), (beside, left, top)], (760, 860))


def _printed_card(two_receipts: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A piece of the other receipt's printed middle, ``size`` (width, height) px."""
    other = flatten(two_receipts, find_documents(two_receipts)[0], max_side=800)
    height = other.shape[0]
    return np.ascontiguousarray(other[height // 3 : height // 3 + size[1], : size[0]])


def test_a_small_bare_scrap_beside_a_receipt_is_no_document(two_receipts: np.ndarray) -> None:
    """A fingertip or a bright patch of table (about a tenth of the receipt, no print) passed for
    a second sheet and the photo was divided."""
    scrap = np.full((120, 130, 3), 205, np.uint8)
    assert len(find_documents(_receipt_and(two_receipts, scrap, 500, 400))) <= 1


def test_a_sliver_cut_by_the_frame_beside_a_receipt_is_no_document(two_receipts: np.ndarray) -> None:
    """Another sheet mostly out of view, its printed edge in it: no document to read apart."""
    sliver = _printed_card(two_receipts, (70, 300))
    assert len(find_documents(_receipt_and(two_receipts, sliver, 690, 300))) <= 1


def test_a_coin_beside_a_receipt_is_no_document(two_receipts: np.ndarray) -> None:
    """A coin's face, bright and marked by its relief, fills its square as well as a sheet does."""
    coin = np.full((130, 130, 3), 45, np.uint8)
    cv2.circle(coin, (65, 65), 62, (200, 200, 200), -1)
    cv2.putText(coin, "1 CENT", (18, 72), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (60, 60, 60), 2)
    assert len(find_documents(_receipt_and(two_receipts, coin, 500, 400))) <= 1


def test_a_small_printed_card_wholly_in_view_stays_a_document(two_receipts: np.ndarray) -> None:
    """As small as the scraps above, but printed and wholly in view: a ticket stub, a card."""
    card = _printed_card(two_receipts, (130, 120))
    assert _fit(find_documents(_receipt_and(two_receipts, card, 500, 400)), [(300, 700), (130, 120)])


def test_beside_two_receipts_a_bare_scrap_goes_and_a_printed_sliver_reads_the_photo_whole(
    two_receipts: np.ndarray,
) -> None:
    """Dropping a scrap must lose no text: a bare one leaves the two receipts as they are; a
    sliver whose print is more than a twentieth of the photo's would be lost with it, so the
    photo is read whole, as where a sheet is missed."""
    left, right = (
        cv2.resize(flatten(two_receipts, quad, max_side=800), (280, 650))
        for quad in find_documents(two_receipts)
    )
    receipts = [(left, 60, 80), (right, 420, 100)]
    scrap = np.full((110, 120, 3), 205, np.uint8)
    bare = _sheets_on_a_table([*receipts, (scrap, 770, 400)], (960, 820))
    assert _fit(find_documents(bare), [(280, 650), (280, 650)])
    sliver = _printed_card(two_receipts, (70, 380))
    printed = _sheets_on_a_table([*receipts, (sliver, 890, 200)], (960, 820))
    assert find_documents(printed) == []


@pytest.mark.parametrize(("crease", "bend"), [(6, -4.0), (9, -2.0)])
def test_a_receipt_cut_at_a_fold_stays_one_document(
    two_receipts: np.ndarray, crease: int, bend: float
) -> None:
    """Drawn after WildReceipt's real photos of a folded receipt: the fold's shadow, as dark as the
    table, parts the receipt, and its lower part is turned a few degrees by the bend. The two
    parts were two sheets (the photo divided); in line and a few pixels apart, they are one.
    Two sheets as near but out of line (one shifted along the other) stay two."""
    receipt = cv2.resize(flatten(two_receipts, find_documents(two_receipts)[1], max_side=800), (300, 700))
    top, bottom = receipt[:320], receipt[320 + crease :]
    folded = _sheets_on_a_table([(top, 80, 60)], (500, 820))
    turn = cv2.getRotationMatrix2D((0, 0), bend, 1.0)
    turn[:, 2] += (80, 380 + crease)
    lower = cv2.warpAffine(np.full(bottom.shape[:2], 255, np.uint8), turn, (500, 820)) > 0
    folded[lower] = cv2.warpAffine(bottom, turn, (500, 820))[lower]
    (quad,) = find_documents(folded)
    assert np.array_equal(quad, order_corners(quad))  # top-left first, as every region's
    assert quad[:, 1].min() < 80 and quad[:, 1].max() > 700  # from the top part to the bottom one
    shifted = _sheets_on_a_table([(top, 60, 60), (bottom, 160, 380 + crease)], (560, 820))
    assert _fit(find_documents(shifted), [(300, 320), (300, 700 - 320 - crease)])
