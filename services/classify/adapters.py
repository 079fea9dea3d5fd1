"""Model versions from S3, chosen by the `model.published`/`model.promoted` events every replica
follows (docroute.model_versions: the last event wins)."""

from __future__ import annotations

import logging
import threading

from docroute import metrics
from docroute.blobstore import BlobRef, BlobStore
from docroute.classifier.model import ClassifierModel
from docroute.errors import PermanentError
from docroute.model_versions import LiveModel, ModelVersions
from docroute.settings import KafkaSettings

logger = logging.getLogger(__name__)


class ModelRegistry:
    """The live model version per workflow, loaded from S3 once and cached."""

    def __init__(self, settings: KafkaSettings, store: BlobStore) -> None:
        self._store = store
        self._cache: dict[tuple[str, int], ClassifierModel] = {}
        self._lock = threading.Lock()
        self._versions = ModelVersions(settings)
        self._versions.on_change(self._on_live_changed)

    def start(self) -> None:
        self._versions.start()

    def live(self, workflow_id: str) -> ClassifierModel | None:
        """The version serving this workflow, or None when it has no model yet."""
        live = self._versions.live(workflow_id)
        if live is None or live.artifact_ref is None:
            return None
        return self.load(workflow_id, live.version, live.artifact_ref)

    def version(self, workflow_id: str, version: int) -> ClassifierModel:
        """A published version, live or not (previews); raises PermanentError when unknown."""
        ref = self._versions.artifact_ref(workflow_id, version)
        if ref is None:
            self._versions.sync()  # a preview can overtake the version's own event
            ref = self._versions.artifact_ref(workflow_id, version)
        if ref is None:
            raise PermanentError(
                f"workflow {workflow_id} has no model version {version}", reason_code="unknown_model_version"
            )
        return self.load(workflow_id, version, ref)

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

    def _on_live_changed(self, workflow_id: str, live: LiveModel) -> None:
        metrics.MODEL_VERSION.labels(workflow_id).set(live.version)
