"""Dividing a stack as a whole (issue 8, `splitting: auto`): the start log-odds of its gaps plus
what each part's length says, against how long the workflow's samples of its class are."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

import numpy as np
import pytest

from docroute.classifier.boundary import BoundaryModel
from docroute.classifier.division import (
    COVER_COST,
    SHORT_PARTS,
    LongParts,
    length_shares,
    length_survival,
    part_costs,
    part_probabilities,
    segment,
    short_part_penalties,
    text_amount,
)
from services.trainer.core.boundaries import train_boundary_model
from tests.factories.documents import pages_of


@pytest.fixture(scope="module")
def model() -> BoundaryModel:
    """Trained on one-page invoices and three-page payslips."""
    rng = random.Random(7)
    kinds = ["invoice", "payslip"] * 12
    trained = train_boundary_model([pages_of(k, 1 if k == "invoice" else 3, rng) for k in kinds], kinds)
    assert trained is not None
    return trained[0]


def test_the_samples_lengths_are_kept_per_class(model: BoundaryModel) -> None:
    assert model.lengths is not None
    invoice, payslip = (model.pages.labels.index(k) for k in ("invoice", "payslip"))
    assert model.lengths.shape == (2, SHORT_PARTS + 1)
    assert np.allclose(model.lengths.sum(axis=1), 1.0)
    # 12 one-page invoices and 12 three-page payslips, add-one smoothed.
    assert model.lengths[invoice].tolist() == pytest.approx([13 / 15, 1 / 15, 1 / 15])
    assert model.lengths[payslip].tolist() == pytest.approx([1 / 15, 1 / 15, 13 / 15])
    shares = length_shares([5, 1, 2, 2], ["a", "a", "b", "b"], ["a", "b"])
    # Class a: one sample of one page, one of five: two pages lie between them (see below).
    assert np.allclose(shares, [[2 / 5, 2 / 5, 2 / 5], [1 / 5, 3 / 5, 1 / 5]])


def test_a_length_between_two_that_the_samples_hold_is_no_rarer_than_the_rarer_of_them() -> None:
    # Nineteen one-page invoices and two of three pages, none of two; papers all long.
    lengths = [1] * 19 + [3, 3] + [9] * 20
    labels = ["invoice"] * 21 + ["paper"] * 20
    shares = length_shares(lengths, labels, ["invoice", "paper"])
    # Add-one smoothed: 20 / 24 one page, 3 / 24 longer, and two pages as often as longer ones,
    # not 1 / 24; a paper's two pages stay as rare as the samples say (1 / 23).
    assert shares[0].tolist() == pytest.approx([20 / 24, 3 / 24, 3 / 24])
    assert shares[1].tolist() == pytest.approx([1 / 23, 1 / 23, 21 / 23])
    # So a two-page invoice costs its division nothing, a two-page paper what it did.
    invoice, paper = np.array([[1.0, 0.0]] * 2), np.array([[0.0, 1.0]] * 2)
    assert short_part_penalties(invoice, [True, True], shares)[(0, 2)] == 0.0
    assert short_part_penalties(paper, [True, True], shares)[(0, 2)] < -3.0
    # Invoices all one page long say nothing of two.
    one_page = length_shares([1] * 21, ["invoice"] * 21, ["invoice"])
    assert one_page[0].tolist() == pytest.approx([22 / 24, 1 / 24, 1 / 24])


def test_a_part_shorter_than_the_samples_of_its_class_stays_with_its_document(model: BoundaryModel) -> None:
    rng = random.Random(11)
    texts = pages_of("invoice", 1, rng) + pages_of("invoice", 1, rng) + pages_of("payslip", 3, rng)
    # Every gap reads as a start more likely than not (p = 0.6), as a cover page or a page of
    # references does; the second invoice's head names another invoice number, which settles it.
    unsure = replace(model, trees=None, weights=np.zeros_like(model.weights), bias=float(np.log(1.5)))
    starts, probabilities = unsure.divide(texts)
    assert probabilities[0] > 0.999
    assert probabilities[1:].tolist() == pytest.approx([0.6] * 3)
    # One-page invoices are what the samples are; a one-page payslip part is not.
    assert starts == unsure.starts(texts) == [0, 1, 2]
    # A model stored without the samples' lengths decides gap by gap (as before), and so does a
    # start the model is sure of.
    assert replace(unsure, lengths=None).starts(texts) == [0, 1, 2, 3, 4]
    sure = replace(unsure, bias=float(np.log(99.0)))
    assert sure.starts(texts) == [0, 1, 2, 3, 4]


def test_a_part_with_less_text_than_the_shortest_sample_stays_with_its_document(model: BoundaryModel) -> None:
    rng = random.Random(13)
    # A last page of two total lines that reads as an invoice: one-page invoices are what the
    # samples are, so its length does not hold it, but no sample has so little text.
    tail = "Total due: 1,204.50 EUR\nThank you for your order"
    texts = [*pages_of("invoice", 1, rng), *pages_of("payslip", 3, rng), tail]
    assert model.shortest is not None and model.shortest > 2 * text_amount(tail)
    # Invoices one page long, payslips three: the lengths alone hold the payslip together
    # (its first page read as 6 % invoice, the samples' smoothed shares let a one-page part by).
    lengths = np.array(
        [[0.96, 0.02, 0.02] if k == "invoice" else [0.01, 0.01, 0.98] for k in model.pages.labels]
    )
    # Without the long parts' rule: the payslip and its tail are four pages, longer than every
    # payslip sample, which that rule weighs against (the test below).
    unsure = replace(
        model,
        trees=None,
        weights=np.zeros_like(model.weights),
        bias=float(np.log(1.5)),
        lengths=lengths,
        survival=None,
    )
    assert unsure.starts(texts) == [0, 1]
    assert replace(unsure, shortest=None).starts(texts) == [0, 1, 4]


def test_a_cover_alone_costs_more_than_a_blank_sheet_weighs_and_a_one_page_invoice_nothing(
    model: BoundaryModel,
) -> None:
    rng = random.Random(17)
    invoice = pages_of("invoice", 1, rng)[0]
    payslip = pages_of("payslip", 3, rng)[0]
    cover = "EARNINGS STATEMENTS 2026"
    assert model.shortest is not None and text_amount(cover) < model.shortest / 4
    # One-page invoices are what the samples are.
    assert model.alone_cost(invoice) == pytest.approx(0.0, abs=0.05)
    # A payslip's first page alone: its class is seldom one page long, but it holds as much text
    # as a sample does and reads a little like an invoice: not enough to outweigh a blank sheet.
    assert model.alone_cost(payslip) > -COVER_COST
    # A payslip's cover: a title alone, less text than any sample.
    assert model.alone_cost(cover) < -COVER_COST
    # A model stored without the samples' lengths, or a page without text, weighs nothing.
    assert replace(model, lengths=None).alone_cost(cover) == 0.0
    assert model.alone_cost("  ") == 0.0


def test_a_page_goes_on_from_the_page_of_its_document_before_it_not_from_another_document(
    model: BoundaryModel,
) -> None:
    rng = random.Random(19)
    first, second, third = pages_of("payslip", 3, rng)
    invoice = pages_of("invoice", 1, rng)[0]
    going_on = model.goes_on(first, second)
    assert going_on is not None and going_on > 0.9
    new_document = model.goes_on(third, invoice)
    assert new_document is not None and new_document < 0.1
    # The page after without text tells nothing (a blank page belongs to the page before).
    assert model.goes_on(first, " ") is None


def test_without_penalties_the_division_is_the_decision_gap_by_gap() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        pages = int(rng.integers(1, 12))
        gains = rng.normal(0, 2, pages - 1)
        text = (rng.random(pages) > 0.2).tolist()
        expected = [0] + [page for page in range(1, pages) if text[page] and gains[page - 1] > 0]
        assert segment(gains, text, {}) == expected


def test_the_division_is_the_best_of_all_divisions() -> None:
    rng = np.random.default_rng(5)
    for _ in range(150):
        pages = int(rng.integers(1, 9))
        gains = rng.normal(0.5, 2, pages - 1)
        text = (rng.random(pages) > 0.25).tolist()
        classes = rng.dirichlet(np.ones(3), pages)
        shares = rng.dirichlet(np.ones(SHORT_PARTS + 1) * 0.5, 3)
        penalties = short_part_penalties(classes, text, shares)
        assert all(value <= 0.0 for value in penalties.values())

        found = segment(gains, text, penalties)
        assert found[0] == 0 and all(text[s] for s in found[1:])
        candidates = [page for page in range(1, pages) if text[page]]
        best = max(
            _score([0, *chosen], gains, penalties, pages)
            for size in range(len(candidates) + 1)
            for chosen in itertools.combinations(candidates, size)
        )
        assert _score(found, gains, penalties, pages) == pytest.approx(best)


def _score(
    starts: list[int],
    gains: np.ndarray,
    penalties: dict[tuple[int, int], float],
    pages: int,
    long_parts: LongParts | None = None,
) -> float:
    """A division's score: its starts' gains and its parts' penalties, short and long."""
    ends = [*starts[1:], pages]
    return float(sum(gains[s - 1] for s in starts[1:])) + sum(
        penalties.get((s, e), 0.0) + (float(long_parts.costs(e)[s]) if long_parts else 0.0)
        for s, e in zip(starts, ends, strict=True)
    )


def test_the_division_is_the_best_of_all_divisions_also_weighing_long_parts() -> None:
    rng = np.random.default_rng(8)
    for _ in range(150):
        pages = int(rng.integers(1, 10))
        gains = rng.normal(-0.5, 2, pages - 1)
        text = (rng.random(pages) > 0.2).tolist()
        classes = rng.dirichlet(np.ones(3), pages)
        penalties = short_part_penalties(classes, text, rng.dirichlet(np.ones(SHORT_PARTS + 1), 3))
        lengths = rng.integers(1, 6, 12).tolist()
        survival = length_survival(lengths, [str(n % 3) for n in range(12)], ["0", "1", "2"])
        long_parts = LongParts(classes, text, survival)

        found = segment(gains, text, penalties, long_parts)
        assert found[0] == 0 and all(text[s] for s in found[1:])
        candidates = [page for page in range(1, pages) if text[page]]
        best = max(
            _score([0, *chosen], gains, penalties, pages, long_parts)
            for size in range(len(candidates) + 1)
            for chosen in itertools.combinations(candidates, size)
        )
        assert _score(found, gains, penalties, pages, long_parts) == pytest.approx(best)


def test_the_samples_whole_lengths_are_kept_per_class_as_the_share_at_least_that_long() -> None:
    survival = length_survival([1, 3, 3, 2], ["a", "a", "a", "b"], ["a", "b"])
    # Add-one smoothed over (samples + 2): a length no sample reaches keeps 1 / (samples + 2).
    assert np.allclose(survival, [[4 / 5, 3 / 5, 3 / 5, 1 / 5], [2 / 3, 2 / 3, 1 / 3, 1 / 3]])


def test_a_part_longer_than_every_sample_of_its_class_is_divided_at_its_likeliest_start() -> None:
    # Twenty papers of 8-12 pages; a stack of 20 pages of one class whose cues all say "goes on",
    # page 11 least firmly (a title page read weakly: log-odds -1).
    survival = length_survival(list(range(8, 13)) * 4, ["paper"] * 20, ["paper"])
    gains = np.full(19, -4.0)
    gains[10 - 1] = -1.0
    text = [True] * 20
    classes = np.ones((20, 1))
    assert segment(gains, text, {}) == [0]
    assert segment(gains, text, {}, LongParts(classes, text, survival)) == [0, 10]
    # Ten pages are as long as most samples: no cost, whatever the cues.
    assert LongParts(classes, text, survival).costs(10)[0] == 0.0
    # A firmer "goes on" outweighs the length (20 pages cost 4 x log((1 / 22) / 0.1) = -3.15).
    gains[10 - 1] = -3.5
    assert segment(gains, text, {}, LongParts(classes, text, survival)) == [0]


def test_the_samples_lengths_round_trip_and_a_model_stored_without_them_loads(model: BoundaryModel) -> None:
    again = BoundaryModel.load(model.save())
    assert again.lengths is not None and model.lengths is not None
    assert np.allclose(again.lengths, model.lengths)
    assert again.shortest == model.shortest
    assert again.survival is not None and model.survival is not None
    assert np.allclose(again.survival, model.survival)
    before = BoundaryModel.load(replace(model, lengths=None, shortest=None, survival=None).save())
    assert before.lengths is None and before.shortest is None and before.survival is None
    texts = pages_of("payslip", 3, random.Random(2)) + pages_of("invoice", 1, random.Random(3))
    assert np.allclose(before.start_probabilities(texts), model.start_probabilities(texts))


def test_the_samples_whole_lengths_count_where_their_pages_are_cut_short() -> None:
    rng = random.Random(23)
    kinds = ["invoice", "payslip"] * 6
    pages = [pages_of(k, 1 if k == "invoice" else 3, rng) for k in kinds]
    counted = train_boundary_model(pages, kinds)
    told = train_boundary_model(pages, kinds, lengths=[1 if k == "invoice" else 40 for k in kinds])
    assert counted is not None and told is not None
    assert counted[0].survival is not None and told[0].survival is not None
    payslip = told[0].pages.labels.index("payslip")
    # Three pages read, forty long: a part of 30 pages is as long as every payslip sample.
    assert told[0].survival.shape[1] == 41
    assert told[0].survival[payslip, 30 - 1] == pytest.approx(7 / 8)
    assert counted[0].survival[payslip, -1] == pytest.approx(1 / 8)


def test_without_part_costs_a_parts_probability_is_the_product_of_its_gaps() -> None:
    gain = np.array([0.0, 1.0, -2.0])
    begins = [1 / (1 + np.exp(-g)) for g in gain[1:]]
    found = part_probabilities(gain, part_costs(3, {}), [(0, 1), (0, 2), (0, 3), (1, 3)])
    expected = [
        begins[0],
        (1 - begins[0]) * begins[1],
        (1 - begins[0]) * (1 - begins[1]),
        begins[0] * (1 - begins[1]),
    ]
    assert found == pytest.approx(expected)


def test_a_parts_probability_weighs_every_division_as_the_division_scores_it() -> None:
    """The weights of the divisions that hold a part over all divisions' weights, each weighed
    by the exponent of `_score` (starts' gains, short and long parts' costs), counted by hand."""
    rng = np.random.default_rng(11)
    for _ in range(60):
        pages = int(rng.integers(1, 8))
        gains = rng.normal(0.0, 2, pages - 1)
        text = [True, *(rng.random(pages - 1) > 0.2).tolist()]
        classes = rng.dirichlet(np.ones(3), pages)
        penalties = short_part_penalties(classes, text, rng.dirichlet(np.ones(SHORT_PARTS + 1), 3))
        lengths = rng.integers(1, 6, 12).tolist()
        long_parts = LongParts(
            classes, text, length_survival(lengths, [str(n % 3) for n in range(12)], ["0", "1", "2"])
        )
        candidates = [page for page in range(1, pages) if text[page]]
        divisions = [
            [0, *chosen]
            for size in range(len(candidates) + 1)
            for chosen in itertools.combinations(candidates, size)
        ]
        weights = [np.exp(_score(d, gains, penalties, pages, long_parts)) for d in divisions]
        parts = [(first, end) for first in range(pages) for end in range(first + 1, pages + 1)]
        by_hand = [
            sum(
                w
                for d, w in zip(divisions, weights, strict=True)
                if (first, end) in zip(d, [*d[1:], pages], strict=True)
            )
            / sum(weights)
            for first, end in parts
        ]
        gain = np.concatenate([[0.0], np.where(text[1:], gains, -np.inf)])
        found = part_probabilities(gain, part_costs(pages, penalties, long_parts), parts)
        assert found == pytest.approx(by_hand, abs=1e-9)


def test_a_stacks_division_says_how_likely_each_of_its_parts_is(model: BoundaryModel) -> None:
    rng = random.Random(3)
    stack = pages_of("payslip", 3, rng) + pages_of("invoice", 1, rng) + pages_of("payslip", 3, rng)
    division = model.division(stack)
    assert (division.starts, division.probabilities.tolist()) == (
        model.divide(stack)[0],
        model.divide(stack)[1].tolist(),
    )
    assert len(division.confidences) == len(division.starts)
    assert all(0.0 <= c <= 1.0 for c in division.confidences)
    # Without the samples' lengths (a model stored before them) a part is as likely as its
    # start, its end and each page inside it going on, together.
    plain = replace(model, lengths=None, shortest=None, survival=None)
    division = plain.division(stack)
    begins = [1.0, *division.probabilities.tolist(), 1.0]
    ends = [*division.starts[1:], len(stack)]
    expected = [
        begins[first] * begins[end] * float(np.prod([1 - begins[page] for page in range(first + 1, end)]))
        for first, end in zip(division.starts, ends, strict=True)
    ]
    assert division.confidences == pytest.approx(expected, abs=1e-4)
    # One page alone is one part, certain.
    assert model.division(stack[:1]).confidences == [1.0]
