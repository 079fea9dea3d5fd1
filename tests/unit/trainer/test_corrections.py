"""Stacks a person divided in review teach the boundary model (issue 8): each of their documents
becomes a sample, with the class its pages look like, and the next model starts a document where
the person said."""

from __future__ import annotations

import random

from services.trainer.core.boundaries import fit_page_models, train_boundary_model
from services.trainer.core.corrections import corrected_samples, documents_of
from tests.factories.documents import document_lines


def _two_pages(kind: str, rng: random.Random, skip: int = 0, cut: int = 9) -> list[str]:
    lines = document_lines(kind, rng)[skip:]
    return ["\n".join(lines[:cut]), "\n".join(lines[cut:])]


def test_a_corrected_stack_is_cut_into_its_documents_pages_without_text_left_out() -> None:
    texts = ["a first page of text", "its second page, full", "", "the next document here"]
    assert documents_of((texts, [0, 2])) == [texts[:2], texts[3:]]
    assert documents_of((texts, [0, 1, 9])) == [texts[:1], [texts[1], texts[3]]]


def test_a_missed_boundary_is_learnt_from_the_correction() -> None:
    """An invoice whose first page lacks its head (letterhead, title, numbers), after another
    invoice: the model sees no new document; the person says one begins there; trained with the
    correction, the model starts one there."""
    rng = random.Random(23)
    kinds = ["invoice", "payslip"] * 8
    samples = [_two_pages(kind, rng) for kind in kinds]
    trained = train_boundary_model(samples, kinds)
    assert trained is not None
    rng = random.Random(5)
    stack = _two_pages("invoice", rng) + _two_pages("invoice", rng, skip=9, cut=8)
    assert trained[0].starts(stack) == [0]  # the missed boundary
    documents, labels = corrected_samples(fit_page_models(samples, kinds), [(stack, [0, 2])])
    assert [d[0] for d in documents] == [stack[0], stack[2]] and labels == ["invoice", "invoice"]
    corrected = train_boundary_model([*samples, *documents], [*kinds, *labels])
    assert corrected is not None
    assert corrected[0].starts(stack) == [0, 2]
