"""The boundary model's view of the samples keeps their first pages and their whole length."""

from __future__ import annotations

from typing import cast

from docroute.blobstore import BlobStore
from docroute.ocr_result import OcrDocument, OcrPage
from services.trainer.core.boundaries import MAX_PAGES_PER_SAMPLE
from services.trainer.pages import SamplePages


def _page(index: int, text: str) -> OcrPage:
    return OcrPage(index=index, width=100, height=100, source="text-layer", text=text, mean_confidence=1.0)


def test_a_sample_keeps_its_first_pages_and_counts_all_its_pages_with_text() -> None:
    texts = ["Chapter one: installing the machine", "", *[f"Page {n} of the manual" for n in range(2, 30)]]
    read = OcrDocument(
        document_id="manual",
        engine="tesseract",
        language="latin",
        # 40 pages, of which OCR read the first 30 (the page cap); one of those blank.
        page_count=40,
        pages=tuple(_page(n, text) for n, text in enumerate(texts)),
    )
    # The document is given, as when it arrives: the store is never read.
    samples = SamplePages(cast(BlobStore, None))
    samples.keep("ocr/manual", read)
    assert samples.pages("ocr/manual") == texts[:MAX_PAGES_PER_SAMPLE]
    assert samples.whole_length("ocr/manual") == 29 + 10
    samples.forget("ocr/manual")
    samples.keep("ocr/manual", read.model_copy(update={"page_count": 30}))
    assert samples.whole_length("ocr/manual") == 29
