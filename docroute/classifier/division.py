"""How a stack is divided once the boundary model has scored its gaps: what each part costs (a
part of one or two pages that the samples of its class seldom are, one holding less text than
any sample, one longer than most of them), the division that scores best, and how likely each of
its parts is over all the divisions (the boundary confidence OCR puts on a part), held in doubt
where a part begins or ends at a gap the samples could not teach (`held_in_doubt`). Pure numpy;
`docroute.classifier.boundary` scores the gaps and calls this."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from docroute.classifier.page_cues import pages_before

F64 = npt.NDArray[np.float64]

# Parts this short (pages with text) are weighed against how often the workflow's samples of
# their class are that short (`short_part_penalties`).
SHORT_PARTS = 2
# A part of 1 or 2 pages is held unlikely when fewer than this share of the samples of its class
# are that long, and then costs SHORT_WEIGHT x the log of how much fewer, in log-odds of the
# gaps around it. A gap-by-gap decision cannot see that splitting a paper at its title page
# leaves its cover alone, or at its last page leaves a page of references: the parts it makes
# are shorter than any paper the samples hold. Set on the bench's stacks (bench/splitting.py,
# 1-30 pages, seeds 1-3; bench/README.md): 0.63 -> 0.70 exact there, 0.69 -> 0.73 at 1-10
# pages, 0.59 -> 0.66 on seeds 4-6 (1-30); a share of 0.15 or 0.2 penalised one-page invoices
# where a draw's samples were mostly two pages long.
SHORT_FLOOR = 0.1
SHORT_WEIGHT = 4.0
# Such a part holding less text than the shortest sample (all its pages, any class) costs this x
# the log of how much less: a page of three total lines (a ZUGFeRD invoice's last) is no
# document of its own, and one-page invoices are common, so its length alone does not hold it.
# Set on the bench's stacks as SHORT_WEIGHT was, after it (weights 0.5-3 tried): 1-30 pages
# 0.70 -> 0.73 (seeds 1-3), 0.66 -> 0.67 (seeds 4-6), 1-10 pages 0.73 -> 0.77.
THIN_WEIGHT = 2.0


def text_amount(text: str) -> int:
    """How much text a page holds, as the shortest-sample rule counts it (characters, trimmed)."""
    return len(text.strip())


def length_shares(lengths: Sequence[int], labels: Sequence[str], classes: Sequence[str]) -> F64:
    """For each class (rows, in `classes` order), the share of its samples with 1, ..., SHORT_PARTS
    pages of text, then with more (columns), add-one smoothed: a class whose few samples are all
    long still allows a short one. A length between two that the samples hold is taken to be no
    rarer than the rarer of them (shorter ones, longer ones): nineteen one-page invoices and two of
    three pages say two-page invoices exist, where none among the samples read as 1 in 24 and cut
    every two-page invoice in two (bench/splitting.py seed 39: 67 wrong gaps of 79)."""
    counts = np.ones((len(classes), SHORT_PARTS + 1), dtype=np.float64)
    for length, label in zip(lengths, labels, strict=True):
        counts[list(classes).index(label), min(max(length, 1), SHORT_PARTS + 1) - 1] += 1
    held = counts / counts.sum(axis=1, keepdims=True)
    # Each floor read off the samples' own shares, not off a column floored before it.
    shares = held.copy()
    for column in range(1, SHORT_PARTS):
        between = np.minimum(held[:, :column].sum(axis=1), held[:, column + 1 :].sum(axis=1))
        shares[:, column] = np.maximum(held[:, column], between)
    return np.asarray(shares, dtype=np.float64)


# A lone blank page in a stack split at blank sheets is taken for a sheet unless the page before
# it, a part of its own, would cost a division more than this (`short_part_penalties`, in
# log-odds): a report's cover and its empty back, scanned on one side, look like a sheet after a
# one-page document (bench/splitting.py `--covers`). The cost has to outweigh the odds that a
# blank page in such a stack is a sheet (here 20:1): a missed sheet joins two documents, worse
# than a report cut after its cover. Set on seeds 1-4 of that bench's draws (bench/README.md):
# covers cost -0.5 to -7.7 there, one-page documents down to -2.85 (an unseen vendor's invoice
# read as a paper), and -2 joined such invoices to the next document on seed 5.
COVER_COST = float(np.log(20.0))
# A page that alone costs less than that, but more than half as much, is a cover still where the
# boundary model holds that the page after the sheet goes on from it at the other half's odds
# (sqrt(20):1, COVER_GOES_ON): a report's title page repeats its cover's title. Each cue carries
# half the sheet's weight, neither alone: on a draw of that bench the model held an invoice after
# a sheet going on from the one-page invoice before it at 900:1 (that page's cost -0.15). Read on
# seeds 1-4, 7 and 8 of its draws (bench/README.md): the covers it keeps cost -1.8 to -3 with the
# page after going on at 0.94-1.00; the one sheet after a page of such a cost, -2.85, went on at 0.
# Held out, seeds 9-10: 0.90 -> 0.95 and 0.97 -> 0.97 of stacks split exactly.
COVER_HALF_COST = COVER_COST / 2
COVER_GOES_ON = float(1.0 / (1.0 + np.exp(-COVER_HALF_COST)))


def short_part_penalties(
    classes: F64,
    has_page_text: Sequence[bool],
    shares: F64,
    amounts: Sequence[int] | None = None,
    shortest: float | None = None,
) -> dict[tuple[int, int], float]:
    """For each part [first, end) of at most SHORT_PARTS pages with text: what the decoding takes
    off for it (0 or less). Its length's share among the samples, mixed over the part's classes
    (the mean class probability of its pages: a page's class alone is often wrong on a document
    no sample resembles, and a one-page invoice read as half paper must not count as a short
    paper), below SHORT_FLOOR costs SHORT_WEIGHT x log(share / SHORT_FLOOR); with the pages'
    `amounts` of text (`text_amount`), less text than the `shortest` sample's costs THIN_WEIGHT
    x log(amount / shortest)."""
    out: dict[tuple[int, int], float] = {}
    pages = len(has_page_text)
    for first in range(pages):
        total, length, amount = np.zeros(classes.shape[1]), 0, 0
        for end in range(first + 1, pages + 1):
            if has_page_text[end - 1]:
                total, length = total + classes[end - 1], length + 1
                amount += amounts[end - 1] if amounts is not None else 0
            if length > SHORT_PARTS:
                break
            if length:
                share = float(total / length @ shares[:, length - 1])
                cost = SHORT_WEIGHT * min(0.0, float(np.log(max(share, 1e-9) / SHORT_FLOOR)))
                if amounts is not None and shortest and amount < shortest:
                    cost += THIN_WEIGHT * float(np.log(max(amount, 1) / shortest))
                out[(first, end)] = cost
    return out


# A part of more pages than all but this share of its class's samples is held unlikely, and then
# costs LONG_WEIGHT x the log of how much fewer are that long: two papers joined at a title page
# the cues read weakly make one part as long as few papers are, and the division then begins a
# document at the likeliest page inside it. Set on the bench's eighteen draws (bench/splitting.py,
# whole documents of 1-30 pages): weights 1 / 4 / 6 / 8 gave 0.810 / 0.818 / 0.821 / 0.821 exact
# against 0.803 (floor 0.2: 0.816 at weight 2, 0.818 at 4 with two draws lower); 4, no draw
# lower, then took the twelve draws nobody had looked at from 0.718 to 0.735, no draw lower.
LONG_FLOOR = 0.1
LONG_WEIGHT = 4.0


def length_survival(lengths: Sequence[int], labels: Sequence[str], classes: Sequence[str]) -> F64:
    """For each class (rows, in `classes` order), the share of its samples with at least 1, 2, ...,
    longest + 1 pages of text (columns), add-one smoothed (a length no sample reaches keeps
    1 / (samples + 2)); a longer part reads the last column."""
    longest = max([*lengths, 1])
    survival = np.ones((len(classes), longest + 1), dtype=np.float64)
    totals = np.full(len(classes), 2.0)
    for length, label in zip(lengths, labels, strict=True):
        row = list(classes).index(label)
        survival[row, : max(length, 1)] += 1
        totals[row] += 1
    return np.asarray(survival / totals[:, None], dtype=np.float64)


# A class needs this many samples of several pages for the boundary model to learn where its
# documents go on (services/trainer/core/advice.py advises it): over thirty draws of about 20
# samples a kind (bench/README.md, "... where `auto` fails: samples of one page") the share of
# stacks split exactly followed the number of the invoices' samples with more than one page
# (correlation 0.70): the 7 draws with fewer than 10 split 0.71, the other 23 0.85.
MULTI_PAGE_SAMPLES = 10


def multi_page_samples(survival: F64) -> npt.NDArray[np.int64]:
    """How many samples of each class had two pages of text or more, read back off its
    `length_survival` row: the first column is (samples + 1) / (samples + 2), the second
    (samples of two pages or more + 1) / (samples + 2)."""
    samples = (2.0 * survival[:, 0] - 1.0) / np.maximum(1.0 - survival[:, 0], 1e-12)
    return np.asarray(np.rint(survival[:, 1] * (samples + 2.0) - 1.0), dtype=np.int64)


# A part the division begins or ends at a gap the samples could not teach is held in doubt: its
# confidence is at most DOUBTED (even odds), below the default threshold 0.8 (a workflow that
# routes parts at even odds still routes it), so it goes to review with its stack. Such a gap
# lies between two pages of one class (UNLEARNT_SHARE: the chance that both are of it) whose
# samples had some documents of several pages, too few to learn where one goes on
# (MULTI_PAGE_SAMPLES), and nothing printed settles it (page numbers, a new document number: the
# caller leaves those out). A class of one-page samples alone is taken at its word (held too, it
# changed nothing on the bench's forty-two draws). On the draw whose invoices were 19 samples of
# one page and 2 of three (bench/splitting.py seed 39) the model cut ZUGFeRD invoices at every
# page, its parts at 0.95-0.99 confidence right a third of the time; held so, 0.37 -> 0.93 of its
# stacks had no wrong part routed at 0.8, and over twelve draws 0.054 -> 0.027 of routed parts
# were wrong, 0.10 -> 0.13 held (bench/README.md).
DOUBTED = 0.5
UNLEARNT_SHARE = 0.5


def unlearnt_gaps(classes: F64, with_text: Sequence[bool], survival: F64) -> npt.NDArray[np.bool_]:
    """For each page but the first: whether it and the page with text before it are likely both
    of one class with some samples of several pages but fewer than MULTI_PAGE_SAMPLES
    (`multi_page_samples` of `survival`); `classes`: the pages' class probabilities. False for a
    page without text, which never begins a part."""
    counts = multi_page_samples(survival)
    few = (counts >= 1) & (counts < MULTI_PAGE_SAMPLES)
    if len(with_text) < 2:
        return np.zeros(0, dtype=bool)
    both = (classes[pages_before(with_text)] * classes[1:])[:, few].sum(axis=1)
    # mypy reads numpy's `&` as Any; the outer asarray types it.
    return np.asarray(np.asarray(with_text[1:], dtype=bool) & (both >= UNLEARNT_SHARE), dtype=bool)


def held_in_doubt(
    confidences: Sequence[float], starts: Sequence[int], doubted: npt.NDArray[np.bool_]
) -> list[float]:
    """The parts' confidences (parts beginning at `starts`, page 0 first), each at most DOUBTED
    where the part begins or ends at a `doubted` gap (one per page but the first)."""
    pages = len(doubted) + 1
    ends = [*starts[1:], pages]
    return [
        min(confidence, DOUBTED)
        if (first > 0 and doubted[first - 1]) or (end < pages and doubted[end - 1])
        else confidence
        for confidence, first, end in zip(confidences, starts, ends, strict=True)
    ]


@dataclass(frozen=True)
class LongParts:
    """What a division takes off a part of more than SHORT_PARTS pages with text that is longer
    than most samples of its class: its length's share (`length_survival`), mixed over the mean
    class probability of its pages, below LONG_FLOOR costs LONG_WEIGHT x log(share / LONG_FLOOR)."""

    classes: F64  # (pages, classes): each page's class probabilities
    has_page_text: Sequence[bool]
    survival: F64

    @functools.cached_property
    def _sums(self) -> tuple[npt.NDArray[np.int64], F64]:
        """Pages with text before each page, and their class probabilities summed."""
        text = np.asarray(self.has_page_text, dtype=bool)
        counted = np.concatenate([[0], np.cumsum(text)])
        summed = np.vstack([np.zeros(self.classes.shape[1]), np.cumsum(self.classes * text[:, None], axis=0)])
        return counted, summed

    def costs(self, end: int) -> F64:
        """For each first page 0..end-1, the cost (0 or less) of a part [first, end)."""
        counted, summed = self._sums
        lengths = counted[end] - counted[:end]
        mix = (summed[end] - summed[:end]) / np.maximum(lengths, 1)[:, None]
        columns = self.survival[:, np.clip(lengths, 1, self.survival.shape[1]) - 1].T
        share = np.maximum((mix * columns).sum(axis=1), 1e-9)
        cost = LONG_WEIGHT * np.minimum(0.0, np.log(share / LONG_FLOOR))
        return np.asarray(np.where(lengths > SHORT_PARTS, cost, 0.0), dtype=np.float64)


def segment(
    gains: F64,
    has_page_text: Sequence[bool],
    penalties: Mapping[tuple[int, int], float],
    long_parts: LongParts | None = None,
) -> list[int]:
    """The pages that begin a part (page 0 and others) in the division of a stack that scores
    best: the sum of the start log-odds (`gains`, one per page but the first, against the
    threshold) of the pages it begins a part at, plus each part's cost (`part_costs`: the short
    parts' `penalties`, with `long_parts` the longer ones' too). A page without text begins
    none. With no costs this is every page with text whose gain is positive, the decision gap
    by gap; a cost weighs a whole part, which no gap sees."""
    return best_division(
        start_gains(gains, has_page_text), part_costs(len(has_page_text), penalties, long_parts)
    )


def start_gains(gains: F64, has_page_text: Sequence[bool]) -> F64:
    """What beginning a part at each page adds to a division's score: 0 at page 0 (every division
    begins one there), `gains` at a later page with text, -inf at a page without (it begins none)."""
    text = np.asarray(has_page_text, dtype=bool)
    if not len(text):
        return np.zeros(0)
    return np.concatenate([[0.0], np.where(text[1:], gains, -np.inf)])


def best_division(gain: F64, cost: F64) -> list[int]:
    """The pages that begin a part in the division that scores best: the `gain` of each page it
    begins a part at plus the `cost` of each part [first, end) (`part_costs`). Dynamic
    programming over where the last part begins, O(pages^2): `part_probabilities`' forward pass
    keeping the best division where that sums over all."""
    pages = len(gain)
    best = np.full(pages + 1, -np.inf)
    best[0] = 0.0
    back = np.zeros(pages + 1, dtype=np.int64)
    for end in range(1, pages + 1):
        opened = best[:end] + gain[:end] + cost[:end, end]
        back[end] = int(np.argmax(opened))
        best[end] = opened[back[end]]
    return _starts(back)


def _starts(back: npt.NDArray[np.int64]) -> list[int]:
    """The pages that begin a part, traced back from the last page (`back[end]`: where the best
    part ending there begins)."""
    starts, end = [], len(back) - 1
    while end > 0:
        end = int(back[end])
        starts.append(end)
    return sorted(starts)


def part_costs(
    pages: int, penalties: Mapping[tuple[int, int], float], long_parts: LongParts | None = None
) -> F64:
    """What a division takes off each part [first, end) (pages x pages + 1; -inf where end <=
    first): the short parts' `penalties`, the longer ones' `long_parts` costs, 0 otherwise."""
    cost = np.where(np.arange(pages + 1)[None, :] > np.arange(pages)[:, None], 0.0, -np.inf)
    for (first, end), value in penalties.items():
        cost[first, end] += value
    if long_parts is not None:
        for end in range(1, pages + 1):
            cost[:end, end] += long_parts.costs(end)
    return np.asarray(cost, dtype=np.float64)


def part_probabilities(gain: F64, cost: F64, parts: Sequence[tuple[int, int]]) -> list[float]:
    """How likely each part [first, end) is over all the divisions of a stack, each weighed by
    the exponent of the score `segment` gives it (the `gain` of beginning a part at each page,
    0 for page 0 and -inf for a page without text, plus each part's `cost`): the weights of the
    divisions that hold the part over all their weights, by a forward and a backward pass over
    where parts begin (O(pages^2)). Without part costs it is the product of the part's gap
    probabilities (its first page begins a document, the page after its last the next one, none
    inside does); with them a part the division kept whole against one gap (a short part's cost)
    can still be likely, and one that leaves a part no sample resembles is less. On the bench's
    thirty draws (bench/splitting.py) it is better calibrated than the lowest of those gap
    probabilities (ECE 0.033 -> 0.016) and, at the default threshold, holds fewer parts for
    review (0.09 -> 0.08) while fewer wrong parts pass (0.032 -> 0.027 of those routed)."""
    pages = len(gain)
    forward = np.full(pages + 1, -np.inf)
    forward[0] = 0.0
    for end in range(1, pages + 1):
        forward[end] = _log_sum_exp(forward[:end] + gain[:end] + cost[:end, end])
    backward = np.full(pages + 1, -np.inf)
    backward[pages] = 0.0
    for first in range(pages - 1, -1, -1):
        backward[first] = _log_sum_exp(gain[first] + cost[first, first + 1 :] + backward[first + 1 :])
    total = forward[pages]
    return [
        float(np.exp(forward[first] + gain[first] + cost[first, end] + backward[end] - total))
        for first, end in parts
    ]


def _log_sum_exp(values: F64) -> float:
    top = float(np.max(values))
    return top if not np.isfinite(top) else top + float(np.log(np.exp(values - top).sum()))


@dataclass(frozen=True)
class Division:
    """A stack divided: the pages that begin a part (page 0 first), the probability that each
    page but the first begins a document, and how likely each part is (`part_probabilities`),
    the boundary confidence OCR puts on it."""

    starts: list[int]
    probabilities: F64
    confidences: list[float]
