"""Term counts counted once per text, kept compactly between trainings.

Analysing a text into word and character n-grams is the part of a training that depends on one
sample only, so the trainer counts a sample's terms when it arrives and every training reuses
them. A `Counter` per text would hold thousands of small strings per sample (about 0.4 MB at
20,000 characters); here each distinct term is stored once per `TermCounts` and a text keeps two
int32 arrays, term ids and counts (about 30 KB). Kept in memory only: after a restart a text's
terms are counted again, which costs about what reading them back from S3 would (a few ms).
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from docroute.classifier.features import TfidfConfig, TfidfState, count_terms, tfidf_rows

I32 = npt.NDArray[np.int32]


class TermCounts:
    """The term counts of texts under one `TfidfConfig`, each text analysed once.

    Usage::

        counts = TermCounts(config)
        counts.add([text])                # at arrival
        state = counts.fit(texts)         # at training: `fit_tfidf(texts, config)`
        rows = counts.rows(texts, state)  # `state.sparse_rows(count_terms(texts, config))`
    """

    def __init__(self, config: TfidfConfig) -> None:
        self.config = config
        self.counted = 0  # texts analysed so far: each once while it is kept
        self._ids: dict[str, int] = {}
        self._terms: list[str] = []
        self._known: dict[str, tuple[I32, I32]] = {}  # text -> (term ids, counts)
        self._lock = threading.Lock()

    def add(self, texts: Sequence[str]) -> None:
        """Count the terms of the texts not counted yet."""
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._known]
        found = count_terms(missing, self.config)
        with self._lock:
            for text, counted in zip(missing, found, strict=True):
                if text not in self._known:
                    self._known[text] = self._compact(counted)
                    self.counted += 1

    def counts(self, texts: Sequence[str]) -> list[Counter[str]]:
        """Each text's term counts, as `count_terms` gives them (counted now if new)."""
        self.add(texts)
        with self._lock:
            stored = [self._known[t] for t in texts]
            terms = self._terms
        return [
            Counter(dict(zip([terms[i] for i in ids.tolist()], n.tolist(), strict=True))) for ids, n in stored
        ]

    def fit(self, texts: Sequence[str]) -> TfidfState:
        """The TF-IDF `fit_counts` fits on these texts' counts, the same vocabulary and idf,
        computed on the stored ids (a text listed twice counts twice, as there)."""
        ids, counts = self._stored(texts)
        size = len(self._terms)
        doc_freq = np.bincount(ids, minlength=size)
        term_freq = np.bincount(ids, weights=counts, minlength=size)
        present = np.flatnonzero(doc_freq >= max(self.config.min_df, 1))
        kept = self._alphabetical(present)
        if self.config.max_features is not None and len(kept) > self.config.max_features:
            # As fit_counts: the most frequent of the alphabetical list, by the same argsort.
            kept = self._alphabetical(kept[np.argsort(-term_freq[kept])[: self.config.max_features]])
        n_docs = len(texts)
        idf = np.array(
            [math.log((1 + n_docs) / (1 + int(doc_freq[i]))) + 1.0 for i in kept], dtype=np.float64
        )
        return TfidfState(config=self.config, vocabulary=tuple(self._terms[i] for i in kept), idf=idf)

    def rows(self, texts: Sequence[str], state: TfidfState) -> Any:
        """`state.sparse_rows` of these texts' counts (float64 `csr_array`), the same values."""
        return self.row_maker(state)(texts)

    def row_maker(self, state: TfidfState) -> Callable[[Sequence[str]], Any]:
        """`rows` under one `state` for many calls: its columns are looked up once (a boundary
        model's training makes rows for hundreds of stacks with each page model)."""
        with self._lock:
            column = np.full(len(self._terms), -1, dtype=np.int64)
            for j, term in enumerate(state.vocabulary):
                found = self._ids.get(term)
                if found is not None:
                    column[found] = j

        def rows(texts: Sequence[str]) -> Any:
            self.add(texts)
            with self._lock:
                stored = [self._known[t] for t in texts]
            columns_and_counts = []
            for ids, counts in stored:
                # A term first seen after `state` was fitted is in no column of it.
                cols = np.where(ids < len(column), column[np.minimum(ids, len(column) - 1)], -1)
                hit = cols >= 0
                order = np.argsort(cols[hit], kind="stable")
                columns_and_counts.append((cols[hit][order], counts[hit][order].astype(np.float64)))
            return tfidf_rows(columns_and_counts, state.idf, state.size)

        return rows

    def forget(self, text: str) -> None:
        """Drop a text's counts (a deleted or changed sample); its terms stay in the lexicon."""
        with self._lock:
            self._known.pop(text, None)

    def __contains__(self, text: object) -> bool:
        return text in self._known

    def _stored(self, texts: Sequence[str]) -> tuple[I32, I32]:
        """The texts' term ids and counts, concatenated (counted now if new)."""
        self.add(texts)
        with self._lock:
            stored = [self._known[t] for t in texts]
        if not stored:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
        return np.concatenate([ids for ids, _ in stored]), np.concatenate([n for _, n in stored])

    def _alphabetical(self, ids: npt.NDArray[np.integer]) -> npt.NDArray[np.int64]:
        """`ids` ordered by their terms, as `sorted` orders strings."""
        return np.array(sorted(ids.tolist(), key=self._terms.__getitem__), dtype=np.int64)

    def _compact(self, counted: Counter[str]) -> tuple[I32, I32]:
        ids = np.fromiter((self._id(term) for term in counted), dtype=np.int32, count=len(counted))
        return ids, np.fromiter(counted.values(), dtype=np.int32, count=len(counted))

    def _id(self, term: str) -> int:
        found = self._ids.get(term)
        if found is None:
            found = self._ids[term] = len(self._terms)
            self._terms.append(term)
        return found
