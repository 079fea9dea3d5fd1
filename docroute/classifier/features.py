"""TF-IDF in numpy, scipy.sparse and the standard library, reproducing scikit-learn's `TfidfVectorizer`.

The fitted state is plain data (settings, vocabulary, idf), so the classify service needs no
pickled sklearn object. Analysis, fitting and transform follow sklearn 1.x exactly for
`lowercase=True, smooth_idf=True, sublinear_tf=True, norm="l2"` and the default token pattern;
`tests/unit/classifier/test_features.py` checks this against sklearn itself.

One analyzer is not sklearn's: ``shape``, character n-grams of the text's shape (each run of
letters one ``a``, each digit ``0``, punctuation, symbols and line breaks as they are). It reads
what a document's layout, amounts, dates, codes and option lists look like, whatever language
its words are in.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

import numpy as np
import numpy.typing as npt
from scipy import sparse

from docroute.classifier.errors import NewerModelError

Analyzer = Literal["word", "char_wb", "char", "shape"]

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_WHITE_SPACES = re.compile(r"\s\s+")
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_DIGIT = re.compile(r"\d")
_SPACE = re.compile(r"\s")


@dataclass(frozen=True)
class TfidfConfig:
    """How text becomes terms: analyzer, n-gram range, pruning and a length cap."""

    analyzer: Analyzer = "word"
    ngram_range: tuple[int, int] = (1, 1)
    min_df: int = 1
    max_features: int | None = None
    # Bounds analysis cost on 50-page documents; the first pages decide the class.
    max_chars: int = 20_000

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-ready data."""
        return {
            "analyzer": self.analyzer,
            "ngram_range": list(self.ngram_range),
            "min_df": self.min_df,
            "max_features": self.max_features,
            "max_chars": self.max_chars,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TfidfConfig:
        """Rebuild settings written by `to_dict`; raises ValueError/TypeError/KeyError if bad."""
        analyzer = data["analyzer"]
        low, high = (int(n) for n in data["ngram_range"])
        if isinstance(analyzer, str) and analyzer not in get_args(Analyzer):
            raise NewerModelError(f"TF-IDF analyzer {analyzer!r} is not known to this release")
        if analyzer not in get_args(Analyzer) or not 1 <= low <= high:
            raise ValueError(f"bad TF-IDF settings: {dict(data)}")
        max_features = data["max_features"]
        return cls(
            analyzer=cast(Analyzer, analyzer),
            ngram_range=(low, high),
            min_df=int(data["min_df"]),
            max_features=None if max_features is None else int(max_features),
            max_chars=int(data["max_chars"]),
        )


def _word_ngrams(text: str, low: int, high: int) -> list[str]:
    """Word n-grams as sklearn's `_word_ngrams` builds them (unigrams first, space-joined)."""
    tokens = _TOKEN.findall(text)
    if high == 1:
        return tokens
    out = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return out


def _char_ngrams(text: str, low: int, high: int) -> list[str]:
    """Character n-grams across word boundaries, as sklearn's `_char_ngrams`."""
    text = _WHITE_SPACES.sub(" ", text)
    out = list(text) if low == 1 else []
    for n in range(max(low, 2), min(high, len(text)) + 1):
        out.extend(text[i : i + n] for i in range(len(text) - n + 1))
    return out


def _char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """Character n-grams inside space-padded words, as sklearn's `_char_wb_ngrams`."""
    out: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text).split():
        padded = f" {word} "
        length = len(padded)
        for n in range(low, high + 1):
            out.append(padded[:n])
            if n >= length:
                # sklearn emits a word no longer than n once, whole, and skips longer n.
                break
            out.extend(padded[i : i + n] for i in range(1, length - n + 1))
    return out


def shape_of(text: str) -> str:
    """The text's shape: each run of letters (any script) becomes ``a``, each digit ``0``;
    punctuation, symbols and spaces stay. "Rechnung Nr. 2024-17, 1.234,50 EUR" and "Invoice no.
    2024-17, 1,234.50 USD" both keep their number formats; the words no longer tell the language."""
    return _DIGIT.sub("0", _LETTER_RUN.sub("a", text))


def _shape_ngrams(text: str, low: int, high: int) -> list[str]:
    """Character n-grams (across words, as `_char_ngrams`) of `shape_of(text)`."""
    return _char_ngrams(shape_of(text), low, high)


def characters_with_words(text: str, config: TfidfConfig) -> tuple[str, npt.NDArray[np.int64], list[str]]:
    """The character sequence a ``char`` or ``shape`` block takes its n-grams from, with the
    word each character comes from: (sequence, word index per character, -1 for a space; the
    words, split at white space). `analyze` gives the n-grams of exactly this sequence."""
    if config.analyzer not in ("char", "shape"):
        raise ValueError(f"{config.analyzer!r} n-grams stay inside words")
    text = _WHITE_SPACES.sub(" ", text[: config.max_chars].lower())
    words = text.split()
    space = np.zeros(len(text), dtype=bool)
    space[[m.start() for m in _SPACE.finditer(text)]] = True
    starts = ~space & np.concatenate(([True], space[:-1]))
    owners = np.cumsum(starts, dtype=np.int64) - 1
    owners[space] = -1
    if config.analyzer == "char":
        return text, owners, words
    # As `shape_of`: a run of letters becomes one "a" (its first character kept), a digit "0".
    chars = list(text)
    keep = np.ones(len(text), dtype=bool)
    for run in _LETTER_RUN.finditer(text):
        chars[run.start()] = "a"
        keep[run.start() + 1 : run.end()] = False
    for digit in _DIGIT.finditer(text):
        chars[digit.start()] = "0"
    return "".join(c for c, kept in zip(chars, keep, strict=True) if kept), owners[keep], words


_ANALYZERS: dict[str, Callable[[str, int, int], list[str]]] = {
    "word": _word_ngrams,
    "char": _char_ngrams,
    "char_wb": _char_wb_ngrams,
    "shape": _shape_ngrams,
}


def analyze(text: str, config: TfidfConfig) -> list[str]:
    """Return the terms of `text` under `config`, in document order."""
    low, high = config.ngram_range
    return _ANALYZERS[config.analyzer](text[: config.max_chars].lower(), low, high)


def count_terms(texts: Iterable[str], config: TfidfConfig) -> list[Counter[str]]:
    """Analyse each text once into term counts (training reuses them for fit and transform)."""
    return [Counter(analyze(text, config)) for text in texts]


@dataclass(frozen=True, eq=False)
class TfidfState:
    """A fitted TF-IDF: settings, sorted vocabulary and smoothed idf (float64, like sklearn)."""

    config: TfidfConfig
    vocabulary: tuple[str, ...]
    idf: npt.NDArray[np.float64]
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.idf.shape != (len(self.vocabulary),):
            raise ValueError(f"idf has shape {self.idf.shape}, vocabulary {len(self.vocabulary)}")
        index = {term: i for i, term in enumerate(self.vocabulary)}
        if len(index) != len(self.vocabulary):
            raise ValueError("vocabulary has duplicate terms")
        object.__setattr__(self, "_index", index)

    @property
    def size(self) -> int:
        """Number of features this block produces."""
        return len(self.vocabulary)

    def transform(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Return dense L2-normalised sublinear TF-IDF rows, shape (len(texts), size)."""
        return self.transform_counts(count_terms(texts, self.config))

    def transform_counts(self, counts: Sequence[Counter[str]]) -> npt.NDArray[np.float64]:
        """Transform term counts from `count_terms` (same config) into TF-IDF rows."""
        return np.asarray(self.sparse_rows(counts).toarray(), dtype=np.float64)

    def sparse_rows(self, counts: Sequence[Counter[str]]) -> Any:
        """The rows of `transform_counts` as a `scipy.sparse.csr_array` (float64).

        Training keeps them sparse: a row holds a document's few thousand terms while the
        vocabulary grows with the samples, so dense rows made a training quadratic in them.
        """
        columns_and_counts = []
        for doc in counts:
            hits = sorted((self._index[t], c) for t, c in doc.items() if t in self._index)
            cols = np.fromiter((i for i, _ in hits), dtype=np.int64, count=len(hits))
            columns_and_counts.append(
                (cols, np.fromiter((c for _, c in hits), dtype=np.float64, count=len(hits)))
            )
        return tfidf_rows(columns_and_counts, self.idf, self.size)


def tfidf_rows(
    columns_and_counts: Sequence[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]],
    idf: npt.NDArray[np.float64],
    size: int,
) -> Any:
    """Rows of sublinear tf x idf, each L2-normalised (what sklearn's `TfidfVectorizer` with
    `sublinear_tf` gives), as a float64 `csr_array` of `size` columns, from each document's
    vocabulary columns (ascending) and the counts of those terms."""
    indptr, indices, data = [0], [], []
    for cols, tf in columns_and_counts:
        if len(cols):
            values = (np.log(tf) + 1.0) * idf[cols]
            indices.append(cols)
            data.append(values / np.sqrt(np.dot(values, values)))
        indptr.append(indptr[-1] + len(cols))
    return sparse.csr_array(
        (
            np.concatenate(data) if data else np.zeros(0, dtype=np.float64),
            np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64),
            np.array(indptr, dtype=np.int64),
        ),
        shape=(len(columns_and_counts), size),
    )


def fit_tfidf(texts: Sequence[str], config: TfidfConfig) -> TfidfState:
    """Fit vocabulary and idf on `texts` exactly as sklearn's `TfidfVectorizer.fit` would."""
    return fit_counts(count_terms(texts, config), config)


def fit_counts(counts: Sequence[Counter[str]], config: TfidfConfig) -> TfidfState:
    """Fit from term counts of `count_terms`; an empty vocabulary is allowed (no features)."""
    doc_freq: Counter[str] = Counter()
    term_freq: Counter[str] = Counter()
    for doc in counts:
        doc_freq.update(doc.keys())
        term_freq.update(doc)
    terms = sorted(t for t, df in doc_freq.items() if df >= config.min_df)
    if config.max_features is not None and len(terms) > config.max_features:
        # sklearn keeps the most frequent terms; the same float64 argsort breaks ties alike.
        order = np.argsort(-np.array([term_freq[t] for t in terms], dtype=np.float64))
        terms = sorted(terms[i] for i in order[: config.max_features])
    n_docs = len(counts)
    idf = np.array([math.log((1 + n_docs) / (1 + doc_freq[t])) + 1.0 for t in terms], dtype=np.float64)
    return TfidfState(config=config, vocabulary=tuple(terms), idf=idf)
