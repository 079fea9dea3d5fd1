"""bench/ocr_real_scans.py reads eScriptorium's ALTO lines, puts them in reading order, cleans the
transcriptions' conventions out of the reference, and counts edit distance exactly."""

from __future__ import annotations

import random
import unicodedata

import pytest
from PIL import Image, ImageDraw

from bench.ocr_real_scans import (
    AltoLine,
    _Unread,
    alto_lines,
    as_escalation_keeps,
    distance,
    line_image,
    normalise,
    reading_order,
    reference,
)
from docroute.ocr_result import EngineName, OcrLanguage, OcrWord
from services.ocr.core.escalation import EscalationRule
from services.ocr.core.extract import ocr_page

ALTO = b"""<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">
  <Layout><Page WIDTH="1000" HEIGHT="1400"><PrintSpace>
    <TextBlock ID="b1">
      <TextLine ID="l2" HPOS="100" VPOS="300" WIDTH="500" HEIGHT="40">
        <Shape><Polygon POINTS="100 300 600 300 600 340 100 340"/></Shape>
        <String CONTENT="second line" HPOS="100" VPOS="300" WIDTH="500" HEIGHT="40"/>
      </TextLine>
      <TextLine ID="l1" HPOS="100" VPOS="200" WIDTH="400" HEIGHT="40">
        <String CONTENT="first line" HPOS="100" VPOS="200" WIDTH="400" HEIGHT="40"/>
      </TextLine>
      <TextLine ID="empty" HPOS="100" VPOS="400" WIDTH="400" HEIGHT="40">
        <String CONTENT="  "/>
      </TextLine>
    </TextBlock>
    <TextBlock ID="b2">
      <TextLine ID="l3">
        <Shape><Polygon POINTS="50 90 250 80 260 120 40 125"/></Shape>
        <String CONTENT="page"/><String CONTENT="six"/>
      </TextLine>
    </TextBlock>
  </PrintSpace></Page></Layout>
</alto>"""


def test_alto_lines_have_text_box_and_block_and_skip_empty_lines() -> None:
    size, lines = alto_lines(ALTO)
    assert size == (1000.0, 1400.0)
    assert [line.text for line in lines] == ["second line", "first line", "page six"]
    assert lines[0].box == (100.0, 300.0, 600.0, 340.0)
    assert lines[2].box == (40.0, 80.0, 260.0, 125.0)  # no HPOS...: the polygon's bounds
    assert [line.block for line in lines] == [1, 1, 2]
    assert lines[0].polygon == ((100.0, 300.0), (600.0, 300.0), (600.0, 340.0), (100.0, 340.0))
    assert lines[1].polygon == ()


def test_reading_order_is_top_to_bottom_within_each_block_blocks_in_file_order() -> None:
    _, lines = alto_lines(ALTO)
    assert [line.text for line in reading_order(lines)] == ["first line", "second line", "page six"]


def test_reference_reads_the_hyphen_mark_folds_cyrillic_look_alikes_and_is_nfc() -> None:
    assert reference("éprise d’absolu et sé¬") == "éprise d’absolu et sé-"
    folded = reference("erw\u04d3hnte M\u04e7bel \u04d2mtern")  # Cyrillic a/o with diaeresis
    assert folded == "erwähnte Möbel Ämtern"
    assert all(ord(char) < 0x400 for char in folded)
    assert reference(unicodedata.normalize("NFD", "příliš žluťoučký")) == "příliš žluťoučký"


def _plain_distance(a: str, b: str) -> int:
    """Levenshtein distance the textbook way: the oracle for the vectorised one."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def test_normalise_collapses_whitespace_and_composes() -> None:
    assert normalise(" a\n\nb\t c \u00a0d ") == "a b c d"
    assert normalise("e\u0301") == "é"


def test_distance_matches_the_textbook_recurrence() -> None:
    rng = random.Random(7)
    alphabet = "abcčřž .,"
    for _ in range(200):
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        b = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert distance(a, b) == _plain_distance(a, b), (a, b)
    assert distance("", "abc") == 3 and distance("kitten", "sitting") == 3


def test_line_image_is_clipped_to_the_page_and_framed_in_white() -> None:
    page = Image.new("RGB", (200, 100), "gray")
    crop = line_image(page, AltoLine("x", (150.0, 10.0, 260.0, 30.0)), 1.0)
    assert crop is not None and crop.size == (50 + 20, 20 + 20)
    assert crop.getpixel((0, 0)) == (255, 255, 255) and crop.getpixel((15, 15)) == (128, 128, 128)
    scaled = line_image(page, AltoLine("x", (10.0, 10.0, 20.0, 20.0)), 2.0)
    assert scaled is not None and scaled.size == (40, 40)
    assert line_image(page, AltoLine("x", (199.0, 10.0, 260.0, 30.0)), 1.0) is None


def test_line_image_whitens_what_lies_outside_the_line_polygon() -> None:
    page = Image.new("RGB", (200, 100), "gray")
    # A triangle over the box's left half: its right part is a neighbouring line's, whitened.
    triangle = ((0.0, 0.0), (100.0, 0.0), (0.0, 100.0))
    crop = line_image(page, AltoLine("x", (0.0, 0.0, 200.0, 100.0), triangle), 1.0)
    assert crop is not None
    assert crop.getpixel((10 + 20, 10 + 20)) == (128, 128, 128)
    assert crop.getpixel((10 + 150, 10 + 50)) == (255, 255, 255)


class _Reads:
    """An engine that reads every page as the same words."""

    def __init__(self, name: EngineName, words: list[OcrWord]) -> None:
        self.name, self._words = name, words

    def recognize(self, image: Image.Image, language: OcrLanguage) -> list[OcrWord]:
        return list(self._words)


def _word(text: str, confidence: float) -> OcrWord:
    return OcrWord(text=text, confidence=confidence, box=(40, 40, 360, 90))


@pytest.mark.parametrize(
    ("first_confidence", "strong_words"),
    [(0.95, [_word("strong", 0.9)]), (0.40, [_word("strong", 0.9)]), (0.40, [])],
    ids=["read well: kept", "read poorly: replaced", "read poorly, strong read nothing: kept"],
)
def test_the_escalation_way_keeps_what_ocr_page_with_the_strong_fallback_keeps(
    first_confidence: float, strong_words: list[OcrWord]
) -> None:
    page = Image.new("L", (400, 200), 255)
    ImageDraw.Draw(page).rectangle((50, 50, 350, 80), fill=0)  # ink inside the word's box
    first = _Reads("tesseract", [_word("first", first_confidence)])
    strong = _Reads("paddle", strong_words)
    product = ocr_page(
        0, page, cropping=False, language="latin", engine=first, fallback=strong, rule=EscalationRule()
    )
    tesseract_read = ocr_page(
        0, page, cropping=False, language="latin", engine=first, fallback=_Unread(), rule=EscalationRule()
    )
    strong_alone = ocr_page(0, page, cropping=False, language="latin", engine=strong)
    kept = as_escalation_keeps(tesseract_read, strong_alone)
    assert (kept.text, kept.source) == (product.text, product.source)
