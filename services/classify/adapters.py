"""Model versions from S3, chosen by the `model.published`/`model.promoted` events every replica
follows (docroute.model_versions: the last event wins), without the samples deleted since they
were trained (`sample.deleted`, also followed by every replica, and the S3 record read at load:
docroute.sample_deletions)."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from docroute import metrics, topics
from docroute.blobstore import BlobRef, BlobStore
from docroute.catalog import TopicView
from docroute.classifier.errors import ModelArtifactError, NewerModelError
from docroute.classifier.model import ClassifierModel
from docroute.errors import ModelFromNewerReleaseError, PermanentError
from docroute.events import Event
from docroute.model_versions import LiveModel, ModelVersions
from docroute.sample_deletions import read_deleted
from docroute.settings import KafkaSettings

logger = logging.getLogger(__name__)


class ModelRegistry:
    """The live model version per workflow, loaded from S3 once and cached, deleted samples
    forgotten: at load (the S3 record) and in every cached version as `sample.deleted` arrives."""

    def __init__(self, settings: KafkaSettings, store: BlobStore) -> None:
        self._store = store
        self._cache: dict[tuple[str, int], ClassifierModel] = {}
        self._deleted: dict[str, set[str]] = {}  # workflow -> sample ids, from the topic
        self._lock = threading.Lock()
        self._versions = ModelVersions(settings)
        self._versions.on_change(self._on_live_changed)
        self._deletions = TopicView(settings, topics.SAMPLE_DELETED)
        self._deletions.on_event(self._on_samples_deleted)

    def start(self) -> None:
        self._versions.start()
        self._deletions.start()

    def live(self, workflow_id: str, as_of: datetime | None = None) -> ClassifierModel | None:
        """The version serving this workflow, or None when it has no model yet; `as_of`: the
        handled event's time, every version published before it seen (ModelVersions)."""
        live = self._versions.live_or_catch_up(workflow_id, as_of)
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
            try:
                model = ClassifierModel.load(files).without_samples(read_deleted(self._store, workflow_id))
            except NewerModelError as exc:
                raise ModelFromNewerReleaseError(
                    f"model v{version} was written by a newer release ({exc}): retrying until a"
                    " replica of that release takes the document"
                ) from exc
            except ModelArtifactError as exc:
                raise PermanentError(
                    f"model v{version} cannot be read: {exc}"[:1000], reason_code="model_unreadable"
                ) from exc
            with self._lock:
                # Deletions announced while it loaded: the S3 listing may predate them.
                model = model.without_samples(self._deleted.get(workflow_id, set()))
                self._cache[key] = model
            logger.info(
                "loaded model v%d (%d samples kept)",
                version,
                len(model.training_sample_ids),
                extra={"workflow_id": workflow_id, "version": version},
            )
        return model

    def _on_samples_deleted(self, event: Event[Any]) -> None:
        workflow_id = str(event.data.workflow_id)
        gone = {str(i) for i in event.data.sample_ids}
        with self._lock:
            self._deleted.setdefault(workflow_id, set()).update(gone)
            for key, model in self._cache.items():
                if key[0] == workflow_id:
                    self._cache[key] = model.without_samples(gone)
        logger.info("forgot %d deleted samples", len(gone), extra={"workflow_id": workflow_id})

    def _on_live_changed(self, workflow_id: str, live: LiveModel) -> None:
        metrics.MODEL_VERSION.labels(workflow_id).set(live.version)
