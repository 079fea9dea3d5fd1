"""Escalation: a page the fast engine reads poorly is read again by the stronger one."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from PIL import Image

from docroute.ocr_result import EngineName, OcrDocument, OcrLanguage, OcrWord
from services.ocr.core.escalation import NEVER, EscalationRule, ink_covered
from services.ocr.core.extract import extract_document
from tests.factories.documents import make_image_pdf, make_text_pdf, render_scanned_page

LINES = ["INVOICE 4711", "Total due: 120.00 EUR"]
RULE = EscalationRule(min_confidence=0.75, min_ink_covered=0.5)


@dataclass
class ScriptedEngine:
    """Reads `text` on every page with `confidence`, its words' boxes spanning the whole image."""

    name: EngineName
    text: str
    confidence: float
    pages: int = 0
    seen: list[OcrLanguage] = field(default_factory=list)

    def recognize(self, image: Image.Image, language: OcrLanguage) -> list[OcrWord]:
        self.pages += 1
        self.seen.append(language)
        return [
            OcrWord(text=word, confidence=self.confidence, box=(0, 0, *image.size), line=0)
            for word in self.text.split()
        ]


def _extract(
    data: bytes, engine: ScriptedEngine, fallback: ScriptedEngine | None, rule: EscalationRule = RULE
) -> OcrDocument:
    return extract_document(
        data,
        "application/pdf",
        document_id="d",
        relevant_pages=None,
        cropping=False,
        language="latin",
        engine=engine,
        max_pages=10,
        fallback=fallback,
        rule=rule,
    )


@pytest.mark.parametrize(
    ("confidence", "covered", "escalates"),
    [
        (0.9, 0.95, False),
        (0.74, 0.95, True),  # read poorly
        (0.95, 0.2, True),  # confident, but most of the page's ink is outside its words
        (0.0, None, False),  # a blank page: nothing to read, nothing read
    ],
)
def test_the_rule(confidence: float, covered: float | None, escalates: bool) -> None:
    assert (RULE.reason(confidence, covered) is not None) is escalates
    assert NEVER.reason(confidence, covered) is None


def test_ink_coverage_of_the_words_read() -> None:
    assert ink_covered(Image.new("RGB", (800, 1100), "white"), []) is None
    page = render_scanned_page(LINES, background=False, noise=False, rotate_deg=0)
    assert ink_covered(page, []) == 0.0
    everything = OcrWord(text="x", confidence=1.0, box=(0, 0, page.width, page.height))
    assert ink_covered(page, [everything]) == 1.0
    top_half = OcrWord(text="x", confidence=1.0, box=(0, 0, page.width, 200))
    assert 0.0 < ink_covered(page, [top_half]) < 1.0  # type: ignore[operator]


def test_a_page_over_2000_px_keeps_its_ink_share_when_sampled_down() -> None:
    # A 4000 x 3000 photo: 2,000 dark pixels of stroke per 20-px column band, half of the bands
    # inside the word box: sampled to 2000 px (every other pixel), the share stays a half.
    page = Image.new("L", (4000, 3000), 255)
    for x in range(100, 3900, 40):
        page.paste(0, (x, 1000, x + 3, 2000))  # 3-px strokes, thinner than the step sampled over
    left = OcrWord(text="x", confidence=1.0, box=(0, 0, 2000, 3000))
    assert ink_covered(page, [left]) == pytest.approx(0.5, abs=0.02)
    assert ink_covered(page.convert("RGB"), []) == 0.0


def test_a_poorly_read_page_is_read_again_and_the_stronger_read_kept() -> None:
    fast = ScriptedEngine("tesseract", "lNV0lCE 47l1 Tota1 due 12O.OO EUR", 0.41)
    strong = ScriptedEngine("paddle", "INVOICE 4711 Total due: 120.00 EUR", 0.95)
    document = _extract(make_image_pdf(LINES, pages=2), fast, strong)
    assert (fast.pages, strong.pages) == (2, 2) and strong.seen == ["latin", "latin"]
    page = document.pages[0]
    assert page.source == "paddle" and page.text == "INVOICE 4711 Total due: 120.00 EUR"
    assert page.mean_confidence == pytest.approx(0.95)
    assert page.escalation is not None
    assert (page.escalation.engine, page.escalation.replaced) == ("tesseract", True)
    assert page.escalation.mean_confidence == pytest.approx(0.41)
    assert page.escalation.reason == "mean confidence 0.41 below 0.75"
    assert page.escalation.ink_covered == 1.0
    assert OcrDocument.from_json(document.to_json()) == document


def test_at_most_max_pages_of_a_document_are_read_again() -> None:
    fast = ScriptedEngine("tesseract", "lNV0lCE 47l1", 0.41)
    strong = ScriptedEngine("paddle", "INVOICE 4711", 0.95)
    rule = EscalationRule(min_confidence=0.75, min_ink_covered=0.5, max_pages=2)
    document = _extract(make_image_pdf(LINES, pages=4), fast, strong, rule)
    assert [page.source for page in document.pages] == ["paddle", "paddle", "tesseract", "tesseract"]
    assert strong.pages == 2 and document.pages[3].escalation is None


def test_a_well_read_page_stays_with_the_fast_engine() -> None:
    fast = ScriptedEngine("tesseract", "INVOICE 4711 Total due: 120.00 EUR", 0.92)
    strong = ScriptedEngine("paddle", "anything", 0.99)
    [page] = _extract(make_image_pdf(LINES), fast, strong).pages
    assert strong.pages == 0 and page.source == "tesseract" and page.escalation is None


def test_when_the_stronger_engine_reads_nothing_the_first_read_stands() -> None:
    fast = ScriptedEngine("tesseract", "lNV0lCE 47l1 Tota1 due 12O.OO EUR", 0.41)
    nothing = ScriptedEngine("paddle", "", 0.0)  # e.g. Paddle is not installed (StandbyEngine)
    [page] = _extract(make_image_pdf(LINES), fast, nothing).pages
    assert page.source == "tesseract" and page.text.startswith("lNV0lCE")
    assert page.escalation is not None and not page.escalation.replaced


def test_text_layers_and_disabled_escalation_never_escalate() -> None:
    fast = ScriptedEngine("tesseract", "x", 0.1)
    strong = ScriptedEngine("paddle", "INVOICE", 0.99)
    [page] = _extract(make_text_pdf(LINES), fast, strong).pages
    assert page.source == "text-layer" and fast.pages == strong.pages == 0
    [page] = _extract(make_image_pdf(LINES), fast, strong, rule=NEVER).pages
    assert page.source == "tesseract" and strong.pages == 0


def test_a_paddle_workflow_is_not_escalated_to_itself() -> None:
    paddle = ScriptedEngine("paddle", "x", 0.1)
    again = ScriptedEngine("paddle", "INVOICE", 0.99)
    [page] = _extract(make_image_pdf(LINES), paddle, again).pages
    assert page.escalation is None and again.pages == 0
