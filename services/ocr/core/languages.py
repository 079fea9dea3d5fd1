"""Which languages a Latin page is read again with (its language: docroute.languages).

Tesseract reads one language list per pass, and a long list is worse than the right language:
on generated scans in the 16 languages, `eng+deu+fra` misread 6.4 % of the characters (76 % of
the letters with diacritics lost), all 16 in one list 2.7 %, the page's own language alone 0.2 %
(`bench/ocr_languages.py`). So a Latin page is read first with `eng+deu+fra`; when its text is in
another of the 16 languages, it is read again with that language alone (or the two or three it
may be, when the text leaves them open). The text of the first pass, diacritics lost and all,
names its language reliably (16 of 16 in the bench).
"""

from __future__ import annotations

from docroute.languages import rank_latin_languages

# The first pass: the three languages most mail is in; the others get a second pass.
FIRST_PASS: tuple[str, ...] = ("eng", "deu", "fra")
# A language at least this likely is read in the second pass; up to MAX_CANDIDATES of them when
# the text leaves several open (Czech without its marks looks Slovenian or Slovak too).
MIN_PROBABILITY = 0.1
MAX_CANDIDATES = 3


def second_pass_languages(first_pass_text: str) -> str | None:
    """The Tesseract language list to read a Latin page again with (`pol`, or `slv+slk+ces` when
    the text leaves several open), or None when the first pass stands: too little text, or its
    language is one the first pass reads."""
    ranked = rank_latin_languages(first_pass_text)
    if not ranked or ranked[0][0] in FIRST_PASS:
        return None
    likely = [code for code, probability in ranked if probability >= MIN_PROBABILITY][:MAX_CANDIDATES]
    return "+".join(likely)
