"""Whether a line of text is a line of people's names, as a paper's title page lists its authors
("Leslie Lamport", "J.H. Saltzer, D.P. Reed and D.D. Clark*", "By Hal R. Varian", "K. MANI
CHANDY", "Asaf Cidon1, Robert Escriva2, ... and Emin Gün Sirer2"). Read from the line's form
alone: no list of names, which would know only the names of the languages it was drawn from. A
heading of two capitalised words ("Related Work") has the same form; `docroute.classifier.
page_cues.title_and_authors` reads such a line only below a title and above the page's prose.
"""

from __future__ import annotations

import re
import unicodedata

# Particles inside a name ("Ludwig van Beethoven"), never its first or last word.
_PARTICLE = re.compile(r"^(?:van|von|de|der|den|da|di|del|della|la|le|du|dos|das|ter|ten)$")
_INITIALS = re.compile(r"^(?:[A-Z]\.-?){1,3}$")
# Between the names of one line: commas, semicolons, "and", "&".
_BETWEEN_NAMES = re.compile(r"\s*(?:[,;&]|\band\b|\bAND\b)\s*")
_BY = re.compile(r"^(?:By|BY)\s+")
# Marks after a name that point to its author's affiliation or a footnote ("Clark*", "Cidon1").
_AFFILIATION_MARKS = "*∗†‡§¶0123456789"
# Accents a PDF's text layer sets apart from their letters ("Jos´e", "Leit˜ao", typeset by TeX).
_LOOSE_ACCENTS = frozenset(("Sk", "Mn"))
# A names line longer than this is a sentence or a list of something else.
_MAX_LINE = 120


def _name_word(word: str) -> bool:
    """A capitalised word or one in capitals, of letters only, parts joined by hyphens allowed
    ("Farach-Colton", "LAMPORT", "Stølting")."""
    return all(
        len(part) >= 2 and part.isalpha() and part[0].isupper() and (part[1:].islower() or part[1:].isupper())
        for part in word.split("-")
    )


def _person_name(chunk: str) -> bool:
    """Two to four words, initials ("D.P.") and particles among them, ending in a name word."""
    words = [word.rstrip(_AFFILIATION_MARKS) for word in chunk.split()]
    if not 2 <= len(words) <= 4 or _PARTICLE.match(words[0]) or not _name_word(words[-1]):
        return False
    return all(_INITIALS.match(word) or _PARTICLE.match(word) or _name_word(word) for word in words)


def names_line(line: str) -> bool:
    """Whether ``line`` holds nothing but people's names (`_person_name`), one or several."""
    line = "".join(c for c in _BY.sub("", line.strip()) if unicodedata.category(c) not in _LOOSE_ACCENTS)
    if not line or len(line) > _MAX_LINE:
        return False
    names = [chunk for chunk in _BETWEEN_NAMES.split(line) if chunk.strip()]
    return bool(names) and all(_person_name(name) for name in names)
