"""Workflow settings as every service learns them: from `workflow.updated`, not the database."""

from __future__ import annotations

from datetime import datetime

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

    def stop(self) -> None:
        self._view.stop()

    def changed_after(self, workflow_id: str, time: datetime) -> bool:
        """Whether the workflow's settings as known now were published after ``time``: a message
        of that time may have been handled under others before (a redelivery)."""
        event = self._view.get(workflow_id)
        return event is not None and event.time > time

    def active(self) -> list[WorkflowUpdated]:
        """Every workflow not archived, as of the call (the topic is read to its end first)."""
        self._view.sync()
        found = (event.data for event in self._view.items().values())
        return [workflow for workflow in found if not workflow.archived]

    def get(self, workflow_id: str, *, as_of: datetime | None = None) -> WorkflowUpdated:
        """Settings of an active workflow; raises UnknownWorkflowError for unknown or archived keys.

        `as_of`: the time of the event being handled; every change published before it is
        seen (a mail sent just after its workflow was archived is refused, not let through).
        """
        if as_of is not None:
            self._view.ensure_current(as_of)
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
