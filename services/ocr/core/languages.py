"""Which of the 16 languages of character set `latin` a page is written in.

Tesseract reads one language list per pass, and a long list is worse than the right language:
on generated scans in the 16 languages, `eng+deu+fra` misread 6.4 % of the characters (76 % of
the letters with diacritics lost), all 16 in one list 2.7 %, the page's own language alone 0.2 %
(`bench/ocr_languages.py`). So a Latin page is read first with `eng+deu+fra`; when its text is in
another of the 16 languages, it is read again with that language alone (or the two or three it
may be, when the text leaves them open). The text of the first pass, diacritics lost and all,
names its language reliably (16 of 16 in the bench).
"""

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
# The first pass: the three languages most mail is in; the others get a second pass.
FIRST_PASS: tuple[str, ...] = ("eng", "deu", "fra")
_ISO_639_1 = dict(
    zip(
        ("en", "de", "fr", "es", "sk", "cs", "pl", "it", "nl", "sl", "hr", "pt", "fi", "sv", "da", "no"),
        LATIN_LANGUAGES,
        strict=True,
    )
)
# Fewer letters than this say too little about their language.
MIN_LETTERS = 40
# A language at least this likely is read in the second pass; up to MAX_CANDIDATES of them when
# the text leaves several open (Czech without its marks looks Slovenian or Slovak too).
MIN_PROBABILITY = 0.1
MAX_CANDIDATES = 3
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


def second_pass_languages(first_pass_text: str) -> str | None:
    """The Tesseract language list to read a Latin page again with (`pol`, or `slv+slk+ces` when
    the text leaves several open), or None when the first pass stands: too little text, or its
    language is one the first pass reads."""
    ranked = rank_latin_languages(first_pass_text)
    if not ranked or ranked[0][0] in FIRST_PASS:
        return None
    likely = [code for code, probability in ranked if probability >= MIN_PROBABILITY][:MAX_CANDIDATES]
    return "+".join(likely)
