"""Classify as the process it is in production, against the real broker and S3: it serves the
version the last `model.published` made live, and swaps to a new one without a restart."""

from __future__ import annotations

import random
import re
import uuid
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bench._stack import batched_on
from docroute import topics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import Blob, DocumentTextExtracted, SampleLabelled, TrainingRequested
from docroute.events import Event, Outgoing, new_event
from docroute.model_versions import LiveModel
from docroute.processes import HOST, ManagedProcess
from services.trainer.adapters import TrainingStore
from services.trainer.handler import TrainerHandler
from tests.factories.samples import sample_text, store_ocr_text
from tests.fixtures.polling import wait_until
from tests.fixtures.topic_reader import TopicReader

SAMPLES_PER_CLASS = 8
# Version 2 knows the same two kinds of document under other names: what it answers is its own.
V1_LABELS = {"invoice": "invoice", "payslip": "payslip"}
V2_LABELS = {"invoice": "bill", "payslip": "salary-slip"}


class _NoLiveVersion:
    """The trainer's view of what serves: nothing, so each version it trains goes live."""

    def live(self, workflow_id: str) -> LiveModel | None:
        return None

    def sync(self, timeout_s: float = 15.0) -> bool:
        return True


class _Workflow:
    retrain_every = 1000  # training only when asked
    splitting = None
    wording_languages = None


class _Workflows:
    def get(self, workflow_id: str) -> _Workflow:
        return _Workflow()


def _train(trainer: TrainerHandler, store: BlobStore, workflow_id: str, names: dict[str, str]) -> list[str]:
    """Label fresh samples of each kind with `names` and train; returns the sample ids."""
    rng, sample_ids = random.Random(len(names["payslip"])), []
    for kind, label in names.items():
        for _ in range(SAMPLES_PER_CLASS):
            sample_id = str(uuid.uuid4())
            ocr_ref = store_ocr_text(store, sample_id, sample_text(kind, rng))
            data = SampleLabelled(sample_id=sample_id, workflow_id=workflow_id, label=label, ocr_ref=ocr_ref)
            assert trainer.on_sample_labelled(new_event("sample.labelled", data, source="test")) == []
            sample_ids.append(sample_id)
    return sample_ids


def _publish(trainer: TrainerHandler, producer: Any, workflow_id: str) -> int:
    """Train on the current set and send the trainer's own `model.published`; returns the version."""
    request = TrainingRequested(workflow_id=workflow_id, request_id=uuid.uuid4())
    published = trainer.on_training_requested(new_event("training.requested", request, source="test"))
    [out] = published
    assert out.topic == topics.MODEL_PUBLISHED and out.event.data.live
    producer.send(published)
    return int(out.event.data.version)


def _trainer(blobstore: BlobStore) -> TrainerHandler:
    return TrainerHandler(TrainingStore(blobstore), _Workflows(), "usem3", 20_000, _NoLiveVersion())  # type: ignore[arg-type]


def _serve_v1(
    trainer: TrainerHandler, producer: Any, blobstore: BlobStore, classify: ManagedProcess, workflow_id: str
) -> list[str]:
    """Train and publish version 1 on V1_LABELS' samples, wait until classify serves it; the samples' ids."""
    samples = _train(trainer, blobstore, workflow_id, V1_LABELS)
    assert _publish(trainer, producer, workflow_id) == 1
    wait_until(lambda: _serving(classify, workflow_id) == 1, 60, "classify did not load version 1")
    return samples


def _serving(classify: ManagedProcess, workflow_id: str) -> int:
    """The version classify reports serving the workflow (`docroute_model_version`; 0 before any)."""
    assert classify.running(), f"classify stopped; see {classify.log_path}"
    text = httpx.get(f"http://{HOST}:{classify.port}/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "docroute_model_version" and sample.labels.get("workflow") == workflow_id:
                return int(sample.value)
    return 0


def _text_extracted(
    document_id: str, workflow_id: str, ocr_ref: str, text: str | None = None, text_chars: int = 100
) -> Outgoing:
    extracted = DocumentTextExtracted(
        document_id=document_id,
        workflow_id=workflow_id,
        purpose="processing",
        blob=Blob(ref="s3://b/originals/x", sha256="0" * 64, size=1, media_type="application/pdf"),
        ocr_ref=ocr_ref,
        page_count=1,
        pages_used=[0],
        sources=["text-layer"],
        text_chars=text_chars,
        text_preview="payslip",
        text=text,
    )
    event = new_event("document.text_extracted", extracted, source="test", subject=document_id)
    return Outgoing(topics.DOCUMENT_TEXT_EXTRACTED, document_id, event)


def _classify(producer: Any, reader: TopicReader, store: BlobStore, workflow_id: str) -> Event[Any]:
    """Send a payslip's text to classify and wait for its `document.classified`."""
    document_id = str(uuid.uuid4())
    ocr_ref = store_ocr_text(store, document_id, sample_text("payslip", random.Random(document_id)))
    producer.send([_text_extracted(document_id, workflow_id, ocr_ref)])
    _, classified = reader.wait_for(lambda t, e: e.subject == document_id, timeout_s=120)
    return classified


def test_classify_swaps_models_on_model_published(
    start_docroute_service, producer, topic_reader_factory, blobstore: BlobStore
) -> None:
    workflow_id = str(uuid.uuid4())
    classify = start_docroute_service("classify")
    reader = topic_reader_factory(r"^document\.classified$")
    trainer = _trainer(blobstore)
    v1_samples = _serve_v1(trainer, producer, blobstore, classify, workflow_id)
    before = _classify(producer, reader, blobstore, workflow_id).data
    assert (before.model_version, before.predicted_class) == (1, "payslip")
    assert set(before.probabilities) == set(V1_LABELS.values())

    # Version 2: the same kinds of document under new names, the old samples gone.
    for sample_id in v1_samples:
        gone = SampleLabelled(sample_id=sample_id, workflow_id=workflow_id, label=None, ocr_ref="s3://b/x")
        trainer.on_sample_labelled(new_event("sample.labelled", gone, source="test"))
    _train(trainer, blobstore, workflow_id, V2_LABELS)
    assert _publish(trainer, producer, workflow_id) == 2
    wait_until(lambda: _serving(classify, workflow_id) == 2, 60, "classify did not swap to version 2")

    after = _classify(producer, reader, blobstore, workflow_id).data
    assert (after.model_version, after.predicted_class) == (2, "salary-slip")
    assert set(after.probabilities) == set(V2_LABELS.values())
    assert classify.running()  # swapped in place, no restart


def test_a_burst_is_classified_in_batches_and_a_document_without_text_fails_alone(
    start_docroute_service, producer, topic_reader_factory, blobstore: BlobStore
) -> None:
    workflow_id = str(uuid.uuid4())
    classify = start_docroute_service("classify")
    reader = topic_reader_factory(rf"^(document\.classified|{re.escape(topics.DEAD_LETTER)})$")
    _serve_v1(_trainer(blobstore), producer, blobstore, classify, workflow_id)

    rng = random.Random(9)
    kinds = {str(uuid.uuid4()): kind for kind in ["invoice", "payslip"] * 6}
    refs = {d: store_ocr_text(blobstore, d, sample_text(kind, rng)) for d, kind in kinds.items()}
    missing = list(kinds)[4]
    refs[missing] = refs[missing].replace(f"ocr/{missing}", "ocr/never-written")
    messages_before, batches_before = batched_on(classify.port)
    producer.send([_text_extracted(d, workflow_id, refs[d]) for d in kinds])  # one burst

    def each_answered() -> bool:
        reader.poll()  # blocks up to half a second for more
        return len({e.subject for _, e in reader.matching(lambda t, e: e.subject in kinds)}) == len(kinds)

    wait_until(each_answered, 120, "not every document was answered", interval_s=0)
    seen = reader.matching(lambda t, e: e.subject in kinds)
    classified = {e.subject: e.data for t, e in seen if t == topics.DOCUMENT_CLASSIFIED}
    failed = {e.subject: e.data for t, e in seen if t == topics.DEAD_LETTER}
    assert len(seen) == len(kinds)  # one event a document
    assert {d: c.predicted_class for d, c in classified.items()} == {
        d: k for d, k in kinds.items() if d != missing
    }
    assert [(d, f.reason_code) for d, f in failed.items()] == [(missing, "blob_not_found")]
    messages, batches = batched_on(classify.port)
    assert messages - messages_before == len(kinds)
    assert batches - batches_before < len(kinds)  # the burst was not handled one by one

    # A document alone reads as it did in the batch.
    again = next(d for d in kinds if d != missing)
    alone_id = str(uuid.uuid4())
    producer.send([_text_extracted(alone_id, workflow_id, refs[again])])
    _, alone = reader.wait_for(lambda t, e: e.subject == alone_id, timeout_s=60)
    in_batch = classified[again]
    assert (alone.data.predicted_class, alone.data.unknown) == (in_batch.predicted_class, in_batch.unknown)
    assert alone.data.probabilities == pytest.approx(in_batch.probabilities, abs=1e-5)


def test_the_text_an_event_carries_is_classified_without_reading_s3(
    start_docroute_service, producer, topic_reader_factory, blobstore: BlobStore
) -> None:
    """`document.text_extracted` v4 carries the text: classify reads the OCR JSON only when the
    event holds less than both the whole text and the characters it reads (20,000)."""
    workflow_id = str(uuid.uuid4())
    classify = start_docroute_service("classify")
    reader = topic_reader_factory(rf"^(document\.classified|{re.escape(topics.DEAD_LETTER)})$")
    _serve_v1(_trainer(blobstore), producer, blobstore, classify, workflow_id)
    rng = random.Random(11)
    payslip, invoice = sample_text("payslip", rng), sample_text("invoice", rng)

    def never_written(document_id: str) -> str:
        return store_ocr_text(blobstore, document_id, "").replace(f"ocr/{document_id}", "ocr/never-written")

    whole, budget, cut, older = (str(uuid.uuid4()) for _ in range(4))
    long_invoice = (invoice + "\n") * (20_000 // len(invoice) + 2)
    producer.send(
        [
            # The whole text: its OCR JSON was never written, and none is read.
            _text_extracted(whole, workflow_id, never_written(whole), payslip, len(payslip)),
            # The first 20,000 characters of a longer text: all the classifier reads.
            _text_extracted(
                budget, workflow_id, never_written(budget), long_invoice[:20_000], len(long_invoice)
            ),
            # Less than both (an OCR service that carries fewer): the OCR JSON is read, a payslip's.
            _text_extracted(
                cut,
                workflow_id,
                store_ocr_text(blobstore, cut, payslip),
                invoice[: len(payslip) // 2],
                len(payslip),
            ),
            # An older OCR service's v3 event carries none: read from S3 as before.
            _text_extracted(older, workflow_id, store_ocr_text(blobstore, older, invoice)),
        ]
    )
    answers = {
        d: reader.wait_for(lambda t, e, d=d: e.subject == d, timeout_s=120)
        for d in (whole, budget, cut, older)
    }
    assert {d: t for d, (t, _) in answers.items()} == dict.fromkeys(answers, topics.DOCUMENT_CLASSIFIED)
    assert {d: e.data.predicted_class for d, (_, e) in answers.items()} == {
        whole: "payslip",
        budget: "invoice",
        cut: "payslip",
        older: "invoice",
    }
