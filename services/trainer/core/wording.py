"""Fit the unknown rule's wording view (docroute.classifier.wording): class language models of
character n-grams over a background one, and the view's conformal limit."""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import sparse

from docroute.classifier.wording import (
    NGRAMS,
    CorroborationLanguages,
    LanguageCountOver,
    WordingGate,
    WordingRule,
    gate_speaks,
    languages_of,
    wording_counts,
)
from services.trainer.core.outlier_exposure import conformal_limit
from services.trainer.core.terms import TermCounts

F64 = npt.NDArray[np.float64]


def fit_wording_rule(
    counts: Sequence[Counter[str]],
    labels: npt.NDArray[np.int64],
    n_classes: int,
    languages: Sequence[str | None],
    background: Sequence[Counter[str]],
    folds: npt.NDArray[np.int64],
    *,
    flag_share: float,
    mu: float,
    gate: WordingGate = "class",
    language_samples: int = 1,
    corroboration: float = 0.0,
    corroboration_languages: CorroborationLanguages = "workflow",
    count_over: LanguageCountOver = "folds",
) -> WordingRule:
    """The wording rule of samples with these n-gram `counts`, `labels` (0..n_classes-1) and
    `languages`, over the `background` documents' counts.

    The limit is the conformal `flag_share` quantile of the samples' held-out novelties (each
    fold scored by the models of the others: `folds` hold near-duplicates together, so a held-out
    sample is as new as a new document), taken over the held-out samples the view speaks on: those
    in a language their class's samples in the other folds are written in (`gate` "workflow": any
    sample in the other folds). Under the class gate a language counts for a class when at least
    `language_samples` of its samples are in it; the workflow gate reads every language any
    sample is in (with two, it caught 0.868 of left-out kinds on seeds 0-1 instead of 0.931: a
    language few samples are in is what it is there to judge).

    Under the class gate with `corroboration` > 0 the rule also holds the corroborated view:
    every language any sample is in, and its own limit, the same quantile over the held-out
    samples in a language some sample of the other folds is in (the workflow gate's limit);
    `corroboration_languages` "other": per class, the languages of the other classes' samples,
    the limit over the held-out samples in a language some other class's samples of the other
    folds are in. `count_over` "samples": a held-out sample counts towards the class gate's limit
    where its class's samples, all of them, hold its language `language_samples` times (the
    languages the trained view speaks on), not its class's samples in the other folds ("folds").
    """
    minimum = language_samples if gate == "class" else 1
    vocabulary = sorted(set().union(*counts, *background))
    index = {term: i for i, term in enumerate(vocabulary)}
    x = _rows(counts, index)
    bg = np.asarray(_rows(background, index).sum(axis=0)).ravel()
    lengths = np.maximum(np.asarray(x.sum(axis=1)).ravel(), 1.0)
    langs = np.array(languages, dtype=object)
    held = np.zeros(len(labels))
    speaks = np.zeros(len(labels), dtype=bool)
    wider = np.zeros(len(labels), dtype=bool)
    trained = class_languages(langs, labels, n_classes, minimum)
    for fold in np.unique(folds):
        test = folds == fold
        ratios, unseen = class_ratios(x[~test], labels[~test], n_classes, bg, mu)
        llr = np.asarray(x[test] @ ratios) / lengths[test, None] + unseen
        held[test] = -llr.max(axis=1)
        known = (
            trained
            if count_over == "samples" and gate == "class"
            else class_languages(langs[~test], labels[~test], n_classes, minimum)
        )
        speaks[test] = gate_speaks(known, list(langs[test]), labels[test], gate)
        every = class_languages(langs[~test], labels[~test], n_classes, 1)
        if corroboration_languages == "other":
            wider[test] = gate_speaks(others_languages(every), list(langs[test]), labels[test], "class")
        else:
            wider[test] = gate_speaks(every, list(langs[test]), labels[test], "workflow")
    limit = conformal_limit(held[speaks] if speaks.any() else held, flag_share)
    corroborated = gate == "class" and corroboration > 0
    wider_limit = conformal_limit(held[wider] if wider.any() else held, flag_share) if corroborated else 0.0
    ratios, unseen = class_ratios(x, labels, n_classes, bg, mu)
    # An n-gram no class used scores each class's unseen cost, which `unseen` already holds.
    used = np.flatnonzero(np.abs(ratios).max(axis=1) > 0)
    by_class = corroborated and corroboration_languages == "other"
    return WordingRule(
        vocabulary=tuple(vocabulary[i] for i in used),
        ratios=np.asarray(ratios[used], dtype=np.float32),
        unseen=np.asarray(unseen, dtype=np.float32),
        languages=trained,
        limit=float(limit),
        gate=gate,
        wider_languages=tuple(sorted({str(v) for v in langs if v is not None})) if corroborated else (),
        wider_limit=float(wider_limit),
        lean=corroboration if corroborated else 0.0,
        wider_by_class=others_languages(class_languages(langs, labels, n_classes, 1)) if by_class else (),
    )


class WordingSamples:
    """What the wording view reads of each sample (its n-gram counts and its language), taken
    once as the sample arrives and reused by every training (as `TermCounts` for the TF-IDF)."""

    def __init__(self) -> None:
        self._terms = TermCounts(NGRAMS)
        self._languages: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def add(self, texts: Sequence[str]) -> None:
        """Count and tell the language of the texts not seen yet."""
        self._terms.add(texts)
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._languages]
        found = languages_of(missing)
        with self._lock:
            self._languages.update(zip(missing, found, strict=True))

    def counts(self, texts: Sequence[str]) -> list[Counter[str]]:
        return self._terms.counts(texts)

    def languages(self, texts: Sequence[str]) -> list[str | None]:
        self.add(texts)
        with self._lock:
            return [self._languages[t] for t in texts]

    def forget(self, text: str) -> None:
        self._terms.forget(text)
        with self._lock:
            self._languages.pop(text, None)


@functools.lru_cache(maxsize=2)
def background_counts(texts: tuple[str, ...]) -> tuple[Counter[str], ...]:
    """The shipped background documents' n-gram counts, counted once per process."""
    return tuple(wording_counts(texts))


def _rows(counts: Sequence[Counter[str]], index: dict[str, int]) -> sparse.csr_array:
    indptr: list[int] = [0]
    cols: list[int] = []
    values: list[int] = []
    for doc in counts:
        cols.extend(index[t] for t in doc)
        values.extend(doc.values())
        indptr.append(len(cols))
    return sparse.csr_array(
        (
            np.array(values, dtype=np.float64),
            np.array(cols, dtype=np.int64),
            np.array(indptr, dtype=np.int64),
        ),
        shape=(len(counts), len(index)),
    )


def class_ratios(
    x: sparse.csr_array, labels: npt.NDArray[np.int64], n_classes: int, bg: F64, mu: float
) -> tuple[F64, F64]:
    """log p_c(w) / p_bg(w) less each class's unseen cost (vocabulary x classes), and that cost.

    The background model pools the background documents and the samples, add-one smoothed over
    the n-grams they hold plus one for any other; a class's model is Dirichlet-smoothed towards it
    with `mu` n-grams, so an n-gram the class never used costs log(mu / (N_c + mu)) whatever it is.
    """
    pooled = np.asarray(x.sum(axis=0)).ravel() + bg
    p_bg = (pooled + 1.0) / (pooled.sum() + np.count_nonzero(pooled) + 1.0)
    ratios = np.zeros((len(pooled), n_classes))
    unseen = np.zeros(n_classes)
    for c in range(n_classes):
        n_c = np.asarray(x[labels == c].sum(axis=0)).ravel()
        total = n_c.sum()
        unseen[c] = np.log(mu / (total + mu))
        ratios[:, c] = np.log((n_c + mu * p_bg) / ((total + mu) * p_bg)) - unseen[c]
        # Exactly 0 where the class never used the n-gram (the log is unseen[c] up to rounding).
        ratios[n_c == 0, c] = 0.0
    return ratios, unseen


def others_languages(class_languages: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], ...]:
    """Per class, the languages the other classes' samples are in (of `class_languages`)."""
    return tuple(
        tuple(sorted({lang for d, langs in enumerate(class_languages) if d != c for lang in langs}))
        for c in range(len(class_languages))
    )


def class_languages(
    langs: npt.NDArray[np.object_], labels: npt.NDArray[np.int64], n_classes: int, minimum: int
) -> tuple[tuple[str, ...], ...]:
    """Per class, the languages at least `minimum` of its samples are in."""
    out = []
    for c in range(n_classes):
        found = Counter(str(v) for v in langs[labels == c] if v is not None)
        out.append(tuple(sorted(code for code, k in found.items() if k >= minimum)))
    return tuple(out)
