"""A stage asking for a workflow's live version as of the event it handles sees every version
published before that event (docroute.model_versions, `live_or_catch_up(as_of=...)`), also
one published seconds after it last looked and found none: classify, the first document of a
workflow without a model after a quiet spell, no longer reads the whole topic to its end."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import Metrics, ModelPublished
from docroute.events import Outgoing, new_event
from docroute.kafka import EventProducer
from docroute.model_versions import ModelVersions
from docroute.settings import ServiceSettings
from services.ocr.boundaries import BoundaryModels


def _publish_first_version(producer: EventProducer, workflow_id: str) -> None:
    data = ModelPublished(
        workflow_id=uuid.UUID(workflow_id),
        version=1,
        artifact_ref=f"s3://docroute-test/models/{workflow_id}/v1/",
        embedder_id="usem3",
        labels=["invoice", "payslip"],
        metrics=Metrics(accuracy=0.95, macro_f1=0.95, ece=0.03, n_samples=20, training_seconds=1.5),
        live=True,
    )
    event = new_event("model.published", data, source="test", subject=workflow_id)
    producer.send([Outgoing(topics.MODEL_PUBLISHED, workflow_id, event)])


def test_a_version_published_before_the_event_is_seen_though_none_was_a_moment_ago(
    settings: ServiceSettings, producer: EventProducer
) -> None:
    workflow_id = str(uuid.uuid4())
    versions = ModelVersions(settings.kafka)
    versions.start()
    try:
        assert versions.live_or_catch_up(workflow_id, as_of=datetime.now(UTC)) is None
        _publish_first_version(producer, workflow_id)
        # The next document's event, produced after the version was acknowledged.
        live = versions.live_or_catch_up(workflow_id, as_of=datetime.now(UTC))
        assert live is not None and live.version == 1
    finally:
        versions.stop()


def test_ocr_divides_a_stack_with_the_version_live_as_of_its_event(
    settings: ServiceSettings, producer: EventProducer, blobstore: BlobStore
) -> None:
    """`splitting: auto`: OCR asks for the boundary model the way classify asks for the classifier."""
    workflow_id = str(uuid.uuid4())
    versions = ModelVersions(settings.kafka)
    versions.start()
    try:
        boundaries = BoundaryModels(versions, blobstore)
        assert boundaries.live(workflow_id, as_of=datetime.now(UTC)) == (0, None)
        _publish_first_version(producer, workflow_id)
        # v1 published no boundary files: its version is known, without a boundary model.
        assert boundaries.live(workflow_id, as_of=datetime.now(UTC)) == (1, None)
    finally:
        versions.stop()
