"""Workflow settings as every service learns them: from `workflow.updated`, not the database."""

from __future__ import annotations

from docroute import topics
from docroute.catalog import TopicView
from docroute.contracts._generated import WorkflowUpdated
from docroute.errors import UnknownWorkflowError
from docroute.settings import KafkaSettings


class WorkflowDirectory:
    """Current settings per workflow key; unknown keys are looked up once more before failing."""

    def __init__(self, settings: KafkaSettings) -> None:
        self._view = TopicView(settings, topics.WORKFLOW_UPDATED)

    def start(self) -> None:
        self._view.start()

    def get(self, workflow_id: str) -> WorkflowUpdated:
        """Settings of an active workflow; raises UnknownWorkflowError for unknown or archived keys."""
        event = self._view.get(workflow_id)
        if event is None:
            # A document can overtake its workflow's first update; catch up once.
            self._view.sync()
            event = self._view.get(workflow_id)
        if event is None:
            raise UnknownWorkflowError(f"workflow {workflow_id} does not exist")
        workflow: WorkflowUpdated = event.data
        if workflow.archived:
            raise UnknownWorkflowError(f"workflow {workflow_id} is archived")
        return workflow
