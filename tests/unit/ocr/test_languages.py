"""Naming a Latin page's language from a first pass that lost its diacritics."""

from __future__ import annotations

import unicodedata

import pytest

from docroute.languages import LATIN_LANGUAGES, detect_latin_language
from services.ocr.core.languages import FIRST_PASS, second_pass_languages
from tests.factories.latin_languages import SAMPLES


def _ascii(text: str) -> str:
    """What `eng+deu+fra` makes of a page in Polish or Czech: the letters without their marks."""
    folded = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("ø", "o").replace("đ", "d"))
    return "".join(char for char in folded if not unicodedata.combining(char))


def test_the_samples_cover_the_16_languages() -> None:
    assert tuple(SAMPLES) == LATIN_LANGUAGES and len(set(LATIN_LANGUAGES)) == 16


@pytest.mark.parametrize("language", LATIN_LANGUAGES)
def test_each_language_is_named_even_without_its_diacritics(language: str) -> None:
    text = "\n".join(SAMPLES[language])
    assert detect_latin_language(text) == language
    stripped = _ascii(text)
    if language in FIRST_PASS:
        assert second_pass_languages(stripped) is None
    else:  # read again with it (Czech without its marks: with Slovenian and Slovak too)
        assert language in (second_pass_languages(stripped) or "").split("+")


def test_only_languages_outside_the_first_pass_get_a_second() -> None:
    assert second_pass_languages("\n".join(SAMPLES["deu"])) is None
    assert second_pass_languages("\n".join(SAMPLES["pol"])) == "pol"
    assert set(FIRST_PASS) < set(LATIN_LANGUAGES)


@pytest.mark.parametrize("text", ["", "4711 1.240,50", "Total 12"])
def test_too_little_text_names_no_language(text: str) -> None:
    assert detect_latin_language(text) is None
    assert second_pass_languages(text) is None


def test_detection_is_deterministic() -> None:
    text = "Fakturanummer 4711 betales innen tretti dager, takk for handelen"
    assert len({detect_latin_language(text) for _ in range(5)}) == 1
