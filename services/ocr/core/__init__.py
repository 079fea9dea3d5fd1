"""Pure OCR logic: page selection, PDF text layers and rendering, cropping, the result format.

``extract_document`` ties it together; the OCR engine comes in through the ``OcrEngine`` port.
"""

from docroute.ocr_result import (
    EngineName,
    OcrDocument,
    OcrLanguage,
    OcrPage,
    OcrWord,
    PageSource,
)
from docroute.page_selection import parse_relevant_pages, validate_relevant_pages
from services.ocr.core.crop import CropResult, crop_document
from services.ocr.core.engine import OcrEngine
from services.ocr.core.errors import (
    CorruptDocumentError,
    EncryptedDocumentError,
    OcrInputError,
    PageSelectionError,
    UnsupportedMediaTypeError,
)
from services.ocr.core.extract import MediaType, extract_document

__all__ = [
    "CorruptDocumentError",
    "CropResult",
    "EncryptedDocumentError",
    "EngineName",
    "MediaType",
    "OcrDocument",
    "OcrEngine",
    "OcrInputError",
    "OcrLanguage",
    "OcrPage",
    "OcrWord",
    "PageSelectionError",
    "PageSource",
    "UnsupportedMediaTypeError",
    "crop_document",
    "extract_document",
    "parse_relevant_pages",
    "validate_relevant_pages",
]
