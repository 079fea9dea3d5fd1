"""The boundary model a version publishes beside its classifier (`splitting: auto`), learnt from
the pages of the labelled samples.

Every version gets one when its samples can teach it (some have several pages), whatever the
workflow's splitting is now: the setting may change at any time, and the version serving the
workflow then already knows where its documents begin. At most MAX_SAMPLES samples (a fixed
choice per set) are read for it, so a large set does not make every training slow. The stacks
whose boundaries a person corrected in review teach it too (services.trainer.core.corrections):
their documents join the samples, and the version's boundary figures count them.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from typing import Any

from docroute.blobstore import BlobStore
from docroute.boundary_samples import CorrectedStack
from docroute.classifier.page_cues import has_text
from docroute.errors import BlobNotFoundError
from docroute.ocr_result import OcrDocument
from services.trainer.core.boundaries import MAX_PAGES_PER_SAMPLE, PageCounts, train_boundary_model
from services.trainer.core.corrections import learnt_documents

logger = logging.getLogger(__name__)
MAX_SAMPLES = 600


class SamplePages:
    """The samples' page texts, read from their OCR results once (OCR output is immutable), and
    their term counts, counted when a sample arrives (`keep`) rather than at every training."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        self._pages: dict[str, list[str]] = {}
        # Each sample's whole length in pages with text, of which `_pages` keeps the first ones.
        self._lengths: dict[str, int] = {}
        self.counts = PageCounts()

    def keep(self, ocr_ref: str, document: OcrDocument | None = None) -> None:
        """A labelled sample arrived: its pages (from `document` when already read) counted."""
        pages = self.pages(ocr_ref, document)
        self.counts.add([text for text in pages if has_text(text)])

    def forget(self, ocr_ref: str) -> None:
        """A sample removed or changed: its pages leave memory."""
        self.counts.forget_pages(self._pages.pop(ocr_ref, []))
        self._lengths.pop(ocr_ref, None)

    def pages(self, ocr_ref: str, document: OcrDocument | None = None) -> list[str]:
        if ocr_ref not in self._pages:
            result = document or OcrDocument.from_json(self._store.get(ocr_ref))
            self._pages[ocr_ref] = [page.text for page in result.pages[:MAX_PAGES_PER_SAMPLE]]
            # Pages beyond those OCR read (the page cap) are counted as pages with text.
            unread = max(result.page_count - len(result.pages), 0)
            self._lengths[ocr_ref] = sum(has_text(page.text) for page in result.pages) + unread
        return self._pages[ocr_ref]

    def whole_length(self, ocr_ref: str) -> int:
        """The sample's pages with text, all of them (the long parts' rule weighs a part against
        these), where `pages` keeps the first MAX_PAGES_PER_SAMPLE."""
        self.pages(ocr_ref)
        return self._lengths[ocr_ref]

    def text_page_counts(self, ocr_refs: Sequence[str]) -> list[int]:
        """Each sample's pages with text, as the boundary model reads them (up to its cap)."""
        return [sum(1 for text in self.pages(ref) if has_text(text)) for ref in ocr_refs]

    def boundary_files(
        self, ocr_refs: Sequence[str], labels: Sequence[str], corrected: Sequence[CorrectedStack] = ()
    ) -> tuple[dict[str, bytes], dict[str, Any] | None]:
        """The boundary model's files and its out-of-fold figures; ({}, None) when the samples
        teach none (single-page samples only). ``corrected``: stacks a person divided in review,
        whose documents join the samples."""
        chosen = list(range(len(ocr_refs)))
        if len(chosen) > MAX_SAMPLES:
            chosen = sorted(random.Random(len(chosen)).sample(chosen, MAX_SAMPLES))
        if corrected:
            ocr_refs, labels = self._with_corrected(
                [ocr_refs[i] for i in chosen], [labels[i] for i in chosen], corrected
            )
            chosen = list(range(len(ocr_refs)))
        trained = train_boundary_model(
            [self.pages(ocr_refs[i]) for i in chosen],
            [labels[i] for i in chosen],
            counts=self.counts,
            lengths=[self.whole_length(ocr_refs[i]) for i in chosen],
        )
        if trained is None:
            logger.info("no boundary model: fewer than two samples with several pages of text")
            return {}, None
        model, report = trained
        return model.save(), report.to_dict()

    def _with_corrected(
        self, ocr_refs: list[str], labels: list[str], corrected: Sequence[CorrectedStack]
    ) -> tuple[list[str], list[str]]:
        """The samples and the documents of the corrected stacks (kept here under keys of their
        own, `corrected/<n>`, as a sample's pages are under its OCR result's)."""
        stacks = [(self.stack_pages(stack), stack.starts) for stack in corrected]
        documents, guessed = learnt_documents([self.pages(ref) for ref in ocr_refs], labels, stacks)
        keys = [f"corrected/{n}" for n in range(len(documents))]
        self._pages.update(zip(keys, documents, strict=True))
        self._lengths.update(
            (key, sum(map(has_text, texts))) for key, texts in zip(keys, documents, strict=True)
        )
        logger.info("%d documents of %d corrected stacks learnt from", len(documents), len(corrected))
        return [*ocr_refs, *keys], [*labels, *guessed]

    def stack_pages(self, stack: CorrectedStack) -> list[str]:
        """Every page's text of a corrected stack, from its parts' OCR ("" for a page no part
        read, or whose part was deleted since)."""
        texts = [""] * stack.page_count
        for ocr_ref, first_page in stack.readings:
            try:
                result = OcrDocument.from_json(self._store.get(ocr_ref))
            except BlobNotFoundError:
                continue
            for page in result.pages:
                if 0 <= first_page + page.index < stack.page_count:
                    texts[first_page + page.index] = page.text
        return texts
