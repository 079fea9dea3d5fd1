"""The live version's guess for a sample read after it was trained, in the trainer's handler on
the real S3 and the real embedder: stored once however often the event comes, and the samples a
version lacks guessed when it goes live again (rollback, promote)."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest

from docroute.blobstore import BlobStore
from docroute.contracts._generated import Blob, DocumentTextExtracted, ModelPromoted
from docroute.events import Event, new_event
from services.trainer.adapters import TrainingStore
from services.trainer.handler import TrainerHandler
from tests.factories.samples import sample_text, store_ocr_text
from tests.integration.services.test_trainer_gate import _label, _request, _Versions, _Workflows


@pytest.fixture(scope="module")
def store(settings: Any) -> BlobStore:
    store = BlobStore(settings.s3)
    store.ensure_bucket()
    return store


def _read(store: BlobStore, workflow_id: str, kind: str, rng: random.Random) -> Event[DocumentTextExtracted]:
    """An unlabelled sample of `kind`, read."""
    sample_id = str(uuid.uuid4())
    ocr_ref = store_ocr_text(store, sample_id, sample_text(kind, rng))
    data = DocumentTextExtracted(
        document_id=sample_id,
        workflow_id=workflow_id,
        purpose="training",
        blob=Blob(
            ref=f"s3://{store.bucket}/originals/x", sha256="0" * 64, size=1, media_type="application/pdf"
        ),
        ocr_ref=ocr_ref,
        page_count=1,
        pages_used=[0],
        sources=["text-layer"],
        text_chars=100,
    )
    return new_event("document.text_extracted", data, source="test")


def _promote(workflow_id: str, version: int, artifact_ref: str) -> Event[Any]:
    data = ModelPromoted(
        workflow_id=workflow_id,
        promotion_id=uuid.uuid4(),
        version=version,
        artifact_ref=artifact_ref,
        action="promote",
        pinned=False,
    )
    return new_event("model.promoted", data, source="test")


def _guesses(store: BlobStore, workflow_id: str, version: int) -> dict[str, Any]:
    prefix = f"guesses/{workflow_id}/v{version}/"
    return {k.removeprefix(prefix).removesuffix(".json"): store.get_json(k) for k in store.list_keys(prefix)}


def test_a_late_sample_is_guessed_once_by_the_live_version(store: BlobStore) -> None:
    workflow_id, rng = str(uuid.uuid4()), random.Random(8)
    versions, training = _Versions(), TrainingStore(store)
    handler = TrainerHandler(training, _Workflows(workflow_id), "usem3", 20_000, versions)  # type: ignore[arg-type]
    _label(handler, store, workflow_id, rng, per_kind=6)
    v1 = versions.feed(handler.on_training_requested(_request(workflow_id)))
    assert training.late_guesses(workflow_id, 1) == set()

    payslip = _read(store, workflow_id, "payslip", rng)
    assert handler.on_text_extracted(payslip) == []
    [(sample_id, guess)] = _guesses(store, workflow_id, 1).items()
    assert sample_id == str(payslip.data.document_id) and guess["class"] == "payslip"
    assert 0.5 <= guess["confidence"] <= 1 and guess["runner_up"] == pytest.approx(
        1 - guess["confidence"], abs=1e-3
    )
    handler.on_text_extracted(payslip)  # redelivered: the same guess, no second one
    assert _guesses(store, workflow_id, 1) == {sample_id: guess}

    # v2 knows the payslip from its predictions.json; an invoice read while v1 is live again is
    # v1's to guess, and v2's once v2 goes live again.
    v2 = versions.feed(handler.on_training_requested(_request(workflow_id)))
    assert (v2.version, v2.live) == (2, True)
    rollback = _promote(workflow_id, 1, v1.artifact_ref)
    versions.ledger.apply(rollback)
    handler.on_model_changed(rollback)
    assert set(_guesses(store, workflow_id, 1)) == {sample_id}  # nothing v1 lacked
    invoice = _read(store, workflow_id, "invoice", rng)
    handler.on_text_extracted(invoice)
    assert _guesses(store, workflow_id, 1)[str(invoice.data.document_id)]["class"] == "invoice"
    assert _guesses(store, workflow_id, 2) == {}

    promote = _promote(workflow_id, 2, v2.artifact_ref)
    versions.ledger.apply(promote)
    handler.on_model_changed(promote)
    by_v2 = _guesses(store, workflow_id, 2)
    assert {s: g["class"] for s, g in by_v2.items()} == {str(invoice.data.document_id): "invoice"}
    handler.on_model_changed(promote)  # redelivered: nothing more
    assert _guesses(store, workflow_id, 2) == by_v2
    # An event about a version no longer live (replayed history) guesses nothing.
    handler.on_model_changed(rollback)
    assert set(_guesses(store, workflow_id, 1)) == {sample_id, str(invoice.data.document_id)}


def test_a_version_that_cannot_be_read_leaves_the_sample_unguessed_not_failed(store: BlobStore) -> None:
    workflow_id, rng = str(uuid.uuid4()), random.Random(9)
    versions, training = _Versions(), TrainingStore(store)
    handler = TrainerHandler(training, _Workflows(workflow_id), "usem3", 20_000, versions)  # type: ignore[arg-type]
    versions.ledger.apply(
        _promote(workflow_id, 3, f"s3://{store.bucket}/models/{workflow_id}/v3/")
    )  # no files
    sample = _read(store, workflow_id, "invoice", rng)
    assert handler.on_text_extracted(sample) == []  # not dead-lettered
    assert training.unlabelled(workflow_id) == [(str(sample.data.document_id), sample.data.ocr_ref)]
    assert _guesses(store, workflow_id, 3) == {}
