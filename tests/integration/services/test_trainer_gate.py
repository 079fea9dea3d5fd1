"""The promotion gate in the trainer's handler, on the real S3 and the real embedder: a version
worse than the live one on the same evaluation stays a candidate, with the reason."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from docroute.blobstore import BlobStore
from docroute.classifier.features import TfidfConfig
from docroute.contracts._generated import (
    DocumentSpec,
    Evaluation,
    ModelPublished,
    SampleLabelled,
    TrainingRequested,
    WorkflowUpdated,
)
from docroute.events import Event, Outgoing, new_event
from docroute.model_versions import LiveModel, ModelLedger
from services.trainer.adapters import TrainingStore
from services.trainer.core import TrainingConfig
from services.trainer.handler import TrainerHandler
from tests.factories.samples import sample_text, store_ocr_text

KINDS = ("invoice", "payslip")
# A recipe that cannot tell documents apart: no embedding, one character feature.
BLIND = TrainingConfig(
    embedding_weight=0.0,
    tfidf=(TfidfConfig(analyzer="char", ngram_range=(1, 1), max_features=1),),
    tfidf_weights=(1.0,),
)


class _Workflows:
    def __init__(self, workflow_id: str) -> None:
        self.workflow = WorkflowUpdated(
            workflow_id=workflow_id,
            name="gate",
            labels=list(KINDS),
            document_spec=DocumentSpec(cropping=False, character_set="latin", text_style="printed"),
            threshold=0.8,
            class_thresholds={},
            retrain_every=1000,
            archived=False,
        )

    def get(self, workflow_id: str) -> WorkflowUpdated:
        return self.workflow


class _Versions:
    """The live version as classify would see it, fed with what the trainer publishes."""

    def __init__(self) -> None:
        self.ledger = ModelLedger()

    def live(self, workflow_id: str) -> LiveModel | None:
        return self.ledger.live.get(workflow_id)

    def sync(self, timeout_s: float = 15.0) -> bool:
        return True

    def live_version(self, workflow_id: str) -> int | None:
        live = self.live(workflow_id)
        return None if live is None else live.version

    def feed(self, outgoing: Sequence[Outgoing]) -> ModelPublished:
        [item] = outgoing
        self.ledger.apply(item.event)
        published: ModelPublished = item.event.data
        return published


def _evaluation(published: ModelPublished) -> Evaluation:
    assert published.evaluation is not None, published
    return published.evaluation


def _accuracies(published: ModelPublished) -> tuple[float, float]:
    """The candidate's and the live version's accuracy on the gate's evaluation."""
    evaluation = _evaluation(published)
    assert evaluation.candidate_accuracy is not None and evaluation.live_accuracy is not None
    return evaluation.candidate_accuracy, evaluation.live_accuracy


@pytest.fixture(scope="module")
def store(settings: Any) -> BlobStore:
    store = BlobStore(settings.s3)
    store.ensure_bucket()
    return store


def _label(
    handler: TrainerHandler, store: BlobStore, workflow_id: str, rng: random.Random, per_kind: int
) -> None:
    for kind in KINDS:
        for _ in range(per_kind):
            sample_id = str(uuid.uuid4())
            ocr_ref = store_ocr_text(store, sample_id, sample_text(kind, rng))
            data = SampleLabelled(sample_id=sample_id, workflow_id=workflow_id, label=kind, ocr_ref=ocr_ref)
            assert handler.on_sample_labelled(new_event("sample.labelled", data, source="test")) == []


def _request(workflow_id: str, request_id: uuid.UUID | None = None) -> Event[Any]:
    data = TrainingRequested(workflow_id=workflow_id, request_id=request_id or uuid.uuid4())
    return new_event("training.requested", data, source="test")


def test_a_worse_version_is_not_promoted(store: BlobStore) -> None:
    workflow_id, rng = str(uuid.uuid4()), random.Random(5)
    versions, workflows, training = _Versions(), _Workflows(workflow_id), TrainingStore(store)
    good = TrainerHandler(training, workflows, "usem3", 20_000, versions)  # type: ignore[arg-type]
    blind = TrainerHandler(training, workflows, "usem3", 20_000, versions, config=BLIND)  # type: ignore[arg-type]
    _label(good, store, workflow_id, rng, per_kind=10)

    first = versions.feed(good.on_training_requested(_request(workflow_id)))
    assert (first.version, first.live, _evaluation(first).method) == (1, True, "first_version")

    # Nothing new since v1 and the same recipe: cross-validated on the same folds it is v1.
    same = versions.feed(good.on_training_requested(_request(workflow_id)))
    assert (same.version, same.live, _evaluation(same).method) == (2, True, "same_folds")

    # Nothing new, a worse recipe: v2's recipe re-run on the same folds beats it.
    worse_recipe = versions.feed(blind.on_training_requested(_request(workflow_id)))
    assert (worse_recipe.version, worse_recipe.live, _evaluation(worse_recipe).method) == (
        3,
        False,
        "same_folds",
    )
    candidate, live = _accuracies(worse_recipe)
    assert candidate < live
    assert "stays a candidate" in (worse_recipe.reason or "")
    assert versions.live_version(workflow_id) == 2

    # New samples v2 never saw: v2 scored on them against the candidate's out-of-fold answers.
    _label(good, store, workflow_id, rng, per_kind=4)
    request = _request(workflow_id)
    worse = versions.feed(blind.on_training_requested(request))
    assert (worse.version, worse.live, _evaluation(worse).method) == (4, False, "unseen_samples")
    assert (_evaluation(worse).n_samples, _evaluation(worse).live_version) == (8, 2)
    candidate, live = _accuracies(worse)
    assert candidate < live
    manifest = training.manifest(workflow_id, 4)
    assert manifest["promotion"]["live"] is False and manifest["recipe"]["config"]["embedding_weight"] == 0.0

    again = blind.on_training_requested(request)  # a redelivered request: same version, same verdict
    assert again[0].event.data == worse

    better = versions.feed(good.on_training_requested(_request(workflow_id)))
    assert (better.version, better.live, _evaluation(better).method) == (5, True, "unseen_samples")
    candidate, live = _accuracies(better)
    assert candidate >= live
    assert versions.live_version(workflow_id) == 5


def test_a_live_recipe_from_a_newer_release_is_not_re_run(store: BlobStore) -> None:
    """During a rolling update the live version may come from a newer trainer whose recipe names
    settings this release does not know: the gate says so and does not re-run it without them."""
    workflow_id, rng = str(uuid.uuid4()), random.Random(6)
    versions, workflows, training = _Versions(), _Workflows(workflow_id), TrainingStore(store)
    good = TrainerHandler(training, workflows, "usem3", 20_000, versions)  # type: ignore[arg-type]
    blind = TrainerHandler(training, workflows, "usem3", 20_000, versions, config=BLIND)  # type: ignore[arg-type]
    _label(good, store, workflow_id, rng, per_kind=10)
    assert versions.feed(good.on_training_requested(_request(workflow_id))).version == 1
    key = f"models/{workflow_id}/v1/manifest.json"
    manifest = training.manifest(workflow_id, 1)
    manifest["recipe"]["config"]["unknown"]["wording_from_the_future"] = 1.0
    store.put(key, json.dumps(manifest).encode())

    published = versions.feed(blind.on_training_requested(_request(workflow_id)))
    assert (published.version, published.live) == (2, True)
    assert "wording_from_the_future are not known to this release" in (published.reason or "")
    assert "cannot be re-run here" in (published.reason or "")
