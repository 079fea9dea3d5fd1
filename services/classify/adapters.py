"""Model versions from S3, chosen by the `model.published` events every replica follows."""

from __future__ import annotations

import logging
import threading
from typing import Any

from docroute import metrics, topics
from docroute.blobstore import BlobRef, BlobStore
from docroute.catalog import TopicView
from docroute.classifier.model import ClassifierModel
from docroute.contracts._generated import ModelPublished
from docroute.events import Event
from docroute.settings import KafkaSettings

logger = logging.getLogger(__name__)


class ModelRegistry:
    """The live model version per workflow, loaded from S3 once and cached."""

    def __init__(self, settings: KafkaSettings, store: BlobStore) -> None:
        self._store = store
        self._live: dict[str, ModelPublished] = {}
        self._cache: dict[tuple[str, int], ClassifierModel] = {}
        self._lock = threading.Lock()
        self._view = TopicView(settings, topics.MODEL_PUBLISHED)
        self._view.on_event(self._on_published)

    def start(self) -> None:
        self._view.start()

    def live(self, workflow_id: str) -> ClassifierModel | None:
        """The version serving this workflow, or None when it has no model yet."""
        with self._lock:
            published = self._live.get(workflow_id)
        if published is None:
            return None
        return self.load(workflow_id, published.version, published.artifact_ref)

    def load(self, workflow_id: str, version: int, artifact_ref: str) -> ClassifierModel:
        key = (workflow_id, version)
        with self._lock:
            model = self._cache.get(key)
        if model is None:
            prefix = BlobRef.parse(artifact_ref).key
            files = {name: self._store.get(prefix + name) for name in ("model.safetensors", "model.json")}
            model = ClassifierModel.load(files)
            with self._lock:
                self._cache[key] = model
            logger.info("loaded model v%d", version, extra={"workflow_id": workflow_id, "version": version})
        return model

    def _on_published(self, event: Event[Any]) -> None:
        published: ModelPublished = event.data
        if not published.live:
            return
        workflow_id = str(published.workflow_id)
        with self._lock:
            # The last live event wins: a rollback republishes an older version as live.
            self._live[workflow_id] = published
        metrics.MODEL_VERSION.labels(workflow_id).set(published.version)
