"""Wiring: settings -> logging -> OCR engines + S3 + workflow directory -> handler -> stream loop."""

from __future__ import annotations

import os

from docroute import topics
from docroute.blas import one_blas_thread
from docroute.blobstore import BlobStore
from docroute.bus import StreamService
from docroute.logging import configure_logging
from docroute.model_versions import ModelVersions
from docroute.workflows import WorkflowDirectory
from services.ocr.adapters import EngineSet
from services.ocr.core.escalation import EscalationRule
from services.ocr.handler import OcrHandler
from services.ocr.settings import OcrSettings


def run() -> None:
    # Tesseract's OpenMP threads fight each other across processes: one thread each, one process per core.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    one_blas_thread()  # the boundary model's and the cropping's numpy
    settings = OcrSettings()
    configure_logging("ocr", settings.log_level)
    engines = EngineSet(
        tessdata_dir=settings.tessdata_dir,
        paddle_detection_model_dir=settings.paddle_detection_model_dir,
        paddle_recognition_model_dir=settings.paddle_recognition_model_dir,
    )
    for name in settings.warm_engines:
        engines.get(name)
    workflows = WorkflowDirectory(settings.kafka)
    workflows.start()
    versions = ModelVersions(settings.kafka)  # `splitting: auto` reads the live version's boundary model
    versions.start()
    escalation = EscalationRule(
        settings.escalate_below_confidence, settings.escalate_below_ink_covered, settings.escalate_max_pages
    )
    handler = OcrHandler(
        BlobStore(settings.s3),
        workflows,
        engines,
        settings.max_pages,
        escalation,
        text_budget=settings.max_text_chars,
        inline_text_chars=settings.carried_text_chars(),
        versions=versions,
    )
    StreamService("ocr", settings, {topics.DOCUMENT_RECEIVED: handler.on_received}).run()
