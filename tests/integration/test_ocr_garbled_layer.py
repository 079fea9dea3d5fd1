"""A PDF whose text layer is mojibake (a broken ToUnicode map) is read by real Tesseract instead."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest

from services.ocr.adapters import TesseractEngine
from services.ocr.core.extract import extract_document
from services.ocr.core.pdf import PdfFile
from tests.factories.documents import GERMAN_INVOICE_LINES as LINES
from tests.factories.documents import make_garbled_text_pdf, make_text_pdf


def word_recall(expected: str, recognised: str) -> float:
    """Share of the expected words (case-folded, punctuation dropped) found in ``recognised``."""
    want = Counter(re.findall(r"\w+", expected.casefold()))
    got = Counter(re.findall(r"\w+", recognised.casefold()))
    return sum(min(count, got[word]) for word, count in want.items()) / sum(want.values())


@pytest.fixture(scope="module")
def tesseract() -> Iterator[TesseractEngine]:
    engine = TesseractEngine()
    yield engine
    engine.close()


def test_a_garbled_text_layer_is_ocred_and_says_why(tesseract: TesseractEngine) -> None:
    data = make_garbled_text_pdf(LINES)
    with PdfFile(data) as pdf:
        layer = pdf.text_layer(0).text
    assert len(layer) > 200 and word_recall("\n".join(LINES), layer) < 0.1  # garbage, and plenty of it

    result = extract_document(
        data,
        "application/pdf",
        document_id="garbled",
        relevant_pages=None,
        cropping=False,
        language="latin",
        engine=tesseract,
        max_pages=5,
    )
    [page] = result.pages
    assert page.source == "tesseract"
    assert page.text_layer_rejected is not None and "does not read as language" in page.text_layer_rejected
    assert word_recall("\n".join(LINES), page.text) >= 0.8


def test_a_clean_text_layer_is_still_taken_as_it_is(tesseract: TesseractEngine) -> None:
    result = extract_document(
        make_text_pdf(LINES),
        "application/pdf",
        document_id="clean",
        relevant_pages=None,
        cropping=False,
        language="latin",
        engine=tesseract,
        max_pages=5,
    )
    [page] = result.pages
    assert (page.source, page.text_layer_rejected) == ("text-layer", None)
    assert word_recall("\n".join(LINES), page.text) == 1.0
