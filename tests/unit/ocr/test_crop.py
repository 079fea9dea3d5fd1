"""Cutting photographed pages out of their background."""

from __future__ import annotations

import numpy as np
import pytest

from services.ocr.core.crop import MAX_SIDE, crop_document
from tests.factories.documents import render_scanned_page

LINES = [
    "RESIDENTIAL LEASE AGREEMENT",
    "Landlord: Mary Davis",
    "Tenant: Robert Miller",
    "Monthly rent: $2,800.00",
]
PAGE = (827, 1170)  # A4 at 100 dpi keeps these tests fast
MARGIN = PAGE[0] // 13  # where the factory starts writing


def _ink_box(image: np.ndarray) -> tuple[float, float]:
    """Left and top of the dark text as shares of the image's width and height."""
    gray = image.mean(axis=2) if image.ndim == 3 else image
    inner = gray[gray.shape[0] // 50 : -gray.shape[0] // 50, gray.shape[1] // 50 : -gray.shape[1] // 50]
    ys, xs = np.nonzero(inner < 100)
    return (xs.min() + gray.shape[1] // 50) / gray.shape[1], (ys.min() + gray.shape[0] // 50) / gray.shape[0]


@pytest.mark.parametrize(("rotate_deg", "seed"), [(5.0, 1), (-4.0, 2), (0.5, 3)])
def test_photo_on_a_dark_table_is_cropped_to_the_page(rotate_deg: float, seed: int) -> None:
    photo = np.asarray(render_scanned_page(LINES, rotate_deg=rotate_deg, seed=seed, size=PAGE, font_px=16))
    result = crop_document(photo)
    assert result.cropped
    assert result.quad is not None and result.quad.shape == (4, 2)
    height, width = result.image.shape[:2]
    assert max(height, width) <= MAX_SIDE
    assert 1.3 < height / width < 1.55  # A4 is 1.414
    # No table left at the edges: the border is page-bright.
    border = np.concatenate(
        [
            result.image[:5].ravel(),
            result.image[-5:].ravel(),
            result.image[:, :5].ravel(),
            result.image[:, -5:].ravel(),
        ]
    )
    assert border.mean() > 150
    # The text starts where the page margin puts it: the crop follows the page's edges.
    left, top = _ink_box(result.image)
    assert left == pytest.approx(MARGIN / PAGE[0], abs=0.025)
    assert top == pytest.approx(MARGIN / PAGE[1], abs=0.025)


def test_full_frame_scan_is_not_cropped() -> None:
    scan = np.asarray(render_scanned_page(LINES, background=False, size=PAGE, font_px=16))
    result = crop_document(scan)
    assert not result.cropped
    assert result.image is scan


def test_white_page_on_light_low_contrast_table_is_left_alone() -> None:
    rng = np.random.default_rng(0)
    page = np.asarray(render_scanned_page(LINES, background=False, noise=False, size=(400, 565), font_px=10))
    photo = np.clip(rng.normal(238, 4, (750, 600, 3)), 0, 255).astype(np.uint8)
    photo[90:655, 100:500] = page
    result = crop_document(photo)
    assert not result.cropped
    assert result.image is photo


def test_scan_with_a_dark_banner_is_not_cut_to_the_white_part() -> None:
    scan = np.asarray(render_scanned_page(LINES, background=False, size=PAGE, font_px=16)).copy()
    scan[:200] = 20
    assert not crop_document(scan).cropped


def test_small_grey_photo() -> None:
    photo = np.asarray(render_scanned_page(LINES, rotate_deg=3, size=(420, 594), font_px=12))
    result = crop_document(photo[:, :, 0])
    assert result.cropped
    assert result.image.ndim == 2


def test_crop_is_shrunk_to_max_side() -> None:
    photo = np.asarray(render_scanned_page(LINES, rotate_deg=2, size=PAGE, font_px=16))
    result = crop_document(photo, max_side=500)
    assert result.cropped
    assert max(result.image.shape[:2]) == 500
