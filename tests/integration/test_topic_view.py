"""A settings topic's view: it follows the topic with the configured fetch wait, and a stage that
asks for the settings as of the event it handles sees every change published before that event
(a mail sent 13 ms after its workflow was archived went through every stage, CI 2026-12-01)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from docroute import topics
from docroute.catalog import TopicView
from docroute.errors import UnknownWorkflowError
from docroute.kafka import EventProducer
from docroute.workflows import WorkflowDirectory
from tests.factories.workflows import send_workflow, workflow_settings


def test_a_view_fetches_with_the_configured_wait(settings: Any, topics_ready: None) -> None:
    kafka = settings.kafka.model_copy(update={"fetch_max_wait_ms": 37})
    consumer = TopicView(kafka, topics.WORKFLOW_UPDATED)._connect()
    try:
        assert consumer.config["fetch_max_wait_ms"] == 37
    finally:
        consumer.close()


def test_a_change_published_before_an_event_is_seen_when_that_event_is_handled(
    settings: Any, producer: EventProducer
) -> None:
    """A stage asks for the settings as of the event it handles: a workflow archived before a
    mail was sent refuses the mail, however far behind the view's follower is (a 1 s fetch wait
    here, so without `as_of` the archiving is not yet read)."""
    directory = WorkflowDirectory(settings.kafka.model_copy(update={"fetch_max_wait_ms": 1000}))
    directory.start()
    workflow = workflow_settings(labels=["invoice"])
    try:
        workflow_id = send_workflow(producer, workflow)
        assert directory.get(workflow_id).archived is False  # unknown keys catch up once
        send_workflow(producer, workflow.model_copy(update={"archived": True}))
        mail_sent_at = datetime.now(UTC)
        with pytest.raises(UnknownWorkflowError, match="archived"):
            directory.get(workflow_id, as_of=mail_sent_at)
    finally:
        directory.stop()
