"""The unknown rule's wording view: is a document worded like a class's samples in its language?

Per class, a language model of the character 3-5-grams (within words) of its training samples,
smoothed towards a background model (the shipped background documents and all the workflow's
samples). A document's score under a class is its length-normalised log-likelihood ratio,
class model over background:

    llr_c(d) = 1/|d| sum_{w in d} log p_c(w) / p_bg(w),   p_c(w) = (n_c(w) + mu p_bg(w)) / (N_c + mu)

and its novelty minus the best class's score. It reads thousands of n-grams a document where
the embedding is one vector, so it tells a kind from its look-alikes (minutes from papers,
receipts from invoices) that every embedding view put inside the class (docs/quality.md).

But n-grams are a language's: a trained kind in another language is as novel to it as an unknown
kind. So by default (gate ``class``) the view **speaks only on a document whose language
(langdetect) is one its predicted class's samples are written in** (at least three of them, the
trainer's ``wording_language_samples``: one reviewed document in a new language is too thin a
model of the class's wording there); elsewhere the rest of the rule decides alone (a
German-trained class keeps recognising its kind in Italian through the multilingual embedding).
Where the class gate is silent but the document's language is one some other class's samples are
in, the view may still speak, corroborated: the document is worded like none of the workflow's
samples there (past the limit taken over every held-out sample in a language of the other
folds) **and** it leans towards the background documents: the most similar of them is at least
``nearest_lean`` as similar to it as its most similar sample of its predicted class (models
trained before 2026-12-06: outlier exposure's probability at least ``lean`` of its limit). A
known class met in a new language sits inside its class's embedding, its nearest samples far
nearer than any background document, and is left to the rest of the rule; a kind no class is,
read as a look-alike trained in another language (a German invoice read as an English-trained
receipt class), is caught.
A workflow whose classes each have samples in every language they arrive in can open the gate
to every language any of its samples is in (gate ``workflow``, the workflow setting
``wording_languages``): a German invoice the classifier reads as an English-trained receipt class
is then judged against the German samples too, and caught; but a class arriving in a language only
other classes have samples in goes to review. Its limit is the conformal share of the workflow's
own samples' held-out novelties, over those it speaks on (services/trainer/core/wording.py).

Measured on real documents at 15 samples a class (bench/unknown_fewshot.py, docs/quality.md,
2026-12-03): a left-out kind sent to review 0.815 -> 0.874 at 3.5 -> 3.7 % of known documents
flagged (seeds 2-5), 0.768 -> 0.857 at 4.2 -> 4.6 % (6-9), 0.774 -> 0.836 at 3.3 -> 3.7 %
(14-17); the another-language slices unchanged. Gate ``workflow`` (2026-12-04, seeds 0-1 / 2-5 /
6-9 / 14-17 against the class gate): 0.866 -> 0.931, 0.874 -> 0.916, 0.857 -> 0.935, 0.836 ->
0.940 at 3.1 -> 3.8, 3.7 -> 4.5, 4.6 -> 5.2, 3.7 -> 4.2 % of known documents flagged; but
German-trained manual pages read in the workflow's other languages are routed right 0.922 ->
0.716 (seeds 0-3).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from docroute.classifier.features import TfidfConfig, count_terms
from docroute.languages import detect_latin_language

F32 = npt.NDArray[np.float32]
WORDING = "wording"
# Where the view speaks: a language its predicted class's samples are in ("class"), or any
# sample of the workflow is in ("workflow").
WordingGate = Literal["class", "workflow"]
WORDING_GATES: tuple[str, ...] = get_args(WordingGate)
# Where the corroborated view may speak: a language any of the workflow's samples are in
# ("workflow", before 2026-12-06), or one some other class's samples are in ("other": a class's
# own few samples in a language, a reviewer's first answers there, do not open it on the class).
CorroborationLanguages = Literal["workflow", "other"]
CORROBORATION_LANGUAGES: tuple[str, ...] = get_args(CorroborationLanguages)
# Where the trainer counts a held-out sample's language for its class when it sets the view's
# limit: in the class's samples of the other folds ("folds", before 2026-12-06), or in all of
# them ("samples": the languages the trained view speaks on).
LanguageCountOver = Literal["folds", "samples"]
LANGUAGE_COUNTS_OVER: tuple[str, ...] = get_args(LanguageCountOver)
# The n-grams the view reads: character 3-5-grams within words of the first 20,000 characters
# (2-4-grams, the classifier's own char block, caught 0.823 against 0.866 on seeds 0-1).
NGRAMS = TfidfConfig(analyzer="char_wb", ngram_range=(3, 5), max_chars=20_000)
# The language is told from the document's start, as the bench measured it.
LANGUAGE_CHARS = 3_000


def wording_counts(texts: Sequence[str]) -> list[Counter[str]]:
    """Each text's n-gram counts, as the view reads them."""
    return count_terms(texts, NGRAMS)


def languages_of(texts: Sequence[str]) -> list[str | None]:
    """Each text's language (one of the 16 Latin ones), or None where it cannot be told."""
    return [detect_latin_language(text[:LANGUAGE_CHARS]) for text in texts]


@dataclass(frozen=True, eq=False)
class WordingRule:
    """The class language models as log-ratios over the background, and the view's limit.

    ``ratios[i, c]`` is log p_c(w) / p_bg(w) for ``vocabulary[i]`` less ``unseen[c]``, the score
    of an n-gram class c never used (the same whatever the n-gram), so only n-grams some class
    used are stored."""

    vocabulary: tuple[str, ...]  # sorted
    ratios: F32  # (len(vocabulary), n_classes)
    unseen: F32  # (n_classes,)
    languages: tuple[tuple[str, ...], ...]  # per class, the languages of its samples
    limit: float
    gate: WordingGate = "class"
    # The corroborated view where the class gate is silent: the languages any sample is in, the
    # limit over every held-out sample in one of them, and how far outlier exposure must lean
    # (its probability over its limit) for the view's verdict to count; 0: off (before it).
    wider_languages: tuple[str, ...] = ()
    wider_limit: float = 0.0
    lean: float = 0.0
    # The lean read instead where above 0: the nearest background document's similarity over the
    # nearest sample's of the predicted class (openset.nearest_background_lean); `lean` is then
    # outlier exposure's for a release before it, which reads that alone.
    nearest_lean: float = 0.0
    # Per class, the languages the corroborated view may speak in on it, where they are not every
    # language of `wider_languages` (those of the other classes' samples); () for every class:
    # `wider_languages` (before it; a release before it reads that).
    wider_by_class: tuple[tuple[str, ...], ...] = ()
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {term: i for i, term in enumerate(self.vocabulary)})

    def fits(self, n_classes: int) -> bool:
        """Whether the arrays are whole and match `n_classes` (checked when a model loads)."""
        return (
            isinstance(self.ratios, np.ndarray)
            and self.ratios.dtype == np.float32
            and self.ratios.shape == (len(self.vocabulary), n_classes)
            and bool(np.isfinite(self.ratios).all())
            and isinstance(self.unseen, np.ndarray)
            and self.unseen.dtype == np.float32
            and self.unseen.shape == (n_classes,)
            and bool(np.isfinite(self.unseen).all())
            and len(self._index) == len(self.vocabulary)
            and len(self.languages) == n_classes
            and bool(np.isfinite(self.limit))
            and self.gate in WORDING_GATES
            and bool(np.isfinite(self.wider_limit))
            and 0.0 <= self.lean < math.inf
            and 0.0 <= self.nearest_lean < math.inf
            and (not self.wider_by_class or len(self.wider_by_class) == n_classes)
        )

    def scores(self, counts: Sequence[Counter[str]]) -> F32:
        """Each document's llr under each class (documents x classes); 0 for an empty text."""
        out = np.zeros((len(counts), len(self.unseen)), dtype=np.float32)
        for row, doc in enumerate(counts):
            length = sum(doc.values())
            if not length:
                continue
            hits = [(self._index[t], c) for t, c in doc.items() if t in self._index]
            total = self.unseen * np.float32(length)
            if hits:
                cols = np.fromiter((i for i, _ in hits), dtype=np.int64, count=len(hits))
                weights = np.fromiter((c for _, c in hits), dtype=np.float32, count=len(hits))
                total = total + weights @ self.ratios[cols]
            out[row] = total / np.float32(length)
        return out

    def novelty(self, counts: Sequence[Counter[str]]) -> F32:
        """Minus the best class's llr: above `limit`, worded like no class."""
        return np.asarray(-self.scores(counts).max(axis=1), dtype=np.float32)

    def speaks(
        self, languages: Sequence[str | None], classes: npt.NDArray[np.integer]
    ) -> npt.NDArray[np.bool_]:
        """Whether the view decides: the document's language is one its class's samples are in
        (gate "workflow": one any class's samples are in)."""
        return gate_speaks(self.languages, languages, classes, self.gate)

    def corroborates(
        self, languages: Sequence[str | None], classes: npt.NDArray[np.integer]
    ) -> npt.NDArray[np.bool_]:
        """Where the view may speak corroborated: the class gate is silent on the document and its
        language is one some of the workflow's samples are in (`wider_by_class`: some of the other
        classes' samples; none when `lean` is 0)."""
        if self.gate != "class" or self.lean <= 0:
            return np.zeros(len(languages), dtype=bool)
        by_class = self.wider_by_class or (self.wider_languages,) * len(self.unseen)
        wider = gate_speaks(by_class, languages, classes, "class")
        return wider & ~self.speaks(languages, classes)


def gate_speaks(
    class_languages: Sequence[Sequence[str]],
    languages: Sequence[str | None],
    classes: npt.NDArray[np.integer],
    gate: WordingGate,
) -> npt.NDArray[np.bool_]:
    """Whether the view speaks on each document, of `languages`, read as `classes`, when the
    classes' samples are in `class_languages` (the training and its held-out folds share it)."""
    every = set().union(*class_languages)
    return np.array(
        [
            lang is not None and lang in (every if gate == "workflow" else class_languages[int(c)])
            for lang, c in zip(languages, classes, strict=True)
        ],
        dtype=bool,
    )
