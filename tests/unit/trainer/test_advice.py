"""Advice on a workflow's samples: a class of near-copies of a few documents is named; for
`splitting: auto`, a class whose samples are all one page long, or samples that teach no boundary
model at all."""

from __future__ import annotations

import numpy as np

from docroute.classifier.division import MULTI_PAGE_SAMPLES
from services.trainer.core.advice import AUTO_SAMPLES, data_warnings, splitting_warnings

DIM = 64


def _copies(rng: np.random.Generator, documents: int, each: int, spread: float = 0.05) -> np.ndarray:
    """`each` near-copies (cosine ~0.99) of each of `documents` unrelated documents."""
    bases = rng.normal(size=(documents, DIM))
    return np.vstack(
        [base + spread * np.linalg.norm(base) / np.sqrt(DIM) * rng.normal(size=(each, DIM)) for base in bases]
    )


def test_a_class_of_copies_of_three_documents_is_named_with_its_count() -> None:
    rng = np.random.default_rng(0)
    invoices = _copies(rng, documents=3, each=5)
    receipts = rng.normal(size=(15, DIM))  # 15 unrelated documents
    labels = ["invoice"] * 15 + ["receipt"] * 15
    warnings = data_warnings(labels, np.vstack([invoices, receipts]), duplicate_similarity=0.9)
    assert len(warnings) == 1
    assert "'invoice'" in warnings[0] and "near-copies of 3 documents" in warnings[0]


def test_distinct_documents_and_a_few_repeats_get_no_advice() -> None:
    rng = np.random.default_rng(1)
    # 6 documents, one of them three times: 8 samples of 6 distinct documents.
    varied = np.vstack([_copies(rng, documents=1, each=3), rng.normal(size=(5, DIM))])
    # 4 distinct documents only, but 4 samples: too few to call them copies.
    small = rng.normal(size=(4, DIM))
    labels = ["letter"] * 8 + ["payslip"] * 4
    assert data_warnings(labels, np.vstack([varied, small]), duplicate_similarity=0.9) == ()


def test_a_single_sample_class_is_named() -> None:
    rng = np.random.default_rng(2)
    warnings = data_warnings(["a", "a", "b"], rng.normal(size=(3, DIM)), duplicate_similarity=0.9)
    assert warnings == ("class 'b' has 1 sample: it is never predicted out-of-fold, add more samples",)


def test_auto_splitting_names_each_class_whose_samples_are_all_one_page_long() -> None:
    labels = ["invoice", "invoice", "payslip", "payslip", "receipt"]
    [warning, payslip, _] = splitting_warnings([1, 1, 1, 3, 1], [*labels[:4], "invoice"])
    assert warning.startswith("class 'invoice': its 3 samples have one page each")
    assert payslip.startswith("class 'payslip': 1 of its 2 samples has several pages")
    *warnings, _ = splitting_warnings([1, 1, 2, 1, 1], labels)
    one_page = [w.split(":")[0] for w in warnings if "one page each" in w]
    assert one_page == ["class 'invoice'", "class 'receipt'"]
    assert "its 1 sample has one page" in warnings[2]


def test_auto_splitting_without_a_sample_of_several_pages_says_stacks_stay_whole() -> None:
    [warning] = splitting_warnings([1, 1, 0, 1], ["invoice", "invoice", "payslip", "payslip"])
    assert "no boundary model" in warning and "read as one document" in warning
    assert not any("one page each" in w for w in splitting_warnings([2, 3], ["invoice", "payslip"]))


def test_auto_splitting_names_the_classes_with_fewer_samples_than_it_splits_well_from() -> None:
    labels = ["invoice"] * AUTO_SAMPLES + ["payslip"] * (AUTO_SAMPLES - 1) + ["letter"] * MULTI_PAGE_SAMPLES
    [warning] = splitting_warnings([2] * len(labels), labels)
    assert warning.startswith(
        f"classes 'letter' ({MULTI_PAGE_SAMPLES}), 'payslip' ({AUTO_SAMPLES - 1}) have fewer than"
    )
    assert "'invoice'" not in warning
    enough = ["invoice"] * AUTO_SAMPLES + ["payslip"] * AUTO_SAMPLES
    assert splitting_warnings([2] * len(enough), enough) == ()
    [several, one] = splitting_warnings([2, 2], ["invoice", "invoice"])
    assert several.startswith("class 'invoice': 2 of its 2 samples have several pages")
    assert one.startswith("class 'invoice' (2) has fewer than")


def test_auto_splitting_names_a_class_with_few_samples_of_several_pages() -> None:
    """A class with some samples of several pages, but fewer than MULTI_PAGE_SAMPLES, is named
    with its count; one with that many is not, however many of its samples are one page."""
    few = MULTI_PAGE_SAMPLES - 1
    counts = [3] * few + [1] * 20 + [2] * MULTI_PAGE_SAMPLES + [1] * 20
    labels = ["invoice"] * (few + 20) + ["letter"] * (MULTI_PAGE_SAMPLES + 20)
    [warning, _] = splitting_warnings(counts, labels)
    assert warning.startswith(f"class 'invoice': {few} of its {few + 20} samples have several pages")
    assert f"under {MULTI_PAGE_SAMPLES} such samples" in warning
    assert "a part cut between two of its pages goes to review" in warning
    [_, alone, _] = splitting_warnings([2, 1, 1, 3], ["invoice", "invoice", "letter", "letter"])
    assert alone.startswith("class 'letter': 1 of its 2 samples has several pages")
