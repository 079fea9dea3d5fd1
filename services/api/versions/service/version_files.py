"""A version's records in S3, beside its artifact: `manifest.json` (training set, recipe, gate
verdict) and `metrics.json` (cross-validated report: per class, confusion matrix, calibration)."""

from __future__ import annotations

import logging
from typing import Any

from docroute.blobstore import BlobRef, BlobStore
from docroute.errors import BlobNotFoundError

logger = logging.getLogger(__name__)


def manifest(store: BlobStore, artifact_ref: str) -> dict[str, Any]:
    return _read(store, artifact_ref, "manifest.json")


def metrics(store: BlobStore, artifact_ref: str) -> dict[str, Any]:
    return _read(store, artifact_ref, "metrics.json")


def _read(store: BlobStore, artifact_ref: str, name: str) -> dict[str, Any]:
    """The JSON file, or {} when it is missing (a version whose objects were deleted)."""
    key = BlobRef.parse(artifact_ref).key + name
    try:
        value = store.get_json(key)
    except BlobNotFoundError:
        logger.warning("%s is missing", key)
        return {}
    return value if isinstance(value, dict) else {}
