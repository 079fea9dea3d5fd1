"""Wiring: settings -> logging -> workflow directory + S3 -> handler -> boundary models to
retrain (upgrades.py) -> stream loop."""

from __future__ import annotations

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.bus import Handler, StreamService
from docroute.classifier.embedders import load_embedder
from docroute.kafka import EventProducer
from docroute.logging import configure_logging
from docroute.model_versions import ModelVersions
from docroute.workflows import WorkflowDirectory
from services.trainer.adapters import TrainingStore
from services.trainer.handler import TrainerHandler
from services.trainer.settings import TrainerSettings
from services.trainer.upgrades import request_retraining


def run() -> None:
    settings = TrainerSettings()
    configure_logging("trainer", settings.log_level)
    workflows = WorkflowDirectory(settings.kafka)
    workflows.start()
    load_embedder(settings.embedder).embed(["warm-up"])  # load weights before reporting ready
    versions = ModelVersions(settings.kafka)  # which version is live: the promotion gate compares with it
    versions.start()
    store = TrainingStore(BlobStore(settings.s3))
    handler = TrainerHandler(store, workflows, settings.embedder, settings.max_text_chars, versions)
    handler.warm_up()
    # Boundary models an earlier release published that this one cannot read: retrained now.
    producer = EventProducer(settings.kafka)
    try:
        request_retraining(workflows, versions, store.store, producer)
    finally:
        producer.close()
    routes: dict[str, Handler] = {
        topics.SAMPLE_LABELLED: handler.on_sample_labelled,
        topics.TRAINING_REQUESTED: handler.on_training_requested,
        topics.DOCUMENT_TEXT_EXTRACTED: handler.on_text_extracted,
        topics.MODEL_PUBLISHED: handler.on_model_changed,  # promotions too: guesses by the live version
    }
    StreamService("trainer", settings, routes).run()
