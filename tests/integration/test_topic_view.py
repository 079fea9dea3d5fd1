"""A settings topic's view: it follows the topic with the configured fetch wait, and a stage that
asks for the settings as of the event it handles sees every change published before that event
(a mail sent 13 ms after its workflow was archived went through every stage, CI 2026-12-01)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from docroute import topics
from docroute.catalog import TopicView
from docroute.contracts._generated import DocumentSpec, WorkflowUpdated
from docroute.errors import UnknownWorkflowError
from docroute.events import Outgoing, emit
from docroute.kafka import EventProducer
from docroute.workflows import WorkflowDirectory


def test_a_view_fetches_with_the_configured_wait(settings: Any, topics_ready: None) -> None:
    kafka = settings.kafka.model_copy(update={"fetch_max_wait_ms": 37})
    consumer = TopicView(kafka, topics.WORKFLOW_UPDATED)._connect()
    try:
        assert consumer.config["fetch_max_wait_ms"] == 37
    finally:
        consumer.close()


def _workflow(workflow_id: uuid.UUID, *, archived: bool) -> Outgoing:
    data = WorkflowUpdated(
        workflow_id=workflow_id,
        name="view",
        labels=["invoice"],
        document_spec=DocumentSpec(cropping=False, character_set="latin", text_style="printed"),
        threshold=0.8,
        class_thresholds={},
        retrain_every=1000,
        archived=archived,
    )
    key = str(workflow_id)
    return emit(topics.WORKFLOW_UPDATED, "workflow.updated", data, source="test", key=key, step=None)


def test_a_change_published_before_an_event_is_seen_when_that_event_is_handled(
    settings: Any, producer: EventProducer
) -> None:
    """A stage asks for the settings as of the event it handles: a workflow archived before a
    mail was sent refuses the mail, however far behind the view's follower is (a 1 s fetch wait
    here, so without `as_of` the archiving is not yet read)."""
    directory = WorkflowDirectory(settings.kafka.model_copy(update={"fetch_max_wait_ms": 1000}))
    directory.start()
    workflow_id = uuid.uuid4()
    try:
        producer.send([_workflow(workflow_id, archived=False)])
        assert directory.get(str(workflow_id)).archived is False  # unknown keys catch up once
        producer.send([_workflow(workflow_id, archived=True)])
        mail_sent_at = datetime.now(UTC)
        with pytest.raises(UnknownWorkflowError, match="archived"):
            directory.get(str(workflow_id), as_of=mail_sent_at)
    finally:
        directory.stop()
