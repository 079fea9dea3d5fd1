"""Image documents as pages: PNG, JPEG, multi-page TIFF and broken files."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from services.ocr.core.errors import CorruptDocumentError
from services.ocr.core.images import count_image_pages, load_image_pages
from tests.factories.documents import ImageFormat, make_scanned_image, make_scanned_tiff

SIZE = (600, 800)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF"])
def test_single_image_is_one_rgb_page(fmt: ImageFormat) -> None:
    lines = ["Payslip", "Net pay: $2,831.75"]
    data = make_scanned_image(lines, format=fmt, background=False, size=SIZE, font_px=20, noise=False)
    assert count_image_pages(data) == 1
    [page] = load_image_pages(data)
    assert page.mode == "RGB"
    assert page.size == (600, 800)


def test_tiff_frames_are_pages() -> None:
    data = make_scanned_tiff([["page one"], ["page two"], ["page three"]], size=SIZE, font_px=20, noise=False)
    assert count_image_pages(data) == 3
    pages = load_image_pages(data, [2, 0])
    assert len(pages) == 2
    assert all(page.mode == "RGB" and page.size == (600, 800) for page in pages)


def test_exif_orientation_is_applied() -> None:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90 degrees clockwise to view
    Image.new("RGB", (400, 300), "white").save(out, format="JPEG", exif=exif)
    [page] = load_image_pages(out.getvalue())
    assert page.size == (300, 400)


def test_page_out_of_range() -> None:
    data = make_scanned_image(["x"], background=False, size=SIZE, font_px=20, noise=False)
    with pytest.raises(IndexError):
        load_image_pages(data, [1])


@pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\n" + b"\0" * 64])
def test_unreadable_image_raises_corrupt_document_error(data: bytes) -> None:
    with pytest.raises(CorruptDocumentError):
        count_image_pages(data)


def test_truncated_image_raises_corrupt_document_error() -> None:
    data = make_scanned_image(["Truncated"], format="JPEG", background=False, size=SIZE, noise=False)
    with pytest.raises(CorruptDocumentError):
        load_image_pages(data[: len(data) // 2])
