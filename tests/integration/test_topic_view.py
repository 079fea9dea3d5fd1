"""A settings topic's view: its follower fetches with the view's wait, and a stage that asks for
the settings as of the event it handles (or syncs) sees every change published before that event,
read on demand, however far behind the follower is (a mail sent 13 ms after its workflow was
archived went through every stage, CI 2026-12-01). Each event reaches the listeners once, in order,
whichever of the two readers got it first."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from docroute import topics
from docroute.catalog import TopicView
from docroute.errors import UnknownWorkflowError
from docroute.events import Event
from docroute.kafka import EventProducer
from docroute.workflows import WorkflowDirectory
from tests.factories.workflows import send_workflow, workflow_settings


class _RecordedWaits(TopicView):
    """A view that records the fetch wait of each consumer it connects."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.waits: list[int] = []
        self.second_connected = threading.Event()

    def _connect(self, fetch_max_wait_ms: int) -> Any:
        self.waits.append(fetch_max_wait_ms)
        if len(self.waits) == 2:
            self.second_connected.set()
        return super()._connect(fetch_max_wait_ms)


def test_the_follower_fetches_with_the_view_wait_and_a_catch_up_hardly_waits(
    settings: Any, topics_ready: None
) -> None:
    kafka = settings.kafka.model_copy(update={"background_fetch_max_wait_ms": 37})
    view = _RecordedWaits(kafka, topics.WORKFLOW_UPDATED)
    try:
        assert view.sync()
        assert view.waits == [10]  # the catch-up reader: it asks only for records that are there
        view.start()
        assert view.second_connected.wait(15)
        assert view.waits == [10, 37]
    finally:
        view.stop()


def test_a_view_whose_follower_never_ran_reads_on_demand(settings: Any, producer: EventProducer) -> None:
    """Without its follower the view knows a workflow only by reading on demand: a new key
    (`get` catches up once) and a change as of an event (`as_of`)."""
    directory = WorkflowDirectory(settings.kafka)  # not started
    workflow = workflow_settings(labels=["invoice"])
    try:
        workflow_id = send_workflow(producer, workflow)
        assert directory.get(workflow_id).archived is False
        send_workflow(producer, workflow.model_copy(update={"archived": True}))
        with pytest.raises(UnknownWorkflowError, match="archived"):
            directory.get(workflow_id, as_of=datetime.now(UTC))
    finally:
        directory.stop()


def test_each_event_reaches_the_listeners_once_in_order_from_either_reader(
    settings: Any, producer: EventProducer
) -> None:
    """The follower (a short wait here, so it reads them too) and the catch-ups of `sync` read the
    same records: a listener hears each event once, in the order published."""
    view = TopicView(
        settings.kafka.model_copy(update={"background_fetch_max_wait_ms": 20}), topics.WORKFLOW_UPDATED
    )
    workflow = workflow_settings(labels=["invoice"])
    workflow_id = str(workflow.workflow_id)
    heard: list[list[str]] = []
    last_heard = threading.Event()

    def listen(event: Event[Any]) -> None:
        if str(event.data.workflow_id) == workflow_id:
            heard.append(event.data.labels)
            if event.data.labels == ["last"]:
                last_heard.set()

    view.on_event(listen)
    view.start()
    try:
        sent: list[list[str]] = []
        for i in range(6):
            labels = [f"label{i}"]
            send_workflow(producer, workflow.model_copy(update={"labels": labels}))
            sent.append(labels)
            if i % 2 == 0:
                assert view.sync()
                assert heard == sent  # read on demand, whoever read it
        send_workflow(producer, workflow.model_copy(update={"labels": ["last"]}))
        assert last_heard.wait(15)  # the follower, which read the earlier ones again, too
        assert heard == [*sent, ["last"]]
    finally:
        view.stop()


def test_a_change_published_before_an_event_is_seen_when_that_event_is_handled(
    settings: Any, producer: EventProducer
) -> None:
    """A stage asks for the settings as of the event it handles: a workflow archived before a
    mail was sent refuses the mail, however far behind the view's follower is (a 10 s fetch wait
    here, so without `as_of` the archiving is not yet read)."""
    directory = WorkflowDirectory(settings.kafka.model_copy(update={"background_fetch_max_wait_ms": 10_000}))
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


def test_a_workflow_changed_after_a_message_says_so_as_of_that_message(
    settings: Any, producer: EventProducer
) -> None:
    """OCR asks whether a workflow changed after a redelivered stack was sent (its splitting may
    have been another then): the settings' own publication time answers, not the call's."""
    directory = WorkflowDirectory(settings.kafka)
    workflow = workflow_settings(labels=["invoice"], splitting="separator")
    try:
        workflow_id = send_workflow(producer, workflow)
        sent_between = datetime.now(UTC)
        assert directory.changed_after(workflow_id, sent_between) is False  # unknown to the view yet
        directory.get(workflow_id)
        assert directory.changed_after(workflow_id, sent_between) is False
        send_workflow(producer, workflow.model_copy(update={"splitting": "none"}))
        assert directory.get(workflow_id, as_of=datetime.now(UTC)).splitting == "none"
        assert directory.changed_after(workflow_id, sent_between) is True
        assert directory.changed_after(workflow_id, datetime.now(UTC)) is False
    finally:
        directory.stop()
