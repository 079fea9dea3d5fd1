"""A part cut where the samples could not teach the boundary model whether a document goes on is
held in doubt (issue 8): a class with some samples of several pages, too few to learn from."""

from __future__ import annotations

import random

import numpy as np
import pytest

from docroute.classifier.boundary import BoundaryModel
from docroute.classifier.division import (
    DOUBTED,
    MULTI_PAGE_SAMPLES,
    held_in_doubt,
    length_survival,
    multi_page_samples,
    unlearnt_gaps,
)
from docroute.classifier.page_cues import pages_before
from services.trainer.core.boundaries import train_boundary_model
from tests.factories.documents import pages_of


def _unnumbered(pages: list[str]) -> list[str]:
    """The pages without their invoice numbers, which settle a gap (a new document number)."""
    return ["\n".join(line for line in page.splitlines() if "number" not in line) for page in pages]


@pytest.fixture(scope="module")
def model() -> BoundaryModel:
    """Invoices: 12 of one page and 3 of three (too few to learn where one goes on); payslips:
    MULTI_PAGE_SAMPLES + 2 of three pages."""
    rng = random.Random(7)
    kinds = ["invoice"] * 15 + ["payslip"] * (MULTI_PAGE_SAMPLES + 2)
    lengths = [1] * 12 + [3] * 3 + [3] * (MULTI_PAGE_SAMPLES + 2)
    trained = train_boundary_model([pages_of(k, n, rng) for k, n in zip(kinds, lengths, strict=True)], kinds)
    assert trained is not None
    return trained[0]


def test_the_samples_of_several_pages_are_read_back_off_the_stored_lengths() -> None:
    survival = length_survival([1, 3, 3, 2, 1, 1], ["a", "a", "a", "b", "c", "c"], ["a", "b", "c", "d"])
    assert multi_page_samples(survival).tolist() == [2, 1, 0, 0]
    rng = np.random.default_rng(3)
    lengths = rng.integers(1, 30, 400).tolist()
    labels = [str(n % 7) for n in range(400)]
    counted = [
        sum(n > 1 for n, label in zip(lengths, labels, strict=True) if label == str(c)) for c in range(7)
    ]
    assert (
        multi_page_samples(length_survival(lengths, labels, [str(c) for c in range(7)])).tolist() == counted
    )


def test_a_gap_between_two_pages_of_a_class_with_few_samples_of_several_pages_is_unlearnt() -> None:
    # Class 0: 3 of 5 samples of several pages (few); class 1: MULTI_PAGE_SAMPLES of them;
    # class 2: one-page samples only, taken at their word.
    labels = ["0"] * 5 + ["1"] * MULTI_PAGE_SAMPLES + ["2"] * 4
    lengths = [2, 2, 2, 1, 1] + [3] * MULTI_PAGE_SAMPLES + [1] * 4
    survival = length_survival(lengths, labels, ["0", "1", "2"])
    zero, one, two = np.eye(3)
    mixed = 0.6 * zero + 0.4 * one
    classes = np.array([zero, zero, mixed, one, one, two, two, zero, zero, zero])
    text = [True] * 10
    text[8] = False  # an empty back: the page after it is read against page 7
    assert unlearnt_gaps(classes, text, survival).tolist() == [
        True,  # 0 | 0
        True,  # 0 | 0.6 likely 0
        False,  # 0.6 likely 0 | 1
        False,  # 1 | 1: enough samples of several pages
        False,  # 1 | 2
        False,  # 2 | 2: one-page samples only, taken at their word
        False,  # 2 | 0
        False,  # no text: begins nothing
        True,  # 0 | 0, read across the empty page
    ]


def test_each_gap_compares_a_page_with_the_last_page_with_text_before_it() -> None:
    assert pages_before([True, True, False, False, True, True]) == [0, 1, 1, 1, 4]
    assert pages_before([False, False, True]) == [0, 0]  # nothing with text before: page 0
    assert pages_before([True]) == []


def test_a_part_begun_or_ended_at_an_unlearnt_gap_is_held_in_doubt() -> None:
    doubted = np.array([False, True, False, False, True])
    # Parts [0, 2), [2, 5), [5, 6): the first ends at the doubted gap before page 2, the second
    # begins there, the third begins at the doubted gap before page 5.
    assert held_in_doubt([0.99, 0.97, 0.6], [0, 2, 5], doubted) == [DOUBTED, DOUBTED, DOUBTED]
    # A part whose boundaries are other gaps keeps its confidence, doubted gaps inside it or not.
    assert held_in_doubt([0.99, 0.97], [0, 3], doubted) == [0.99, 0.97]
    assert held_in_doubt([0.3, 0.99], [0, 3], np.array([False, True, False])) == [0.3, 0.99]


def test_a_cut_between_pages_of_a_class_with_few_samples_of_several_pages_goes_to_review(
    model: BoundaryModel,
) -> None:
    rng = random.Random(21)
    invoices = _unnumbered(pages_of("invoice", 1, rng) + pages_of("invoice", 1, rng))
    payslip = pages_of("payslip", 3, rng)
    found = model.division(invoices + payslip)
    assert found.starts == [0, 1, 2]
    # The two invoices' parts meet at a gap their samples could not teach; the payslip's part
    # begins at a change of class.
    assert found.confidences[0] <= DOUBTED and found.confidences[1] <= DOUBTED
    assert found.confidences[2] > 0.8
    # Two payslips cut apart: enough samples of several pages, the model is trusted.
    payslips = model.division(pages_of("payslip", 3, rng) + pages_of("payslip", 3, rng))
    assert payslips.starts == [0, 3] and min(payslips.confidences) > DOUBTED


def test_a_cut_that_page_numbers_settle_keeps_its_confidence(model: BoundaryModel) -> None:
    rng = random.Random(21)
    invoices = [
        page + "\nPage 1 of 1"
        for page in _unnumbered(pages_of("invoice", 1, rng) + pages_of("invoice", 1, rng))
    ]
    found = model.division(invoices)
    assert found.starts == [0, 1] and min(found.confidences) > 0.8
