"""Which of the 16 languages of character set `latin` a text is written in (langdetect,
seeded). The OCR service reads a page again in its language; the classifier's wording view
speaks only on documents in a language its predicted class was trained in."""

from __future__ import annotations

import threading

from langdetect import DetectorFactory, LangDetectException, detect_langs
from langdetect.detector_factory import init_factory

# natif.ai's character set "latin": English, German, French, Spanish, Slovak, Czech, Polish,
# Italian, Dutch, Slovenian, Croatian, Portuguese, Finnish, Swedish, Danish, Norwegian
# (Tesseract's codes, in that order).
LATIN_LANGUAGES: tuple[str, ...] = (
    "eng",
    "deu",
    "fra",
    "spa",
    "slk",
    "ces",
    "pol",
    "ita",
    "nld",
    "slv",
    "hrv",
    "por",
    "fin",
    "swe",
    "dan",
    "nor",
)
_ISO_639_1 = dict(
    zip(
        ("en", "de", "fr", "es", "sk", "cs", "pl", "it", "nl", "sl", "hr", "pt", "fi", "sv", "da", "no"),
        LATIN_LANGUAGES,
        strict=True,
    )
)
# Fewer letters than this say too little about their language.
MIN_LETTERS = 40
_lock = threading.Lock()


def load_detector() -> None:
    """Read the detector's language profiles now (about 0.5 s) rather than on the first page."""
    with _lock:
        init_factory()


def rank_latin_languages(text: str) -> list[tuple[str, float]]:
    """The languages among the 16 that ``text`` may be in, most likely first, with probabilities;
    empty when it has too few letters to tell. Deterministic (the detector's sampling is seeded)."""
    if sum(char.isalpha() for char in text) < MIN_LETTERS:
        return []
    with _lock:  # the detector factory and its seed are module globals of langdetect
        DetectorFactory.seed = 0
        try:
            ranked = detect_langs(text)
        except LangDetectException:
            return []
    return [(_ISO_639_1[item.lang], float(item.prob)) for item in ranked if item.lang in _ISO_639_1]


def detect_latin_language(text: str) -> str | None:
    """The most likely of the 16 languages for ``text``, or None when it cannot be told."""
    ranked = rank_latin_languages(text)
    return ranked[0][0] if ranked else None
