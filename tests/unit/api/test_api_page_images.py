"""A document's page as PNG: PDF pages rendered, images and TIFF frames scaled, bad pages refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from services.api.documents.service.pages import page_png
from services.api.errors import NotFoundError, UnsupportedError
from tests.factories.documents import make_scanned_tiff, make_text_pdf


def _image(png: bytes) -> Image.Image:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(png))


def test_a_pdf_page_is_rendered_at_the_asked_width() -> None:
    pdf = make_text_pdf(["Invoice 42", "Total 10.00"], pages=2)
    image = _image(page_png(pdf, "application/pdf", 2, 400))
    assert image.width == 400
    assert image.height > 400  # portrait
    assert image.convert("L").getextrema()[0] < 100  # the text is drawn


def test_a_tiff_frame_is_a_page() -> None:
    tiff = make_scanned_tiff([["first page"], ["second page"]])
    assert _image(page_png(tiff, "image/tiff", 2, 300)).width == 300
    with pytest.raises(NotFoundError, match="2 page"):
        page_png(tiff, "image/tiff", 3, 300)


def test_a_page_past_the_end_and_a_non_document_are_refused() -> None:
    with pytest.raises(NotFoundError, match="1 page"):
        page_png(make_text_pdf(["one"]), "application/pdf", 2, 300)
    with pytest.raises(UnsupportedError):
        page_png(b"plain text, not a page", "text/plain", 1, 300)
