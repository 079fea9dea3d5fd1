"""The port the OCR core needs from an OCR engine; implementations live in ``adapters.py``."""

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
