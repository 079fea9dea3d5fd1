"""The pipeline's pure cores called one after another in this process: no Kafka, no S3, no JSON.

Importing across services is fine here (bench/ is not a service). Engine and embedder load
before the clock starts; their load time is reported on its own.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench._corpus import Doc
from docroute.classifier.embedders import load_embedder
from docroute.classifier.model import ClassifierModel
from docroute.intake import AcceptedFile, IntakeLimits, take_in
from services.classify.core import predict
from services.router.core import choose_route

IN_PROCESS_STAGES = ("ingest", "ocr", "classify", "route")


@dataclass
class InProcessRun:
    """Wall and CPU time of one corpus, split by stage, and how many predictions were right."""

    pages: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(IN_PROCESS_STAGES, 0.0))
    # Process CPU (every thread: BLAS may use more than one), to set beside the services' CPU.
    stage_cpu_s: dict[str, float] = field(default_factory=lambda: dict.fromkeys(IN_PROCESS_STAGES, 0.0))
    correct: int = 0
    docs: int = 0

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


class InProcessPipeline:
    """ingest -> OCR (Tesseract) -> classify -> route, with the workflow's settings: the cores the
    services call (classify's `predict`: probabilities, the unknown rule and the explanation).
    OCR checks each page read as the service does (`EscalationRule`'s defaults, Paddle on
    standby: loaded only when a page is read poorly); until 2026-12-03 it skipped the check,
    about 30 ms of a scanned page that the service spent and this reference did not."""

    def __init__(self, model: ClassifierModel, *, cropping: bool, threshold: float) -> None:
        # Same as the ocr service: one OpenMP thread, set before tesserocr is first imported.
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        from services.ocr.adapters import EngineSet, StandbyEngine, TesseractEngine
        from services.ocr.core.escalation import EscalationRule

        started = time.perf_counter()
        self._engine = TesseractEngine()
        self._engine.load("latin")
        self._fallback = StandbyEngine(EngineSet(), "paddle")
        self._escalation = EscalationRule()
        self._embedder = load_embedder(model.embedder_id)
        self.load_seconds = time.perf_counter() - started
        self._model = model
        self._cropping = cropping
        self._threshold = threshold
        self._limits = IntakeLimits()

    def run(self, docs: list[Doc]) -> InProcessRun:
        from services.ocr.core.extract import extract_document

        result = InProcessRun()
        started = time.perf_counter()
        for index, doc in enumerate(docs):
            t0, c0 = time.perf_counter(), time.process_time()
            [accepted] = take_in(doc.filename, doc.data, self._limits)
            assert isinstance(accepted, AcceptedFile), accepted
            t1, c1 = time.perf_counter(), time.process_time()
            ocr = extract_document(
                accepted.data,
                accepted.media_type,  # type: ignore[arg-type]
                document_id=str(index),
                relevant_pages=None,
                cropping=self._cropping,
                language="latin",
                engine=self._engine,
                max_pages=200,
                fallback=self._fallback,
                rule=self._escalation,
            )
            text = ocr.text[:20_000]
            t2, c2 = time.perf_counter(), time.process_time()
            prediction = predict(self._model, self._embedder, text)
            t3, c3 = time.perf_counter(), time.process_time()
            decision = choose_route(
                predicted_class=prediction.predicted_class,
                confidence=prediction.confidence,
                unknown=prediction.unknown,
                model_version=prediction.model_version,
                threshold=self._threshold,
                class_thresholds={},
                workflow_id="in-process",  # names the per-workflow topic; the default routing ignores it
            )
            t4, c4 = time.perf_counter(), time.process_time()
            for stage, seconds in zip(IN_PROCESS_STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                result.stage_seconds[stage] += seconds
            for stage, cpu in zip(IN_PROCESS_STAGES, (c1 - c0, c2 - c1, c3 - c2, c4 - c3), strict=True):
                result.stage_cpu_s[stage] += cpu
            result.correct += decision.document_class == doc.kind
            result.pages += accepted.page_count
            result.docs += 1
        result.seconds = time.perf_counter() - started
        return result

    def close(self) -> None:
        self._engine.close()


def summary(runs: list[InProcessRun]) -> dict[str, Any]:
    """Median pages/s over the runs; time per stage and accuracy pooled over all of them."""
    pages, docs = sum(r.pages for r in runs), sum(r.docs for r in runs)
    return {
        "repeats": len(runs),
        "pages": runs[0].pages,
        "pages_per_s": round(float(np.median([r.pages_per_s for r in runs])), 3),
        "pages_per_s_runs": [round(r.pages_per_s, 3) for r in runs],
        "stage_seconds_per_page": {
            stage: round(sum(r.stage_seconds[stage] for r in runs) / max(pages, 1), 4)
            for stage in IN_PROCESS_STAGES
        },
        "stage_cpu_s_per_page": {
            stage: round(sum(r.stage_cpu_s[stage] for r in runs) / max(pages, 1), 5)
            for stage in IN_PROCESS_STAGES
        },
        "accuracy": round(sum(r.correct for r in runs) / max(docs, 1), 3),
    }
