"""Learning where documents begin from a workflow's labelled samples (`splitting: auto`).

Every labelled multi-page sample shows which of its pages starts it and which continue it; two
samples put one after the other show a boundary (of the same class or of another). Stacks are
composed from the samples, and every figure and every input of the combiner is out-of-fold: the
page models that score a stack's pages and the combiner that decides its boundaries never saw
the stack's samples. The published model is refitted on every sample.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from docroute.classifier.boundary import BoundaryModel
from docroute.classifier.boundary_cues import (
    HEAD_CHARS,
    PAGE_TFIDF,
    PageModels,
    cue_directions,
    pair_features,
    weighed_cues,
)
from docroute.classifier.division import (
    LongParts,
    length_shares,
    length_survival,
    segment,
    short_part_penalties,
    text_amount,
)
from docroute.classifier.page_cues import FORM, has_text, page_form
from services.trainer.core.combiner import fit_combiner
from services.trainer.core.rowspace import fit_logistic_each
from services.trainer.core.terms import TermCounts

F64 = npt.NDArray[np.float64]
# Pages of a sample read for boundaries: the first ones show how it begins and continues. 8 left
# a long document's later pages (appendices, references) unseen, and they were split off: on
# stacks of 1-30 page documents 16 took exact splits 0.42 -> 0.51 (30: 0.48; 2 seeds x 100).
MAX_PAGES_PER_SAMPLE = 16
MAX_FOLDS = 5
# Stacks of 2-5 samples; every sample is composed into this many stacks (different orders).
STACK_SIZES = (2, 5)
COMPOSITIONS = 3


@dataclass(frozen=True)
class BoundaryReport:
    """Out-of-fold figures on stacks composed of the samples."""

    precision: float | None
    recall: float | None
    exact: float  # share of composed stacks split exactly
    stacks: int
    boundaries: int
    continuations: int  # pages inside a sample after its first, the cases a split must not cut

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "exact": self.exact,
            "stacks": self.stacks,
            "boundaries": self.boundaries,
            "continuations": self.continuations,
        }


def train_boundary_model(
    pages: Sequence[Sequence[str]],
    labels: Sequence[str],
    *,
    seed: int = 0,
    counts: PageCounts | None = None,
    lengths: Sequence[int] | None = None,
) -> tuple[BoundaryModel, BoundaryReport] | None:
    """The boundary model of samples given as their pages' texts, and its out-of-fold report;
    None when the samples cannot teach one (fewer than two samples with two pages of text, or
    fewer than four samples). `counts`: the pages' term counts kept from their arrival;
    `lengths`: each sample's whole length in pages with text where `pages` holds only its first
    pages (else counted in `pages`)."""
    # Small matrices: extra BLAS threads only spin (on 2 busy cores they made this 3.5x the CPU).
    with threadpool_limits(limits=1, user_api="blas"):
        whole = lengths if lengths is not None else [sum(map(has_text, p)) for p in pages]
        return _train_boundary_model(pages, labels, seed, counts or PageCounts(), whole)


def _train_boundary_model(
    pages: Sequence[Sequence[str]],
    labels: Sequence[str],
    seed: int,
    counts: PageCounts,
    whole_lengths: Sequence[int],
) -> tuple[BoundaryModel, BoundaryReport] | None:
    samples = [[t for t in p[:MAX_PAGES_PER_SAMPLE] if has_text(t)] for p in pages]
    keep = [i for i, p in enumerate(samples) if p]
    samples, labels = [samples[i] for i in keep], [labels[i] for i in keep]
    # Whole lengths (pages with text), of which a sample teaches only its first pages.
    whole = [whole_lengths[i] for i in keep]
    if len(samples) < 4 or sum(len(p) > 1 for p in samples) < 2:
        return None
    folds = _folds(labels, min(MAX_FOLDS, len(samples) // 2), seed)
    rng = random.Random(seed)
    stacks: list[tuple[int, list[int]]] = []  # (fold, sample indexes in stack order)
    for fold in range(max(folds) + 1):
        members = [i for i, f in enumerate(folds) if f == fold]
        for _ in range(COMPOSITIONS):
            stacks += [(fold, s) for s in _compose(members, rng)]
    features: list[F64] = []
    truth: list[npt.NDArray[np.bool_]] = []
    penalties: list[dict[tuple[int, int], float]] = []
    long_parts: list[LongParts] = []
    for fold in range(max(folds) + 1):
        train = [i for i, f in enumerate(folds) if f != fold]
        page_models = fit_page_models([samples[i] for i in train], [labels[i] for i in train], counts)
        page_rows = counts.row_maker(page_models.tfidf)
        lengths, shortest = _part_priors([samples[i] for i in train], [labels[i] for i in train], page_models)
        survival = length_survival([whole[i] for i in train], [labels[i] for i in train], page_models.labels)
        for _, stack in (s for s in stacks if s[0] == fold):
            texts, starts = _stack_pages(samples, stack)
            # The rows `PageModels.rows` gives, from the pages' counts: no page is analysed again.
            heads = [t[:HEAD_CHARS] for t in texts]
            rows = sparse.hstack([page_rows(texts), page_rows(heads)], format="csr").toarray()
            states = page_models.state_probabilities(rows)
            classes = page_models.page_classes(rows, states)
            cues = pair_features(page_models, texts, rows, states, classes, counts.forms(texts))
            features.append(weighed_cues(cues))
            truth.append(starts[1:])
            amounts = [text_amount(t) for t in texts]
            penalties.append(short_part_penalties(classes, [True] * len(texts), lengths, amounts, shortest))
            long_parts.append(LongParts(classes, [True] * len(texts), survival))
    directions = cue_directions(len(set(labels)))
    # Out-of-fold decisions: each fold's stacks by a combiner fitted on the other folds' stacks,
    # divided as the model divides a stack (`segment`).
    found: list[npt.NDArray[np.bool_]] = []
    for fold in range(max(folds) + 1):
        mine = [n for n, (f, _) in enumerate(stacks) if f == fold]
        others = [n for n, (f, _) in enumerate(stacks) if f != fold]
        combiner = fit_combiner(
            np.vstack([features[n] for n in others]),
            np.concatenate([truth[n] for n in others]),
            seed,
            directions,
        )
        for n in mine:
            gains, text = combiner.logits(features[n]), [True] * (len(truth[n]) + 1)
            begun = segment(gains, text, penalties[n], long_parts[n])
            found.append(np.isin(np.arange(1, len(truth[n]) + 1), begun))
    order = [n for fold in range(max(folds) + 1) for n, (f, _) in enumerate(stacks) if f == fold]
    report = _report([truth[n] for n in order], found)
    combiner = fit_combiner(np.vstack(features), np.concatenate(truth), seed, directions)
    pages_model = fit_page_models(samples, labels, counts)
    lengths, shortest = _part_priors(samples, labels, pages_model)
    model = BoundaryModel(
        pages=pages_model,
        weights=combiner.weights,
        bias=combiner.bias,
        lengths=lengths,
        shortest=shortest,
        survival=length_survival(whole, labels, pages_model.labels),
        trees=combiner.trees,
    )
    return model, report


def _part_priors(
    samples: Sequence[Sequence[str]], labels: Sequence[str], pages: PageModels
) -> tuple[F64, float]:
    """What the division holds a short part against (`short_part_penalties`): the share of each
    class's samples by length, and the text of the shortest sample (all its pages read)."""
    lengths = length_shares([len(sample) for sample in samples], labels, pages.labels)
    shortest = min(sum(text_amount(page) for page in sample) for sample in samples)
    return lengths, float(shortest)


def fit_page_models(
    samples: Sequence[Sequence[str]], labels: Sequence[str], counts: PageCounts | None = None
) -> PageModels:
    """Vocabulary, page-state classifier (a page's state: its sample's label, and whether it is
    the sample's first page) and page classifier (its sample's label), fitted on the samples'
    pages. `counts` keeps each page's terms across the fits of one training (every fold reads
    the same pages)."""
    counts = counts or PageCounts()
    texts = [t for pages in samples for t in pages]
    classes = tuple(sorted(set(labels)))
    page_states = [
        (classes.index(label), n == 0)
        for pages, label in zip(samples, labels, strict=True)
        for n in range(len(pages))
    ]
    states = sorted(set(page_states))
    heads = [t[:HEAD_CHARS] for t in texts]
    tfidf = counts.fit(texts + heads)
    state_class = np.array([c for c, _ in states], dtype=np.int64)
    state_first = np.array([f for _, f in states], dtype=bool)
    width = 2 * tfidf.size
    form_coef, form_intercept = _fit_form(counts.forms(texts), page_states)
    if len(states) == 1:
        return PageModels(
            classes,
            tfidf,
            np.zeros((1, width)),
            np.zeros(1),
            state_class,
            state_first,
            form_coef,
            form_intercept,
        )

    # The rows `PageModels.rows` gives, kept sparse: a page holds a few hundred of the
    # vocabulary's terms, and dense rows made this fit most of a training's time.
    rows = sparse.hstack([counts.rows(texts, tfidf), counts.rows(heads, tfidf)], format="csr")
    targets = [np.array([states.index(s) for s in page_states])]
    if len(classes) > 1:
        targets.append(np.array([c for c, _ in page_states]))
    (coef, intercept), *by_class = _fit_softmax(rows, targets)
    class_coef, class_intercept = by_class[0] if by_class else (None, None)
    return PageModels(
        classes,
        tfidf,
        np.asarray(coef, dtype=np.float64),
        np.asarray(intercept, dtype=np.float64),
        state_class,
        state_first,
        form_coef,
        form_intercept,
        class_coef,
        class_intercept,
    )


def _fit_softmax(rows: sparse.csr_matrix, targets: Sequence[npt.NDArray[np.int64]]) -> list[tuple[F64, F64]]:
    """For each of ``targets`` (labels of the pages, two or more), a linear classifier of the
    pages' rows into them, one row of weights per label; a few thousand pages against twice the
    vocabulary's columns: fitted in the pages' span, found once for all."""
    out = []
    for coef, intercept in fit_logistic_each(rows, targets, c=10.0, max_iter=2000, class_weight="balanced"):
        if coef.shape[0] == 1:  # sklearn keeps one row for two classes; +-z/2 gives the softmax
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        out.append((np.asarray(coef, dtype=np.float64), np.asarray(intercept, dtype=np.float64)))
    return out


def _fit_form(forms: F64, page_states: Sequence[tuple[int, bool]]) -> tuple[F64, float]:
    """The first-page detector on pages' form (`page_form`): few inputs, strongly regularised,
    every class at once (a first page's form is much the same across kinds). `page_states`: each
    page's class and whether it is its sample's first page. First and later pages weigh half each,
    and on each side every class alike however many pages it has: weighed by the page, a paper's
    many later pages (long lines of sentences) taught it that short lines and amounts make a first
    page, and an invoice's page 2 of line items read as one (bench/splitting.py seed 39: 163 of
    171 wrong gaps a split inside an invoice)."""
    first = np.array([f for _, f in page_states], dtype=bool)
    if first.all() or not first.any():
        return np.zeros(len(FORM)), 0.0
    groups = Counter(page_states)
    classes_on = {side: len({c for c, f in groups if f == side}) for side in (True, False)}
    weights = np.array([len(first) / (2 * classes_on[f] * groups[(c, f)]) for c, f in page_states])
    lr = _lr(C=1.0).fit(forms, first, sample_weight=weights)
    return np.asarray(lr.coef_[0], dtype=np.float64), float(lr.intercept_[0])


class PageCounts(TermCounts):
    """Each page's term counts, its whole text and its head, counted once: the folds of a
    training read the same pages, and the trainer keeps one across trainings (pages counted at
    arrival)."""

    def __init__(self) -> None:
        super().__init__(PAGE_TFIDF)
        self._forms: dict[str, F64] = {}

    def forms(self, texts: Sequence[str]) -> F64:
        """The pages' `page_form` rows, each page's read once (a training reads a page in every
        fold and in several composed stacks: 13 % of its CPU before)."""
        rows = []
        for text in texts:
            form = self._forms.get(text)
            if form is None:
                form = self._forms[text] = page_form(text)
            rows.append(form)
        return np.vstack(rows) if rows else np.zeros((0, len(FORM)))

    def add(self, texts: Sequence[str]) -> None:
        super().add([*texts, *(t[:HEAD_CHARS] for t in texts)])

    def forget_pages(self, texts: Sequence[str]) -> None:
        for text in texts:
            self.forget(text)
            self.forget(text[:HEAD_CHARS])
            self._forms.pop(text, None)


def _lr(**kwargs: object) -> LogisticRegression:
    return LogisticRegression(max_iter=2000, **kwargs)


def _folds(labels: Sequence[str], n_folds: int, seed: int) -> list[int]:
    """A fold per sample, each class dealt round-robin over the folds."""
    rng = random.Random(seed)
    folds = [0] * len(labels)
    dealt = 0
    for label in sorted(set(labels)):
        members = [i for i, x in enumerate(labels) if x == label]
        rng.shuffle(members)
        for i in members:
            folds[i] = dealt % n_folds
            dealt += 1
    return folds


def _compose(members: list[int], rng: random.Random) -> list[list[int]]:
    """The members shuffled and cut into stacks of STACK_SIZES samples (a last single one joins
    the stack before it)."""
    order = members[:]
    rng.shuffle(order)
    stacks: list[list[int]] = []
    while order:
        size = rng.randint(*STACK_SIZES)
        stacks.append(order[:size])
        order = order[size:]
    if len(stacks) > 1 and len(stacks[-1]) == 1:
        last = stacks.pop()
        stacks[-1] += last
    return [s for s in stacks if len(s) >= 2]


def _stack_pages(
    samples: Sequence[Sequence[str]], stack: Sequence[int]
) -> tuple[list[str], npt.NDArray[np.bool_]]:
    """The pages of a composed stack and whether each begins a document."""
    texts = [t for i in stack for t in samples[i]]
    starts = np.array([n == 0 for i in stack for n in range(len(samples[i]))])
    return texts, starts


def _report(truth: Sequence[npt.NDArray[np.bool_]], found: Sequence[npt.NDArray[np.bool_]]) -> BoundaryReport:
    tp = sum(int((t & f).sum()) for t, f in zip(truth, found, strict=True))
    fp = sum(int((~t & f).sum()) for t, f in zip(truth, found, strict=True))
    fn = sum(int((t & ~f).sum()) for t, f in zip(truth, found, strict=True))
    exact = sum(bool((t == f).all()) for t, f in zip(truth, found, strict=True))
    return BoundaryReport(
        precision=round(tp / (tp + fp), 4) if tp + fp else None,
        recall=round(tp / (tp + fn), 4) if tp + fn else None,
        exact=round(exact / len(truth), 4) if truth else 0.0,
        stacks=len(truth),
        boundaries=tp + fn,
        continuations=sum(int((~t).sum()) for t in truth),
    )
