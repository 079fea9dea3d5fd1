"""Label by groups: texts of five kinds fall into five groups, nearly one kind each."""

from __future__ import annotations

import random

from services.api.training.service.grouping import default_groups, group_texts, purity
from services.api.training.service.suggestions import guess_labels
from tests.factories.document_texts import DOCUMENT_KINDS, document_lines


def test_five_kinds_make_five_nearly_pure_groups() -> None:
    rng = random.Random(3)
    truth = [DOCUMENT_KINDS[i % 5] for i in range(100)]
    texts = ["\n".join(document_lines(kind, rng)) for kind in truth]
    groups = group_texts(texts, k=5)
    assert len(groups) == 5
    assert sorted(m.index for g in groups for m in g.members) == list(range(100))
    assert purity(groups, truth) >= 0.95
    for group in groups:
        sims = [m.similarity for m in group.members]
        assert sims == sorted(sims, reverse=True)  # most typical first


def test_an_odd_one_is_marked() -> None:
    rng = random.Random(5)
    texts = ["\n".join(document_lines("invoice", rng)) for _ in range(20)]
    texts.append("Dear Sir, the weather in the mountains was lovely and the goats were friendly.")
    (group,) = group_texts(texts, k=1)
    assert group.members[-1].index == 20
    assert group.members[-1].odd
    assert not any(m.odd for m in group.members[:-1])


def test_fewer_texts_than_groups_and_none() -> None:
    assert group_texts([], k=3) == []
    groups = group_texts(["invoice total due", "payslip net pay"], k=5)
    assert sum(len(g.members) for g in groups) == 2


def test_the_default_number_of_groups() -> None:
    assert default_groups(classes=5, samples=500) == 10
    assert default_groups(classes=3, samples=6) == 3
    assert default_groups(classes=40, samples=5000) == 50


def test_guesses_from_the_labelled_samples_least_sure_last() -> None:
    rng = random.Random(8)
    labelled = [("\n".join(document_lines(kind, rng)), kind) for kind in DOCUMENT_KINDS[:3] for _ in range(4)]
    kinds = [DOCUMENT_KINDS[i % 3] for i in range(30)]
    texts = ["\n".join(document_lines(kind, rng)) for kind in kinds]
    guesses = guess_labels(labelled, texts)
    assert sum(g is not None and g.label == kind for g, kind in zip(guesses, kinds, strict=True)) >= 28
    assert all(g is not None and 0 < g.confidence <= 1 and 0 <= g.margin <= 1 for g in guesses)
    assert guess_labels(labelled[:4], texts) == [None] * 30  # one class: no guess
