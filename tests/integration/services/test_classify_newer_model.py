"""A classify replica that finds the live model written by a newer release (a rolling update
under way) retries the document rather than dead-lettering it, on the real S3; a broken model
is still refused at once."""

from __future__ import annotations

import json
import uuid

import pytest

from docroute.blobstore import BlobStore
from docroute.classifier.errors import ModelArtifactError, NewerModelError
from docroute.errors import ModelFromNewerReleaseError, PermanentError, TransientError
from docroute.settings import ServiceSettings
from services.classify.adapters import ModelRegistry
from tests.unit.classifier.test_model_artifact import make_model


def _store(blobstore: BlobStore, files: dict[str, bytes]) -> str:
    prefix = f"models/{uuid.uuid4()}/v4/"
    for name, data in files.items():
        blobstore.put(prefix + name, data)
    return f"s3://{blobstore.bucket}/{prefix}"


def _with_analyzer(analyzer: object) -> dict[str, bytes]:
    files = make_model().save()
    meta = json.loads(files["model.json"])
    meta["tfidf"][1]["config"]["analyzer"] = analyzer
    return {**files, "model.json": json.dumps(meta).encode()}


def test_a_model_from_a_newer_release_is_retried_not_dead_lettered(
    settings: ServiceSettings, blobstore: BlobStore
) -> None:
    registry = ModelRegistry(settings.kafka, blobstore)  # its topic views are not needed here
    newer = _store(blobstore, _with_analyzer("a-later-analyzer"))
    with pytest.raises(ModelFromNewerReleaseError, match="v4 was written by a newer release") as raised:
        registry.load(str(uuid.uuid4()), 4, newer)
    assert isinstance(raised.value, TransientError) and isinstance(raised.value.__cause__, NewerModelError)

    # Broken, not newer: the document is dead-lettered with a reason (it was an internal error).
    broken = _store(blobstore, _with_analyzer(["not", "a", "name"]))
    with pytest.raises(PermanentError) as refused:
        registry.load(str(uuid.uuid4()), 4, broken)
    assert refused.value.reason_code == "model_unreadable"
    assert isinstance(refused.value.__cause__, ModelArtifactError)

    readable = _store(blobstore, make_model().save())
    assert registry.load(str(uuid.uuid4()), 4, readable).labels == make_model().labels
