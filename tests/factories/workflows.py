"""Workflows for tests that run services without the API: published straight to the topic."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from docroute import topics
from docroute.contracts._generated import DocumentSpec, WorkflowUpdated
from docroute.events import Outgoing, new_event
from docroute.kafka import EventProducer


def workflow_settings(
    *,
    labels: list[str],
    threshold: float = 0.8,
    class_thresholds: dict[str, float] | None = None,
    cropping: bool = False,
    ocr_engine: str = "tesseract",
    text_style: Literal["printed", "handwritten", "both"] = "printed",
    relevant_pages: str | None = None,
    splitting: Literal["none", "separator", "every_page", "auto"] | None = None,
    archived: bool = False,
    wording_languages: Literal["class", "workflow"] | None = None,
) -> WorkflowUpdated:
    """The `workflow.updated` of a new workflow (its own random key)."""
    workflow_id = str(uuid.uuid4())
    return WorkflowUpdated(
        workflow_id=workflow_id,
        name=f"test {workflow_id[:8]}",
        labels=labels,
        document_spec=DocumentSpec(
            cropping=cropping,
            character_set="latin",
            text_style=text_style,
            relevant_pages=relevant_pages,
            ocr_engine=ocr_engine,
        ),
        threshold=threshold,
        class_thresholds=class_thresholds or {},
        retrain_every=20,
        archived=archived,
        splitting=splitting,
        wording_languages=wording_languages,
    )


def send_workflow(producer: EventProducer, workflow: WorkflowUpdated) -> str:
    """Publish the settings (the last event per key wins) and return the workflow's key."""
    workflow_id = str(workflow.workflow_id)
    event = new_event("workflow.updated", workflow, source="test", subject=workflow_id)
    producer.send([Outgoing(topics.WORKFLOW_UPDATED, workflow_id, event)])
    return workflow_id


class OneWorkflow:
    """A service's workflow directory that knows one workflow, whatever id it is asked for: for a
    handler called directly, without the `workflow.updated` topic."""

    def __init__(self, workflow: WorkflowUpdated, changed_at: datetime | None = None) -> None:
        self.workflow = workflow
        # When its settings were published (None: before any document a test sends).
        self.changed_at = changed_at

    def get(self, workflow_id: str, **_: object) -> WorkflowUpdated:
        return self.workflow

    def changed_after(self, workflow_id: str, time: datetime) -> bool:
        return self.changed_at is not None and self.changed_at > time
