"""Real Tesseract and PaddleOCR on generated scans and photos, through the OCR core."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from services.ocr.adapters import (
    EngineSet,
    OcrEngineUnavailableError,
    PaddleEngine,
    TesseractEngine,
    build_engine,
)
from services.ocr.core.extract import extract_document
from services.ocr.core.images import load_image_pages
from tests.factories.documents import (
    Language,
    document_lines,
    make_image_pdf,
    make_scanned_image,
    render_scanned_page,
)


def word_recall(expected: str, recognised: str) -> float:
    """Share of the expected words (case-folded, punctuation dropped) that were recognised."""
    want = Counter(re.findall(r"\w+", expected.casefold()))
    got = Counter(re.findall(r"\w+", recognised.casefold()))
    return sum(min(count, got[word]) for word, count in want.items()) / sum(want.values())


def char_recall(expected: str, recognised: str) -> float:
    """Share of the expected non-space characters that were recognised (for Japanese)."""
    want = Counter(char for char in expected if not char.isspace())
    got = Counter(char for char in recognised if not char.isspace())
    return sum(min(count, got[char]) for char, count in want.items()) / sum(want.values())


@pytest.fixture(scope="module")
def tesseract() -> Iterator[TesseractEngine]:
    engine = TesseractEngine()
    yield engine
    engine.close()


@pytest.mark.parametrize(
    ("kind", "language"), [("invoice", "en"), ("payslip", "de"), ("rental_contract", "fr")]
)
def test_tesseract_reads_a_scanned_page(tesseract: TesseractEngine, kind: str, language: Language) -> None:
    lines = document_lines(kind, random.Random(11), language)
    [page] = load_image_pages(make_scanned_image(lines, background=False))
    words = tesseract.recognize(page, "latin")
    assert word_recall("\n".join(lines), " ".join(w.text for w in words)) >= 0.8
    assert all(0 <= w.confidence <= 1 for w in words)
    assert all(0 <= w.box[0] < w.box[2] <= page.width for w in words)
    assert max(w.line for w in words) >= len(lines) - 2


def test_tesseract_reads_japanese(tesseract: TesseractEngine) -> None:
    lines = document_lines("invoice", random.Random(5), "ja")
    data = make_scanned_image(lines, background=False)
    document = extract_document(
        data,
        "image/png",
        document_id="ja",
        relevant_pages=None,
        cropping=False,
        language="japanese",
        engine=tesseract,
        max_pages=1,
    )
    assert char_recall("".join(lines), document.text) >= 0.8


def test_photo_is_cropped_then_read_by_tesseract(tesseract: TesseractEngine) -> None:
    lines = document_lines("rental_contract", random.Random(2), "en")
    photo = make_scanned_image(lines, format="JPEG", rotate_deg=6, seed=2)
    document = extract_document(
        photo,
        "image/jpeg",
        document_id="photo",
        relevant_pages=None,
        cropping=True,
        language="latin",
        engine=tesseract,
        max_pages=1,
    )
    [page] = document.pages
    assert page.cropped
    assert page.source == "tesseract"
    assert word_recall("\n".join(lines), document.text) >= 0.8


def test_scanned_pdf_is_read_by_tesseract(tesseract: TesseractEngine) -> None:
    first = document_lines("bank_statement", random.Random(3), "en")
    second = document_lines("tax_form", random.Random(4), "en")
    data = make_image_pdf([first, second])
    document = extract_document(
        data,
        "application/pdf",
        document_id="scan",
        relevant_pages="2",
        cropping=False,
        language="latin",
        engine=tesseract,
        max_pages=5,
    )
    assert [(page.index, page.source) for page in document.pages] == [(1, "tesseract")]
    assert word_recall("\n".join(second), document.text) >= 0.8


def test_paddle_reads_a_scanned_page() -> None:
    lines = document_lines("invoice", random.Random(11), "en")
    image = render_scanned_page(lines, background=False)
    engine = build_engine("paddle")
    words = engine.recognize(image, "latin")
    assert word_recall("\n".join(lines), " ".join(w.text for w in words)) >= 0.8
    assert all(0 <= w.confidence <= 1 for w in words)
    assert all(0 <= w.box[0] <= w.box[2] <= image.width for w in words)


def test_paddle_names_missing_model_folders(tmp_path: Path) -> None:
    with pytest.raises(OcrEngineUnavailableError, match="missing-det"):
        PaddleEngine(det_dir=tmp_path / "missing-det", rec_dir=tmp_path)


def test_tesseract_without_language_data_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(OcrEngineUnavailableError, match="eng"):
        TesseractEngine(str(tmp_path))


def test_engine_set_builds_each_engine_once() -> None:
    engines = EngineSet()
    try:
        assert engines.get("tesseract") is engines.get("tesseract")
    finally:
        engines.close()


def test_tesseract_returns_no_words_for_a_blank_page(tesseract: TesseractEngine) -> None:
    blank = Image.new("RGB", (827, 1170), "white")
    assert tesseract.recognize(blank, "latin") == []
    assert tesseract.recognize(blank, "japanese") == []
