"""Document -> OcrDocument with a fake engine: text layer first, crop and OCR otherwise."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from PIL import Image

from docroute.ocr_result import EngineName, OcrDocument, OcrLanguage, OcrWord
from services.ocr.core.errors import (
    CorruptDocumentError,
    EncryptedDocumentError,
    PageSelectionError,
    UnsupportedMediaTypeError,
)
from services.ocr.core.extract import MAX_OCR_SIDE, MediaType, extract_document
from tests.factories.documents import (
    make_corrupt_pdf,
    make_encrypted_pdf,
    make_image_pdf,
    make_scanned_image,
    make_scanned_tiff,
    make_text_pdf,
)

LINES = ["PAYSLIP", "Employee: Anna Weber", "Net pay: 2.831,75 €"]
SIZE = (827, 1170)


@dataclass
class FakeEngine:
    """Records the images it is given and 'reads' two words from each."""

    name: EngineName = "tesseract"
    seen: list[tuple[tuple[int, int], OcrLanguage]] = field(default_factory=list)

    def recognize(self, image: Image.Image, language: OcrLanguage) -> list[OcrWord]:
        self.seen.append((image.size, language))
        return [
            OcrWord(text="fake", confidence=0.5, box=(1, 2, 3, 4), line=0),
            OcrWord(text=f"page{len(self.seen)}", confidence=0.7, box=(5, 6, 7, 8), line=1),
        ]


def _extract(
    data: bytes,
    media_type: MediaType,
    engine: FakeEngine,
    *,
    relevant_pages: str | None = None,
    cropping: bool = False,
    language: OcrLanguage = "latin",
    max_pages: int = 10,
) -> OcrDocument:
    return extract_document(
        data,
        media_type,
        document_id="doc-1",
        relevant_pages=relevant_pages,
        cropping=cropping,
        language=language,
        engine=engine,
        max_pages=max_pages,
    )


def test_digital_pdf_uses_the_text_layer_and_never_the_engine() -> None:
    engine = FakeEngine()
    document = _extract(make_text_pdf(LINES, pages=2), "application/pdf", engine)
    assert engine.seen == []
    assert document.page_count == 2
    assert [page.source for page in document.pages] == ["text-layer", "text-layer"]
    assert document.pages[0].text.startswith("PAYSLIP\nEmployee: Anna Weber\nNet pay: 2.831,75 €")
    assert document.pages[0].mean_confidence == 1.0
    assert document.engine == "tesseract"


def test_scanned_pdf_is_rendered_at_200_dpi_and_ocred() -> None:
    engine = FakeEngine()
    data = make_image_pdf(LINES, pages=2, noise=False, size=SIZE, font_px=16)
    document = _extract(data, "application/pdf", engine, language="japanese")
    # The page is 827 x 1170 px at 200 dpi; PDFium rounds the rendered size up.
    assert [language for _, language in engine.seen] == ["japanese", "japanese"]
    assert engine.seen[0][0] == pytest.approx((827, 1170), abs=1)
    page = document.pages[1]
    assert (page.index, page.source, page.cropped) == (1, "tesseract", False)
    assert page.text == "fake\npage2"
    assert page.mean_confidence == pytest.approx(0.6)
    assert (page.width, page.height) == engine.seen[1][0]


def test_relevant_pages_and_max_pages_limit_the_pages() -> None:
    engine = FakeEngine()
    data = make_text_pdf(LINES, pages=5)
    document = _extract(data, "application/pdf", engine, relevant_pages="2-5", max_pages=2)
    assert document.page_count == 5
    assert [page.index for page in document.pages] == [1, 2]
    assert "Page 2 of 5" in document.pages[0].text


def test_selection_beyond_the_last_page_is_a_page_selection_error() -> None:
    with pytest.raises(PageSelectionError, match="none of the document's 1 pages"):
        _extract(make_text_pdf(LINES), "application/pdf", FakeEngine(), relevant_pages="3")


def test_tiff_pages_are_ocred() -> None:
    engine = FakeEngine()
    data = make_scanned_tiff([LINES, LINES, LINES], noise=False, size=SIZE, font_px=16)
    document = _extract(data, "image/tiff", engine, relevant_pages="last 2")
    assert [page.index for page in document.pages] == [1, 2]
    assert len(engine.seen) == 2


def test_photo_is_cropped_when_asked() -> None:
    data = make_scanned_image(LINES, format="JPEG", rotate_deg=4, noise=False, size=SIZE, font_px=16)
    uncropped, cropped = FakeEngine(), FakeEngine()
    assert not _extract(data, "image/jpeg", uncropped).pages[0].cropped
    page = _extract(data, "image/jpeg", cropped, cropping=True).pages[0]
    assert page.cropped
    assert cropped.seen[0][0][0] < uncropped.seen[0][0][0]
    assert (page.width, page.height) == cropped.seen[0][0]


def test_huge_images_are_shrunk_before_ocr() -> None:
    engine = FakeEngine()
    data = make_scanned_image(["x"], background=False, noise=False, size=(2000, 4000), font_px=20)
    page = _extract(data, "image/png", engine).pages[0]
    assert engine.seen[0][0] == (MAX_OCR_SIDE // 2, MAX_OCR_SIDE)
    assert (page.width, page.height) == (MAX_OCR_SIDE // 2, MAX_OCR_SIDE)


@pytest.mark.parametrize(
    ("data", "media_type", "error"),
    [
        (make_corrupt_pdf(), "application/pdf", CorruptDocumentError),
        (make_encrypted_pdf(), "application/pdf", EncryptedDocumentError),
        (b"GIF89a", "image/png", CorruptDocumentError),
        (make_text_pdf(LINES), "image/png", CorruptDocumentError),
        (b"hello", "text/plain", UnsupportedMediaTypeError),
    ],
)
def test_unreadable_input_raises_an_ocr_input_error(
    data: bytes, media_type: MediaType, error: type[Exception]
) -> None:
    with pytest.raises(error):
        _extract(data, media_type, FakeEngine())
