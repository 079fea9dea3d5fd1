"""Why a model chose a class: the nearest labelled samples and the terms that weighed most.

The model is linear over [embedding | TF-IDF blocks], so the logit of a class is a sum of one
contribution per feature: value x block weight x the class's coefficient. The TF-IDF part of that
sum is attributed to the document's words: word n-grams directly, character n-grams shared out
over the words they occur in (so " inv", "nvoi" and "oice " all count for "invoice"). N-grams
that run across words (the shape block's "a: 0.00", read from "Total: 12.50") are shared out
over the words they cover, by characters, so a word is credited for the layout it stands in.
Contributions are divided by the temperature: they are in units of the calibrated logit.
"""

from __future__ import annotations

import string
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from docroute.classifier.features import TfidfConfig, TfidfState, analyze, characters_with_words
from docroute.classifier.model import BlockCounts, ClassifierModel, Neighbour

TOP_NEIGHBOURS = 5
TOP_TERMS = 10
MAX_TERM_CHARS = 100
_STRIP = string.punctuation + "«»„“”‘’"


@dataclass(frozen=True)
class TermWeight:
    """A word of the document and how much it pushed towards the predicted class."""

    term: str
    weight: float


@dataclass(frozen=True)
class Explanation:
    """Nearest training samples, strongest terms, and the distance behind the unknown flag."""

    neighbours: tuple[Neighbour, ...]
    terms: tuple[TermWeight, ...]
    novelty: float
    unknown_threshold: float


def explain(
    model: ClassifierModel,
    text: str,
    embeddings: npt.NDArray[np.floating],
    class_index: int,
    *,
    novelty: float,
    unknown_threshold: float | None = None,
    neighbours: int = TOP_NEIGHBOURS,
    terms: int = TOP_TERMS,
    counts: BlockCounts | None = None,
) -> Explanation:
    """Explain the prediction of class `class_index` for one document and its embedding row.

    `novelty` and `unknown_threshold` are the distance that decided the unknown flag and its
    threshold (the model's global one by default); `counts`: `model.term_counts([text])` when
    the caller has them (the prediction counted them)."""
    nearest = model.nearest_samples(np.atleast_2d(embeddings), k=neighbours)[0]
    return Explanation(
        neighbours=tuple(
            Neighbour(n.sample_id, n.label, round(min(1.0, max(-1.0, n.similarity)), 4)) for n in nearest
        ),
        terms=strongest_terms(model, text, class_index, top=terms, counts=counts),
        novelty=round(float(novelty), 4),
        unknown_threshold=round(
            float(model.unknown_threshold if unknown_threshold is None else unknown_threshold), 4
        ),
    )


def strongest_terms(
    model: ClassifierModel,
    text: str,
    class_index: int,
    *,
    top: int = TOP_TERMS,
    counts: BlockCounts | None = None,
) -> tuple[TermWeight, ...]:
    """The `top` words with the largest positive contribution to the class's logit; `counts` as
    for `explain`."""
    scores: defaultdict[str, float] = defaultdict(float)
    coef = model.coef[class_index].astype(np.float64) / model.temperature
    offset = model.layout.embedding_dim
    counts = model.term_counts([text]) if counts is None else counts
    blocks = zip(model.tfidf, model.layout.tfidf_weights, counts, strict=True)
    for state, block_weight, (block_counts,) in blocks:
        block = coef[offset : offset + state.size] * block_weight
        offset += state.size
        _add_block(scores, state, block, text, block_counts)
    ranked = sorted(((w, t) for t, w in scores.items() if w > 0 and t), key=lambda wt: (-wt[0], wt[1]))
    return tuple(TermWeight(term[:MAX_TERM_CHARS], round(weight, 4)) for weight, term in ranked[:top])


def _add_block(
    scores: defaultdict[str, float],
    state: TfidfState,
    coef: npt.NDArray[np.float64],
    text: str,
    counts: Counter[str],
) -> None:
    """Add one TF-IDF block's contributions to `scores`, keyed by word (or word n-gram);
    `counts`: the block's term counts of `text`."""
    row = state.transform_counts([counts])[0]
    hits = np.flatnonzero(row)
    if not len(hits):
        return
    contribution = {state.vocabulary[j]: float(row[j] * coef[j]) for j in hits}
    if state.config.analyzer == "word":
        for term, value in contribution.items():
            scores[term] += value
        return
    if state.config.analyzer in ("char", "shape"):
        # Their n-grams run across words: each occurrence is shared out by position.
        per_occurrence = {gram: value / counts[gram] for gram, value in contribution.items()}
        for word, value in _shared_by_position(text, state.config, per_occurrence).items():
            scores[word.strip(_STRIP)] += value
        return
    # Character n-grams: each occurrence carries an equal share of its n-gram's contribution.
    for word, word_counts in _word_ngrams(text, state).items():
        for gram, n in word_counts.items():
            if gram in contribution:
                scores[word] += contribution[gram] * n / counts[gram]


def _word_ngrams(text: str, state: TfidfState) -> dict[str, Counter[str]]:
    """Character n-gram counts per distinct word of `text`, under the block's settings."""
    config = state.config
    out: dict[str, Counter[str]] = {}
    # A token's n-grams depend on the token alone: each distinct one is analysed once and its
    # counts taken as often as it occurs (a document repeats most of its words).
    for raw, times in Counter(text[: config.max_chars].lower().split()).items():
        word = raw.strip(_STRIP)
        if not word:
            continue
        grams = Counter(analyze(raw, config))
        if times > 1:
            grams = Counter({gram: n * times for gram, n in grams.items()})
        if word in out:
            out[word].update(grams)
        else:
            out[word] = grams
    return out


def _shared_by_position(
    text: str, config: TfidfConfig, per_occurrence: dict[str, float]
) -> defaultdict[str, float]:
    """Each occurrence of an n-gram that runs across words, its value shared out over the words
    whose characters it covers (by characters; spaces count for none)."""
    chars, owners, words = characters_with_words(text, config)
    in_word = owners >= 0
    credit = np.zeros(len(words), dtype=np.float64)
    low, high = config.ngram_range
    get = per_occurrence.get
    for n in range(low, min(high, len(chars)) + 1):
        value = np.fromiter((get(chars[i : i + n], 0.0) for i in range(len(chars) - n + 1)), np.float64)
        covered = np.lib.stride_tricks.sliding_window_view(in_word, n).sum(axis=1)
        share = np.divide(value, covered, out=np.zeros_like(value), where=covered > 0)
        for k in range(n):
            owner = owners[k : k + len(share)]
            mask = owner >= 0
            credit += np.bincount(owner[mask], weights=share[mask], minlength=len(words))
    by_word: defaultdict[str, float] = defaultdict(float)
    for word, credited in zip(words, credit.tolist(), strict=True):
        by_word[word] += credited
    return by_word
