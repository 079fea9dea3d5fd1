"""The port the OCR core needs from an OCR engine (implementations live in ``adapters.py``), and
which engine reads a workflow's pages."""

from __future__ import annotations

from typing import Protocol

from PIL import Image

from docroute.ocr_result import EngineName, OcrLanguage, OcrWord


class OcrEngine(Protocol):
    """Recognises the words on one page image."""

    name: EngineName

    def recognize(self, image: Image.Image, language: OcrLanguage) -> list[OcrWord]:
        """Words of ``image`` in reading order, with ``line`` numbers and pixel boxes."""
        ...


def reading_engine(ocr_engine: EngineName | None, text_style: str) -> EngineName:
    """The engine that reads a workflow's pages.

    ``text_style`` "both" (print and handwriting) reads every page with PaddleOCR: its PP-OCRv5
    recognizer was trained on handwriting too, where Tesseract reads print only (on real
    handwritten pages, `bench/handwriting.py`, a character error rate about half Tesseract's).
    Otherwise the workflow's engine, Tesseract by default.
    """
    if text_style == "both":
        return "paddle"
    return ocr_engine or "tesseract"
