"""ocr's own knobs."""

from __future__ import annotations

from typing import Literal

from docroute.settings import ServiceSettings


class OcrSettings(ServiceSettings):
    """Engines to load at start and where production keeps PaddleOCR's model folders."""

    warm_engines: tuple[Literal["tesseract", "paddle"], ...] = ("tesseract",)
    paddle_detection_model_dir: str | None = None
    paddle_recognition_model_dir: str | None = None
    tessdata_dir: str | None = None
