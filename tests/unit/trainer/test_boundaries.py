"""Learning where documents begin from labelled samples (issue 8, `splitting: auto`): the model
and its out-of-fold figures on stacks composed of the samples."""

from __future__ import annotations

import random

import numpy as np
import pytest

from docroute.classifier.page_cues import FORM, page_form
from services.trainer.core import boundaries
from services.trainer.core.boundaries import PageCounts, train_boundary_model
from tests.factories.documents import pages_of


def test_multi_page_samples_teach_where_documents_begin_out_of_fold() -> None:
    rng = random.Random(3)
    kinds = ["invoice", "payslip", "bank_statement"] * 8
    pages = [pages_of(kind, rng.randint(1, 3), rng) for kind in kinds]
    trained = train_boundary_model(pages, kinds)
    assert trained is not None
    model, report = trained
    assert report.stacks >= 6 and report.boundaries > 0 and report.continuations > 0
    assert report.precision is not None and report.precision >= 0.9
    assert report.recall is not None and report.recall >= 0.9
    # Two invoices in a row: no change of class, the first page alone tells where the second begins.
    first, second = pages_of("invoice", 2, rng), pages_of("invoice", 3, rng)
    assert model.starts(first + second) == [0, 2]


def test_single_page_samples_teach_no_boundaries() -> None:
    rng = random.Random(4)
    kinds = ["invoice", "payslip"] * 5
    assert train_boundary_model([pages_of(k, 1, rng) for k in kinds], kinds) is None
    assert train_boundary_model([pages_of("invoice", 3, rng)] * 3, ["invoice"] * 3) is None  # too few


def test_a_pages_form_is_read_once_a_training_and_forgotten_with_its_sample(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read: list[str] = []

    def counting(text: str) -> np.ndarray:
        read.append(text)
        return page_form(text)

    monkeypatch.setattr(boundaries, "page_form", counting)
    counts = PageCounts()
    pages = pages_of("invoice", 3, random.Random(5))
    rows = counts.forms(pages)
    assert np.array_equal(rows, np.vstack([page_form(t) for t in pages]))
    assert np.array_equal(counts.forms(pages[::-1]), rows[::-1])  # every fold reads them again
    assert read == pages
    counts.forget_pages(pages[:1])
    counts.forms(pages)
    assert read == [*pages, pages[0]]
    assert counts.forms([]).shape == (0, len(FORM))
