"""Which model version is live per workflow, from the `model.published` topic.

The topic carries `model.published` (the trainer: a new version, live or a candidate) and
`model.promoted` (the API: promote, pin, roll back), keyed by workflow on one partition, so
every follower applies them in the same order and the last event decides. Version 0 means
"no model": every document goes to review.

Usage::

    versions = ModelVersions(settings.kafka)
    versions.start()
    live = versions.live(workflow_id)          # LiveModel | None
    ref = versions.artifact_ref(workflow_id, 3)  # any published version, live or not
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from docroute import topics
from docroute.catalog import TopicView
from docroute.contracts._generated import ModelPromoted, ModelPublished
from docroute.events import Event
from docroute.settings import KafkaSettings


@dataclass(frozen=True)
class LiveModel:
    """The version serving a workflow; `artifact_ref` is None for version 0 (no model)."""

    version: int
    artifact_ref: str | None
    pinned: bool = False


@dataclass
class ModelLedger:
    """Pure state: published versions and the live one per workflow, fed event by event."""

    live: dict[str, LiveModel] = field(default_factory=dict)
    published: dict[tuple[str, int], str] = field(default_factory=dict)

    def apply(self, event: Event[Any]) -> LiveModel | None:
        """Apply one event; returns the workflow's live model when the event changed it."""
        data = event.data
        if isinstance(data, ModelPublished):
            workflow_id = str(data.workflow_id)
            self.published[(workflow_id, data.version)] = data.artifact_ref
            if not data.live:
                return None
            current = self.live.get(workflow_id)
            pinned = bool(current and current.pinned and current.version == data.version)
            self.live[workflow_id] = LiveModel(data.version, data.artifact_ref, pinned)
            return self.live[workflow_id]
        if isinstance(data, ModelPromoted):
            workflow_id = str(data.workflow_id)
            if data.artifact_ref is not None:
                self.published.setdefault((workflow_id, data.version), data.artifact_ref)
            self.live[workflow_id] = LiveModel(data.version, data.artifact_ref, data.pinned)
            return self.live[workflow_id]
        return None


# A workflow without a live version reads `model.published` to its end at most this often.
CATCH_UP_EVERY_S = 5.0


class ModelVersions:
    """A `ModelLedger` kept current by following the topic in a background thread."""

    def __init__(self, settings: KafkaSettings) -> None:
        self._ledger = ModelLedger()
        self._lock = threading.Lock()
        self._view = TopicView(settings, topics.MODEL_PUBLISHED)
        self._view.on_event(self._apply)
        self._listeners: list[Any] = []
        self._caught_up_at: dict[str, float] = {}  # workflow -> when it last read to the end

    def start(self) -> None:
        self._view.start()

    def stop(self) -> None:
        self._view.stop()

    def sync(self, timeout_s: float = 15.0) -> bool:
        """Block until every event produced before the call is applied; True on success."""
        return self._view.sync(timeout_s)

    def on_change(self, listener: Any) -> None:
        """Call `listener(workflow_id, live_model)` whenever a workflow's live version changes."""
        self._listeners.append(listener)

    def live(self, workflow_id: str) -> LiveModel | None:
        """The live version; None when no version was ever published or promoted."""
        with self._lock:
            return self._ledger.live.get(workflow_id)

    def live_or_catch_up(self, workflow_id: str, as_of: datetime | None = None) -> LiveModel | None:
        """The live version; when none is known yet, `model.published` is read to its end first:
        a document can overtake its workflow's first version's event (trained in a second,
        published, and the next document classified before this replica read it).

        `as_of`: the time of the event being handled. Every version published before it is then
        seen, for one offsets request (`TopicView.ensure_current`); without it, the topic is
        read to its end at most every CATCH_UP_EVERY_S (a poll round: 0.3-0.4 s on the local
        broker for the first document of a workflow without a model after a quiet spell, and
        a version published within those seconds not seen).
        """
        live = self.live(workflow_id)
        if live is None and as_of is not None:
            self._view.ensure_current(as_of)
            return self.live(workflow_id)
        now = time.monotonic()
        with self._lock:
            # At most once in a while per workflow: one that has no model yet would otherwise
            # wait on the topic with every document it sends.
            due = now - self._caught_up_at.get(workflow_id, -CATCH_UP_EVERY_S) >= CATCH_UP_EVERY_S
            if live is None and due:
                self._caught_up_at[workflow_id] = now
        if live is None and due:
            self.sync()
            live = self.live(workflow_id)
        return live

    def artifact_ref(self, workflow_id: str, version: int) -> str | None:
        """Where a published version lives in S3; None when it is unknown."""
        with self._lock:
            return self._ledger.published.get((workflow_id, version))

    def _apply(self, event: Event[Any]) -> None:
        with self._lock:
            changed = self._ledger.apply(event)
        if changed is not None:
            for listener in self._listeners:
                listener(str(event.data.workflow_id), changed)
