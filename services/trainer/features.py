"""Embeddings computed once per sample text, not at every training.

Embedding is most of a training's time (about 50 ms a sample on a core) and every version
embedded every sample again, the promotion gate a second time. `CachedEmbedder` wraps an
embedder: a text's vector is kept in memory and in S3 under the digest of the text
(`features/<embedder>/<sha256>.f32`, raw little-endian float32, no pickle), so the trainer
embeds a sample when it arrives, a training embeds only texts it has not seen, and a restarted
trainer (or another replica) reads the vectors back instead of computing them.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Sequence

import numpy as np

from docroute.blobstore import BlobStore
from docroute.classifier.embedders import Embedder, Embeddings, load_embedder
from docroute.errors import BlobNotFoundError

logger = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def feature_key(embedder_id: str, text: str) -> str:
    """Where the vector of `text` by `embedder_id` is kept in the bucket."""
    digest = hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()
    return f"features/{_UNSAFE.sub('_', embedder_id)}/{digest}.f32"


class CachedEmbedder:
    """An `Embedder` whose vectors are computed once per text (memory, then S3, then the model).

    Usage::

        embedder = CachedEmbedder(load_embedder("st:all-MiniLM-L6-v2"), store)
        embedder.embed(texts)  # only texts never seen before reach the model
    """

    def __init__(self, inner: Embedder, store: BlobStore) -> None:
        self.id = inner.id
        self.dim = inner.dim
        self._inner = inner
        self._store = store
        self._vectors: dict[str, Embeddings] = {}  # feature key -> (dim,) row
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> Embeddings:
        keys = [feature_key(self.id, text) for text in texts]
        rows: dict[str, Embeddings] = {}
        with self._lock:
            rows.update((k, self._vectors[k]) for k in keys if k in self._vectors)
        for key in dict.fromkeys(k for k in keys if k not in rows):
            stored = self._read(key)
            if stored is not None:
                rows[key] = stored
        missing = {k: text for k, text in zip(keys, texts, strict=True) if k not in rows}
        if missing:
            computed = self._inner.embed(list(missing.values()))
            for key, row in zip(missing, computed, strict=True):
                rows[key] = row
                self._store.put(key, np.asarray(row, dtype="<f4").tobytes())
        with self._lock:
            self._vectors.update(rows)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([rows[k] for k in keys]).astype(np.float32, copy=False)

    def forget(self, text: str) -> None:
        """Drop `text`'s vector from memory (a deleted sample); S3 keeps it for the same text."""
        with self._lock:
            self._vectors.pop(feature_key(self.id, text), None)

    def _read(self, key: str) -> Embeddings | None:
        try:
            data = self._store.get(key)
        except BlobNotFoundError:
            return None
        row = np.frombuffer(data, dtype="<f4").astype(np.float32)
        if row.shape != (self.dim,):  # another model under the same id: compute it again
            logger.warning("stored features %s have %d values, not %d: recomputed", key, row.size, self.dim)
            return None
        return row


class CachedEmbedders:
    """One `CachedEmbedder` per embedder id, loaded on first use (the trainer's and the gate's)."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        self._embedders: dict[str, CachedEmbedder] = {}
        self._lock = threading.Lock()

    def get(self, embedder_id: str) -> CachedEmbedder:
        with self._lock:
            if embedder_id not in self._embedders:
                self._embedders[embedder_id] = CachedEmbedder(load_embedder(embedder_id), self._store)
            return self._embedders[embedder_id]
