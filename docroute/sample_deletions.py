"""Deleted samples, which every model version of their workflow must forget at once.

A model version keeps its training samples' ids and embeddings (nearest samples in explanations,
the "unknown" distance). When a document that may be one of them is deleted, the API records its
id in S3 under `models/<workflow>/deleted/<sample id>`, then announces it on `sample.deleted`.
Classify replicas drop the rows from the models they hold when the event arrives, and apply the
S3 record to every version they load later (after a restart, a promotion, a preview), so nothing
deleted comes back. The weights keep what they learnt until the next training, which no longer
has the sample.

Usage::

    record_deleted(store, workflow_id, ["3f2c..."], deleted_by="retention")   # API
    gone = read_deleted(store, workflow_id)                                   # classify, at load
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from docroute.blobstore import BlobStore


def deleted_prefix(workflow_id: str) -> str:
    """Where a workflow's deleted sample ids are recorded, beside its model versions."""
    return f"models/{workflow_id}/deleted/"


def record_deleted(
    store: BlobStore, workflow_id: str, sample_ids: Iterable[str], *, deleted_by: str | None
) -> None:
    """Record each id (one small object each: listing the prefix reads them all back)."""
    at = datetime.now(UTC).isoformat()
    for sample_id in sample_ids:
        store.put_json(deleted_prefix(workflow_id) + sample_id, {"deleted_at": at, "deleted_by": deleted_by})


def read_deleted(store: BlobStore, workflow_id: str) -> frozenset[str]:
    """Every sample id deleted from this workflow so far."""
    prefix = deleted_prefix(workflow_id)
    return frozenset(key[len(prefix) :] for key in store.list_keys(prefix))
