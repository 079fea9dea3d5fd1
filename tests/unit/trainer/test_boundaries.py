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


_PAPER_WORDS = ["model", "system", "results", "method", "we", "show", "that", "the", "data", "is"]


def _paper(rng: random.Random, pages: int) -> list[str]:
    """A paper: a title page (title, author, address, year) and pages of long sentences."""

    def body() -> str:
        return "\n".join(" ".join(rng.choices(_PAPER_WORDS, k=14)).capitalize() + "." for _ in range(30))

    title = (
        f"A Study of Systems {rng.randint(1, 99)}\nJane Roe\nUniversity of Somewhere\nroe@uni.example\n2019\n"
    )
    return [title + body()] + [body() for _ in range(pages - 1)]


def _invoice(rng: random.Random, pages: int) -> list[str]:
    """An invoice: a letterhead over item lines; a later page of more items under a line that
    names the invoice and its date, as a page 2 of line items and totals does."""

    def items() -> str:
        return "\n".join(f"{n} Item {rng.randint(100, 999)}\n{rng.randint(1, 9)},50 EUR" for n in range(12))

    head = (
        f"ACME GmbH\nbilling@acme.example\nInvoice 4711-{rng.randint(10, 99)}\nDate 12.03.2024\nMain St 5\n"
    )
    later = [f"Invoice 4711 of 12.03.2024\n{items()}\nTotal 99,00 EUR" for _ in range(pages - 1)]
    return [head + items(), *later]


def test_the_form_detector_weighs_each_kind_alike_however_many_pages_it_has() -> None:
    """Papers' many later pages (long lines of sentences) must not teach it that an invoice's
    page of short item lines is a first page, where the invoices' own later pages say otherwise."""
    rng = random.Random(6)
    samples = [_paper(rng, 30) for _ in range(10)] + [_invoice(rng, 1) for _ in range(8)]
    samples += [_invoice(rng, 2) for _ in range(2)]
    labels = ["paper"] * 10 + ["invoice"] * 10
    pages = boundaries.fit_page_models(samples, labels)
    later_invoice, first_invoice = _invoice(rng, 2)[1], _invoice(rng, 1)[0]
    later_paper, first_paper = _paper(rng, 2)[1], _paper(rng, 2)[0]
    scores = pages.form_scores([later_invoice, first_invoice, later_paper, first_paper])
    # Weighed by the page (290 later pages of papers against 2 of invoices) it read +0.15.
    assert scores[0] < -1.0 < 1.0 < scores[1]
    assert scores[2] < -1.0 < 1.0 < scores[3]
