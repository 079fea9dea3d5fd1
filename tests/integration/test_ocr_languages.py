"""Character set `latin` is 16 languages: their Tesseract data is installed (the setup script,
the Dockerfile) and the OCR service reads each one's own letters from a scanned page."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.ocr_real_scans import distance
from docroute.languages import LATIN_LANGUAGES
from docroute.ocr_result import words_to_text
from services.ocr.adapters import TESSDATA, TESSERACT_LANGUAGES, TesseractEngine
from tests.factories.documents import render_scanned_page
from tests.factories.latin_languages import SAMPLES

ROOT = Path(__file__).resolve().parents[2]


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _letters_outside_ascii(text: str) -> Counter[str]:
    return Counter(char for char in text if char.isalpha() and not char.isascii())


@pytest.fixture(scope="module")
def tesseract() -> Iterator[TesseractEngine]:
    engine = TesseractEngine()
    yield engine
    engine.close()


@pytest.mark.parametrize("code", [code for codes in TESSERACT_LANGUAGES.values() for code in codes])
def test_each_configured_language_has_its_data(code: str) -> None:
    assert (Path(TESSDATA) / f"{code}.traineddata").is_file()


def test_the_setup_script_and_the_image_install_every_language() -> None:
    script = (ROOT / "scripts/install-system-deps.sh").read_text()
    for code in LATIN_LANGUAGES:
        assert f"tesseract-ocr-{code}" in script
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "install-system-deps.sh" in dockerfile and "TesseractEngine()" in dockerfile


@pytest.mark.parametrize("language", LATIN_LANGUAGES)
def test_a_scanned_page_is_read_with_its_own_letters(tesseract: TesseractEngine, language: str) -> None:
    """At most 3 % of the characters and 10 % of the letters outside ASCII wrong (with `eng+deu+fra`
    alone: 15-21 % of the characters and all but 0-1 of those letters in Polish, Czech, Slovak)."""
    lines = SAMPLES[language]
    image = render_scanned_page(lines, background=False, font_px=32, seed=3)
    read = _norm(words_to_text(tesseract.recognize(image, "latin")))
    expected = _norm("\n".join(lines))
    wanted = _letters_outside_ascii(expected)
    missing = wanted - _letters_outside_ascii(read)
    assert missing.total() <= wanted.total() // 10, (missing, read)
    assert distance(expected, read) <= 0.03 * len(expected), read
