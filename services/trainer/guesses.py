"""The live version's guess for samples read after it was trained.

A version guesses the unlabelled samples it knows of when it is published (`predictions.json`
beside it). A sample read later, or a version that goes live again (promote, roll back) after
samples arrived, would otherwise have no guess until the next training, and the labelling pane
would fall back to a guess from the text. So the trainer predicts such a sample with the live
version as soon as it is read, and every unlabelled sample the version has no guess for when it
goes live. Each guess is its own object, `guesses/<workflow>/v<N>/<sample>.json`, written only if
absent (whichever replica predicts first; a redelivered event writes nothing), so the API lists
one prefix for the live version's late guesses. The model is read from its safetensors artifact,
never a pickle.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from docroute.blobstore import BlobRef
from docroute.classifier.embedders import Embedder
from docroute.classifier.errors import ModelArtifactError, UnknownEmbedderError
from docroute.classifier.model import ClassifierModel
from docroute.errors import BlobNotFoundError
from docroute.model_versions import LiveModel
from services.trainer.adapters import TrainingStore
from services.trainer.promotion import LiveVersions

logger = logging.getLogger(__name__)
# Fitted models kept in memory (a few MB each): the live ones of the workflows being labelled.
CACHED_MODELS = 4


def predictions_of(
    sample_ids: Sequence[str], labels: Sequence[str], probabilities: np.ndarray
) -> dict[str, dict[str, Any]]:
    """{sample_id: {class, confidence, runner_up}}: the most probable class and its share, and
    the second one's share (a small lead means the version is unsure)."""
    found = {}
    for sample_id, row in zip(sample_ids, probabilities, strict=True):
        order = np.argsort(-row)
        second = float(row[order[1]]) if len(order) > 1 else 0.0
        found[sample_id] = {
            "class": labels[int(order[0])],
            "confidence": round(float(row[order[0]]), 4),
            "runner_up": round(second, 4),
        }
    return found


class LiveGuesses:
    """Predicts unlabelled samples with the live version and stores the guesses it lacked.

    Usage::

        guesses = LiveGuesses(store, versions, embedders.get, text_of)
        guesses.on_read(workflow_id, sample_id, ocr_ref)  # a sample read after training
        guesses.on_live(workflow_id, version)             # a version went live
    """

    def __init__(
        self,
        store: TrainingStore,
        versions: LiveVersions,
        embedder_for: Callable[[str], Embedder],
        text_of: Callable[[str], str],
    ) -> None:
        self._store = store
        self._versions = versions
        self._embedder_for = embedder_for
        self._text_of = text_of
        self._models: OrderedDict[str, ClassifierModel] = OrderedDict()
        self._lock = threading.Lock()

    def on_read(self, workflow_id: str, sample_id: str, ocr_ref: str) -> None:
        """A sample just read: the live version guesses it. Caught up with the model topic first,
        so that a version going live meanwhile either is the one used here or, handled after the
        sample's record was written, guesses it in `on_live`."""
        self._versions.sync()
        live = self._versions.live(workflow_id)
        if live is None or live.artifact_ref is None:
            return
        self._guess(workflow_id, live, [(sample_id, ocr_ref)])

    def on_live(self, workflow_id: str, version: int) -> None:
        """`version` went live (published live, promoted, rolled back to): it guesses every
        unlabelled sample it has no guess for. An event about a version no longer live (replayed
        history) does nothing."""
        self._versions.sync()
        live = self._versions.live(workflow_id)
        if live is None or live.version != version or live.artifact_ref is None:
            return
        known = self._store.published_guesses(live.artifact_ref) | self._store.late_guesses(
            workflow_id, version
        )
        waiting = [(s, ref) for s, ref in self._store.unlabelled(workflow_id) if s not in known]
        self._guess(workflow_id, live, waiting)

    def _guess(self, workflow_id: str, live: LiveModel, samples: list[tuple[str, str]]) -> None:
        if not samples or live.artifact_ref is None:
            return
        try:
            model = self._model(live.artifact_ref)
            texts = [self._text_of(ocr_ref) for _, ocr_ref in samples]
            probabilities = model.predict_proba(texts, self._embedder_for(model.embedder_id).embed(texts))
        except (ModelArtifactError, UnknownEmbedderError, BlobNotFoundError) as exc:
            # A guess is a convenience: the sample stays, unguessed, and is not dead-lettered
            # (the API would show a good sample as failed). Transient errors still retry.
            logger.warning(
                "v%d cannot guess: %s",
                live.version,
                exc,
                extra={"workflow_id": workflow_id, "version": live.version},
            )
            return
        found = predictions_of([s for s, _ in samples], model.labels, probabilities)
        written = self._store.put_late_guesses(workflow_id, live.version, found)
        logger.info(
            "v%d guessed %d samples read after it was trained",
            live.version,
            written,
            extra={"workflow_id": workflow_id, "version": live.version},
        )

    def _model(self, artifact_ref: str) -> ClassifierModel:
        with self._lock:
            if artifact_ref in self._models:
                self._models.move_to_end(artifact_ref)
                return self._models[artifact_ref]
        prefix = BlobRef.parse(artifact_ref).key
        model = ClassifierModel.load(
            {name: self._store.store.get(prefix + name) for name in ("model.safetensors", "model.json")}
        )
        with self._lock:
            self._models[artifact_ref] = model
            while len(self._models) > CACHED_MODELS:
                self._models.popitem(last=False)
        return model
