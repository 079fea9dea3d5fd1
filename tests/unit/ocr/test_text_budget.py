"""Work only for what is used: OCR reads a document's pages until its text reaches the characters
the classifier reads (`text_budget`), then stops; the classifier's text is the same as with every
page read. No budget (a workflow that names its pages, e.g. "1-" for all): every selected page."""

from __future__ import annotations

from docroute.ocr_result import OcrWord
from services.classify.settings import ClassifySettings
from services.ocr.core.extract import extract_document
from services.ocr.settings import OcrSettings
from tests.factories.documents import make_scanned_tiff, make_text_pdf

LINES = ["Invoice 4711 from Acme Industrial Supplies", "Total due: 120.00 EUR, payable in 30 days"]


class _CountingEngine:
    """Reads every page as the same 100 characters (the engine is not what is tested here)."""

    name = "tesseract"

    def __init__(self) -> None:
        self.pages = 0

    def recognize(self, image: object, language: object) -> list[OcrWord]:
        self.pages += 1
        return [OcrWord(text="x" * 99, confidence=0.9, box=(0, 0, 10, 10))]


def _extract(data: bytes, media_type: str, engine: _CountingEngine, text_budget: int | None):  # type: ignore[no-untyped-def]
    return extract_document(
        data,
        media_type,  # type: ignore[arg-type]
        document_id="doc",
        relevant_pages=None,
        cropping=False,
        language="latin",
        engine=engine,
        max_pages=200,
        text_budget=text_budget,
    )


def test_a_scan_is_read_until_the_budget_then_no_further_page_is_ocrd() -> None:
    scan = make_scanned_tiff([LINES] * 8)
    engine = _CountingEngine()
    document = _extract(scan, "image/tiff", engine, text_budget=250)
    # 99 characters a page: the third page brings the text to the budget.
    assert engine.pages == 3
    assert [page.index for page in document.pages] == [0, 1, 2]
    assert document.page_count == 8


def test_without_a_budget_every_page_is_read() -> None:
    scan = make_scanned_tiff([LINES] * 4)
    engine = _CountingEngine()
    assert len(_extract(scan, "image/tiff", engine, text_budget=None).pages) == 4
    assert engine.pages == 4


def test_the_classifier_reads_the_same_text_as_from_every_page() -> None:
    pdf = make_text_pdf(LINES, pages=30)
    everything = _extract(pdf, "application/pdf", _CountingEngine(), text_budget=None)
    budget = 1000
    budgeted = _extract(pdf, "application/pdf", _CountingEngine(), text_budget=budget)
    assert len(budgeted.pages) < len(everything.pages) == 30
    assert len(budgeted.text) >= budget
    assert budgeted.text[:budget] == everything.text[:budget]


def test_the_budget_is_the_classifiers_character_setting(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert OcrSettings().max_text_chars == 20_000
    monkeypatch.setenv("DOCROUTE_MAX_TEXT_CHARS", "5000")
    assert OcrSettings().max_text_chars == ClassifySettings().max_text_chars == 5000
