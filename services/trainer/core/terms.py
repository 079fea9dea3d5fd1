"""Term counts counted once per text, kept compactly between trainings.

Analysing a text into word and character n-grams is the part of a training that depends on one
sample only, so the trainer counts a sample's terms when it arrives and every training reuses
them. A `Counter` per text would hold thousands of small strings per sample (about 0.4 MB at
20,000 characters); here each distinct term is stored once per `TermCounts` and a text keeps two
int32 arrays, term ids and counts (about 30 KB). Kept in memory only: after a restart a text's
terms are counted again, which costs about what reading them back from S3 would (a few ms).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from docroute.classifier.features import TfidfConfig, count_terms

I32 = npt.NDArray[np.int32]


class TermCounts:
    """The term counts of texts under one `TfidfConfig`, each text analysed once.

    Usage::

        counts = TermCounts(config)
        counts.add([text])                # at arrival
        counts.counts(texts)              # at training: what `count_terms(texts, config)` gives
    """

    def __init__(self, config: TfidfConfig, part: Callable[[str], str] = str) -> None:
        self.config = config
        self.counted = 0  # texts analysed so far: each once while it is kept
        self._part = part  # which part of a text is analysed (a page's head)
        self._ids: dict[str, int] = {}
        self._terms: list[str] = []
        self._known: dict[str, tuple[I32, I32]] = {}  # text -> (term ids, counts)
        self._lock = threading.Lock()

    def add(self, texts: Sequence[str]) -> None:
        """Count the terms of the texts not counted yet."""
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._known]
        found = count_terms([self._part(t) for t in missing], self.config)
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

    def forget(self, text: str) -> None:
        """Drop a text's counts (a deleted or changed sample); its terms stay in the lexicon."""
        with self._lock:
            self._known.pop(text, None)

    def __contains__(self, text: object) -> bool:
        return text in self._known

    def _compact(self, counted: Counter[str]) -> tuple[I32, I32]:
        ids = np.fromiter((self._id(term) for term in counted), dtype=np.int32, count=len(counted))
        return ids, np.fromiter(counted.values(), dtype=np.int32, count=len(counted))

    def _id(self, term: str) -> int:
        found = self._ids.get(term)
        if found is None:
            found = self._ids[term] = len(self._terms)
            self._terms.append(term)
        return found
