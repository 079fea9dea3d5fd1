"""The live version's guess for each unlabelled sample, as the trainer stores it (it has the
fitted model and the embedder; the API loads neither):

- `predictions.json` beside every version it publishes: the samples unlabelled then. A
  version's files never change, so each is read once per process.
- `guesses/<workflow>/v<N>/<sample>.json`: a sample read after v<N> was trained, guessed by v<N>
  as it arrives (or when v<N> goes live again). Each is written once and never changes, so it is
  read once too; the prefix is listed only when a sample asked for has no guess yet.

A sample read moments ago may have no guess for a short while (the trainer embeds it first)."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Collection
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
_late: OrderedDict[str, dict[str, dict[str, object]]] = OrderedDict()  # prefix -> {sample: guess}
_lock = threading.Lock()


def live_guesses(
    session: Session, store: BlobStore, workflow_id: uuid.UUID, wanted: Collection[str] = ()
) -> dict[str, VersionGuess]:
    """{sample_id: guess} of the workflow's live version; {} without one (or for a version
    trained before guesses were stored). The guesses made after the version was published are
    looked up when one of the `wanted` sample ids has none in `predictions.json`."""
    version = live_state(session, workflow_id).version
    row = session.get(ModelVersion, (workflow_id, version)) if version else None
    if row is None:
        return {}
    guesses = _read(store, row.artifact_ref)
    if any(sample_id not in guesses for sample_id in wanted):
        guesses = {**_read_late(store, f"guesses/{workflow_id}/v{version}/"), **guesses}
    found = {}
    for sample_id, guess in guesses.items():
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


def _read_late(store: BlobStore, prefix: str) -> dict[str, dict[str, object]]:
    """The guesses under `prefix`; only those not read before are fetched (none ever changes)."""
    with _lock:
        known = dict(_late.get(prefix, {}))
    for key in store.list_keys(prefix):
        sample_id = key.removeprefix(prefix).removesuffix(".json")
        if sample_id in known:
            continue
        try:
            guess = store.get_json(key)
        except (BlobNotFoundError, ValueError):
            continue  # deleted since listed, or unreadable: no guess
        if isinstance(guess, dict):
            known[sample_id] = guess
    with _lock:
        _late[prefix] = known
        _late.move_to_end(prefix)
        while len(_late) > CACHED_VERSIONS:
            _late.popitem(last=False)
    return known
