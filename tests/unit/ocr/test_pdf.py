"""PDF pages through pypdfium2: count, text layer, words, rendering and broken files."""

from __future__ import annotations

import numpy as np
import pytest

from services.ocr.core.errors import CorruptDocumentError, EncryptedDocumentError
from services.ocr.core.pdf import PdfFile, has_text_layer
from tests.factories.documents import (
    make_corrupt_pdf,
    make_encrypted_pdf,
    make_image_pdf,
    make_text_pdf,
)

LINES = ["INVOICE", "Invoice number: A-71503", "Rechnungsbetrag: 1.234,56 €", "Facturé à: Léa Dubois"]


@pytest.fixture(scope="module")
def text_pdf() -> bytes:
    return make_text_pdf(LINES, pages=3)


def test_count_pages(text_pdf: bytes) -> None:
    with PdfFile(text_pdf) as pdf:
        assert pdf.page_count == 3


def test_page_text_reads_the_text_layer_in_order(text_pdf: bytes) -> None:
    with PdfFile(text_pdf) as pdf:
        text = pdf.text_layer(1).text
    assert text.splitlines()[: len(LINES)] == LINES
    assert "Page 2 of 3" in text
    assert "\r" not in text


def test_text_layer_words_have_boxes_inside_the_200_dpi_page(text_pdf: bytes) -> None:
    with PdfFile(text_pdf) as pdf:
        layer = pdf.text_layer(0)
    assert (layer.width, layer.height) == (1654, 2339)
    assert [w.text for w in layer.words[:3]] == ["INVOICE", "Invoice", "number:"]
    assert [w.line for w in layer.words[:3]] == [0, 1, 1]
    for word in layer.words:
        x0, y0, x1, y1 = word.box
        assert 0 <= x0 < x1 <= layer.width and 0 <= y0 < y1 <= layer.height
        assert word.confidence == 1.0
    # Reading order: lines go down the page.
    tops = [w.box[1] for w in layer.words]
    assert tops[0] < tops[1] < tops[-1]


def test_japanese_text_layer() -> None:
    with PdfFile(make_text_pdf(["請求書", "合計: ¥12,000"])) as pdf:
        text = pdf.text_layer(0).text
    assert text.startswith("請求書\n合計: ¥12,000")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", False),
        ("   \n\n  ", False),
        ("Scanned by CamScanner", False),
        ("x" * 40, True),
        ("Invoice number A-71503, total due $4,723.50", True),
    ],
)
def test_has_text_layer_needs_some_real_characters(text: str, expected: bool) -> None:
    assert has_text_layer(text) is expected


def test_image_only_pdf_has_no_text_layer() -> None:
    scanned = make_image_pdf(LINES, pages=2, noise=False)
    with PdfFile(scanned) as pdf:
        assert pdf.page_count == 2
        assert not has_text_layer(pdf.text_layer(0).text)


def test_render_page_is_rgb_at_200_dpi(text_pdf: bytes) -> None:
    with PdfFile(text_pdf) as pdf:
        image = pdf.render(0)
        assert image.mode == "RGB"
        assert image.size == (1654, 2339)
        assert pdf.render(0, dpi=100).size == (827, 1170)
        assert (pdf.text_layer(0, dpi=100).width, pdf.text_layer(0, dpi=100).height) == (827, 1170)
    # Text is drawn: the page is not blank.
    assert np.asarray(image).min() < 100


def test_page_index_out_of_range(text_pdf: bytes) -> None:
    with PdfFile(text_pdf) as pdf, pytest.raises(IndexError):
        pdf.text_layer(3)


def test_encrypted_pdf_raises_encrypted_document_error() -> None:
    with pytest.raises(EncryptedDocumentError):
        PdfFile(make_encrypted_pdf())


@pytest.mark.parametrize(
    "data",
    [make_corrupt_pdf(), b"", b"hello", make_text_pdf(LINES)[:600]],
    ids=["garbage", "empty", "text", "truncated"],
)
def test_corrupt_pdf_raises_corrupt_document_error(data: bytes) -> None:
    with pytest.raises(CorruptDocumentError):
        PdfFile(data)
