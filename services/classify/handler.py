"""Turns `document.text_extracted` into `document.classified`."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from docroute import metrics, topics
from docroute.blobstore import BlobStore
from docroute.classifier.embedders import load_embedder
from docroute.contracts import _generated as contracts
from docroute.contracts._generated import DocumentClassified, DocumentTextExtracted
from docroute.events import Event, Outgoing, emit
from docroute.ocr_result import OcrDocument
from services.classify.adapters import ModelRegistry
from services.classify.core import Prediction, predict

logger = logging.getLogger(__name__)


class ClassifyHandler:
    """Predicts with the workflow's live version; training samples pass through untouched."""

    def __init__(self, store: BlobStore, models: ModelRegistry, max_text_chars: int) -> None:
        self._store = store
        self._models = models
        self._max_text_chars = max_text_chars

    def on_text_extracted(self, event: Event[DocumentTextExtracted]) -> Sequence[Outgoing]:
        doc = event.data
        if doc.purpose == "training":
            return []  # samples feed the trainer, not the router
        document_id = str(doc.document_id)
        workflow_id = str(doc.workflow_id)
        # A preview names the (candidate) version to try; everything else uses the live one.
        requested = doc.model_version if doc.purpose == "preview" else None
        model = (
            self._models.version(workflow_id, requested)
            if requested
            else self._models.live(workflow_id, as_of=event.time)
        )
        if model is None:
            prediction = Prediction.no_model()
        else:
            text = OcrDocument.from_json(self._store.get(doc.ocr_ref)).text[: self._max_text_chars]
            prediction = predict(model, load_embedder(model.embedder_id), text)
        classified = DocumentClassified(
            document_id=doc.document_id,
            workflow_id=doc.workflow_id,
            purpose=doc.purpose,
            blob=doc.blob,
            ocr_ref=doc.ocr_ref,
            page_count=doc.page_count,
            model_version=prediction.model_version,
            embedder_id=prediction.embedder_id,
            probabilities=prediction.probabilities,
            predicted_class=prediction.predicted_class,
            confidence=prediction.confidence,
            unknown=prediction.unknown,
            explanation=_explanation(prediction),
            part=doc.part,
            boundary_confidence=doc.boundary_confidence,
        )
        metrics.DOCUMENTS.labels("classify").inc()
        logger.info(
            "classified as %s (%.2f) by v%d",
            prediction.predicted_class,
            prediction.confidence,
            prediction.model_version,
            extra={"document_id": document_id, "workflow_id": str(doc.workflow_id)},
        )
        return [
            emit(
                topics.DOCUMENT_CLASSIFIED,
                "document.classified",
                classified,
                source="classify",
                key=document_id,
                step="classified",
                about=(document_id, prediction.model_version),
            )
        ]


def _explanation(prediction: Prediction) -> contracts.Explanation | None:
    """The prediction's explanation as the event carries it (top 5 samples, top 10 terms)."""
    found = prediction.explanation
    if found is None:
        return None
    return contracts.Explanation(
        neighbours=[
            contracts.Neighbour(sample_id=n.sample_id[:200], label=n.label, similarity=n.similarity)
            for n in found.neighbours
        ],
        terms=[contracts.Term(term=t.term, weight=t.weight) for t in found.terms],
        novelty=found.novelty,
        unknown_threshold=found.unknown_threshold,
    )
