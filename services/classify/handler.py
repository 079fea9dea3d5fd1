"""Turns `document.text_extracted` into `document.classified`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from docroute import metrics, topics
from docroute.batches import Result, outcome
from docroute.blobstore import BlobStore
from docroute.classifier.embedders import load_embedder
from docroute.classifier.model import ClassifierModel
from docroute.contracts import _generated as contracts
from docroute.contracts._generated import DocumentClassified, DocumentTextExtracted
from docroute.events import Event, Outgoing, emit
from docroute.ocr_result import OcrDocument
from services.classify.adapters import ModelRegistry
from services.classify.core import Prediction, predict_many

logger = logging.getLogger(__name__)
# Below botocore's 10 pooled connections a client: more reads at once would each open a
# connection and drop it after.
PARALLEL_READS = 8


class ClassifyHandler:
    """Predicts with the workflow's live version; training samples pass through untouched."""

    def __init__(self, store: BlobStore, models: ModelRegistry, max_text_chars: int) -> None:
        self._store = store
        self._models = models
        self._max_text_chars = max_text_chars
        # The texts of a batch are read from S3 at once: each read is mostly waiting.
        self._reads = ThreadPoolExecutor(max_workers=PARALLEL_READS, thread_name_prefix="classify-s3")

    def on_texts_extracted(self, events: Sequence[Event[DocumentTextExtracted]]) -> list[Result]:
        """The events the stream had ready (`docroute.batches`), one result each, in order: a
        document's error (its model, its text, its prediction) is its own; the others go on."""
        results: list[Result] = [[] for _ in events]  # training samples feed the trainer, not the router
        to_read: list[tuple[int, ClassifierModel]] = []
        for index, event in enumerate(events):
            if event.data.purpose == "training":
                continue
            model = outcome(partial(self._model_for, event))
            if model is None:
                results[index] = outcome(partial(self._classified, event, Prediction.no_model()))
            elif isinstance(model, Exception):
                results[index] = model
            else:
                to_read.append((index, model))
        carried = [self._carried(events[index]) for index, _ in to_read]
        read = [events[index] for (index, _), text in zip(to_read, carried, strict=True) if text is None]
        # One text is read here, not in another thread: a lone message waits for no hand-over.
        fetched = iter(self._reads.map(self._text, read) if len(read) > 1 else [self._text(e) for e in read])
        texts = [text if text is not None else next(fetched) for text in carried]
        documents: list[tuple[int, ClassifierModel, str]] = []
        for (index, model), text in zip(to_read, texts, strict=True):
            if isinstance(text, Exception):
                results[index] = text
            else:
                documents.append((index, model, text[: self._max_text_chars]))
        predictions = predict_many([(model, text) for _, model, text in documents], load_embedder)
        for (index, _, _), prediction in zip(documents, predictions, strict=True):
            results[index] = (
                prediction
                if isinstance(prediction, Exception)
                else outcome(partial(self._classified, events[index], prediction))
            )
        return results

    def _model_for(self, event: Event[DocumentTextExtracted]) -> ClassifierModel | None:
        doc = event.data
        workflow_id = str(doc.workflow_id)
        # A preview names the (candidate) version to try; everything else uses the live one.
        requested = doc.model_version if doc.purpose == "preview" else None
        if requested:
            return self._models.version(workflow_id, requested)
        return self._models.live(workflow_id, as_of=event.time)

    def _carried(self, event: Event[DocumentTextExtracted]) -> str | None:
        """The text the event carries (v4) when it holds all the classifier reads: the whole
        text, or at least its character budget; None: read the OCR JSON."""
        doc = event.data
        if doc.text is None or (len(doc.text) < doc.text_chars and len(doc.text) < self._max_text_chars):
            return None
        return doc.text

    def _text(self, event: Event[DocumentTextExtracted]) -> str | Exception:
        """The document's text as the classifier reads it, or why it could not be read."""
        return outcome(lambda: OcrDocument.from_json(self._store.get(event.data.ocr_ref)).text)

    def _classified(self, event: Event[DocumentTextExtracted], prediction: Prediction) -> list[Outgoing]:
        doc = event.data
        document_id = str(doc.document_id)
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
            # Only an unknown document says why: the others keep going out as the versions before.
            unknown_reason=prediction.unknown_reason[:500]
            if prediction.unknown and prediction.unknown_reason
            else None,
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
