"""The boundary model a version publishes beside its classifier (`splitting: auto`), learnt from
the pages of the labelled samples.

Every version gets one when its samples can teach it (some have several pages), whatever the
workflow's splitting is now: the setting may change at any time, and the version serving the
workflow then already knows where its documents begin. At most MAX_SAMPLES samples (a fixed
choice per set) are read for it, so a large set does not make every training slow.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from typing import Any

from docroute.blobstore import BlobStore
from docroute.ocr_result import OcrDocument
from services.trainer.core.boundaries import MAX_PAGES_PER_SAMPLE, train_boundary_model

logger = logging.getLogger(__name__)
MAX_SAMPLES = 600


class SamplePages:
    """The samples' page texts, read from their OCR results once (OCR output is immutable)."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        self._pages: dict[str, list[str]] = {}

    def pages(self, ocr_ref: str) -> list[str]:
        if ocr_ref not in self._pages:
            result = OcrDocument.from_json(self._store.get(ocr_ref))
            self._pages[ocr_ref] = [page.text for page in result.pages[:MAX_PAGES_PER_SAMPLE]]
        return self._pages[ocr_ref]

    def boundary_files(
        self, ocr_refs: Sequence[str], labels: Sequence[str]
    ) -> tuple[dict[str, bytes], dict[str, Any] | None]:
        """The boundary model's files and its out-of-fold figures; ({}, None) when the samples
        teach none (single-page samples only)."""
        chosen = list(range(len(ocr_refs)))
        if len(chosen) > MAX_SAMPLES:
            chosen = sorted(random.Random(len(chosen)).sample(chosen, MAX_SAMPLES))
        trained = train_boundary_model([self.pages(ocr_refs[i]) for i in chosen], [labels[i] for i in chosen])
        if trained is None:
            logger.info("no boundary model: fewer than two samples with several pages of text")
            return {}, None
        model, report = trained
        return model.save(), report.to_dict()
