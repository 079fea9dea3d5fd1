"""The live version's guess for each unlabelled sample: `predictions.json`, which the trainer
writes beside every version it publishes (it has the fitted model and embeds the samples then;
the API loads no embedder). A version's files never change, so each is read once per process.

Samples read after the version was trained have no guess from it until the next version."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy.orm import Session

from docroute.blobstore import BlobRef, BlobStore
from docroute.errors import BlobNotFoundError
from services.api.versions.models import ModelVersion
from services.api.versions.service.history import live_state

CACHED_VERSIONS = 32


@dataclass(frozen=True)
class VersionGuess:
    predicted_class: str
    confidence: float
    margin: float  # lead over the runner-up: small = unsure
    model_version: int


_cache: OrderedDict[str, dict[str, dict[str, object]]] = OrderedDict()
_lock = threading.Lock()


def live_guesses(session: Session, store: BlobStore, workflow_id: uuid.UUID) -> dict[str, VersionGuess]:
    """{sample_id: guess} of the workflow's live version; {} without one (or for a version
    trained before guesses were stored)."""
    version = live_state(session, workflow_id).version
    row = session.get(ModelVersion, (workflow_id, version)) if version else None
    if row is None:
        return {}
    found = {}
    for sample_id, guess in _read(store, row.artifact_ref).items():
        try:
            confidence = float(guess["confidence"])  # type: ignore[arg-type]
            runner_up = float(guess.get("runner_up") or 0.0)  # type: ignore[arg-type]
            found[sample_id] = VersionGuess(str(guess["class"]), confidence, confidence - runner_up, version)
        except (KeyError, TypeError, ValueError):
            continue  # a malformed entry is no guess
    return found


def _read(store: BlobStore, artifact_ref: str) -> dict[str, dict[str, object]]:
    with _lock:
        if artifact_ref in _cache:
            _cache.move_to_end(artifact_ref)
            return _cache[artifact_ref]
    try:
        record = store.get_json(BlobRef.parse(artifact_ref).key + "predictions.json")
    except BlobNotFoundError:
        record = {}
    predictions = record.get("predictions") if isinstance(record, dict) else None
    value = (
        {str(k): v for k, v in predictions.items() if isinstance(v, dict)}
        if isinstance(predictions, dict)
        else {}
    )
    with _lock:
        _cache[artifact_ref] = value
        while len(_cache) > CACHED_VERSIONS:
            _cache.popitem(last=False)
    return value
