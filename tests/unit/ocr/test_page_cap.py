"""The page cap: the pages read for classification are the first `max_pages` of those the
workflow's `relevant_pages` select (all pages when unset); a longer document is read, not refused."""

from __future__ import annotations

import pytest

from docroute.ocr_result import OcrWord
from docroute.settings import ServiceSettings
from services.api.settings import ApiSettings
from services.ocr.core.extract import extract_document, select_pages
from services.ocr.settings import OcrSettings
from tests.factories.documents import make_text_pdf


@pytest.mark.parametrize(
    ("spec", "page_count", "max_pages", "expected"),
    [
        (None, 300, 200, list(range(200))),  # default: the first pages
        ("all", 300, 200, list(range(200))),
        (None, 3, 200, [0, 1, 2]),  # short documents: every page
        ("first 2", 300, 200, [0, 1]),
        ("last 2", 300, 200, [298, 299]),  # the workflow's pages, even at the end of a long file
        ("5-", 300, 10, list(range(4, 14))),  # an open range is capped too
        ("1,250-260", 300, 5, [0, 249, 250, 251, 252]),
        ("2-5", 300, 200, [1, 2, 3, 4]),
    ],
)
def test_selected_pages_are_the_first_max_pages_of_the_relevant_ones(
    spec: str | None, page_count: int, max_pages: int, expected: list[int]
) -> None:
    assert select_pages(spec, page_count, max_pages) == expected


def test_a_cap_below_one_is_a_bug() -> None:
    with pytest.raises(ValueError, match="max_pages"):
        select_pages(None, 3, 0)


class _CountingEngine:
    name = "tesseract"

    def __init__(self) -> None:
        self.pages = 0

    def recognize(self, image: object, language: object) -> list[OcrWord]:
        self.pages += 1
        return []


def test_a_300_page_pdf_is_read_from_its_first_pages() -> None:
    data = make_text_pdf(["Invoice 4711", "Total due: 120.00 EUR"], pages=300)
    engine = _CountingEngine()
    document = extract_document(
        data,
        "application/pdf",
        document_id="long",
        relevant_pages=None,
        cropping=False,
        language="latin",
        engine=engine,
        max_pages=20,
    )
    assert document.page_count == 300
    assert [page.index for page in document.pages] == list(range(20))
    assert document.pages[0].source == "text-layer" and "Page 1 of 300" in document.pages[0].text
    assert engine.pages == 0


def test_one_setting_holds_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """`DOCROUTE_MAX_PAGES` is the cap OCR applies and the API states; nothing else caps pages."""
    assert ServiceSettings().max_pages == 200
    monkeypatch.setenv("DOCROUTE_MAX_PAGES", "7")
    assert OcrSettings().max_pages == ApiSettings().max_pages == 7
    monkeypatch.setenv("DOCROUTE_MAX_PAGES", "0")
    with pytest.raises(ValueError, match="max_pages"):
        ServiceSettings()
