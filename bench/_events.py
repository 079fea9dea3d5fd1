"""Submitting mail to the mailroom topic and watching what the services emit.

`EventLog` reads the pipeline's topics from the beginning in a background thread and keeps,
per document, the CloudEvents `time` of each event type (set by the emitting service when it
built the event). Envelopes are parsed with `json.loads` only: the services validate them
already, and the bench should spend as little CPU as it can on a 2-core machine.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kafka import KafkaConsumer, KafkaProducer

from bench._corpus import Doc
from docroute import topics
from docroute.contracts._generated import Attachment, MailReceived
from docroute.events import encode, new_event
from docroute.intake import mail_document_id
from docroute.kafka import client_options
from docroute.settings import KafkaSettings

WATCHED = (
    topics.DOCUMENT_RECEIVED,
    topics.DOCUMENT_TEXT_EXTRACTED,
    topics.DOCUMENT_CLASSIFIED,
    topics.DOCUMENT_ROUTED,
    topics.DEAD_LETTER,
    topics.SAMPLE_LABELLED,
    topics.MODEL_PUBLISHED,
)
STAGES = ("document.received", "document.text_extracted", "document.classified", "document.routed")


@dataclass
class Submitted:
    """A document sent to the mailroom, and when (epoch seconds)."""

    document_id: str
    doc: Doc
    at: float


@dataclass
class Track:
    """What the services said about one document: event type -> (event time, data)."""

    events: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)


class EventLog:
    """Collects the events of the watched topics; `wait_*` block until something arrived."""

    def __init__(self, settings: KafkaSettings) -> None:
        self._consumer = KafkaConsumer(
            **client_options(settings),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=1000,
            max_partition_fetch_bytes=16 << 20,
        )
        self._consumer.subscribe(topics=list(WATCHED))
        self.docs: dict[str, Track] = {}
        self.published: list[tuple[float, dict[str, Any]]] = []
        self.labelled: set[str] = set()
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="event-log", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(10)
        self._consumer.close()

    def events_of(self, ids: list[str]) -> list[dict[str, tuple[float, dict[str, Any]]]]:
        """A copy of each document's events so far: type -> (event time, data)."""
        with self._cond:
            return [dict(self.docs.get(i, Track()).events) for i in ids]

    def published_version(self, workflow_id: str, version: int) -> tuple[float, dict[str, Any]] | None:
        """Time and data of the first `model.published` of this version, if seen."""
        with self._cond:
            hits = [
                (at, d)
                for at, d in self.published
                if d["workflow_id"] == workflow_id and d["version"] == version
            ]
        return hits[0] if hits else None

    def wait(self, predicate: Any, timeout_s: float, what: str) -> Any:
        """Block until `predicate()` (called under the lock) is truthy; returns its value."""
        with self._cond:
            result = self._cond.wait_for(predicate, timeout_s)
        if not result:
            raise TimeoutError(f"{what} after {timeout_s:.0f}s")
        return result

    def wait_done(self, ids: list[str], timeout_s: float) -> None:
        """Until every document was routed or dead-lettered."""

        def done() -> bool:
            return all(self._finished(i) for i in ids)

        self.wait(done, timeout_s, f"not all of {len(ids)} documents were routed")

    def failed(self, ids: list[str]) -> list[str]:
        with self._cond:
            return [i for i in ids if "document.failed" in self.docs.get(i, Track()).events]

    def _finished(self, document_id: str) -> bool:
        events = self.docs.get(document_id, Track()).events
        return "document.routed" in events or "document.failed" in events

    def _run(self) -> None:
        while not self._stopping.is_set():
            batch = self._consumer.poll(timeout_ms=200)
            if not batch:
                continue
            with self._cond:
                for records in batch.values():
                    for record in records:
                        self._apply(json.loads(record.value))
                self._cond.notify_all()

    def _apply(self, envelope: dict[str, Any]) -> None:
        kind, data = envelope["type"], envelope["data"]
        at = datetime.fromisoformat(envelope["time"]).timestamp()
        if kind == "model.published":
            self.published.append((at, data))
        elif kind == "sample.labelled":
            self.labelled.add(str(data["sample_id"]))
        elif data.get("document_id"):
            events = self.docs.setdefault(str(data["document_id"]), Track()).events
            events.setdefault(kind, (at, data))  # a redelivery keeps the first time


class Mailroom:
    """Sends one `mail.received` per document to mailroom.incoming, the attachment inline."""

    def __init__(self, settings: KafkaSettings, workflow_id: str) -> None:
        self._producer = KafkaProducer(
            **client_options(settings),
            acks="all",
            linger_ms=2,
            max_request_size=16 << 20,
        )
        self._workflow_id = workflow_id

    def submit(
        self,
        docs: list[Doc],
        *,
        purpose: str = "processing",
        labelled: bool = False,
        mail_ids: list[str] | None = None,
    ) -> list[Submitted]:
        """Encode every mail first, then produce them back to back and wait for the acks;
        `mail_ids`: one per document (default: random ones)."""
        encoded = []
        for index, doc in enumerate(docs):
            mail_id = mail_ids[index] if mail_ids is not None else f"bench-{uuid.uuid4()}"
            # The mailroom derives document ids (senders may not choose them): the same rule here.
            document_id = mail_document_id(self._workflow_id, mail_id, 0, doc.filename)
            mail = MailReceived(
                mail_id=mail_id,
                workflow_id=uuid.UUID(self._workflow_id),
                door="mailroom",
                purpose=purpose,
                label=doc.kind if labelled else None,
                attachments=[
                    Attachment(filename=doc.filename, content_base64=base64.b64encode(doc.data).decode())
                ],
            )
            event = new_event("mail.received", mail, source="bench")
            encoded.append((document_id, doc, mail_id, encode(event)))
        submitted, futures = [], []
        for document_id, doc, mail_id, value in encoded:
            submitted.append(Submitted(document_id, doc, time.time()))
            futures.append(self._producer.send(topics.MAILROOM_INCOMING, key=mail_id.encode(), value=value))
        for future in futures:
            future.get(timeout=60)
        return submitted

    def close(self) -> None:
        self._producer.close(timeout=5)
