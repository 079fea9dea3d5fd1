"""Keeps labelled sets and turns labels or requests into published model versions."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import numpy as np

from docroute import metrics, topics
from docroute.classifier.background import load_background
from docroute.classifier.embedders import Embedder
from docroute.classifier.model import ClassifierModel
from docroute.classifier.openset import BACKGROUND
from docroute.contracts._generated import (
    Boundary,
    DocumentTextExtracted,
    Evaluation,
    Metrics,
    ModelPromoted,
    ModelPublished,
    SampleLabelled,
    TrainingRequested,
    WorkflowUpdated,
)
from docroute.events import Event, Outgoing, emit
from docroute.ocr_result import OcrDocument
from docroute.workflows import WorkflowDirectory
from services.trainer.adapters import TrainingStore
from services.trainer.core import InsufficientDataError, TrainingConfig, train_classifier
from services.trainer.core.advice import splitting_warnings
from services.trainer.core.evaluation import out_of_fold_record
from services.trainer.core.gate import GateDecision
from services.trainer.core.terms import TermCounts
from services.trainer.core.training import Background
from services.trainer.core.wording import WordingSamples
from services.trainer.features import CachedEmbedders
from services.trainer.guesses import LiveGuesses, predictions_of
from services.trainer.pages import SamplePages
from services.trainer.promotion import Candidate, LiveVersions, PromotionGate, recipe

logger = logging.getLogger(__name__)
# Unlabelled samples a version predicts when published (embedding them costs ~40 ms each).
MAX_PREDICTED = 2000


class TrainerHandler:
    """One workflow's events arrive in order on one partition (keyed by workflow)."""

    def __init__(
        self,
        store: TrainingStore,
        workflows: WorkflowDirectory,
        embedder_id: str,
        max_text_chars: int,
        versions: LiveVersions,
        config: TrainingConfig | None = None,
    ) -> None:
        self._store = store
        # Vectors computed once per sample text (memory, then S3): not again at every training.
        self._embedders = CachedEmbedders(store.store)
        self._gate = PromotionGate(store, versions, self._embedders.get)
        self._config = config or TrainingConfig()
        self._workflows = workflows
        self._embedder_id = embedder_id
        self._max_text_chars = max_text_chars
        self._texts: dict[str, str] = {}  # ocr_ref -> text; OCR output is immutable
        self._pages = SamplePages(store.store)  # the boundary model's view of the samples
        # Each labelled text's terms for every TF-IDF block, counted at arrival.
        self._terms = [TermCounts(block) for block in self._config.tfidf]
        # And for the unknown rule's wording view: its n-grams and the text's language.
        self._wording = WordingSamples()
        self._guesses = LiveGuesses(store, versions, self._embedders.get, self._text)

    def on_text_extracted(self, event: Event[DocumentTextExtracted]) -> Sequence[Outgoing]:
        """An unlabelled sample, read: the live version guesses it now, the next version when it
        is published (labelled ones come as `sample.labelled`; documents to process are not the
        trainer's)."""
        doc = event.data
        if doc.purpose == "training" and doc.label is None and doc.workflow_id is not None:
            self._store.put_unlabelled(str(doc.workflow_id), str(doc.document_id), doc.ocr_ref)
            self._guesses.on_read(str(doc.workflow_id), str(doc.document_id), doc.ocr_ref)
        return []

    def on_model_changed(self, event: Event[ModelPublished | ModelPromoted]) -> Sequence[Outgoing]:
        """A version went live (published live, promoted, rolled back to): it guesses the
        unlabelled samples it has no guess for. Candidates change nothing."""
        data = event.data
        if isinstance(data, ModelPromoted) or (isinstance(data, ModelPublished) and data.live):
            self._guesses.on_live(str(data.workflow_id), data.version)
        return []

    def on_sample_labelled(self, event: Event[SampleLabelled]) -> Sequence[Outgoing]:
        sample = event.data
        workflow_id, sample_id = str(sample.workflow_id), str(sample.sample_id)
        self._store.remove_unlabelled(workflow_id, sample_id)  # labelled or removed: no guess needed
        if sample.label is None:
            self._store.remove_sample(workflow_id, sample_id)
            self._forget(sample.ocr_ref)  # a deleted sample's text and features leave memory too
            return []
        # Its features first: a stored sample is one a training need not compute anything for
        # (what bench/_phases.py waits on before it requests a training).
        self._arrived(sample.ocr_ref)
        record = {"label": sample.label, "ocr_ref": sample.ocr_ref, "event_id": event.id}
        previous = self._store.put_sample(workflow_id, sample_id, record)
        if previous is not None and previous.get("event_id") == event.id:
            return []  # redelivered: counted already
        if previous is not None and previous.get("ocr_ref") != sample.ocr_ref:
            self._forget(str(previous.get("ocr_ref")))  # the sample's document changed
        count = self._store.new_label_count(workflow_id) + 1
        workflow = self._workflows.get(workflow_id)
        if count < workflow.retrain_every:
            self._store.set_new_label_count(workflow_id, count)
            return []
        logger.info("%d new labels: training", count, extra={"workflow_id": workflow_id})
        try:
            return self._train(workflow_id, trigger_id=event.id, requested_by=None)
        except InsufficientDataError as exc:
            # Not the sample's fault: keep counting, the readiness report says what is missing.
            self._store.set_new_label_count(workflow_id, count)
            logger.info("not training yet: %s", exc, extra={"workflow_id": workflow_id})
            return []

    def on_training_requested(self, event: Event[TrainingRequested]) -> Sequence[Outgoing]:
        request = event.data
        self._workflows.get(str(request.workflow_id))
        return self._train(
            str(request.workflow_id), trigger_id=str(request.request_id), requested_by=request.requested_by
        )

    def _train(self, workflow_id: str, *, trigger_id: str, requested_by: str | None) -> Sequence[Outgoing]:
        version = self._store.version_for_trigger(workflow_id, trigger_id)
        if version is None:
            version = self._train_new_version(workflow_id, trigger_id, requested_by)
        self._store.set_new_label_count(workflow_id, 0)
        manifest = self._store.manifest(workflow_id, version)
        # Versions from before the gate carry no decision: they went live.
        decision = GateDecision.from_dict(
            manifest.get("promotion") or {"live": True, "reason": None, "method": "first_version"}
        )
        published = ModelPublished(
            workflow_id=UUID(workflow_id),
            version=version,
            artifact_ref=self._store.artifact_ref(workflow_id, version),
            embedder_id=manifest["embedder_id"],
            labels=manifest["labels"],
            metrics=Metrics(**manifest["metrics"]),
            live=decision.live,
            reason=decision.reason,
            evaluation=Evaluation(**decision.evaluation()) if "promotion" in manifest else None,
            boundary=Boundary(**manifest["boundary"]) if manifest.get("boundary") else None,
        )
        return [
            emit(
                topics.MODEL_PUBLISHED,
                "model.published",
                published,
                source="trainer",
                key=workflow_id,
                step="published",
                about=(workflow_id, version),
            )
        ]

    def _train_new_version(self, workflow_id: str, trigger_id: str, requested_by: str | None) -> int:
        started = time.perf_counter()
        samples = self._store.samples(workflow_id)
        texts = [self._text(s.ocr_ref) for s in samples]
        embedder = self._embedders.get(self._embedder_id)
        # No samples: an empty matrix, so training refuses with InsufficientDataError (its reason).
        embeddings = embedder.embed(texts) if texts else np.empty((0, 0), dtype=np.float32)
        labels, sample_ids = [s.label for s in samples], [s.sample_id for s in samples]
        workflow = self._workflows.get(workflow_id)
        config = self._config_for(workflow)
        result = train_classifier(  # InsufficientDataError: a PermanentError with its reason
            texts,
            embeddings,
            labels,
            sample_ids=sample_ids,
            embedder_id=embedder.id,
            version=str(self._store.latest_version(workflow_id) + 1),
            config=config,
            term_counts=self._terms,
            background=self._background(embedder) if len(texts) else None,
            wording=self._wording,
        )
        # Published with the classifier, in the same version (`splitting: auto`).
        boundary_files, boundary = self._pages.boundary_files(
            [s.ocr_ref for s in samples], labels, self._store.corrected_stacks(workflow_id)
        )
        seconds = time.perf_counter() - started
        candidate = Candidate(sample_ids, labels, texts, result, recipe(embedder.id, config))
        decision = self._gate.decide(workflow_id, candidate)
        report: dict[str, Any] = result.report.to_dict()
        if workflow.splitting == "auto":
            page_counts = self._pages.text_page_counts([s.ocr_ref for s in samples])
            report["warnings"] += splitting_warnings(page_counts, labels)
        manifest = {
            "workflow_id": workflow_id,
            "embedder_id": embedder.id,
            "labels": list(result.model.labels),
            "trained_at": datetime.now(UTC).isoformat(),
            "trigger_id": trigger_id,
            "requested_by": requested_by,
            "training_set": sample_ids,
            "recipe": candidate.recipe,
            "promotion": decision.to_dict(),
            "boundary": boundary,
            "metrics": {
                "accuracy": report["accuracy"],
                "macro_f1": report["macro_f1"],
                "ece": report.get("expected_calibration_error"),
                "n_samples": len(samples),
                "training_seconds": round(seconds, 3),
            },
        }
        evaluation = out_of_fold_record(sample_ids, labels, result.model.labels, result.oof_probabilities)
        predictions = self._predict_unlabelled(workflow_id, set(sample_ids), result.model, embedder)
        files = {
            **result.model.save(),
            **boundary_files,
            "metrics.json": _json(report),
            "evaluation.json": _json(evaluation),
            "predictions.json": _json(predictions),
        }
        version = self._store.publish(workflow_id, trigger_id, files, manifest)
        metrics.TRAINING_SECONDS.observe(seconds)
        metrics.MODEL_ACCURACY.labels(workflow_id).set(report["accuracy"])
        logger.info(
            "published v%d (accuracy %.3f, %d samples, %.1fs)",
            version,
            report["accuracy"],
            len(samples),
            seconds,
            extra={"workflow_id": workflow_id, "version": version},
        )
        return version

    def warm_up(self) -> None:
        """What a first training would otherwise wait for, done before the service reports
        ready: the background set embedded (6-9 CPU-s the first time in a bucket: a first
        version took 11 s instead of 3 at 100 samples), then read back from S3."""
        self._background(self._embedders.get(self._embedder_id))

    def _config_for(self, workflow: WorkflowUpdated) -> TrainingConfig:
        """The trainer's recipe with the workflow's own settings in it (where its unknown rule's
        wording view speaks), so that the version's recipe says how it was trained."""
        unknown = self._config.unknown
        gate = workflow.wording_languages or "class"
        if unknown is None or unknown.wording_flag_share <= 0 or unknown.wording_gate == gate:
            return self._config
        return replace(self._config, unknown=replace(unknown, wording_gate=gate))

    def _background(self, embedder: Embedder) -> Background | None:
        """The shipped background set by this embedder, when the recipe's unknown rule uses it:
        embedded once per embedder (the CachedEmbedder keeps its vectors in memory and S3)."""
        unknown = self._config.unknown
        if unknown is None or BACKGROUND not in unknown.views:
            return None
        found = load_background()
        return Background(embedder.embed(list(found.texts)), found.digest, found.texts)

    def _predict_unlabelled(
        self, workflow_id: str, labelled: set[str], model: ClassifierModel, embedder: Embedder
    ) -> dict[str, Any]:
        """The version's guess for each unlabelled sample: {sample_id: {class, confidence}}. A
        record whose sample got labelled before its text reached the trainer is dropped here."""
        waiting = []
        for sample_id, ocr_ref in self._store.unlabelled(workflow_id):
            if sample_id in labelled:
                self._store.remove_unlabelled(workflow_id, sample_id)
            else:
                waiting.append((sample_id, ocr_ref))
        waiting = waiting[-MAX_PREDICTED:]
        if not waiting:
            return {"predictions": {}}
        texts = [self._text(ocr_ref) for _, ocr_ref in waiting]
        probabilities = model.predict_proba(texts, embedder.embed(texts))
        return {"predictions": predictions_of([s for s, _ in waiting], model.labels, probabilities)}

    def _arrived(self, ocr_ref: str) -> None:
        """A labelled sample's per-sample work, done once as it arrives so that a training does
        none of it: its OCR result read (text and pages), its text embedded (kept in S3 too),
        its terms counted for the classifier and its pages' for the boundary model."""
        document = None
        if ocr_ref not in self._texts:
            document = OcrDocument.from_json(self._store.store.get(ocr_ref))
            self._texts[ocr_ref] = document.text[: self._max_text_chars]
        text = self._texts[ocr_ref]
        self._embedders.get(self._embedder_id).embed([text])
        for terms in self._terms:
            terms.add([text])
        self._wording.add([text])
        self._pages.keep(ocr_ref, document)

    def _forget(self, ocr_ref: str) -> None:
        text = self._texts.pop(ocr_ref, None)
        if text is not None:
            for terms in self._terms:
                terms.forget(text)
            self._wording.forget(text)
        self._pages.forget(ocr_ref)

    def _text(self, ocr_ref: str) -> str:
        if ocr_ref not in self._texts:
            text = OcrDocument.from_json(self._store.store.get(ocr_ref)).text
            self._texts[ocr_ref] = text[: self._max_text_chars]
        return self._texts[ocr_ref]


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=2).encode()
