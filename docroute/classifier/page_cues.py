"""What a page's text says about where it lies in its document: the cues of the boundary model
(`docroute.classifier.boundary_cues`) read off one page or a pair of pages, whatever the workflow's
samples are. Printed page numbers ("Page 2 of 3", "2/3", a bare "4", a running header's "6"), the
text's flow (a page starting in lower case, the page before ending mid-sentence, a page opening
with a line of the page before), a paper's end and the next one's abstract or title and authors, a
page opening with references, and a page's form (an address block, a title, a heading).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from docroute.classifier.person_names import names_line

F64 = npt.NDArray[np.float64]

# Page number cues are read in the head and the tail only ("see page 2" in a body is no cue).
_EDGE_CHARS = 300
# Fewer characters than this: a page without text (a blank back side, a scanned photo).
MIN_PAGE_CHARS = 20
# The words that label a page's number, and those that join it to the page count.
_PAGE_WORD = r"\bpage|\bseite|\bpagina|\bpágina|\bblatt|\bfeuille"
_COUNT_WORD = r"of|/|von|sur|de|di|aus|из"
_LABELLED = re.compile(
    rf"(?:{_PAGE_WORD}|\bp\.)\s*(\d{{1,3}})(?:\s*(?:{_COUNT_WORD})\s*(\d{{1,3}}))?",
    re.IGNORECASE,
)
_FRACTION = re.compile(r"^[\s\-–]*(\d{1,3})\s*/\s*(\d{1,3})[\s\-–]*$", re.MULTILINE)
_BARE = re.compile(r"^[\s\-–]*(\d{1,3})[\s\-–]*$", re.MULTILINE)


@dataclass(frozen=True)
class PageNumber:
    """A page number a page prints (``number``), and the page count when it says ("2 of 3")."""

    number: int
    total: int | None = None


def page_number(text: str) -> PageNumber | None:
    """The page number printed in the head or tail of a page, if any."""
    edges = (text[:_EDGE_CHARS], text[-_EDGE_CHARS:])
    for pattern in (_LABELLED, _FRACTION):
        for edge in edges:
            found = pattern.search(edge)
            if found:
                total = int(found.group(2)) if found.group(2) else None
                if int(found.group(1)) >= 1 and (total is None or total >= int(found.group(1))):
                    return PageNumber(int(found.group(1)), total)
    # A line that is a bare number: only the last lines (a footer) or the first one (a header).
    lines = [line for line in text.strip().splitlines() if line.strip()]
    for line in lines[-2:] + lines[:1]:
        bare = _BARE.fullmatch(line)
        if bare and 1 <= int(bare.group(1)) <= 999:
            return PageNumber(int(bare.group(1)))
    return None


# A page's own number without its count in its head: the label and the number close the
# reading (no "/ 3", "of 3", "von 3" after it), and no word before points to another page.
_HEAD_LABEL = re.compile(
    r"(?i)(?<!from )(?<!on )(?<!see )(?<!siehe )(?<!von )(?<!auf )"
    rf"(?:{_PAGE_WORD})\s*:?\s*(\d{{1,3}})(?![\d/.,])(?!\s*(?:{_COUNT_WORD})\s*\d)"
)
_HEAD_LABEL_LINES = 20
_HEAD_LABEL_CHARS = 60


def labelled_page_number(text: str) -> PageNumber | None:
    """A page number with its count and a label ("Seite 1/1", "Page 2 of 3") anywhere on the
    page: a footer that a PDF's text order puts amid the page (an invoice's "Seite 1/1" before
    its bank details), which `page_number` reads only in the head and tail. Without a count, a
    labelled number on a short line of the page's head ("RECHNUNGS-KORREKTUR Seite 1", a
    letterhead's "Page 2"), not one a line points to ("Subtotal from page 1"): over
    bench/splitting.py's sixty-six draws "1" at 863 pages beginning a document and at none
    inside one, a higher number at 2,362 pages inside one and at none beginning one."""
    for found in _LABELLED.finditer(text):
        if found.group(2) and 1 <= int(found.group(1)) <= int(found.group(2)):
            return PageNumber(int(found.group(1)), int(found.group(2)))
    for line in (line.strip() for line in _body_lines(text)[:_HEAD_LABEL_LINES]):
        own = _HEAD_LABEL.search(line) if len(line) <= _HEAD_LABEL_CHARS else None
        if own and int(own.group(1)) >= 1:
            return PageNumber(int(own.group(1)))
    return None


# A year's two digits after an apostrophe ("USENIX ATC '15", a cover page's last line) are no
# page number.
_EDGE_NUMBER = re.compile(r"(?<![\w.,/:'\u2018\u2019-])\d{1,3}(?![\w.,/:%-])")
# Lines at each end of a page where a running header or footer prints a page number.
_EDGE_LINES = 2


def edge_numbers(text: str) -> frozenset[int]:
    """The numbers (1-999, standing alone) in a page's first and last lines: where a running
    header or footer prints its page number beside a title ("6 THE AMERICAN ECONOMIC REVIEW",
    "Saltzer et al. End-to-End Arguments 3"), which `page_number` does not read as one."""
    lines = [line for line in text.splitlines() if line.strip()]
    edges = lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]
    return frozenset(n for line in edges for n in map(int, _EDGE_NUMBER.findall(line)) if 1 <= n <= 999)


def edge_number_follows(before: str, here: str) -> bool:
    """Whether a number at the edge of a page is one more than a number at the edge of the page
    before: their running headers or footers count the pages of one document."""
    after = edge_numbers(here)
    return any(n + 1 in after for n in edge_numbers(before))


def starts_lowercase(text: str) -> bool:
    """Whether a page's first word begins in lower case: a sentence carried over from the page
    before (a running header or a page number above it left aside)."""
    for line in _body_lines(text)[:3]:
        letters = [c for c in line if c.isalpha()]
        if letters:
            return letters[0].islower()
    return False


def ends_open(text: str) -> bool:
    """Whether a page's last line of text stops mid-sentence (no full stop, question or
    exclamation mark, colon; a hyphen or comma counts as open), page numbers left aside."""
    lines = _body_lines(text)
    if not lines:
        return False
    last = lines[-1].rstrip()
    return last[-1].isalpha() or last[-1] in ",-–;" if last else False


def line_keys(text: str) -> list[str]:
    """A page's lines in the form `first_line_goes_on` compares them (digits as 0, case and
    spacing folded; bare page numbers and lines under three characters left out): read once a
    page, each page being compared with the one before and the one after."""
    return [key for key in map(_line_key, _body_lines(text)) if len(key) >= 3]


def first_line_goes_on(before: Sequence[str], here: Sequence[str]) -> bool:
    """Whether a page opens with a line of the page before, or with the first words of one of
    its last lines (both pages as `line_keys`): a table's header repeated, a list of fields or of
    references running on from the page before ("Qualifizierung der Textart: REG" after "...:
    AAJ", "[17] Leslie Lamport." after "[16] Leslie Lamport."). Not a line of the page before's
    head (a letterhead or a sender's line, which the next document of a sender opens with too),
    nor a line of one word (a town after its postcode) or one of few words (a name alone, which a
    footer may open with)."""
    if not before or not here or here[0] in before[:_HEAD_LINES]:
        return False
    opening = here[0]
    words = opening.split()
    worded = sum(any(c.isalpha() for c in word) for word in words) >= 2
    if len(opening) >= 8 and worded and opening in before:
        return True
    lead = words[:_RUN_ON_WORDS]
    if len(words) <= _RUN_ON_WORDS or len(" ".join(lead)) < 16:
        return False
    return any(line.split()[:_RUN_ON_WORDS] == lead for line in before[-_RUN_ON_LINES:])


# A page's head (its first lines), where a letterhead sits; how many of the page before's last
# lines a page's first words may run on from, and how many first words.
_HEAD_LINES = 5
_RUN_ON_LINES = 5
_RUN_ON_WORDS = 3


def _line_key(line: str) -> str:
    """A line's form for comparing lines across pages: digits as 0, case and spacing folded."""
    return " ".join(re.sub(r"\d+", "0", line.lower()).split())


def _body_lines(text: str) -> list[str]:
    """The page's lines that are neither empty nor a bare page number."""
    return [line for line in text.splitlines() if line.strip() and not _BARE.fullmatch(line)]


# "Abstract" alone, before a colon, dash or full stop, or capitalised before a capitalised word
# ("Abstract We develop"); not "abstract syntax" in a line of the body.
_ABSTRACT = re.compile(
    r"^\W{0,3}(?:(?i:abstract|zusammenfassung|kurzfassung|r[ée]sum[ée])\s*(?:$|[:.\-–—])"
    r"|(?:Abstract|ABSTRACT|Zusammenfassung|ZUSAMMENFASSUNG|Kurzfassung|R[ée]sum[ée]|RÉSUMÉ)\s+[A-Z])"
)
# Lines of a page's head where a title page's abstract may begin (below a title, the authors and
# their addresses).
_ABSTRACT_LINES = 30
_REFERENCE_ENTRY = re.compile(r"^\s*\[(?:\d{1,3}|[A-Z][\w+-]{1,12}\d{2})\]")
_REFERENCES_HEADING = re.compile(
    r"^\W{0,3}(?:\d{1,2}\.?\s*)?(?:references|bibliography|literatur|literaturverzeichnis)\W*$",
    re.IGNORECASE,
)
# Last lines of a page read for a reference entry.
_REFERENCE_LINES = 8


def abstract_head(text: str) -> bool:
    """Whether an abstract begins in a page's first lines ("Abstract", "Abstract—", "ABSTRACT:",
    "Zusammenfassung"): a title page. After a page that ends in references (`ends_in_references`)
    one paper ended and another begins: on the corpus's stacks (bench/splitting.py, 1-30 pages,
    seeds 1-6) that pair holds at 111 of 215 boundaries between two papers and at none of 12,621
    gaps inside one (18 with "abstract syntax" opening a line of the body counted as an abstract,
    before `_ABSTRACT` asked for a heading); the combiner, which sees few such pairs in a
    workflow's samples, let two papers' shared vocabulary outvote it."""
    return any(_ABSTRACT.match(line.strip()) for line in _body_lines(text)[:_ABSTRACT_LINES])


def ends_in_references(text: str) -> bool:
    """Whether a page ends in a list of references: a references heading on it, or an entry such
    as "[12]" or "[Wir82]" among its last lines. Where a paper ends."""
    lines = _body_lines(text)
    return any(_REFERENCES_HEADING.match(line.strip()) for line in lines) or any(
        _REFERENCE_ENTRY.match(line) for line in lines[-_REFERENCE_LINES:]
    )


# Lines at the top of a page read for a references heading or entry (a running header above).
_OPENING_LINES = 2


def opens_with_references(text: str) -> bool:
    """Whether a page opens with a list of references: a references heading or an entry such as
    "[12]" among its first two lines (a running header may come first). A document goes on
    there; none begins with its references."""
    lines = [line.strip() for line in _body_lines(text)[:_OPENING_LINES]]
    return any(_REFERENCES_HEADING.match(line) or _REFERENCE_ENTRY.match(line) for line in lines)


# Lines of a page's head where a title page names its authors, below its title.
_TITLE_LINES = 8
# A line of prose: this many words or more, most of them in lower case.
_PROSE_WORDS = 8
_PROSE_LOWER = 0.6


def title_and_authors(text: str) -> bool:
    """Whether a page opens as a title page without an abstract heading does: a title (a line of
    two words or more, no digit: not a running header with its page number), then a line of
    people's names (`names_line`), among its first 8 lines and before any line of prose. A
    section heading of two capitalised words after a paragraph ("Final Reflections") or a
    figure's labels above a caption are not read as authors. After a page that ends in
    references one paper ended and another begins, whose title page has no abstract heading
    (Lamport's "Paxos Made Simple", Dijkstra's CACM note): on the corpus's PDFs (up to 200 pages
    each) a page opens so after references at one of 2,493 pages inside a document (page 72 of a
    thesis), and 85 of 109 papers' first pages open with a title and authors; on 80 papers of
    papers-we-love the corpus left out, 57 of 80 first pages and none of 1,288 later ones. Over
    the sixty-six draws of bench/splitting.py the pair holds at 2,527 gaps between two documents
    (1,292 of them without an abstract heading) and at none inside one."""
    titled = False
    for line in (line.strip() for line in _body_lines(text)[:_TITLE_LINES]):
        words = line.split()
        if len(words) >= _PROSE_WORDS and sum(w[0].islower() for w in words) >= _PROSE_LOWER * len(words):
            return False
        if titled and names_line(line):
            return True
        titled = titled or _title_line(line, words)
    return False


def _title_line(line: str, words: list[str]) -> bool:
    """Two words of three letters or more, and no digit (a running header has its page number)."""
    return sum(sum(c.isalpha() for c in w) >= 3 for w in words) >= 2 and not any(c.isdigit() for c in line)


# A document's number on a short line of its head: "Handelsrechnung Nr. TX-471102 vom
# 30.10.2018", "Invoice No: 2019-114", "Facture n°562044387 du 02 Juillet 2015", "Order #A1234".
# The label stands alone (not "Bestell-Nr", "Kunden-Nr", "Art-Nr": an order's, a customer's or
# an article's number goes on from page to page or changes inside one invoice), or it is the
# German compound of the document's own number ("Rechnungsnummer 471102", "Beleg-Nr :
# R87654321012345"), or an invoice's word stands before a number that opens with letters
# ("Invoice INV/2023/03/0008"); the number holds a digit. With those two forms the cue holds at
# 15,219 of the 33,322 gaps between documents of bench/splitting.py's sixty-six draws (12,992
# without them) and at the same 122 of 181,895 inside one, each a page printing "Page 2 / 2".
_DOCUMENT_NUMBER = re.compile(
    r"(?i)(?:(?<![\w.-])(?:(?:nr|no|number|nummer|num[ée]ro)(?!\w)\.?|n[°º])|#"
    r"|(?<![\w-])(?:rechnungs?|beleg|gutschrifts?)-?(?:nummer|nr)(?!\w)\.?"
    r"|(?<![\w-])(?:invoice|rechnung|facture|factuur)(?=\s+[a-z]+[/-]?\d))\s*[:.]?\s*"
    r"([A-Z0-9][\w/.-]*\d[\w/.-]*)"
)
_LIST_ITEM = re.compile(r"^\[?\d{1,3}[.\]]\s")
_NUMBER_LINES = 8
_NUMBER_LINE_CHARS = 90
_NUMBER_MIN_CHARS = 3


@dataclass(frozen=True)
class DocumentHead:
    """The document numbers a page's head names and the dates written beside them there."""

    numbers: frozenset[str]
    dates: frozenset[str]

    def names_another(self, last: DocumentHead) -> bool:
        """Whether this head names another document than `last`, the last head that named a
        number: none of its numbers, or the same number with other dates. One number with
        another date is another document: the ZUGFeRD samples of many scenarios all print
        "Rechnungsnummer 471102" (over bench/splitting.py's sixty-six draws a head naming the last
        number with none of its dates begins a new document at 677 gaps, and at none of the
        181,895 inside one); a later page of one invoice repeats its number and date, or none."""
        if not self.numbers or not last.numbers:
            return False
        if not self.numbers & last.numbers:
            return True
        return bool(self.dates and last.dates and not self.dates & last.dates)


# A date written in figures ("05.03.2013", "8-9-2022", "2019-11-13"); a bare year is none.
_FULL_DATE = re.compile(r"\b(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2})\b")


def document_head(text: str) -> DocumentHead:
    """The document numbers a page's head names, and the dates in figures on the lines it names
    them on and the other lines it reads: on one of its first 8 lines, a short line that is no
    sentence or list entry (it ends in no full stop, colon or semicolon; a reference list's
    "Technical Report No. 1822, ... 1981.", "Lieferung Nr. 2018-51112 in Rechnung zu stellen:")
    and does not go on with a word broken at the line before's end ("Art.-" / "Nr.: TB100A4") or
    with a sentence (it begins in lower case). An invoice, a letter or a form names its number on
    its first page; a later page names the same one in its running header, or none. Only lines of
    at most 90 characters are searched, which also bounds the patterns' work on hostile text."""
    lines = _number_lines(text)
    numbers = {x for line in lines for x in _DOCUMENT_NUMBER.findall(line) if len(x) >= _NUMBER_MIN_CHARS}
    dates = {d for line in lines for d in _FULL_DATE.findall(line)} if numbers else set()
    return DocumentHead(frozenset(numbers), frozenset(dates))


def _number_lines(text: str) -> list[str]:
    """The lines of a page's head that `document_head` reads."""
    lines = [line.strip() for line in _body_lines(text)][:_NUMBER_LINES]
    kept = []
    for n, line in enumerate(lines):
        if len(line) > _NUMBER_LINE_CHARS or line[-1] in ".:;" or _LIST_ITEM.match(line):
            continue
        if n and lines[n - 1].endswith("-") and not lines[n - 1].endswith(" -"):
            continue
        if line[0].islower():
            continue  # a sentence going on from the line before ("number 141 to the next command")
        kept.append(line)
    return kept


FORM = (
    "email",
    "web_address",
    "date",
    "short_lines",
    "capitalised_lines",
    "sentence_lines",
    "upper_case_line",
    "section_heading",
    "reference_list",
    "digits",
    "length",
    "starts_lowercase",
)
# How many of a page's first lines its form is read from: a title block, an address block.
_FORM_LINES = 15
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.\w")
_WEB = re.compile(r"https?://|\bwww\.", re.IGNORECASE)
_DATE = re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b|\b(?:19|20)\d\d\b")
_SECTION = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*\.?|[IVX]{1,4}\.)\s+[^\W\d_]")
_REFERENCE = re.compile(r"^\s*\[\d{1,3}\]")


def page_form(text: str) -> F64:
    """What a page's head looks like, whatever its words (FORM, each 0..1): an e-mail or web
    address, a date, short lines (a title, an address block), lines in capitals or ending a
    sentence, a heading line in upper case, a numbered section heading or a list of references
    at the top (a page inside a document), the share of digits, the page's length, and whether
    it begins in lower case. A first page's form differs from its document's later pages in
    most kinds (a letterhead and address block, a title and authors), and unlike its words it
    is shared by documents no sample resembles."""
    lines = _body_lines(text)
    head_lines = [line.strip() for line in lines[:_FORM_LINES]]
    head = "\n".join(head_lines)
    count = max(len(head_lines), 1)
    words = [w for line in head_lines for w in line.split() if any(c.isalpha() for c in w)]
    return np.array(
        [
            bool(_EMAIL.search(head)),
            bool(_WEB.search(head)),
            bool(_DATE.search(head)),
            sum(len(line) < 40 for line in head_lines) / count,
            sum(_capitalised(line) for line in head_lines) / count,
            sum(line[-1] in ".?!" for line in head_lines if line) / count,
            any(line.isupper() and len(line.split()) >= 2 for line in head_lines[:5]),
            any(_SECTION.match(line) for line in head_lines[:2]),
            any(_REFERENCE.match(line) for line in head_lines[:3]),
            sum(c.isdigit() for c in head) / max(len(head), 1),
            min(len(text) / 5000, 1.0),
            bool(words) and words[0][0].islower(),
        ],
        dtype=np.float64,
    )


def _capitalised(line: str) -> bool:
    words = [w for w in line.split() if len(w) >= 4 and w[0].isalpha()]
    return bool(words) and all(w[0].isupper() for w in words)


def has_text(text: str) -> bool:
    """Whether a page holds enough text to be read as a page of a document."""
    return len(text.strip()) >= MIN_PAGE_CHARS


def pages_before(with_text: Sequence[bool]) -> list[int]:
    """For each page but the first, the page its gap compares it with: the last one before it
    with text (`has_text`), page 0 where none has; an empty back of a duplex scan is skipped."""
    out, previous = [], 0
    for page in range(1, len(with_text)):
        out.append(previous)
        if with_text[page]:
            previous = page
    return out
